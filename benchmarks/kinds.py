"""A registry of kinds a suite may name (``kind:``), each with its spec.

:class:`KindRegistry` keeps the specs in registration order, checks a kind's name and its
spec's type, refuses to replace a registration silently and keeps built-in kinds; the task
registry (:mod:`mdpo.benchmarks.tasks.registry`) is one.
"""

from __future__ import annotations

from typing import Generic, TypeVar

__all__ = ["KindRegistry"]

SpecT = TypeVar("SpecT")


class KindRegistry(Generic[SpecT]):
    """Kinds and their specs, in registration order.

    Args:
        what: What a kind names (``"task"``), for messages.
        spec_type: The class every spec must be an instance of.
    """

    def __init__(self, what: str, spec_type: type[SpecT]) -> None:
        self.what = what
        self.spec_type = spec_type
        self._specs: dict[str, SpecT] = {}
        self._builtin: set[str] = set()

    def items(self) -> list[tuple[str, SpecT]]:
        """``(kind, spec)`` pairs in registration order (a new list)."""
        return list(self._specs.items())

    def get(self, kind: str) -> SpecT:
        """The spec registered for ``kind``.

        Raises:
            TypeError: If ``kind`` is not a str.
            ValueError: If nothing is registered under ``kind`` (the registered kinds are
                listed).
        """
        self._check_str(kind)
        if kind not in self._specs:
            raise ValueError(
                f"unknown {self.what} kind {kind!r}; allowed kinds: {list(self._specs)}"
            )
        return self._specs[kind]

    def register(self, kind: str, spec: SpecT, *, overwrite: bool, builtin: bool) -> SpecT:
        """Register ``spec`` under ``kind``.

        Raises:
            TypeError: If ``kind`` is not a str or ``spec`` not a ``spec_type``.
            ValueError: If ``kind`` is malformed (letters, digits, ``_`` and ``-``, starting
                with a letter), or already registered to another spec and ``overwrite`` is
                False.
        """
        self._check_str(kind)
        if (
            not kind
            or not kind[0].isalpha()
            or not kind.replace("_", "").replace("-", "").isalnum()
        ):
            raise ValueError(
                f"{self.what} kind must start with a letter and hold only letters, digits, '_' "
                f"or '-', got {kind!r}"
            )
        if not isinstance(spec, self.spec_type):
            name = self.spec_type.__name__
            raise TypeError(f"spec must be a {name}, got {type(spec).__name__} {spec!r}")
        if kind in self._specs and not overwrite and self._specs[kind] is not spec:
            raise ValueError(
                f"a {self.what} is already registered as {kind!r}; pass overwrite=True to "
                "replace it"
            )
        self._specs[kind] = spec
        if builtin:
            self._builtin.add(kind)
        return spec

    def unregister(self, kind: str) -> SpecT:
        """Remove a kind that is not built in; returns its spec.

        Raises:
            ValueError: If ``kind`` is built in or not registered.
        """
        if kind in self._builtin:
            raise ValueError(f"the built-in {self.what} kind {kind!r} cannot be unregistered")
        if kind not in self._specs:
            raise ValueError(
                f"no {self.what} is registered as {kind!r}; registered: {list(self._specs)}"
            )
        return self._specs.pop(kind)

    def _check_str(self, kind: object) -> None:
        if not isinstance(kind, str):
            raise TypeError(f"{self.what} kind must be a str, got {type(kind).__name__} {kind!r}")
