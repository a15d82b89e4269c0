"""The one validation helper for numbers in configs and constructor arguments.

Every config (suites, ``mdpo train`` YAML, :class:`~mdpo.training.MDPOConfig`,
:class:`~mdpo.adapters.PanaceaConfig`, aggregators, metrics) checks its numbers here, so NaN
and infinity are refused the same way everywhere, at load time, with a message that names the
parameter, the value and what is allowed.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

__all__ = ["check_finite_tree", "check_int", "check_real"]


def check_real(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    noun: str | None = None,
) -> float:
    """Check that a parameter is a finite real number inside an interval.

    Args:
        name: Parameter name, used in the error message.
        value: The value received.
        low: Lower bound, or None for no bound.
        high: Upper bound, or None for no bound.
        low_open: Exclude ``low`` itself.
        high_open: Exclude ``high`` itself.
        noun: None: the message says "a real number" and a value of another type raises
            ``TypeError``. A noun (``"number"``, ``"float"``): every failure, whatever was
            wrong, is one ``ValueError`` ``"<name> must be a finite <noun> <interval>, got
            <value>"`` (the wording of the scorers', metrics' and losses' arguments).

    Returns:
        ``value`` as a Python float.

    Raises:
        TypeError: If ``value`` is not a real number (bools are refused) and ``noun`` is None.
        ValueError: If ``value`` is NaN, infinite or outside the interval (or, with a
            ``noun``, not a real number).

    Example:
        >>> from mdpo._numbers import check_real
        >>> check_real("lr", 1e-3, low=0.0, low_open=True)
        0.001
        >>> check_real("lr", float("nan"), low=0.0, low_open=True)
        Traceback (most recent call last):
        ...
        ValueError: lr must be a real number > 0 (finite), got nan
        >>> check_real("margin", "0.1", low=0.0, noun="float")
        Traceback (most recent call last):
        ...
        ValueError: margin must be a finite float >= 0, got '0.1'
    """
    allowed = _describe(low, high, low_open, high_open)
    real = not isinstance(value, bool) and isinstance(value, numbers.Real)
    out = float(value) if real else math.nan
    ok = math.isfinite(out)
    if ok and low is not None:
        ok = out > low if low_open else out >= low
    if ok and high is not None:
        ok = out < high if high_open else out <= high
    if ok:
        return out
    if noun is not None:
        bound = "" if allowed == "(finite)" else f" {allowed}"
        raise ValueError(f"{name} must be a finite {noun}{bound}, got {value!r}")
    if not real:
        raise TypeError(
            f"{name} must be a real number {allowed}, got {type(value).__name__} {value!r}"
        )
    finite = "" if math.isfinite(out) or allowed == "(finite)" else " (finite)"
    raise ValueError(f"{name} must be a real number {allowed}{finite}, got {value!r}")


def check_int(
    name: str, value: Any, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """Check that a parameter is an int (not a bool) inside ``[minimum, maximum]``.

    Args:
        name: Parameter name, used in the error message.
        value: The value received (a numpy integer is accepted).
        minimum: Smallest allowed value, or None.
        maximum: Largest allowed value, or None.

    Returns:
        ``value`` as a Python int.

    Raises:
        TypeError: If ``value`` is not an integer.
        ValueError: If it is outside the bounds.

    Example:
        >>> from mdpo._numbers import check_int
        >>> check_int("steps", 0, minimum=1)
        Traceback (most recent call last):
        ...
        ValueError: steps must be an int >= 1, got 0
    """
    if minimum is not None and maximum is not None:
        allowed = f"an int in [{minimum}, {maximum}]"
    elif minimum is not None:
        allowed = f"an int >= {minimum}"
    elif maximum is not None:
        allowed = f"an int <= {maximum}"
    else:
        allowed = "an int"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be {allowed}, got {type(value).__name__} {value!r}")
    out = int(value)
    if (minimum is not None and out < minimum) or (maximum is not None and out > maximum):
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return out


def check_finite_tree(data: Any, where: str) -> None:
    """Refuse NaN and infinity anywhere in a parsed config (mappings and lists, recursively).

    YAML reads ``.nan`` and ``.inf`` as floats; no mdpo setting takes them, so a config that
    holds one is refused when it is loaded, not when a run reaches the value.

    Args:
        data: A parsed YAML/JSON value.
        where: Where ``data`` sits, for the error message (e.g. ``"training"``).

    Raises:
        ValueError: Naming the key path of the first non-finite number.

    Example:
        >>> from mdpo._numbers import check_finite_tree
        >>> check_finite_tree({"training": {"lr": float("inf")}}, "suite")
        Traceback (most recent call last):
        ...
        ValueError: suite.training.lr must be a finite number, got inf
    """
    if isinstance(data, bool):
        return
    if isinstance(data, numbers.Real):
        if not math.isfinite(float(data)):
            raise ValueError(f"{where} must be a finite number, got {data!r}")
        return
    if isinstance(data, Mapping):
        for key, value in data.items():
            check_finite_tree(value, f"{where}.{key}")
    elif isinstance(data, list | tuple):
        for i, value in enumerate(data):
            check_finite_tree(value, f"{where}[{i}]")


def _describe(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    if low is not None and high is not None:
        return f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    if low is not None:
        return f"{'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f"{'<' if high_open else '<='} {high:g}"
    return "(finite)"
