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
