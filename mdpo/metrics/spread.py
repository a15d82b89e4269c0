"""Spread (diversity) of a front: Deb's Δ for two objectives, Zhou et al.'s Δ beyond.

Both measure how evenly the points cover the front *and* how far they reach towards its
extremes; 0 is ideal (evenly spaced points that reach both ends), larger is worse. pymoo ships
neither, so both are written out here.

- **Deb's Δ** (Deb, Pratap, Agarwal, Meyarivan 2002, NSGA-II), m = 2. Sort the points by
  the first objective; let ``d_i`` be the ``n - 1`` Euclidean distances between neighbours,
  ``d̄`` their mean, and ``d_f``, ``d_l`` the distances from the two end points to the two
  extreme points of the reference front. Then
  ``Δ = (d_f + d_l + Σ_i |d_i - d̄|) / (d_f + d_l + (n - 1) d̄)``.
- **Generalised spread** (Zhou, Jin, Zhang, Sendhoff, Tsang 2006), m >= 3. Let ``e_k`` be
  the extreme point of the reference front in objective k, ``d(e_k, S)`` its distance to
  the nearest point, ``d_i`` the distance from point i to its nearest other point and ``d̄``
  their mean. Then ``Δ = (Σ_k d(e_k, S) + Σ_i |d_i - d̄|) / (Σ_k d(e_k, S) + n d̄)``.

Without a reference front the extremes are taken from the points themselves, so the extreme
terms vanish and only evenness is measured.
"""

from __future__ import annotations

import numpy as np

from ._validation import ArrayLike, check_points
from .spacing import nearest_neighbour_distances

__all__ = ["extreme_points", "spread"]


def extreme_points(front: ArrayLike) -> np.ndarray:
    """The extreme point of ``front`` in each objective (maximisation).

    Row k is a point with the largest value of objective k; ties go to the one with the
    largest sum of the other objectives (so a weakly dominated tie is not picked).

    Args:
        front: ``[k, m]`` points, ``k >= 1``.

    Returns:
        A float64 numpy array of shape ``[m, m]``.

    Raises:
        TypeError: If ``front`` is not numeric.
        ValueError: If ``front`` is empty or malformed.

    Example:
        >>> from mdpo.metrics import extreme_points
        >>> extreme_points([[0, 2], [1, 1], [2, 0], [2, -1]]).tolist()
        [[2.0, 0.0], [0.0, 2.0]]
    """
    z = check_points(front, "front", min_points=1)
    total = z.sum(axis=1)
    rows = []
    for k in range(z.shape[1]):
        # lexsort sorts by the last key first: objective k, then the sum of the others.
        order = np.lexsort((total - z[:, k], z[:, k]))
        rows.append(z[order[-1]])
    return np.stack(rows)


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator > 0 else float("nan")


def spread(points: ArrayLike, *, reference_front: ArrayLike | None = None) -> float:
    """Deb's Δ (m = 2) or Zhou et al.'s generalised spread (m >= 3); 0 is ideal.

    See the module docstring for the formulas. Pass a non-dominated, normalised set (the
    points are used as given; :func:`mdpo.metrics.front_metrics` filters and normalises).

    Args:
        points: ``[n, m]`` points (maximisation), ``n >= 1``, ``m >= 2``.
        reference_front: ``[k, m]`` front whose extreme points (:func:`extreme_points`) the
            points should reach. If None, the extremes of ``points`` are used, so only the
            evenness of the spacing counts.

    Returns:
        Δ as a Python float, ``>= 0``. ``nan`` when it is undefined: the denominator is 0,
        i.e. all points coincide and coincide with the extremes (e.g. one point and no
        reference front). A single point away from the extremes gives exactly 1.

    Raises:
        TypeError: If an input is not numeric.
        ValueError: If ``m < 2``, an input is empty or malformed, or the m's differ.

    Example:
        >>> from mdpo.metrics import spread
        >>> # Gaps 1 and 1 (perfectly even), extremes reached: Δ = 0.
        >>> spread([[0, 2], [1, 1], [2, 0]], reference_front=[[0, 2], [2, 0]])
        0.0
        >>> # Gaps sqrt(2) and 2*sqrt(2), mean 1.5*sqrt(2): Δ = sqrt(2) / (3 sqrt(2)) = 1/3.
        >>> round(spread([[0, 3], [1, 2], [3, 0]]), 6)
        0.333333
    """
    p = check_points(points, min_points=1)
    n, m = p.shape
    if m < 2:
        raise ValueError(f"points must have m >= 2 objectives for spread, got shape {p.shape}")
    ref = p if reference_front is None else check_points(reference_front, "reference_front", m=m)
    if ref.shape[0] == 0:
        raise ValueError("reference_front must hold at least 1 point, got shape (0, m)")
    extremes = extreme_points(ref)
    if m == 2:
        # Sort by f1 ascending (ties: f2 descending): from the f2 end to the f1 end.
        s = p[np.lexsort((-p[:, 1], p[:, 0]))]
        gaps = np.linalg.norm(np.diff(s, axis=0), axis=1)
        # extremes[1] maximises f2 (matches s[0]); extremes[0] maximises f1 (matches s[-1]).
        ends = np.linalg.norm(s[0] - extremes[1]) + np.linalg.norm(s[-1] - extremes[0])
        mean_gap = gaps.mean() if gaps.size else 0.0
        return _ratio(
            ends + np.abs(gaps - mean_gap).sum(),
            ends + (n - 1) * mean_gap,
        )
    from scipy.spatial.distance import cdist

    ends = cdist(extremes, p).min(axis=1).sum()
    nn = nearest_neighbour_distances(p) if n >= 2 else np.zeros(1)
    mean_nn = nn.mean()
    return _ratio(ends + np.abs(nn - mean_nn).sum(), ends + n * mean_nn)
