"""Controllability: does raising λ_i raise J_i? Spearman's ρ per dimension."""

from __future__ import annotations

import numpy as np

from ._validation import ArrayLike, check_points_and_preferences

__all__ = ["controllability"]


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's ρ of two ``[n]`` vectors by ``scipy.stats.spearmanr`` (average ranks for ties).

    Args:
        x: ``[n]`` values.
        y: ``[n]`` values.

    Returns:
        ρ in [-1, 1], or nan when n < 2 or either vector is constant (a rank correlation
        with a constant is undefined; scipy would warn and return nan).

    Example:
        >>> from mdpo.metrics.controllability import spearman
        >>> spearman([1.0, 2.0, 3.0], [0.1, 0.5, 0.2]), spearman([1.0, 1.0], [0.0, 1.0])
        (0.5, nan)
    """
    from scipy.stats import spearmanr

    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.size < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(np.clip(spearmanr(x, y).statistic, -1.0, 1.0))


def controllability(points: ArrayLike, preferences: ArrayLike) -> np.ndarray:
    """Per-dimension Spearman rank correlation between λ_i and J_i over the evaluated points.

    Row k of ``points`` is the objective vector a preference-conditioned policy reached at
    preference row k. A controllable policy has ρ_i near +1 for every dimension: a larger
    importance λ_i gives a larger J_i (the conventions page of the docs: "λ is importance"). ρ_i
    near 0 means λ_i
    has no monotone effect; negative means it works backwards. Ties get average ranks.

    **Undefined cases.** ρ_i is ``nan`` when λ_i or J_i is constant over the points (e.g. a
    single preference, or a dimension the policy cannot move): a rank correlation with a
    constant has no meaning, and reporting 0 would hide the problem. Use ``np.nanmean`` to
    average over dimensions and report the nan count separately.

    Args:
        points: ``[n, m]`` objective values (maximisation).
        preferences: ``[n, m]`` preferences on the simplex, validated with
            :func:`mdpo.preferences.check_preference`.

    Returns:
        A float64 numpy array ``[m]`` of ρ_i in [-1, 1] (or nan).

    Raises:
        TypeError: If an input is not numeric.
        ValueError: If the shapes disagree or a preference is invalid.

    Example:
        >>> from mdpo.metrics import controllability
        >>> lam = [[0.0, 1.0], [0.5, 0.5], [1.0, 0.0]]
        >>> controllability([[0.1, 0.9], [0.4, 0.8], [0.9, 0.2]], lam).tolist()
        [1.0, 1.0]
    """
    p, lam = check_points_and_preferences(points, preferences)
    return np.array([spearman(lam[:, i], p[:, i]) for i in range(p.shape[1])])
