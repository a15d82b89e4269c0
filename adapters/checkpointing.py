"""Activation checkpointing of a Panacea model, with λ replayed on recompute.

These functions are :class:`~mdpo.adapters.PanaceaModel`'s
``activation_checkpointing_enable`` and ``gradient_checkpointing_enable`` methods.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mdpo.adapters.model import PanaceaModel

__all__ = ["activation_checkpointing_enable", "gradient_checkpointing_enable"]


@contextlib.contextmanager
def _both(
    first: contextlib.AbstractContextManager[Any], second: contextlib.AbstractContextManager[Any]
) -> Iterator[None]:
    with first, second:
        yield


def _checkpoint_kwargs(self: PanaceaModel, kwargs: Mapping[str, Any] | None) -> dict[str, Any]:
    kw = dict(kwargs or {})
    if kw.get("use_reentrant", False):
        warnings.warn(
            "reentrant activation checkpointing recomputes with the λ current at backward "
            "time; do not switch λ between a forward and its backward (use "
            "use_reentrant=False to have λ replayed automatically)",
            UserWarning,
            stacklevel=3,
        )
        return kw
    kw["use_reentrant"] = False
    user_fn = kw.get("context_fn")
    holder = self.holder
    if user_fn is None:
        kw["context_fn"] = holder.checkpoint_context
    else:

        def context_fn() -> tuple[Any, Any]:
            fwd_user, rec_user = user_fn()
            fwd_own, rec_own = holder.checkpoint_context()
            return _both(fwd_user, fwd_own), _both(rec_user, rec_own)

        kw["context_fn"] = context_fn
    return kw


def activation_checkpointing_enable(
    self: PanaceaModel,
    activation_checkpointing_kwargs: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> None:
    """Enable activation checkpointing on the wrapped model, replaying λ on recompute.

    Non-reentrant checkpointing (the default) gets a ``context_fn`` that captures λ at
    the forward and restores it for the recompute in backward, so switching λ between
    forward and backward cannot change the gradients.

    Args:
        activation_checkpointing_kwargs: Passed to ``torch.utils.checkpoint``.
        **kwargs: Passed to the wrapped model's method (``every_n_layers``, ...).
    """
    kw = _checkpoint_kwargs(self, activation_checkpointing_kwargs)
    enable = getattr(self.base_model, "activation_checkpointing_enable", None)
    if enable is not None:
        enable(activation_checkpointing_kwargs=kw, **kwargs)
    else:  # transformers < 5
        self.base_model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=kw, **kwargs)


def gradient_checkpointing_enable(
    self: PanaceaModel,
    gradient_checkpointing_kwargs: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> None:
    """Alias of :meth:`activation_checkpointing_enable` (the transformers 4 name).

    Args:
        gradient_checkpointing_kwargs: Passed to ``torch.utils.checkpoint``.
        **kwargs: Passed to the wrapped model's method.
    """
    activation_checkpointing_enable(self, gradient_checkpointing_kwargs, **kwargs)
