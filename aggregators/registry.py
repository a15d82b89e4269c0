"""Look up aggregators by short name, and register new ones."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from mdpo._registry import Registry
from mdpo.aggregators.augmented_tchebycheff import AugmentedTchebycheff
from mdpo.aggregators.base import Aggregator
from mdpo.aggregators.cosmos import COSMOS
from mdpo.aggregators.linear import LinearScalarization
from mdpo.aggregators.modified_tchebycheff import ModifiedTchebycheff
from mdpo.aggregators.pbi import PBI
from mdpo.aggregators.smooth_tchebycheff import SmoothTchebycheff
from mdpo.aggregators.tchebycheff import Tchebycheff

__all__ = [
    "available_aggregators",
    "get_aggregator",
    "register_aggregator",
    "unregister_aggregator",
]

A = TypeVar("A", bound=type[Aggregator])

_REGISTRY: Registry[type[Aggregator]] = Registry(
    "aggregator", unknown="unknown aggregator name={name!r}; valid names are {names}"
)
for _key, _cls in (
    ("ls", LinearScalarization),
    ("tche", Tchebycheff),
    ("stche", SmoothTchebycheff),
    ("atche", AugmentedTchebycheff),
    ("mtche", ModifiedTchebycheff),
    ("pbi", PBI),
    ("cosmos", COSMOS),
):
    _REGISTRY.register(_key, _cls, builtin=True)
del _key, _cls


def available_aggregators() -> list[str]:
    """The registered keys, built-in ones first, in registration order.

    Returns:
        A new list of lower-case keys.

    Example:
        >>> from mdpo.aggregators import available_aggregators
        >>> available_aggregators()[:3]
        ['ls', 'tche', 'stche']
    """
    return _REGISTRY.names()


def get_aggregator(name: str, **kwargs: Any) -> Aggregator:
    """Build a registered aggregator from its key and constructor arguments.

    Args:
        name: A key from :func:`available_aggregators` (case-insensitive), e.g. ``"tche"``.
        **kwargs: Constructor arguments of that aggregator, e.g. ``mu=0.05`` for ``"stche"``.

    Returns:
        A new aggregator instance.

    Raises:
        TypeError: If ``name`` is not a string, or a keyword is not a parameter of the
            aggregator (the message lists the ones it accepts).
        ValueError: If ``name`` is not registered (the message lists the valid keys), or a
            parameter value is invalid.

    Example:
        >>> from mdpo.aggregators import get_aggregator
        >>> get_aggregator("STche", mu=0.05)
        SmoothTchebycheff(mu=0.05)
    """
    cls = _REGISTRY.get(name)
    params = inspect.signature(cls).parameters
    if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        unknown = sorted(set(kwargs) - set(params))
        if unknown:
            allowed = ", ".join(params) or "no arguments"
            raise TypeError(
                f"get_aggregator({name!r}) got unexpected keyword argument(s) "
                f"{', '.join(unknown)}; {cls.__name__} accepts: {allowed}"
            )
    return cls(**kwargs)


def register_aggregator(
    name: str, cls: A | None = None, *, overwrite: bool = False
) -> A | Callable[[A], A]:
    """Register an :class:`Aggregator` subclass under a short name.

    Works as a call, ``register_aggregator("mine", Mine)``, or as a class decorator,
    ``@register_aggregator("mine")``.

    Args:
        name: The key (stored lower-case; letters, digits, ``_`` and ``-``).
        cls: A concrete subclass of :class:`Aggregator`; omit to get a decorator.
        overwrite: Replace an existing registration of ``name`` instead of refusing.

    Returns:
        ``cls`` (or, without ``cls``, a decorator that registers and returns its class).

    Raises:
        TypeError: If ``name`` is not a string or ``cls`` is not a concrete subclass of
            :class:`Aggregator`.
        ValueError: If ``name`` is empty or malformed, or already registered to another
            class and ``overwrite`` is False (re-registering the same class is a no-op).

    Example:
        >>> import torch
        >>> from mdpo.aggregators import (
        ...     Aggregator, get_aggregator, register_aggregator, unregister_aggregator)
        >>> @register_aggregator("squares")
        ... class WeightedSquares(Aggregator):
        ...     requires_ideal = False
        ...     def _aggregate(self, x):
        ...         terms = x.preference * x.losses.square()
        ...         return terms.sum(-1) if x.mask is None else terms.where(x.mask, 0.0).sum(-1)
        >>> get_aggregator("squares")(torch.tensor([1.0, 2.0]), [0.5, 0.5])
        tensor(2.5000)
        >>> unregister_aggregator("squares").__name__
        'WeightedSquares'
    """
    key = _REGISTRY.key(name)
    if not key.replace("_", "").replace("-", "").isalnum():
        raise ValueError(
            f"aggregator name must be non-empty letters, digits, '_' or '-', got {name!r}"
        )
    return _REGISTRY.register(name, cls, overwrite=overwrite, check=_check_class)


def unregister_aggregator(name: str) -> type[Aggregator]:
    """Remove a user-registered aggregator (the built-in keys cannot be removed).

    Args:
        name: A key added with :func:`register_aggregator` (case-insensitive).

    Returns:
        The class that was registered under ``name``.

    Raises:
        TypeError: If ``name`` is not a string.
        ValueError: If ``name`` is a built-in key or not registered.
    """
    return _REGISTRY.unregister(name)


def _check_class(klass: Any) -> None:
    if not (inspect.isclass(klass) and issubclass(klass, Aggregator)):
        raise TypeError(f"cls must be a subclass of mdpo.aggregators.Aggregator, got {klass!r}")
    if inspect.isabstract(klass):
        raise TypeError(f"cls must implement _aggregate, {klass.__name__} is abstract")
