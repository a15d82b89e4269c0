"""Build a dataclass from a parsed YAML/JSON mapping: the one builder of mdpo's config files.

:func:`build_dataclass` turns ``{"key": value, ...}`` into ``cls(**values)`` after checking it
against the dataclass's fields, so every config section is read the same way:

- **Keys.** A key that is no field is refused, naming the section, the key and the allowed
  keys; a field without a default that the mapping lacks is refused, naming it.
- **Types.** Each value is checked against its field's annotation before ``cls`` is
  called: ``int`` through :func:`mdpo._numbers.check_int` (a bool is no int), ``float``
  through :func:`mdpo._numbers.check_real` (finite; an int is accepted and kept as it is),
  ``bool``, ``str``, ``Literal[...]``, ``list[X]``, ``tuple[X, ...]``, ``dict[K, V]``
  (any mapping), unions such as ``str | None``, and ``Any`` (anything). Values are
  checked, not converted.
- **Nesting.** A field whose annotation is a dataclass is built from its mapping by the same
  rules, recursively, and so is every element of a ``list[...]`` of dataclasses; an
  instance of the dataclass is taken as it is.
- **Messages.** The root section is named by ``where`` (``"the run config"``); nested
  sections by their key path from the root (``model``, ``dimensions[0]``,
  ``tasks[1].params``). A value of the wrong type raises ``TypeError`` (or ``type_error``)
  ``"<section>: <field> must be <what is allowed>, got <type> <value>"`` (the root's fields
  have no section prefix); a key problem raises ``ValueError`` (its words set by
  ``unknown_key``). Range and meaning are the dataclass's own business: its
  ``__post_init__`` runs last and raises its own errors; with ``check_values=False`` it is
  the only check of the values (the benchmark's suites, whose messages name the section and
  the allowed range).

Annotations are resolved with :func:`typing.get_type_hints`, so modules that use
``from __future__ import annotations`` work; an annotation the builder does not know (a
class such as :class:`pathlib.Path`) is checked with ``isinstance`` when it is a class and
not at all otherwise.

Example:
    >>> import dataclasses
    >>> from mdpo._dataclass_build import build_dataclass
    >>> Model = dataclasses.make_dataclass("Model", [("name", str), ("dtype", str, "float32")])
    >>> Run = dataclasses.make_dataclass(
    ...     "Run", [("model", Model), ("steps", int, 10), ("lr", float | None, None)])
    >>> build_dataclass(Run, {"model": {"name": "tiny"}, "steps": 3}, "the run config")
    Run(model=Model(name='tiny', dtype='float32'), steps=3, lr=None)
    >>> build_dataclass(Run, {"model": {"name": "tiny", "dtyp": "x"}}, "the run config")
    Traceback (most recent call last):
    ...
    ValueError: unknown key 'dtyp' in model; allowed keys: dtype, name
    >>> build_dataclass(Run, {"model": {"name": "tiny"}, "steps": "3"}, "the run config")
    Traceback (most recent call last):
    ...
    TypeError: steps must be an int, got str '3'
"""

from __future__ import annotations

import dataclasses
import numbers
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

from mdpo._numbers import check_int, check_real

__all__ = ["UNKNOWN_KEY", "build_dataclass", "check_keys"]

T = TypeVar("T")


UNKNOWN_KEY = "unknown key {key!r} in {where}; allowed keys: {allowed}"
"""The default message of a key that is no field (see :func:`build_dataclass`)."""


def build_dataclass(
    cls: type[T],
    data: Any,
    where: str,
    *,
    type_error: type[Exception] = TypeError,
    unknown_key: str = UNKNOWN_KEY,
    check_values: bool = True,
) -> T:
    """Build ``cls`` from the mapping ``data`` (see the module docstring for the rules).

    Args:
        cls: A dataclass.
        data: The parsed section, a mapping of field names to values.
        where: How messages name this section (``"the run config"``, ``"training"``); its
            nested sections are named by their key path from here.
        type_error: The exception raised for a value of the wrong type (``TypeError``; a
            config whose every bad value is a ``ValueError`` passes ``ValueError``).
        unknown_key: The message of a key that is no field: a format string with the fields
            ``key``, ``where`` (the section), ``allowed`` (the field names, sorted and comma
            separated) and ``fields`` (the list of field names in declaration order).
        check_values: Check each value against its field's annotation and build nested
            dataclasses (True); False passes the values to ``cls`` as they are, for a
            dataclass whose ``__post_init__`` checks them with messages of its own (the
            benchmark's suites). Keys are checked either way.

    Returns:
        ``cls(**data)`` with nested dataclasses built.

    Raises:
        ValueError: If ``data`` is not a mapping, holds a key that is no field of ``cls`` or
            lacks a field without a default (the message names the section, the key and
            the allowed keys), or ``cls`` refuses a value.
        TypeError: If a value does not match its field's annotation (or ``type_error``).
    """
    return _Builder(type_error, unknown_key, check_values).build(cls, data, where, "")


def check_keys(
    cls: type, data: Mapping[str, Any], where: str, *, unknown_key: str = UNKNOWN_KEY
) -> None:
    """Refuse a key of ``data`` that is no field of the dataclass ``cls``.

    :func:`build_dataclass` checks every section so; a reader that merges ``data`` into an
    instance itself (overrides applied with :func:`dataclasses.replace`) checks them here.

    Args:
        cls: A dataclass.
        data: A mapping of field names to values.
        where: How the message names the section.
        unknown_key: The message, as for :func:`build_dataclass`.

    Raises:
        ValueError: On the first key that is no field, naming it and the allowed keys.
    """
    fields = [f.name for f in dataclasses.fields(cls)]
    for key in data:
        if key not in fields:
            allowed = ", ".join(sorted(fields))
            raise ValueError(
                unknown_key.format(key=key, where=where, allowed=allowed, fields=fields)
            )


