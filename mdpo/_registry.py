"""The one name → entry table behind every registry of mdpo.

:func:`mdpo.aggregators.register_aggregator`, :func:`mdpo.scorers.register_scorer`,
:func:`mdpo.objectives.register_objective` and :func:`mdpo.policies.register_policy_loader`
each keep a :class:`Registry`: keys are normalised (stripped and lower-cased by default),
registration works as a call or as a decorator, a taken key is refused unless
``overwrite=True``, the built-in keys cannot be unregistered, and an unknown key is refused
with a ``ValueError`` that lists the registered ones. The registries differ only in their
words (what they hold, how an unknown name is reported) and in the check an entry must pass.
The benchmark's kind registries (:class:`mdpo.benchmarks.kinds.KindRegistry`, behind
``register_task`` and ``register_method``) are a subclass that changes only those: exact keys
of a fixed format, a spec class, and "kind" where this says "name".

Example:
    >>> from mdpo._registry import Registry
    >>> colours = Registry("colour")
    >>> colours.register("Red", 0xFF0000)
    16711680
    >>> @colours.register("green")
    ... def green():
    ...     return 0x00FF00
    >>> colours.names(), colours.get(" RED ")
    (['red', 'green'], 16711680)
    >>> colours.get("blue")
    Traceback (most recent call last):
    ...
    ValueError: unknown colour 'blue'; valid names are red, green
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

__all__ = ["Registry"]

T = TypeVar("T")
_MISSING: Any = object()


def _lower(name: str) -> str:
    return name.strip().lower()


class Registry(Generic[T]):
    """Named entries of one kind, looked up by a normalised key.

    Args:
        what: What an entry is, for messages (``"aggregator"``, ``"scorer"``, ...).
        key: Turns a registered or looked-up name into its key; stripped and lower-cased
            by default. It is called with a str only.
        unknown: The message of :meth:`get` for an unknown name: a format string with the
            fields of the class's messages (below), e.g. ``names`` (the keys in
            registration order, comma separated) or ``keys`` (the sorted list of keys).
        allow_same: Re-registering an entry equal to the one a key holds is a no-op (True)
            or is refused like any other taken key (False).

    Attributes:
        what: As given.
        not_str_message: The ``TypeError`` of a name that is not a str.
        taken_message: The ``ValueError`` of registering a taken key without ``overwrite``.
        builtin_message: The ``ValueError`` of unregistering a built-in key.
        missing_message: The ``ValueError`` of unregistering a key that is not registered.

    The messages are format strings (a subclass changes their words) with the fields
    ``what``, ``name`` (as given), ``type`` (its type's name), ``key``, ``names`` (the keys in
    registration order, comma separated), ``listed`` (the list of the keys in registration
    order), ``keys`` (the sorted list of keys), ``article`` (``"a"`` or ``"an"`` for
    ``what``) and ``shown`` (the entry that holds a taken key, by ``__name__`` or repr).
    """

    not_str_message = "{what} name must be a str, got {type} {name!r}"
    taken_message = (
        "{article} {what} is already registered as {key!r} ({shown}); pass overwrite=True to "
        "replace it"
    )
    builtin_message = "the built-in {what} name={name!r} cannot be unregistered"
    missing_message = "no {what} is registered as name={name!r}; registered: {names}"

    def __init__(
        self,
        what: str,
        *,
        key: Callable[[str], str] = _lower,
        unknown: str = "unknown {what} {name!r}; valid names are {names}",
        allow_same: bool = True,
    ) -> None:
        self.what = what
        self._key = key
        self._unknown = unknown
        self._allow_same = allow_same
        self._entries: dict[str, T] = {}
        self._builtin: set[str] = set()

    def key(self, name: Any) -> str:
        """``name``, as a user gives it, normalised to its key.

        Raises:
            TypeError: If ``name`` is not a str.
        """
        if not isinstance(name, str):
            raise TypeError(self._message(self.not_str_message, name, type=type(name).__name__))
        return self._key(name)

    def check_key(self, key: str) -> None:
        """Refuse a malformed key when it is registered; every key is accepted here.

        Args:
            key: A normalised key.

        Raises:
            ValueError: In a subclass, if ``key`` is malformed.
        """

    def items(self) -> list[tuple[str, T]]:
        """``(key, entry)`` pairs in registration order (a new list)."""
        return list(self._entries.items())

    def names(self) -> list[str]:
        """The registered keys, in registration order (a new list)."""
        return list(self._entries)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._key(name) in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._entries))

    def get(self, name: Any) -> T:
        """The entry registered under ``name``.

        Args:
            name: A registered name (normalised like every key).

        Returns:
            The entry.

        Raises:
            TypeError: If ``name`` is not a str.
            ValueError: If nothing is registered under it; the message lists the keys.
        """
        key = self.key(name)
        if key not in self._entries:
            raise ValueError(self._message(self._unknown, name, key=key))
        return self._entries[key]

    def register(
        self,
        name: str,
        entry: T | None = None,
        *,
        overwrite: bool = False,
        check: Callable[[T], None] | None = None,
        builtin: bool = False,
    ) -> Any:
        """Register ``entry`` under ``name``, or return a decorator that does.

        Args:
            name: The name (its key is stored).
            entry: The entry; omit it to get a decorator that registers and returns its
                argument.
            overwrite: Replace the entry of a taken key instead of refusing.
            check: Called with the entry before it is stored; raises if it is unfit.
            builtin: Mark the key built-in: :meth:`unregister` refuses it.

        Returns:
            ``entry``, or the decorator.

        Raises:
            TypeError: If ``name`` is not a str (or ``check`` refuses the entry).
            ValueError: If :meth:`check_key` refuses the key, or the key is taken by another
                entry and ``overwrite`` is False.
        """
        key = self.key(name)
        self.check_key(key)

        def add(value: T) -> T:
            if check is not None:
                check(value)
            held = self._entries.get(key, _MISSING)
            taken = held is not _MISSING and (held != value or not self._allow_same)
            if taken and not overwrite:
                shown = getattr(held, "__name__", None) or repr(held)
                raise ValueError(self._message(self.taken_message, name, key=key, shown=shown))
            self._entries[key] = value
            if builtin:
                self._builtin.add(key)
            return value

        return add if entry is None else add(entry)

    def unregister(self, name: Any) -> T:
        """Remove a registration that is not built-in.

        Args:
            name: A registered name.

        Returns:
            The entry that was registered.

        Raises:
            TypeError: If ``name`` is not a str.
            ValueError: If ``name`` is built-in or not registered.
        """
        key = self.key(name)
        if key in self._builtin:
            raise ValueError(self._message(self.builtin_message, name, key=key))
        if key not in self._entries:
            raise ValueError(self._message(self.missing_message, name, key=key))
        return self._entries.pop(key)

    def _message(self, template: str, name: Any, **fields: Any) -> str:
        """``template`` filled with the fields named in the class docstring."""
        keys = self.names()
        return template.format(
            what=self.what,
            name=name,
            names=", ".join(keys),
            listed=keys,
            keys=sorted(keys),
            article="an" if self.what[:1] in "aeiou" else "a",
            **fields,
        )
