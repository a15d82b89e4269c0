"""Interleaved timing with medians and distribution-free intervals, for the perf benchmarks.

Candidates are timed in rounds: every round runs each candidate once, in an order that
rotates from round to round, so slow drifts of a shared machine's load hit all of them
alike. Results are medians with an order-statistic confidence interval for the median
(no normality assumption), and ratios are taken per round (paired) before their median.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch

__all__ = [
    "Summary",
    "format_table",
    "interleaved",
    "median_interval",
    "paired_ratio",
    "synchronizer",
]


@dataclasses.dataclass(frozen=True)
class Summary:
    """A median with a confidence interval.

    Attributes:
        median: The sample median.
        low: Lower end of the interval.
        high: Upper end of the interval.
        n: Number of samples.
    """

    median: float
    low: float
    high: float
    n: int

    def as_dict(self) -> dict[str, float]:
        """The fields as a JSON-ready dict."""
        return dataclasses.asdict(self)


def median_interval(samples: Sequence[float], confidence: float = 0.95) -> Summary:
    """Median and a distribution-free confidence interval from order statistics.

    The interval ``[x_(j), x_(k)]`` uses the normal approximation of Binomial(n, 1/2) for
    the ranks; with very few samples it widens to the full range.

    Args:
        samples: At least one measurement.
        confidence: Two-sided confidence level in (0, 1).

    Returns:
        The :class:`Summary`.

    Raises:
        ValueError: If ``samples`` is empty or ``confidence`` is outside (0, 1).

    Example:
        >>> from mdpo.benchmarks.perf._timing import median_interval
        >>> s = median_interval([3.0, 1.0, 2.0, 5.0, 4.0])
        >>> s.median, s.low, s.high
        (3.0, 1.0, 5.0)
    """
    if not samples:
        raise ValueError("samples must hold at least one measurement, got none")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    xs = sorted(float(x) for x in samples)
    n = len(xs)
    mid = n // 2
    median = xs[mid] if n % 2 else 0.5 * (xs[mid - 1] + xs[mid])
    z = _normal_quantile(0.5 + confidence / 2)
    half = z * math.sqrt(n) / 2
    lo = max(0, math.floor(n / 2 - half) - 1)
    hi = min(n - 1, math.ceil(n / 2 + half))
    return Summary(median, xs[lo], xs[hi], n)


def _normal_quantile(p: float) -> float:
    """Φ⁻¹(p) by bisection on ``erf`` (no scipy needed)."""
    lo, hi = -10.0, 10.0
    for _ in range(80):
        mid = (lo + hi) / 2
        if 0.5 * (1 + math.erf(mid / math.sqrt(2))) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def paired_ratio(
    numerator: Sequence[float], denominator: Sequence[float], confidence: float = 0.95
) -> Summary:
    """Median and interval of the per-round ratios ``numerator[i] / denominator[i]``.

    Args:
        numerator: Times of the candidate, one per round.
        denominator: Times of the reference, from the same rounds.
        confidence: Two-sided confidence level.

    Returns:
        The :class:`Summary` of the ratios.

    Raises:
        ValueError: If the lengths differ.

    Example:
        >>> from mdpo.benchmarks.perf._timing import paired_ratio
        >>> paired_ratio([2.0, 4.0, 6.0], [1.0, 2.0, 3.0]).median
        2.0
    """
    if len(numerator) != len(denominator):
        raise ValueError(
            f"numerator and denominator must pair up, got {len(numerator)} and {len(denominator)}"
        )
    return median_interval([a / b for a, b in zip(numerator, denominator)], confidence)


def synchronizer(device: torch.device | str) -> Callable[[], None]:
    """A function that waits for queued work on ``device`` (a no-op on the CPU).

    Args:
        device: The device timed.

    Returns:
        ``torch.cuda.synchronize`` bound to the device for CUDA, else a no-op.
    """
    device = torch.device(device)
    if device.type == "cuda":
        return lambda: torch.cuda.synchronize(device)
    return lambda: None


def interleaved(
    candidates: Mapping[str, Callable[[], Any]],
    *,
    repeats: int,
    warmup: int = 1,
    inner: int = 1,
    sync: Callable[[], None] = lambda: None,
) -> dict[str, list[float]]:
    """Time candidates in interleaved rounds with a rotating order.

    Args:
        candidates: Name → zero-argument callable.
        repeats: Number of timed rounds.
        warmup: Untimed rounds first.
        inner: Calls per timing (for sub-microsecond work); the time is divided by it.
        sync: Called before starting and before stopping each clock (device sync).

    Returns:
        Name → per-round seconds per call, in round order (so rounds pair up).

    Raises:
        ValueError: If ``repeats`` or ``inner`` is below 1 or ``warmup`` is negative.

    Example:
        >>> from mdpo.benchmarks.perf._timing import interleaved
        >>> times = interleaved({"a": lambda: sum(range(100)), "b": lambda: 0}, repeats=3)
        >>> sorted(times), len(times["a"])
        (['a', 'b'], 3)
    """
    if repeats < 1 or inner < 1 or warmup < 0:
        raise ValueError(
            f"need repeats >= 1, inner >= 1 and warmup >= 0, got {repeats}, {inner}, {warmup}"
        )
    names = list(candidates)
    for _ in range(warmup):
        for name in names:
            candidates[name]()
    sync()
    out: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeats):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            fn = candidates[name]
            sync()
            t0 = time.perf_counter()
            for _ in range(inner):
                fn()
            sync()
            out[name].append((time.perf_counter() - t0) / inner)
    return out


def format_table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    """A plain-text table with left-aligned columns.

    Args:
        rows: Table rows; cells are turned into strings.
        header: Column titles.

    Returns:
        The table, lines joined by newlines.

    Example:
        >>> from mdpo.benchmarks.perf._timing import format_table
        >>> print(format_table([["a", 1]], ["name", "value"]))
        name  value
        ----  -----
        a     1
    """
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
