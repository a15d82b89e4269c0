"""Validation shared by the suite's config classes: safe names, numbers, typed mappings.

Every failure is a ``ValueError`` naming the field, the value and what is allowed (a suite
is user input: :func:`~mdpo.benchmarks.config.load_suite` reports it as one).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from mdpo._dataclass_build import build_dataclass, check_keys
from mdpo._numbers import check_int, check_real
from mdpo._paths import resolve_inside

__all__ = [
    "check_float_setting",
    "check_int_setting",
    "check_run_name",
    "check_section_keys",
    "output_path",
]

T = TypeVar("T")

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def check_run_name(value: Any, what: str) -> str:
    """Validate a task/method/suite name that becomes a file or folder name.

    Args:
        value: The name.
        what: What it names, for the error message.

    Returns:
        The name.

    Raises:
        ValueError: If it is not 1–64 characters of letters, digits, ``.``, ``_``, ``-``
            starting with a letter or digit (so it can never escape the output directory).

    Example:
        >>> from mdpo.benchmarks.config import check_run_name
        >>> check_run_name("panacea-ls", "method name")
        'panacea-ls'
        >>> try:
        ...     check_run_name("../x", "method name")
        ... except ValueError as err:
        ...     print(str(err)[:40])
        method name must be 1-64 characters of l
    """
    if not isinstance(value, str) or not _NAME.match(value) or ".." in value:
        raise ValueError(
            f"{what} must be 1-64 characters of letters, digits, '.', '_' or '-' starting with "
            f"a letter or digit (it becomes a file name inside the output directory), got "
            f"{value!r}"
        )
    return value


def output_path(out_dir: str | Path, *names: str) -> Path:
    """``out_dir/names...`` resolved, refusing a result that escapes ``out_dir``.

    Args:
        out_dir: The output directory.
        *names: Path components below it.

    Returns:
        The resolved path.

    Raises:
        ValueError: If the path does not lie strictly inside ``out_dir``.
    """
    path = resolve_inside(out_dir, *names)
    if path is None:
        root = Path(out_dir).resolve()
        raise ValueError(f"path {root.joinpath(*names)} escapes the output directory {root}")
    return path


SUITE_UNKNOWN_KEY = "{where} has unknown key {key!r}; allowed keys: {fields}"
"""How a suite names a key that is no field (the section, then the fields in order)."""


def build_section(cls: type[T], data: Any, where: str) -> T:
    """A section of a suite read into its dataclass, every failure a ``ValueError``.

    :func:`mdpo._dataclass_build.build_dataclass` with the suite's words: unknown and
    missing keys are refused there; the values are checked by ``cls`` itself, whose messages
    name the section and the allowed range (``training.steps must be an int >= 1``).

    Args:
        cls: A dataclass type (its ``__post_init__`` validates the values).
        data: The mapping read from the suite.
        where: Where ``data`` stands in the suite, for the error message.

    Returns:
        The instance.

    Raises:
        ValueError: If ``data`` is not a mapping, has a key that is not a field (the
            allowed keys are listed), lacks a required one, or holds a bad value.
    """
    return build_dataclass(cls, data, where, unknown_key=SUITE_UNKNOWN_KEY, check_values=False)


def check_section_keys(cls: type, data: Mapping[str, Any], where: str) -> None:
    """Refuse a key of a suite section that is no field of ``cls`` (``ValueError``).

    Args:
        cls: A dataclass type.
        data: The section's mapping.
        where: Where it stands in the suite, for the error message.

    Raises:
        ValueError: Naming the key and listing the allowed ones.
    """
    check_keys(cls, data, where, unknown_key=SUITE_UNKNOWN_KEY)


def check_int_setting(where: str, value: Any, minimum: int) -> int:
    """:func:`mdpo._numbers.check_int`, every failure a ``ValueError`` (suite errors are).

    Args:
        where: The setting's name, for the error message.
        value: Its value.
        minimum: The smallest allowed value.

    Returns:
        The value.

    Raises:
        ValueError: If it is not an int (bools refused) of at least ``minimum``.
    """
    try:
        return check_int(where, value, minimum=minimum)
    except TypeError as err:
        raise ValueError(str(err)) from None


def check_float_setting(where: str, value: Any, low: float, high: float | None = None) -> float:
    """:func:`mdpo._numbers.check_real` (finite, in ``[low, high]``), failures ``ValueError``.

    Args:
        where: The setting's name, for the error message.
        value: Its value.
        low: The smallest allowed value.
        high: The largest allowed value, or None.

    Returns:
        The value as a float.

    Raises:
        ValueError: If it is not a finite real number in ``[low, high]``.
    """
    try:
        return check_real(where, value, low=low, high=high)
    except TypeError as err:
        raise ValueError(str(err)) from None
