"""Discrete policy solutions: one separately trained model per λ of a grid."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from mdpo.preferences import check_preference

from .base import PreferenceConditionedPolicy

__all__ = ["DPSPolicy"]


class DPSPolicy(PreferenceConditionedPolicy):
    """A collection of K models keyed by their preferences (usually a Das–Dennis grid).

    Each member was trained on the aggregated objective at its own λ. Only those K λ are
    supported: :meth:`set_preference` refuses any other, and
    :func:`mdpo.evaluation.evaluate_front` evaluates a DPS policy only on its grid.

    Args:
        preferences: ``[K, m]`` distinct preferences, one per member.
        members: K modules (adapters applied), in the same order.
        dim_names: Dimension names.

    Raises:
        ValueError: If the counts differ, a preference is invalid, or two coincide.

    Example:
        >>> import torch
        >>> from mdpo.policies import DPSPolicy
        >>> from mdpo.preferences import preference_grid
        >>> grid = preference_grid(2, 1)
        >>> policy = DPSPolicy(grid, [torch.nn.Identity(), torch.nn.Identity()])
        >>> policy.supports([0.5, 0.5]), policy.supports([1.0, 0.0])
        (False, True)
    """

    def __init__(
        self,
        preferences: torch.Tensor,
        members: Sequence[nn.Module],
        dim_names: Sequence[str] | None = None,
    ) -> None:
        grid = torch.as_tensor(preferences, dtype=torch.float32)
        if grid.dim() != 2:
            raise ValueError(f"preferences must have shape [K, m], got {tuple(grid.shape)}")
        grid = check_preference(grid, grid.shape[1], name="preferences")
        if len(members) != grid.shape[0]:
            raise ValueError(
                f"members must hold one module per preference ({grid.shape[0]}), got {len(members)}"
            )
        if torch.unique(grid, dim=0).shape[0] != grid.shape[0]:
            raise ValueError("preferences must be distinct; a grid point appears twice")
        super().__init__(grid.shape[1], dim_names)
        self._grid = grid
        self._members = list(members)
        self._active = 0
        self._soup: Any = None

    @classmethod
    def unmerged(
        cls,
        preferences: torch.Tensor,
        base: nn.Module,
        experts: Sequence[Any],
        dim_names: Sequence[str] | None = None,
    ) -> DPSPolicy:
        """A DPS policy whose K members are plain LoRA experts of one base, batched per row.

        The experts are injected into ``base`` as one per-row soup
        (:func:`mdpo.adapters.unmerged_soup`) whose weight vector is one-hot on the row's
        grid point, so rows at different grid preferences share one forward pass (the policy
        is ``batched``) and each equals its member alone up to floating-point rounding.

        Args:
            preferences: ``[K, m]`` distinct grid preferences.
            base: The plain base model (the experts' layers are injected into it).
            experts: K LoRA experts, in any form :func:`mdpo.adapters.load_lora_expert`
                accepts, in the grid's order.
            dim_names: Dimension names.

        Raises:
            ValueError: As the constructor, or if the experts adapt different modules.
        """
        from mdpo.adapters import unmerged_soup

        soup = unmerged_soup(base, experts)
        policy = cls(preferences, [soup] * len(experts), dim_names)
        policy._soup = soup
        policy.batched = True
        return policy

    @property
    def supported_preferences(self) -> torch.Tensor:
        """The K supported preferences ``[K, m]``."""
        return self._grid.clone()

    @property
    def members(self) -> list[nn.Module]:
        """The K member models."""
        return list(self._members)

    @property
    def model(self) -> nn.Module:
        """The member selected by the current λ."""
        return self._members[self._active]

    def modules(self) -> list[nn.Module]:
        """All K members (the one soup model when unmerged)."""
        return list({id(m): m for m in self._members}.values())

    def _apply_preference(self, preference: torch.Tensor) -> None:
        if self._soup is not None:
            rows = preference.reshape(-1, self.n_dims)
            onehot = torch.zeros(rows.shape[0], self._grid.shape[0])
            for b, row in enumerate(rows):
                onehot[b, self._support_index(row) or 0] = 1.0
            self._soup._set_preference(onehot if preference.dim() == 2 else onehot[0])
            return
        index = self._support_index(preference)
        self._active = 0 if index is None else index

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The selected member's forward.

        Raises:
            RuntimeError: If no λ is set.
        """
        self._require_preference()
        return self.model(*args, **kwargs)
