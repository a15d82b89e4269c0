"""Intervals over seeds: mean ± Student-t interval, and paired differences between methods."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["paired_difference", "t_interval"]


def t_interval(values: Sequence[float], confidence: float = 0.95) -> dict[str, Any]:
    """Mean and two-sided Student-t interval of the mean over seeds.

    NaN values are dropped. With fewer than two values the interval is undefined (NaN).

    Args:
        values: One value per seed.
        confidence: Confidence level in (0, 1).

    Returns:
        ``{"mean", "low", "high", "half_width", "n", "values"}``.

    Example:
        >>> from mdpo.benchmarks.stats import t_interval
        >>> out = t_interval([1.0, 2.0, 3.0])
        >>> out["mean"], round(out["half_width"], 4)
        (2.0, 2.4841)
    """
    from scipy import stats

    kept = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    n = len(kept)
    mean = sum(kept) / n if n else float("nan")
    if n >= 2:
        sd = math.sqrt(sum((v - mean) ** 2 for v in kept) / (n - 1))
        half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * sd / math.sqrt(n)
    else:
        half = float("nan")
    return {
        "mean": mean,
        "low": mean - half,
        "high": mean + half,
        "half_width": half,
        "n": n,
        "values": [float(v) for v in values],
    }


def paired_difference(
    a: Mapping[str, float], b: Mapping[str, float], confidence: float = 0.95
) -> dict[str, Any]:
    """Interval of the mean per-seed difference ``a − b`` over the seeds both have.

    Args:
        a: Seed -> value of method a.
        b: Seed -> value of method b.
        confidence: Confidence level.

    Returns:
        :func:`t_interval` of the differences, plus ``"seeds"``.
    """
    seeds = sorted(set(a) & set(b), key=str)
    out = t_interval([a[s] - b[s] for s in seeds], confidence)
    out["seeds"] = seeds
    return out
