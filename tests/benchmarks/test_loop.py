"""The bandit/synthetic training loop follows its learning-rate schedule."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from mdpo.aggregators import get_aggregator
from mdpo.benchmarks.methods.loop import fixed_preferences, schedule_factor, train_loop


class _Linear:
    """Losses equal to the outputs: a constant gradient, so each Adam step moves by lr_t."""

    n_dims = 2

    def losses(self, out, *, objective, seed, step):
        return out


def _steps(schedule: str, steps: int = 4, lr: float = 0.1) -> list[float]:
    w = torch.nn.Parameter(torch.zeros(2))
    seen = [w.detach().clone()]
    train_loop(
        lambda lam: w.expand(lam.shape[0], 1, 2),
        [w],
        _Linear(),
        aggregator=get_aggregator("ls"),
        preferences=fixed_preferences(torch.tensor([0.5, 0.5]), 1),
        steps=steps,
        lr=lr,
        objective="exact",
        seed=0,
        ideal_margin=0.1,
        log_every=1,
        on_step=lambda _: seen.append(w.detach().clone()),
        lr_schedule=schedule,
    )
    return [float(a[0] - b[0]) for a, b in itertools.pairwise(seen)]


def test_adam_steps_follow_the_schedule():
    constant, linear, cosine = (_steps(s) for s in ("constant", "linear", "cosine"))
    assert linear != constant  # the schedule changes the updates
    assert constant == pytest.approx([0.1] * 4, rel=1e-4)
    assert linear == pytest.approx([0.1, 0.075, 0.05, 0.025], rel=1e-4)
    expected = [0.05 * (1 + math.cos(math.pi * t / 4)) for t in range(4)]
    assert cosine == pytest.approx(expected, rel=1e-4)


def test_unknown_schedule_is_refused():
    with pytest.raises(ValueError, match=r"lr_schedule must be one of \['constant', 'linear'"):
        schedule_factor("warmup", 4)


@pytest.mark.parametrize("schedule", ["constant", "linear", "cosine"])
def test_schedules_are_hugging_faces_and_equal_the_closed_forms(schedule):
    """The feature tasks' schedules are transformers' (as the LLM tasks'), shapes as documented."""
    from transformers import get_scheduler

    closed = {
        "constant": lambda t, n: 1.0,
        "linear": lambda t, n: 1.0 - t / n,
        "cosine": lambda t, n: 0.5 * (1.0 + math.cos(math.pi * t / n)),
    }[schedule]
    for steps in (1, 4, 7, 80, 133):
        w = torch.nn.Parameter(torch.zeros(1))
        hf = get_scheduler(
            schedule, torch.optim.SGD([w], lr=1.0), num_warmup_steps=0, num_training_steps=steps
        )
        ours = schedule_factor(schedule, steps)
        for t in range(steps):
            assert ours(t) == hf.lr_lambdas[0](t)
            assert ours(t) == pytest.approx(closed(t, steps), rel=1e-14, abs=1e-15)
