"""A registry of kinds a suite may name (``kind:``), each with its spec.

:class:`KindRegistry` is :class:`mdpo._registry.Registry` (the one registry of mdpo: order,
overwrite refusal, built-in keys) with the words and checks of a suite's kinds: a kind is an
exact key (not lower-cased) of letters, digits, ``_`` and ``-`` starting with a letter, its
spec must be an instance of one class, and messages say "kind". The task registry
(:mod:`mdpo.benchmarks.tasks.registry`) and the method registry
(:mod:`mdpo.benchmarks.methods.registry`) are two.

Example:
    >>> from mdpo.benchmarks.kinds import KindRegistry
    >>> shapes = KindRegistry("shape", int)
    >>> shapes.register("square", 4, overwrite=False, builtin=True)
    4
    >>> shapes.get("circle")
    Traceback (most recent call last):
    ...
    ValueError: unknown shape kind 'circle'; allowed kinds: ['square']
    >>> shapes.unregister("square")
    Traceback (most recent call last):
    ...
    ValueError: the built-in shape kind 'square' cannot be unregistered
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from mdpo._registry import Registry

__all__ = ["KindRegistry"]

SpecT = TypeVar("SpecT")


class KindRegistry(Registry[SpecT]):
    """Kinds and their specs, in registration order.

    Args:
        what: What a kind names (``"task"``, ``"method"``), for messages.
        spec_type: The class every spec must be an instance of.

    Attributes:
        spec_type: As given.
    """

    not_str_message = "{what} kind must be a str, got {type} {name!r}"
    taken_message = "a {what} is already registered as {key!r}; pass overwrite=True to replace it"
    builtin_message = "the built-in {what} kind {name!r} cannot be unregistered"
    missing_message = "no {what} is registered as {name!r}; registered: {listed}"

    def __init__(self, what: str, spec_type: type[SpecT]) -> None:
        super().__init__(
            what, key=str, unknown="unknown {what} kind {name!r}; allowed kinds: {listed}"
        )
        self.spec_type = spec_type

    def check_key(self, key: str) -> None:
        """Refuse a kind that is not letters, digits, ``_`` and ``-`` starting with a letter.

        Args:
            key: The kind.

        Raises:
            ValueError: If it is malformed (the message names it and what is allowed).
        """
        if not key or not key[0].isalpha() or not key.replace("_", "").replace("-", "").isalnum():
            raise ValueError(
                f"{self.what} kind must start with a letter and hold only letters, digits, '_' "
                f"or '-', got {key!r}"
            )

    def register(  # type: ignore[override]
        self,
        kind: str,
        spec: SpecT,
        *,
        overwrite: bool,
        builtin: bool,
        check: Callable[[SpecT], None] | None = None,
    ) -> SpecT:
        """Register ``spec`` under ``kind``.

        Args:
            kind: The kind (see :meth:`check_key`).
            spec: Its spec, a ``spec_type``.
            overwrite: Replace another spec registered under ``kind`` instead of refusing.
            builtin: Mark the kind built-in (:meth:`unregister` refuses it).
            check: A further check of the spec, after its type's (raises if it is unfit).

        Returns:
            ``spec``.

        Raises:
            TypeError: If ``kind`` is not a str or ``spec`` not a ``spec_type``.
            ValueError: If ``kind`` is malformed, ``check`` refuses the spec, or ``kind`` is
                registered to another spec and ``overwrite`` is False.
        """

        def check_spec(value: SpecT) -> None:
            if not isinstance(value, self.spec_type):
                name = self.spec_type.__name__
                raise TypeError(f"spec must be a {name}, got {type(value).__name__} {value!r}")
            if check is not None:
                check(value)

        if spec is None:  # Registry.register would return a decorator
            self.check_key(self.key(kind))
            check_spec(spec)
        return super().register(kind, spec, overwrite=overwrite, check=check_spec, builtin=builtin)
