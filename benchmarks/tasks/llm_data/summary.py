"""Spread, ties and conflicts of each dimension of built preference data, for reports."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from mdpo.benchmarks.tasks.smollm_dimensions import spread_stats
from mdpo.metrics.controllability import spearman as rank_correlation

__all__ = ["summarize_dimensions"]


def summarize_dimensions(dataset: Any, dims: Sequence[str]) -> dict[str, Any]:
    """Spread, ties and conflicts of each dimension of built preference data, for reports.

    Statistics over responses count each distinct response once (by ``prompt_index`` and
    sample index when present, else by text), although it appears in several pairs.

    Args:
        dataset: A :class:`datasets.Dataset` or a dict of columns, with ``score_0/<dim>``,
            ``score_1/<dim>`` and ``<dim>`` label columns.
        dims: The dimensions to summarise (at least one).

    Returns:
        A JSON-ready dict: ``n_pairs``, ``n_responses``, ``dimensions`` (per dimension:
        :func:`~mdpo.benchmarks.tasks.smollm_dimensions.spread_stats` of the raw scores
        plus ``tie_share``, the share of masked labels, and ``share_1``, the share of
        labelled pairs where ``response_1`` wins), ``spearman`` (``{"a|b": rho}`` between
        raw scores over responses), ``spearman_pairs`` (between the pairs' score
        differences, which is what the labels see) and ``label_agreement`` (share of
        pairs labelled on both dimensions where the labels agree; below 0.5 is conflict).
        Undefined values (a constant dimension, no labelled pair) are NaN.

    Raises:
        ValueError: If ``dims`` is empty or a needed column is missing.

    Example:
        >>> from mdpo.benchmarks.tasks.llm_data import summarize_dimensions
        >>> rows = {"prompt": ["q", "q"], "response_0": ["a", "b"], "response_1": ["bb", "ccc"],
        ...         "score_0/len": [1.0, 1.0], "score_1/len": [2.0, 3.0], "len": [1, 1]}
        >>> summarize_dimensions(rows, ["len"])["dimensions"]["len"]["tie_share"]
        0.0
    """
    dims = list(dims)
    if not dims or not all(isinstance(d, str) for d in dims):
        raise ValueError(f"dims must be a non-empty list of dimension names, got {dims!r}")
    present = list(dataset.column_names) if hasattr(dataset, "column_names") else list(dataset)
    for d in dims:
        for col in (d, f"score_0/{d}", f"score_1/{d}"):
            if col not in present:
                raise ValueError(
                    f"dataset is missing column {col!r} for dimension {d!r}; "
                    f"columns present: {present}"
                )

    def column(name: str) -> list[Any]:
        return list(dataset[name])

    if {"prompt_index", "sample_0", "sample_1"} <= set(present):
        keys_0 = list(zip(column("prompt_index"), column("sample_0")))
        keys_1 = list(zip(column("prompt_index"), column("sample_1")))
    else:
        keys_0 = list(zip(column("prompt"), column("response_0")))
        keys_1 = list(zip(column("prompt"), column("response_1")))
    raw: dict[str, np.ndarray] = {}
    diffs: dict[str, np.ndarray] = {}
    labels: dict[str, np.ndarray] = {}
    for d in dims:
        s0 = np.asarray(column(f"score_0/{d}"), dtype=np.float64)
        s1 = np.asarray(column(f"score_1/{d}"), dtype=np.float64)
        unique = dict(zip(keys_0, s0)) | dict(zip(keys_1, s1))
        raw[d] = np.asarray(list(unique.values()), dtype=np.float64)
        diffs[d] = s1 - s0
        labels[d] = np.asarray([-1 if v is None else int(v) for v in column(d)])
    n_pairs = len(keys_0)
    dimensions = {}
    for d in dims:
        labelled = labels[d] >= 0
        finite = raw[d][np.isfinite(raw[d])]
        stats = spread_stats(finite) if finite.size else {}
        stats["tie_share"] = float((~labelled).mean()) if n_pairs else math.nan
        stats["share_1"] = float((labels[d][labelled] == 1).mean()) if labelled.any() else math.nan
        dimensions[d] = stats
    spearman, spearman_pairs, agreement = {}, {}, {}
    for a, b in itertools.combinations(dims, 2):
        spearman[f"{a}|{b}"] = _finite_spearman(raw[a], raw[b])
        spearman_pairs[f"{a}|{b}"] = _finite_spearman(diffs[a], diffs[b])
        both = (labels[a] >= 0) & (labels[b] >= 0)
        agreement[f"{a}|{b}"] = (
            float((labels[a][both] == labels[b][both]).mean()) if both.any() else math.nan
        )
    return {
        "n_pairs": n_pairs,
        "n_responses": len(set(keys_0) | set(keys_1)),
        "dimensions": dimensions,
        "spearman": spearman,
        "spearman_pairs": spearman_pairs,
        "label_agreement": agreement,
    }


def _finite_spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman ρ over the rows where both are finite (NaN with fewer than two)."""
    ok = np.isfinite(a) & np.isfinite(b)
    return rank_correlation(a[ok], b[ok]) if ok.sum() >= 2 else math.nan
