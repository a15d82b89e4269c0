"""Panacea as a :class:`~mdpo.policies.PreferenceConditionedPolicy`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import torch
from torch import nn

from .base import PreferenceConditionedPolicy

__all__ = ["PanaceaPolicy"]


class PanaceaPolicy(PreferenceConditionedPolicy):
    """One Panacea model: λ is written into the singular values of every adapted layer.

    Any λ is supported, one per batch row too (``[B, m]``).

    Args:
        model: A Panacea model (:func:`mdpo.adapters.get_panacea_model`'s result), or any
            module with a ``set_preference(λ)`` method.
        n_dims: Number m of dimensions; read from ``model.n_dims`` or
            ``model.panacea_config.n_dims`` when None.
        dim_names: Dimension names.

    Raises:
        TypeError: If ``model`` has no ``set_preference``.
        ValueError: If m cannot be determined.
    """

    batched: ClassVar[bool] = True

    def __init__(
        self, model: nn.Module, n_dims: int | None = None, dim_names: Sequence[str] | None = None
    ) -> None:
        if not callable(getattr(model, "set_preference", None)):
            raise TypeError(
                f"model must be a Panacea model with set_preference(λ), got {type(model).__name__}"
            )
        if n_dims is None:
            n_dims = getattr(model, "n_dims", None)
            if n_dims is None:
                config = getattr(model, "panacea_config", None) or getattr(model, "config", None)
                n_dims = getattr(config, "n_dims", None)
        if n_dims is None:
            raise ValueError("n_dims could not be read from the model; pass n_dims explicitly")
        super().__init__(n_dims, dim_names)
        self._model = model
        if callable(getattr(model, "get_preference", None)):
            self._preference_model = model  # λ lives in the model only

    @property
    def model(self) -> nn.Module:
        """The Panacea model."""
        return self._model

    def _apply_preference(self, preference: torch.Tensor) -> None:
        # λ is validated already: a Panacea model takes it as it is (its holder keeps the one
        # copy of λ); another module with set_preference gets it through its own API.
        write = getattr(self._model, "_set_preference", None) or self._model.set_preference
        write(preference)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The Panacea model's forward at the current λ.

        Raises:
            RuntimeError: If no λ is set.
        """
        self._require_preference()
        return self._model(*args, **kwargs)
