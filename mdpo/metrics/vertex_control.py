"""Vertex controllability: does the policy at the vertex e_i score best on dimension i?"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._validation import ArrayLike, check_points_and_preferences

__all__ = ["VertexControl", "vertex_controllability"]


class VertexControl(NamedTuple):
    """The vertex-by-dimension score matrix of a front.

    Attributes:
        scores: ``[m, m]`` raw scores: row ``i`` is the point evaluated at the vertex
            ``e_i`` (λ_i = 1), column ``j`` dimension ``j``; a row is NaN where ``e_i`` was
            not evaluated (the mean where it was evaluated more than once).
        normalized: ``scores`` min-max normalised per column over the evaluated vertices:
            1 = the best vertex on that dimension, 0 = the worst. A column is NaN where its
            evaluated vertices all score the same (or fewer than two were evaluated).
        diagonal_mean: Mean of the defined diagonal entries of ``normalized`` (1.0: every
            dimension is best served at its own vertex), NaN if none is defined.
        n_defined: How many diagonal entries are defined (not NaN).
    """

    scores: np.ndarray
    normalized: np.ndarray
    diagonal_mean: float
    n_defined: int


def vertex_controllability(points: ArrayLike, preferences: ArrayLike) -> VertexControl:
    """Score of each dimension at each vertex, normalised per column (the controllability heatmap).

    For a controllable policy, pushing all importance onto dimension i (the vertex ``e_i``)
    should give the best score on dimension i among the vertices: the diagonal of the
    column-normalised matrix is then 1. This reads well at any m, where a front plot does
    not: a heatmap of ``normalized`` shows at a glance which dimensions λ steers.

    Args:
        points: ``[n, m]`` objective values (maximisation), row-matched to ``preferences``.
        preferences: ``[n, m]`` preferences on the simplex; rows that are not vertices are
            ignored.

    Returns:
        A :class:`VertexControl`.

    Raises:
        TypeError: If ``points`` or ``preferences`` holds non-numbers.
        ValueError: If they differ in shape or a row of ``preferences`` is off the simplex.

    Example:
        >>> from mdpo.metrics import vertex_controllability
        >>> lam = [[1, 0], [0.5, 0.5], [0, 1]]
        >>> out = vertex_controllability([[0.9, 0.1], [0.5, 0.5], [0.3, 0.7]], lam)
        >>> out.normalized.tolist(), out.diagonal_mean
        ([[1.0, 0.0], [0.0, 1.0]], 1.0)
    """
    p, lam = check_points_and_preferences(points, preferences)
    m = p.shape[1]
    scores = np.full((m, m), np.nan)
    is_vertex = np.isclose(lam.max(axis=1), 1.0, rtol=0.0, atol=1e-9)
    for i in range(m):
        rows = is_vertex & (lam.argmax(axis=1) == i)
        if rows.any():
            scores[i] = p[rows].mean(axis=0)
    normalized = np.full((m, m), np.nan)
    seen = ~np.isnan(scores[:, 0])
    if seen.sum() >= 2:
        low = scores[seen].min(axis=0)
        span = scores[seen].max(axis=0) - low
        ok = span > 0
        normalized[np.ix_(seen, ok)] = (scores[np.ix_(seen, ok)] - low[ok]) / span[ok]
    diag = np.diag(normalized)
    defined = int(np.isfinite(diag).sum())
    mean = float(np.nanmean(diag)) if defined else float("nan")
    return VertexControl(scores, normalized, mean, defined)
