"""The training loop of the non-LM benchmark tasks (bandit, synthetic).

One step: draw the batch's preferences ``λ [B, m]`` (a pure function of (seed, step, row)),
run the model on the task's N input rows for every λ (``[B, N, ...]``), take the per-row
losses ``[B·N, m]``, update the tracked ideal point, and minimise the aggregator's grouped
:meth:`~mdpo.aggregators.Aggregator.reduce` with Adam. LLM tasks use
:class:`mdpo.training.MDPOTrainer` instead.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable
from typing import Any

import torch

from mdpo.preferences import sample_preferences
from mdpo.seeding import keyed_generator

__all__ = [
    "TrainLog",
    "fixed_preferences",
    "sampled_preferences",
    "schedule_factor",
    "train_loop",
]


@dataclasses.dataclass
class TrainLog:
    """What one training run did.

    Attributes:
        steps: Optimizer steps.
        rows: Loss rows processed (steps × B × N).
        wall_time: Seconds.
        ideal: The final tracked ideal point ``[m]`` (loss space), or None if the aggregator
            needs none.
        curve_steps: Steps at which the curve was recorded.
        curve: Per-dimension mean loss ``[len(curve_steps)][m]``.
        label: What was trained (e.g. ``"expert:r0"``).
        dynamics: Learning dynamics at the curve's steps, ``{key: [len(curve_steps)]}``
            (see :mod:`mdpo.training.dynamics`; NaN where a step lacks the key), or None
            when they were not recorded.
    """

    steps: int
    rows: int
    wall_time: float
    ideal: list[float] | None
    curve_steps: list[int]
    curve: list[list[float]]
    label: str = ""
    dynamics: dict[str, list[float]] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return dataclasses.asdict(self)


def sampled_preferences(
    m: int, batch: int, *, seed: int, vertex_prob: float
) -> Callable[[int], torch.Tensor]:
    """``step -> λ [batch, m]`` drawn uniformly on the simplex (mixed with vertices).

    Each step's draw comes from :func:`mdpo.seeding.keyed_generator` keyed by
    ``(seed, "preference", step)``, so it is a pure function of (seed, step, row).
    """

    def draw(step: int) -> torch.Tensor:
        gen = keyed_generator(seed, "preference", step)
        return sample_preferences(batch, m, generator=gen, vertex_prob=vertex_prob)

    return draw


def fixed_preferences(preference: torch.Tensor, batch: int) -> Callable[[int], torch.Tensor]:
    """``step -> λ [batch, m]`` that always returns ``preference`` repeated."""
    rows = preference.to(torch.float32).expand(batch, -1).clone()
    return lambda step: rows


def schedule_factor(lr_schedule: str, steps: int) -> Callable[[int], float]:
    """The multiplier of the base learning rate at each step, for ``LambdaLR``.

    Hugging Face's schedules of the same names without warm-up
    (``transformers.get_scheduler``), so the feature tasks and the LLM tasks (trained by
    :class:`~mdpo.training.MDPOTrainer`, which uses them) follow the same shapes.

    Args:
        lr_schedule: ``"constant"`` (1), ``"linear"`` (``1 - t/steps``) or ``"cosine"``
            (``(1 + cos(π t/steps)) / 2``).
        steps: Total optimizer steps.

    Returns:
        ``t -> factor``.

    Raises:
        ValueError: If ``lr_schedule`` is unknown.

    Example:
        >>> from mdpo.benchmarks.methods.loop import schedule_factor
        >>> [schedule_factor("linear", 4)(t) for t in range(4)]
        [1.0, 0.75, 0.5, 0.25]
    """
    from mdpo.benchmarks.config import LR_SCHEDULES

    if lr_schedule not in LR_SCHEDULES:
        raise ValueError(f"lr_schedule must be one of {list(LR_SCHEDULES)}, got {lr_schedule!r}")
    from transformers import get_scheduler

    # get_scheduler builds the LambdaLR of an optimizer; its multiplier is what we return.
    holder = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    scheduler = get_scheduler(
        lr_schedule, holder, num_warmup_steps=0, num_training_steps=max(1, steps)
    )
    return scheduler.lr_lambdas[0]


def train_loop(
    forward: Callable[[torch.Tensor], torch.Tensor],
    params: Iterable[torch.nn.Parameter],
    task: Any,
    *,
    aggregator: Any,
    preferences: Callable[[int], torch.Tensor],
    steps: int,
    lr: float,
    objective: str,
    seed: int,
    ideal_margin: float,
    log_every: int,
    label: str = "",
    on_step: Callable[[int], None] | None = None,
    ideal: torch.Tensor | None = None,
    lr_schedule: str = "constant",
    losses: Callable[..., torch.Tensor] | None = None,
) -> TrainLog:
    """Train ``params`` by minimising the aggregated task losses.

    Args:
        forward: ``λ [B, m] -> outputs [B, N, ...]`` on the task's inputs.
        params: Trainable parameters (Adam).
        task: A :class:`~mdpo.benchmarks.tasks.base.TrainableTask`.
        aggregator: An :class:`mdpo.aggregators.Aggregator`.
        preferences: ``step -> λ [B, m]``.
        steps: Optimizer steps.
        lr: Learning rate.
        objective: The task's training objective.
        seed: Seed for sampled objectives.
        ideal_margin: Margin of the tracked ideal point (Tchebycheff family).
        log_every: Steps between curve points.
        label: Stored in the log.
        on_step: Called after each step with the step index (progress bars).
        ideal: A known ideal point ``[m]`` in loss space (the best value of every loss);
            the aggregator then uses ``ideal - ideal_margin``. None tracks z as the running
            minimum of the per-λ mean losses minus ``ideal_margin``.
        lr_schedule: ``"constant"``, or ``"linear"``/``"cosine"`` decay from ``lr`` to 0
            over ``steps`` (no warm-up).
        losses: ``(outputs [B, N, ...], *, objective, seed, step) -> [B, N, m]`` per-row
            losses in place of ``task.losses`` (a method with its own loss, e.g. MODPO).

    Returns:
        A :class:`TrainLog`.

    Raises:
        ValueError: If there are no trainable parameters or ``lr_schedule`` is unknown.
    """
    from mdpo.training.ideal import IdealPointTracker

    row_losses = task.losses if losses is None else losses
    params = [p for p in params if p.requires_grad]
    if not params:
        raise ValueError("train_loop got no trainable parameters")
    optimizer = torch.optim.Adam(params, lr=lr)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule_factor(lr_schedule, steps))
    tracker = IdealPointTracker(task.n_dims, margin=ideal_margin)
    needs_ideal = bool(getattr(aggregator, "requires_ideal", False))
    curve_steps: list[int] = []
    curve: list[list[float]] = []
    rows = 0
    start = time.perf_counter()
    for step in range(steps):
        lam = preferences(step)
        out = forward(lam)
        values = row_losses(out, objective=objective, seed=seed, step=step)
        b, n, m = values.shape
        flat = values.reshape(b * n, m)
        row_prefs = lam.repeat_interleave(n, dim=0)
        z = None
        if needs_ideal and ideal is not None:
            z = ideal.to(flat.dtype) - ideal_margin
        elif needs_ideal:
            # Candidate: the best per-λ mean of each dimension in this batch.
            tracker.update(values.detach().mean(dim=1).min(dim=0).values[None])
            z = tracker.value.to(flat.dtype)
        loss = aggregator.reduce(flat, row_prefs, ideal=z)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        rows += b * n
        if step % log_every == 0 or step == steps - 1:
            curve_steps.append(step)
            curve.append(flat.detach().mean(dim=0).tolist())
        if on_step is not None:
            on_step(step)
    return TrainLog(
        steps=steps,
        rows=rows,
        wall_time=time.perf_counter() - start,
        ideal=None if not needs_ideal else _final_ideal(ideal, ideal_margin, tracker),
        curve_steps=curve_steps,
        curve=curve,
        label=label,
    )


def _final_ideal(ideal: torch.Tensor | None, margin: float, tracker: Any) -> list[float]:
    return (tracker.value if ideal is None else ideal.float() - margin).tolist()
