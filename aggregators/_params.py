"""Validation of aggregator constructor parameters (scikit-learn style)."""

from __future__ import annotations

import math
import numbers
from typing import Any


def check_real(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Check that a constructor parameter is a finite real number inside an interval.

    Args:
        name: Parameter name, used in the error message.
        value: The value received.
        low: Lower bound, or None for no bound.
        high: Upper bound, or None for no bound.
        low_open: Exclude ``low`` itself.
        high_open: Exclude ``high`` itself.

    Returns:
        ``value`` as a Python float.

    Raises:
        TypeError: If ``value`` is not a real number (bools are refused).
        ValueError: If ``value`` is NaN, infinite or outside the interval.
    """
    allowed = _describe(low, high, low_open, high_open)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a real number {allowed}, got {type(value).__name__} {value!r}"
        )
    out = float(value)
    ok = math.isfinite(out)
    if ok and low is not None:
        ok = out > low if low_open else out >= low
    if ok and high is not None:
        ok = out < high if high_open else out <= high
    if not ok:
        raise ValueError(f"{name} must be a real number {allowed}, got {value!r}")
    return out


def _describe(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    if low is not None and high is not None:
        return f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    if low is not None:
        return f"{'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f"{'<' if high_open else '<='} {high:g}"
    return "(finite)"
