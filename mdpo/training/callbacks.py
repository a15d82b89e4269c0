"""Trainer callbacks of :class:`~mdpo.training.MDPOTrainer`."""

from __future__ import annotations

from typing import Any

from transformers import TrainerCallback

__all__ = ["GradientNormCallback"]


class GradientNormCallback(TrainerCallback):
    """Collects :func:`~mdpo.training.dynamics.gradient_norms` before every optimizer step."""

    def __init__(self, trainer: Any) -> None:
        self.trainer = trainer

    def on_pre_optimizer_step(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """Record the gradient norms of this optimizer step (Trainer's hook)."""
        from mdpo.training.dynamics import gradient_norms

        trainer = self.trainer
        trainer._grad_norms.append(gradient_norms(trainer.accelerator.unwrap_model(trainer.model)))
