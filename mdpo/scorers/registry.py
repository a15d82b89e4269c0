"""Scorers by name, for YAML configs: ``get_scorer("sentiment")``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from mdpo._registry import Registry

from .base import Scorer

__all__ = ["available_scorers", "get_scorer", "register_scorer"]

_REGISTRY: Registry[Callable[..., Scorer]] = Registry(
    "scorer", unknown="unknown scorer {name!r}; valid names are {keys}", allow_same=False
)
F = TypeVar("F", bound=Callable[..., Scorer])


def register_scorer(
    name: str, factory: F | None = None, *, overwrite: bool = False
) -> F | Callable[[F], F]:
    """Register a scorer class or factory under ``name``; usable as a decorator.

    Args:
        name: The key for :func:`get_scorer`; keys are case-insensitive.
        factory: A :class:`~mdpo.scorers.Scorer` subclass or a callable returning a scorer.
            If omitted, a decorator is returned.
        overwrite: Allow replacing an existing key.

    Returns:
        ``factory`` itself (or the decorator).

    Raises:
        TypeError: If ``name`` is not a non-empty string or ``factory`` is not callable.
        ValueError: If ``name`` is taken and ``overwrite`` is False.

    Example:
        >>> import torch
        >>> from mdpo.scorers import Scorer, get_scorer, register_scorer
        >>> @register_scorer("doc-example-exclaim", overwrite=True)
        ... class Exclaim(Scorer):
        ...     def _score(self, prompts, completions):
        ...         return torch.tensor([float("!" in c) for c in completions])
        >>> get_scorer("doc-example-exclaim")(["q"], ["wow!"])
        tensor([1.])
    """
    if not isinstance(name, str) or not name.strip():
        raise TypeError(f"name must be a non-empty str, got {name!r}")

    def check(f: Any) -> None:
        if not callable(f):
            raise TypeError(f"factory for scorer {name!r} must be callable, got {f!r}")

    return _REGISTRY.register(name, factory, overwrite=overwrite, check=check)


def available_scorers() -> list[str]:
    """The registered scorer names, sorted.

    Returns:
        A list of keys accepted by :func:`get_scorer`.

    Example:
        >>> from mdpo.scorers import available_scorers
        >>> {"length", "sentiment", "reward_model"} <= set(available_scorers())
        True
    """
    return sorted(_REGISTRY.names())


def get_scorer(name: str, **kwargs: Any) -> Scorer:
    """Build a registered scorer.

    Args:
        name: A key from :func:`available_scorers`, case-insensitive: ``"length"``,
            ``"reward_model"``, ``"sentiment"``, ``"relevance"``, ``"readability"``,
            ``"profanity"``, ``"style"``, or one added with :func:`register_scorer`.
        **kwargs: Passed to the scorer's constructor.

    Returns:
        The scorer.

    Raises:
        TypeError: If ``name`` is not a str.
        ValueError: If ``name`` is unknown; the message lists the valid keys.

    Example:
        >>> from mdpo.scorers import get_scorer
        >>> get_scorer("length", unit="chars")(["q", "q"], ["ab", "abcd"])
        tensor([-2., -4.])
    """
    return _REGISTRY.get(name)(**kwargs)
