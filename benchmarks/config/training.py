"""The training budget and optimiser settings of a suite (its ``training:`` section)."""

from __future__ import annotations

import dataclasses
from typing import Any

from mdpo.benchmarks.config.checks import check_float_setting, check_int_setting

__all__ = ["LR_SCHEDULES", "TrainingConfig", "check_lr_schedule"]

LR_SCHEDULES = ("constant", "linear", "cosine")
"""Learning-rate schedules of :attr:`TrainingConfig.lr_schedule` (the names Hugging Face's
``lr_scheduler_type`` uses for the same shapes)."""


def check_lr_schedule(where: str, value: Any) -> str:
    """Validate a learning-rate schedule name.

    Args:
        where: The setting's name, for the error message.
        value: Its value.

    Returns:
        The value, one of :data:`LR_SCHEDULES`.

    Raises:
        ValueError: If it is not one of :data:`LR_SCHEDULES`.
    """
    if value not in LR_SCHEDULES:
        raise ValueError(f"{where} must be one of {list(LR_SCHEDULES)}, got {value!r}")
    return value


@dataclasses.dataclass
class TrainingConfig:
    """Training budget and optimiser settings shared by the methods of a suite.

    Args:
        steps: Optimizer steps of one preference-conditioned model. At equal compute, RS
            gives each of its m experts ``steps // m`` and DPS each of its K members
            ``steps // K``.
        lr: Adam learning rate.
        pref_batch: Preferences (rows of λ) per step.
        vertex_prob: Probability that a training λ is a simplex vertex.
        rank: Number k of preference-independent singular values (LoRA rank is k + m).
        ideal_margin: Margin of the tracked Tchebycheff ideal point.
        log_every: Steps between two points of the training curve.
        lr_schedule: Learning-rate schedule over each trained model's own steps, one of
            :data:`LR_SCHEDULES`: ``"constant"``, ``"linear"`` (decay to 0) or ``"cosine"``
            (decay to 0), without warm-up.
    """

    steps: int = 400
    lr: float = 0.01
    pref_batch: int = 16
    vertex_prob: float = 0.3
    rank: int = 8
    ideal_margin: float = 0.1
    log_every: int = 10
    lr_schedule: str = "constant"

    def __post_init__(self) -> None:
        check_int_setting("training.steps", self.steps, 1)
        check_lr_schedule("training.lr_schedule", self.lr_schedule)
        check_float_setting("training.lr", self.lr, 1e-12)
        check_int_setting("training.pref_batch", self.pref_batch, 1)
        check_float_setting("training.vertex_prob", self.vertex_prob, 0.0, 1.0)
        check_int_setting("training.rank", self.rank, 1)
        check_float_setting("training.ideal_margin", self.ideal_margin, 0.0)
        check_int_setting("training.log_every", self.log_every, 1)

    def replace(self, **changes: Any) -> TrainingConfig:
        """A copy with some fields changed (None values are ignored)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})
