"""The benchmark's statistics: intervals over seeds and over prompts, judged fronts.

- over seeds: mean ± Student-t interval (:func:`t_interval`) and paired differences between
  methods (:func:`paired_difference`);
- over prompts (the language-model tasks, one seed): percentile bootstrap intervals of the
  per-dimension means (:func:`bootstrap_interval`) and of a front's hypervolume
  (:func:`bootstrap_hypervolume`);
- fronts rescored by independent judges (:func:`judged_front_metrics`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import torch

__all__ = [
    "bootstrap_hypervolume",
    "bootstrap_interval",
    "judged_front_metrics",
    "paired_difference",
    "t_interval",
]


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


def bootstrap_interval(
    per_prompt: torch.Tensor, *, samples: int = 1000, confidence: float = 0.95, seed: int = 0
) -> dict[str, list[float]]:
    """Percentile bootstrap interval over prompts of the per-dimension mean.

    Args:
        per_prompt: Scores ``[P, m]``.
        samples: Bootstrap replicates (prompts drawn with replacement).
        confidence: Interval level.
        seed: Seed of the resampling.

    Returns:
        ``{"mean": [m], "low": [m], "high": [m]}``.

    Example:
        >>> import torch
        >>> from mdpo.benchmarks.stats import bootstrap_interval
        >>> out = bootstrap_interval(torch.tensor([[0.0], [1.0], [2.0]]), samples=200)
        >>> out["low"][0] <= out["mean"][0] == 1.0 <= out["high"][0]
        True
    """
    scores = per_prompt.double()
    gen = torch.Generator().manual_seed(seed)
    idx = torch.randint(0, scores.shape[0], (samples, scores.shape[0]), generator=gen)
    means = scores[idx].mean(dim=1)  # [samples, m]
    alpha = (1.0 - confidence) / 2
    return {
        "mean": scores.mean(dim=0).tolist(),
        "low": torch.quantile(means, alpha, dim=0).tolist(),
        "high": torch.quantile(means, 1 - alpha, dim=0).tolist(),
    }


def bootstrap_hypervolume(
    per_prompt: torch.Tensor, draws: torch.Tensor, nf: Any, confidence: float = 0.95
) -> dict[str, float]:
    """Hypervolume of a front scored per prompt, with a percentile interval over prompts.

    Every replicate averages the front's scores over one draw of prompts (with replacement);
    fronts compared with each other share the draws.

    Args:
        per_prompt: Scores ``[n, P, m]`` of the front's n points on P prompts (maximised).
        draws: Prompt indices ``[B, P]`` of the B bootstrap replicates.
        nf: The :class:`mdpo.metrics.NormalizedFronts` the hypervolume is measured after.
        confidence: Interval level.

    Returns:
        ``{"estimate", "low", "high"}``: the hypervolume on all prompts and the interval.
    """
    from mdpo.metrics import hypervolume

    alpha = (1.0 - confidence) / 2
    hvs = []
    for idx in draws:
        points = per_prompt[:, idx].mean(dim=1).numpy()
        hvs.append(hypervolume(nf.normalize(points), nf.ref_point))
    hv = torch.tensor(hvs, dtype=torch.float64)
    full = per_prompt.mean(dim=1).numpy()
    return {
        "estimate": float(hypervolume(nf.normalize(full), nf.ref_point)),
        "low": float(torch.quantile(hv, alpha)),
        "high": float(torch.quantile(hv, 1 - alpha)),
    }


def judged_front_metrics(
    points: Mapping[str, Any], preferences: Mapping[str, Sequence[Sequence[float]]], cols: list[int]
) -> tuple[dict[str, dict[str, Any]], Any]:
    """Hypervolume and controllability of fronts rescored by independent judges.

    Args:
        points: ``{key: [n, j]}`` judged points per front (maximised), one column per judged
            dimension.
        preferences: ``{key: [n][m]}`` the λ of each point.
        cols: The λ column of each judged dimension.

    Returns:
        ``({key: {"hypervolume", "controllability", "points"}}, normalisation)``: the
        hypervolume is normalised over the union of every front's judged points (NaN with a
        single judged dimension), ρ per judged dimension (NaN with fewer than 3 points).
    """
    import numpy as np

    from mdpo.metrics import controllability, hypervolume, normalize_fronts

    nf = normalize_fronts(dict(points))
    out: dict[str, dict[str, Any]] = {}
    for key, pts in points.items():
        lam = np.asarray(preferences[key], dtype=float)
        # ρ per judged column against its λ column; the judged points sit in their columns
        # of an [n, m] array so that λ stays on the simplex when only some dimensions are
        # judged (the other columns are constant: their ρ, NaN, is dropped).
        full = np.zeros(lam.shape)
        full[:, cols] = pts
        rho = (
            controllability(full, lam)[cols].tolist()
            if len(lam) > 2
            else [float("nan")] * len(cols)
        )
        out[key] = {
            "hypervolume": float(hypervolume(nf.normalize(pts), nf.ref_point))
            if len(cols) > 1
            else float("nan"),
            "controllability": rho,
            "points": pts.tolist(),
        }
    return out, nf
