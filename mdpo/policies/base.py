"""The :class:`PreferenceConditionedPolicy` interface shared by Panacea and the baselines."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any, ClassVar

import torch
from torch import nn

from mdpo.preferences import PreferenceLike, check_preference

__all__ = ["PreferenceConditionedPolicy"]


class PreferenceConditionedPolicy(abc.ABC):
    """A model whose behaviour is selected by a preference λ on the m-simplex.

    Every implementation (Panacea, Rewarded Soups, DPS, MOD, prompt conditioning) offers the
    same surface: :meth:`set_preference` validates λ with
    :func:`~mdpo.preferences.check_preference` and, when :attr:`supported_preferences` is a
    finite set, refuses a λ outside it; :meth:`forward` (also ``policy(...)``) and
    :meth:`generate` then run the model at that λ.

    Subclasses implement :meth:`_apply_preference` and :meth:`forward`; :meth:`generate`
    defaults to the wrapped model's ``generate``.

    Args:
        n_dims: Number m of preference dimensions.
        dim_names: One name per dimension; ``dim0, dim1, ...`` when None.

    Raises:
        TypeError: If ``n_dims`` is not an int.
        ValueError: If ``n_dims < 1`` or ``dim_names`` does not hold ``n_dims`` distinct
            strings.
    """

    batched: ClassVar[bool] = False
    """Whether :meth:`set_preference` accepts one λ per batch row (``[B, m]``)."""

    def __init__(self, n_dims: int, dim_names: Sequence[str] | None = None) -> None:
        if isinstance(n_dims, bool) or not isinstance(n_dims, int):
            raise TypeError(f"n_dims must be an int >= 1, got {type(n_dims).__name__} {n_dims!r}")
        if n_dims < 1:
            raise ValueError(f"n_dims must be an int >= 1, got {n_dims!r}")
        names = [f"dim{i}" for i in range(n_dims)] if dim_names is None else list(dim_names)
        if (
            len(names) != n_dims
            or len(set(names)) != n_dims
            or not all(isinstance(n, str) and n for n in names)
        ):
            raise ValueError(
                f"dim_names must hold n_dims={n_dims} distinct non-empty strings, got {dim_names!r}"
            )
        self._n_dims = n_dims
        self._dim_names = names
        self._preference: torch.Tensor | None = None
        # A model that holds λ itself (a Panacea model's holder): then it is the one copy.
        self._preference_model: Any = None
        self._preference_applied = False

    @property
    def n_dims(self) -> int:
        """Number m of preference dimensions."""
        return self._n_dims

    @property
    def dim_names(self) -> list[str]:
        """The m dimension names."""
        return list(self._dim_names)

    @property
    def supported_preferences(self) -> torch.Tensor | None:
        """None when any λ is supported, else the finite set ``[K, m]`` of supported λ."""
        return None

    @property
    def preference(self) -> torch.Tensor | None:
        """The current λ (``[m]``, or ``[B, m]`` for batched policies), None before any is set."""
        lam = self._current_preference()
        return None if lam is None else lam.clone()

    def supports(self, preference: PreferenceLike) -> bool:
        """Whether a single λ is supported (validated first).

        Args:
            preference: λ of shape ``[m]``.

        Returns:
            True if :meth:`set_preference` would accept it.
        """
        lam = check_preference(preference, self.n_dims)
        return self._support_index(lam) is not None

    def set_preference(self, preference: PreferenceLike) -> None:
        """Select the behaviour for λ.

        Args:
            preference: λ of shape ``[m]`` (or ``[B, m]`` when :attr:`batched`), summing to 1.

        Raises:
            TypeError: If λ is not numeric.
            ValueError: If λ is invalid (see :func:`~mdpo.preferences.check_preference`), is
                batched for a policy that takes one λ, or is not in a finite
                :attr:`supported_preferences`.
        """
        lam = check_preference(preference, self.n_dims)
        if lam.dim() != 1 and not (self.batched and lam.dim() == 2):
            allowed = "[m] or [B, m]" if self.batched else "[m]"
            raise ValueError(
                f"preference for {type(self).__name__} must have shape {allowed} with "
                f"m={self.n_dims}, got shape {tuple(lam.shape)}"
            )
        rows = lam.reshape(-1, self.n_dims)
        for row in rows:
            if self._support_index(row) is None:
                grid = self.supported_preferences
                assert grid is not None  # only a finite set can reject
                shown = ", ".join(
                    "(" + ", ".join(f"{v:.4g}" for v in g.tolist()) + ")" for g in grid[:8]
                )
                more = ", ..." if grid.shape[0] > 8 else ""
                raise ValueError(
                    f"preference {[round(v, 4) for v in row.tolist()]} is not supported by "
                    f"{type(self).__name__}; it supports only its {grid.shape[0]} grid "
                    f"preferences: {shown}{more}"
                )
        self._apply_preference(lam)
        self._keep_preference(lam)

    def _support_index(self, lam: torch.Tensor, atol: float = 1e-5) -> int | None:
        grid = self.supported_preferences
        if grid is None:
            return 0
        hits = torch.nonzero(
            ((grid.to(lam.dtype) - lam).abs() <= atol).all(dim=-1), as_tuple=False
        ).flatten()
        return int(hits[0]) if hits.numel() else None

    def _require_preference(self) -> torch.Tensor:
        lam = self._current_preference()
        if lam is None:
            raise RuntimeError(
                f"no preference is set on this {type(self).__name__}: call "
                "policy.set_preference(λ) first"
            )
        return lam

    def _keep_preference(self, preference: torch.Tensor) -> None:
        """Remember the λ just applied, unless :attr:`_preference_model` holds it."""
        self._preference = preference if self._preference_model is None else None
        self._preference_applied = True

    def _current_preference(self) -> torch.Tensor | None:
        """The λ in effect, or None before this policy set one."""
        model = self._preference_model
        if not self._preference_applied or model is None:
            return self._preference
        return model.get_preference()

    @abc.abstractmethod
    def _apply_preference(self, preference: torch.Tensor) -> None:
        """Make the validated, supported λ current (``[m]`` or ``[B, m]``)."""

    @abc.abstractmethod
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Run the model at the current λ; arguments and output are the model's."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Alias of :meth:`forward`."""
        return self.forward(*args, **kwargs)

    def generate(self, *args: Any, **kwargs: Any) -> Any:
        """Generate with the wrapped model at the current λ (its ``generate`` signature).

        Raises:
            RuntimeError: If no λ is set.
            TypeError: If the wrapped model cannot generate.
        """
        self._require_preference()
        model = self.model
        if not hasattr(model, "generate"):
            raise TypeError(f"{type(model).__name__} has no generate method")
        return model.generate(*args, **kwargs)

    @property
    def model(self) -> nn.Module:
        """The module that :meth:`forward` runs at the current λ."""
        raise NotImplementedError

    def modules(self) -> list[nn.Module]:
        """Every module the policy owns (for ``.eval()``/``.train()`` and parameter counts).

        Returns:
            A list of ``nn.Module``.
        """
        return [self.model]

    def eval(self) -> PreferenceConditionedPolicy:
        """Put every owned module in eval mode; returns ``self``."""
        for module in self.modules():
            module.eval()
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n_dims={self.n_dims}, dim_names={self.dim_names})"
