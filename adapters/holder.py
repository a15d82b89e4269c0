"""The preference holder: one λ shared by every Panacea layer of a model."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn

from mdpo.preferences import PreferenceLike, check_preference

__all__ = ["PreferenceHolder"]


def _fast_single_preference(p: Any, m: int, atol: float = 1e-4) -> torch.Tensor | None:
    """λ ``[m]`` validated in plain Python when that is cheap, else None.

    Switching λ is on the hot path (target ≤ 50 µs), and for one short vector Python
    arithmetic beats a dozen tiny tensor ops. It accepts exactly what
    :func:`~mdpo.preferences.check_preference` accepts with the same renormalisation; any
    other input (including every invalid one) returns None so that ``check_preference``
    handles it and raises its usual error.
    """
    if isinstance(p, torch.Tensor):
        if p.dim() != 1 or p.numel() != m or not p.dtype.is_floating_point:
            return None
        values = p.tolist()
    elif isinstance(p, list | tuple) and len(p) == m:
        values = p
    else:
        return None
    if not all(type(v) is float or type(v) is int for v in values):
        return None
    if not all(math.isfinite(v) and v >= 0 for v in values):
        return None
    total = math.fsum(values)
    if abs(total - 1.0) > atol:
        return None
    return torch.tensor([v / total for v in values], dtype=torch.float32)


class PreferenceHolder(nn.Module):
    """Holds the current preference λ for all Panacea layers of one model.

    Every :class:`~mdpo.adapters.PanaceaLinear` keeps a reference to the same holder and
    reads :attr:`value` in its forward pass, so switching λ is one write to the holder,
    whatever the number of layers. λ is a non-persistent buffer: it follows
    ``.to(device)`` (and stays float32 under ``.to(dtype)``) but never enters a
    ``state_dict``. A switch rebinds the buffer rather than overwriting it, so a graph built
    under the previous λ still backpropagates with that λ; activation-checkpoint recomputes
    replay it too (see :meth:`checkpoint_context`).

    The holder also carries the model-wide switches: ``disabled`` (the adapter is bypassed,
    giving exactly the base model) and ``merged`` (the λ folded into the base weights).

    Args:
        n_dims: Number m of preference dimensions.

    Example:
        >>> import torch
        >>> from mdpo.adapters import PreferenceHolder
        >>> h = PreferenceHolder(2)
        >>> h.set(torch.tensor([0.25, 0.75]))
        >>> h.value
        tensor([0.2500, 0.7500])
        >>> len(h.state_dict())
        0
    """

    value: torch.Tensor | None

    def __init__(self, n_dims: int) -> None:
        super().__init__()
        self.n_dims = n_dims
        self.register_buffer("value", None, persistent=False)
        self.disabled = False
        self.merged: torch.Tensor | None = None

    def _apply(self, fn: Any, recurse: bool = True) -> PreferenceHolder:
        """Apply ``fn`` (a device or dtype move) but keep λ in float32."""
        super()._apply(fn, recurse=recurse)
        if self.value is not None and self.value.dtype != torch.float32:
            self.value = self.value.float()
        if self.merged is not None:
            self.merged = fn(self.merged).float()
        return self

    def validate(self, preference: PreferenceLike, name: str = "preference") -> torch.Tensor:
        """λ checked for this holder: on the simplex, ``[m]`` or ``[B, m]``, float32.

        The one validation of a Panacea model's public λ API (``set_preference``,
        ``preference``, ``merge``, ``export_lora``); a short λ is checked in plain Python.

        Args:
            preference: λ ``[m]`` or ``[B, m]`` in any form of
                :func:`~mdpo.preferences.check_preference`.
            name: Name used in error messages.

        Returns:
            A float32 tensor (not yet on the adapter's device).

        Raises:
            TypeError: If λ is not numeric.
            ValueError: If λ is not on the simplex or has the wrong shape.
        """
        fast = _fast_single_preference(preference, self.n_dims)
        if fast is not None:
            return fast
        lam = check_preference(preference, self.n_dims, name=name)
        if lam.dim() > 2:
            raise ValueError(
                f"{name} must have shape [m] or [batch, m] with m={self.n_dims}, "
                f"got shape {tuple(lam.shape)}"
            )
        return lam.to(torch.float32)

    def set(self, lam: torch.Tensor | None) -> None:
        """Point the holder at a validated λ ``[m]`` or ``[B, m]`` (or None to clear it).

        The buffer is rebound to the new tensor, not overwritten: an autograd graph built
        under the previous λ keeps it, so a backward after switching is still correct.

        Args:
            lam: A float32 tensor whose last axis has length m, already validated and on
                the model's device; it is not copied.
        """
        self.value = None if lam is None else lam.detach()

    @contextlib.contextmanager
    def replay(self, value: torch.Tensor | None, disabled: bool) -> Iterator[None]:
        """Temporarily restore a captured state (used by activation-checkpoint recompute).

        Args:
            value: The λ captured at the original forward.
            disabled: The ``disabled`` flag captured at the original forward.

        Yields:
            Nothing; the state current at entry is restored on exit.
        """
        saved = self.value, self.disabled
        self.value, self.disabled = value, disabled
        try:
            yield
        finally:
            self.value, self.disabled = saved

    def checkpoint_context(self) -> tuple[contextlib.AbstractContextManager[None], Any]:
        """A ``context_fn`` for ``torch.utils.checkpoint`` (non-reentrant).

        It captures λ when the checkpointed segment first runs and replays it during the
        recompute in backward, so the recompute uses the same λ even if it was switched in
        between.

        Returns:
            ``(forward context, recompute context)``.
        """
        return contextlib.nullcontext(), self.replay(self.value, self.disabled)

    def extra_repr(self) -> str:
        """Summary shown by ``repr``."""
        shape = None if self.value is None else tuple(self.value.shape)
        return f"n_dims={self.n_dims}, preference_shape={shape}"
