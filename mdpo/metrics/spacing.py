"""Schott's spacing: how evenly the points are spread (nearest-neighbour distance spread)."""

from __future__ import annotations

import numpy as np

from ._validation import ArrayLike, check_choice, check_points

__all__ = ["nearest_neighbour_distances", "spacing"]

_METRICS = {"l1": "cityblock", "euclidean": "euclidean"}


def nearest_neighbour_distances(points: ArrayLike, *, metric: str = "euclidean") -> np.ndarray:
    """Distance from each point to its nearest *other* point (a duplicate counts, at 0).

    Args:
        points: ``[n, m]`` points, ``n >= 2``.
        metric: ``"euclidean"`` or ``"l1"`` (city block).

    Returns:
        A float64 numpy array of shape ``[n]``.

    Raises:
        TypeError: If ``points`` is not numeric.
        ValueError: If ``n < 2``, ``points`` is malformed or ``metric`` is unknown.

    Example:
        >>> from mdpo.metrics import nearest_neighbour_distances
        >>> nearest_neighbour_distances([[0, 0], [1, 0], [3, 0]]).tolist()
        [1.0, 1.0, 2.0]
    """
    from scipy.spatial.distance import cdist

    metric = check_choice(metric, "metric", tuple(_METRICS))
    p = check_points(points, min_points=2)
    d = cdist(p, p, metric=_METRICS[metric])
    np.fill_diagonal(d, np.inf)
    return d.min(axis=1)


def spacing(points: ArrayLike, *, metric: str = "l1") -> float:
    """Schott's spacing: the spread of the nearest-neighbour distances (0 = evenly spaced).

    With ``d_i`` the distance from point i to its nearest other point and ``d̄`` their mean,
    ``S = sqrt(sum_i (d_i - d̄)**2 / n)``. Like pymoo's ``SpacingIndicator``, this divides by
    ``n`` (Schott's original divides by ``n - 1``) and, with ``metric="l1"``, uses the city
    block distance; ``metric="euclidean"`` uses the Euclidean one. Lower is better. The
    value is in the units of the points: pass normalised points to compare fronts.

    Args:
        points: ``[n, m]`` points (maximisation; the sign convention does not matter here).
        metric: ``"l1"`` (default, as pymoo) or ``"euclidean"``.

    Returns:
        The spacing as a Python float; ``nan`` when ``n < 2`` (no neighbours, undefined).

    Raises:
        TypeError: If ``points`` is not numeric.
        ValueError: If ``points`` is malformed or ``metric`` is unknown.

    Example:
        >>> from mdpo.metrics import spacing
        >>> # L1 nearest-neighbour distances 1, 1, 2: mean 4/3, S = sqrt((1/9+1/9+4/9)/3).
        >>> round(spacing([[0, 0], [1, 0], [3, 0]]), 6)
        0.471405
    """
    metric = check_choice(metric, "metric", tuple(_METRICS))
    p = check_points(points)
    if p.shape[0] < 2:
        return float("nan")
    d = nearest_neighbour_distances(p, metric=metric)
    return float(np.sqrt(np.mean((d - d.mean()) ** 2)))
