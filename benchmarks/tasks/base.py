"""What the benchmark training loop needs from a task, beyond :class:`mdpo.evaluation.Task`."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import ClassVar

import torch
from torch import nn

__all__ = ["TrainableTask"]


class TrainableTask(abc.ABC):
    """A task with a small base model, exact or sampled training losses and exact values.

    The base model maps inputs ``[..., d]`` (or ``[..., d + m]`` with λ appended, for the
    prompt-conditioned policy) to outputs ``[..., out]``. Training runs the model on
    :meth:`inputs` (N rows) for B preferences at once, ``[B, N, d] -> [B, N, out]``, and
    :meth:`losses` turns the outputs into per-row losses ``[B, N, m]``.
    :meth:`objective_values` implements :class:`mdpo.evaluation.Task`.

    Subclasses set :attr:`dim_names`, :attr:`target_modules`, :attr:`has_logits` and
    implement the abstract methods.
    """

    has_logits: ClassVar[bool] = False
    """Whether the model's outputs are logits that MOD can mix."""

    objectives: ClassVar[tuple[str, ...]] = ("exact",)
    """The training objectives :meth:`losses` accepts."""

    dim_names: list[str]
    target_modules: list[str]

    @property
    def n_dims(self) -> int:
        """Number m of dimensions."""
        return len(self.dim_names)

    @abc.abstractmethod
    def make_model(self) -> nn.Module:
        """A fresh copy of the frozen base model (deterministic; the reference policy)."""

    @abc.abstractmethod
    def inputs(self) -> torch.Tensor:
        """The N input rows ``[N, d]`` evaluated at every λ."""

    @abc.abstractmethod
    def losses(
        self, outputs: torch.Tensor, *, objective: str, seed: int, step: int
    ) -> torch.Tensor:
        """Per-row training losses.

        Args:
            outputs: Model outputs ``[B, N, out]`` for the rows of :meth:`inputs`.
            objective: One of :attr:`objectives`.
            seed: Run seed (for sampled objectives: draws are keyed by (seed, step)).
            step: Optimizer step.

        Returns:
            ``[B, N, m]`` losses (minimised).
        """

    @abc.abstractmethod
    def values(self, outputs: torch.Tensor) -> torch.Tensor:
        """Objective values ``[m]`` (maximised) from the outputs ``[N, out]`` at one λ."""

    @abc.abstractmethod
    def ideal_point(self) -> torch.Tensor | None:
        """The exact best value ``[m]`` of every loss (loss space), or None if unknown."""

    @abc.abstractmethod
    def true_front(self, n: int) -> torch.Tensor | None:
        """The true front on a Das–Dennis grid of λ with ``n`` partitions, or None."""

    def objective_values(self, policy: object) -> torch.Tensor:
        """The objective values ``[m]`` of ``policy`` at its current λ.

        Args:
            policy: A callable (usually a :class:`mdpo.policies.PreferenceConditionedPolicy`)
                mapping :meth:`inputs` to outputs.

        Returns:
            ``[m]`` float64 values (maximised).
        """
        with torch.no_grad():
            return self.values(policy(self.inputs())).to(torch.float64)


def check_names(names: Sequence[str] | None, m: int, default: str) -> list[str]:
    """Validate dimension names (or make ``default0, default1, ...``)."""
    if names is None:
        return [f"{default}{i}" for i in range(m)]
    out = list(names)
    if len(out) != m or len(set(out)) != m or not all(isinstance(n, str) and n for n in out):
        raise ValueError(f"dim_names must hold {m} distinct non-empty strings, got {names!r}")
    return out
