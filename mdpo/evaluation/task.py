"""The :class:`Task` protocol: what a benchmark task offers to front evaluation."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import torch

__all__ = ["Task"]


@runtime_checkable
class Task(Protocol):
    """A multi-dimensional task on which a preference-conditioned policy is scored.

    Attributes:
        dim_names: The m dimension names.
        n_dims: m.
    """

    dim_names: list[str]

    @property
    def n_dims(self) -> int:
        """Number m of dimensions."""
        ...

    def objective_values(self, policy: Any) -> torch.Tensor:
        """Objective values ``[m]`` (maximised) of ``policy`` at its current λ.

        Exact for the bandit and synthetic tasks; generate + score for LLM tasks.
        """
        ...

    def true_front(self, n: int) -> torch.Tensor | None:
        """The known Pareto front ``[K, m]`` at a resolution set by ``n``, or None."""
        ...
