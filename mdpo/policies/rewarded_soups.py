"""Rewarded Soups: one plain-LoRA expert per dimension, interpolated in weight space."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import torch
from torch import nn

from .base import PreferenceConditionedPolicy

__all__ = ["RSPolicy"]


class RSPolicy(PreferenceConditionedPolicy):
    """Rewarded Soups: ``W = W0 + Σ_i λ_i ΔW_i`` over one plain-LoRA expert per dimension.

    The experts are peft LoRA adapters (rank k+m, each trained on one dimension, at equal
    total compute), in any form :func:`mdpo.adapters.load_lora_expert` accepts. Setting λ
    computes the ΔW-space soup with :func:`mdpo.adapters.soup` and writes ``W0 + soup`` into
    the base model (:func:`mdpo.adapters.apply_delta` after restoring ``W0``, so no rounding
    drift accumulates). The soup is cached for the current λ: setting the same λ again costs
    nothing.

    With ``mode="unmerged"`` nothing is written into the base weights: the experts are
    injected as one per-row soup (:func:`mdpo.adapters.unmerged_soup`), so the policy is
    ``batched`` like Panacea (a ``[B, m]`` λ gives every batch row its own soup, in one
    forward pass) and equals the merged soup at every λ up to floating-point rounding.

    Args:
        model: The plain base model whose linears the experts adapt; its weights are
            overwritten in place (:meth:`restore` writes the originals back); with
            ``mode="unmerged"`` the soup's layers are injected into it instead.
        experts: One LoRA expert per dimension, in dimension order.
        dim_names: Dimension names.
        mode: ``"merged"`` (one λ at a time, written into the weights) or ``"unmerged"``
            (per-row λ).

    Raises:
        ValueError: If there is no expert, the experts do not adapt the same modules, or
            ``mode`` is unknown.
    """

    def __init__(
        self,
        model: nn.Module,
        experts: Sequence[Any],
        dim_names: Sequence[str] | None = None,
        mode: Literal["merged", "unmerged"] = "merged",
    ) -> None:
        from mdpo.adapters import LoraExpert, load_lora_expert, unmerged_soup

        if len(experts) == 0:
            raise ValueError("experts must hold one LoRA expert per dimension, got none")
        if mode not in ("merged", "unmerged"):
            raise ValueError(f"mode must be 'merged' or 'unmerged', got {mode!r}")
        super().__init__(len(experts), dim_names)
        self.mode = mode
        self.batched = mode == "unmerged"
        self._model = model
        self._cached_key: tuple[float, ...] | None = None
        self._experts: list[LoraExpert] = []
        self._base: dict[str, torch.Tensor] = {}
        self._soup = None
        if self.batched:
            # The soup copies the experts' factors into its own layers: no snapshot needed.
            self._soup = unmerged_soup(model, experts)
            self._preference_model = self._soup  # λ lives in the soup only
            return
        loaded = [load_lora_expert(e) for e in experts]
        # Snapshot the factors: a peft expert may keep training after the policy is built.
        self._experts = [
            LoraExpert(
                {k: (a.detach().clone(), b.detach().clone()) for k, (a, b) in e.factors.items()},
                dict(e.scalings),
            )
            for e in loaded
        ]
        self._base = {
            name: model.get_submodule(name).weight.detach().clone()
            for name in self._experts[0].factors
        }

    @property
    def model(self) -> nn.Module:
        """The base model carrying the current soup (the soup model when unmerged)."""
        return self._model if self._soup is None else self._soup

    def _apply_preference(self, preference: torch.Tensor) -> None:
        from mdpo.adapters import apply_delta, soup

        if self._soup is not None:
            self._soup._set_preference(preference)
            return
        key = tuple(float(v) for v in preference)
        if key == self._cached_key:
            return
        deltas = soup(self._experts, preference)
        self._write_base()
        apply_delta(self._model, deltas)
        self._cached_key = key

    def restore(self) -> None:
        """Write the original base weights back and forget λ (the model is the base again)."""
        self._write_base()
        self._preference = None
        self._preference_applied = False

    @torch.no_grad()
    def _write_base(self) -> None:
        for name, w0 in self._base.items():
            self._model.get_submodule(name).weight.copy_(w0)
        self._cached_key = None

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The souped model's forward at the current λ.

        Raises:
            RuntimeError: If no λ is set.
        """
        self._require_preference()
        return self.model(*args, **kwargs)