class _Builder:
    def __init__(self, type_error: type[Exception], unknown_key: str, check_values: bool) -> None:
        self.type_error = type_error
        self.unknown_key = unknown_key
        self.check_values = check_values

    def build(self, cls: type[T], data: Any, where: str, path: str) -> T:
        """``cls`` from ``data``; ``where`` names the section, ``path`` prefixes its fields."""
        if not isinstance(data, Mapping):
            raise ValueError(f"{where} must be a mapping, got {type(data).__name__} {data!r:.80}")
        fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        check_keys(cls, data, where, unknown_key=self.unknown_key)
        for name, f in fields.items():
            required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            if required and f.init and name not in data:
                raise ValueError(f"missing key {name!r} in {where}")
        if not self.check_values:
            return cls(**data)
        hints = _type_hints(cls)
        prefix = f"{path}: " if path else ""
        values = {
            key: self.check(hints.get(key, Any), value, f"{prefix}{key}", _join(path, key))
            for key, value in data.items()
        }
        return cls(**values)

    def check(self, tp: Any, value: Any, name: str, path: str) -> Any:
        """``value`` checked against ``tp`` (nested dataclasses built); ``name`` for messages."""
        origin = typing.get_origin(tp)
        if tp is Any or tp is object:
            return value
        if origin in (typing.Union, types.UnionType):
            options = typing.get_args(tp)
            for option in options:
                if _matches(option, value):
                    return self.check(option, value, name, path)
            return self.fail(tp, value, name)
        if dataclasses.is_dataclass(tp) and isinstance(tp, type):
            return value if isinstance(value, tp) else self.build(tp, value, path, path)
        if not _matches(tp, value):
            return self.fail(tp, value, name)
        if tp is int:
            check_int(name, value)
        elif tp is float:
            check_real(name, value)
        elif origin in (list, tuple):
            args = typing.get_args(tp)
            item = args[0] if args else Any
            checked = [
                self.check(item, v, f"{name}[{i}]", f"{path}[{i}]") for i, v in enumerate(value)
            ]
            return checked if any(a is not b for a, b in zip(checked, value)) else value
        elif origin in (dict, Mapping) or tp in (dict, Mapping):
            key_type, value_type = typing.get_args(tp) or (Any, Any)
            for k, v in value.items():
                self.check(key_type, k, f"{name} key", path)
                self.check(value_type, v, f"{name}[{k!r}]", _join(path, str(k)))
        return value

    def fail(self, tp: Any, value: Any, name: str) -> Any:
        if typing.get_origin(tp) is typing.Literal:
            raise ValueError(f"{name} must be one of {list(typing.get_args(tp))}, got {value!r}")
        raise self.type_error(
            f"{name} must be {_describe(tp)}, got {type(value).__name__} {value!r:.80}"
        )


def _type_hints(cls: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls)
    except (NameError, TypeError):  # an annotation that does not resolve is not checked
        return {}


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _matches(tp: Any, value: Any) -> bool:
    """Whether ``value`` has the outer shape of ``tp`` (elements are checked later)."""
    origin = typing.get_origin(tp)
    if tp is Any or tp is object:
        return True
    if tp is None or tp is type(None):
        return value is None
    if origin in (typing.Union, types.UnionType):
        return any(_matches(option, value) for option in typing.get_args(tp))
    if origin is typing.Literal:
        return value in typing.get_args(tp)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return isinstance(value, tp | Mapping)
    if tp is bool:
        return isinstance(value, bool)
    if tp is int:
        return isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if tp is float:
        return isinstance(value, numbers.Real) and not isinstance(value, bool)
    if origin is list or tp is list:
        return isinstance(value, list)
    if origin is tuple or tp is tuple:
        return isinstance(value, list | tuple)
    if origin in (dict, Mapping) or tp in (dict, Mapping):
        return isinstance(value, Mapping)
    return isinstance(value, tp) if isinstance(tp, type) else True


def _describe(tp: Any) -> str:
    """What ``tp`` allows, in words: ``"an int"``, ``"a str or a list of str"``, ..."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is None or tp is type(None):
        return "None"
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in args)
    if origin is typing.Literal:
        return f"one of {list(args)}"
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return f"a mapping ({tp.__name__})"
    words = {bool: "a bool", int: "an int", float: "a real number", str: "a str"}
    if tp in words:
        return words[tp]
    if origin in (list, tuple) or tp in (list, tuple):
        item = _describe(args[0]) if args else ""
        return f"a list of {_plural(item)}" if item else "a list"
    if origin in (dict, Mapping) or tp in (dict, Mapping):
        return "a mapping"
    return f"a {getattr(tp, '__name__', tp)}"


def _plural(words: str) -> str:
    """``"an int"`` → ``"int"``; ``"a mapping (X)"`` → ``"mappings (X)"``."""
    for article in ("an ", "a "):
        if words.startswith(article):
            words = words[len(article) :]
            break
    return "mappings" + words[len("mapping") :] if words.startswith("mapping") else words
