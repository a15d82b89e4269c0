"""Pareto dominance in maximisation space (computed by ``moocore.is_nondominated``)."""

from __future__ import annotations

import numpy as np

from ._validation import ArrayLike, check_points

__all__ = ["non_dominated"]


def non_dominated(points: ArrayLike) -> np.ndarray:
    """Mask of the points that no other point dominates (maximisation).

    Point ``a`` dominates ``b`` when ``a_i >= b_i`` for every objective and ``a_i > b_i`` for
    at least one. Identical points do not dominate each other, so duplicates of a
    non-dominated point are all kept.

    Args:
        points: ``[n, m]`` points to maximise (tensor, array or nested list).

    Returns:
        A boolean numpy array of shape ``[n]``; True marks a non-dominated point.

    Raises:
        TypeError: If ``points`` is not numeric.
        ValueError: If ``points`` is not 2-D or holds NaN/inf.

    Example:
        >>> from mdpo.metrics import non_dominated
        >>> non_dominated([[1, 0], [0, 1], [0.5, 0.5], [0.2, 0.2], [0, 1]]).tolist()
        [True, True, True, False, True]
    """
    import moocore

    p = check_points(points)
    if p.shape[0] == 0:
        return np.ones(0, dtype=bool)
    # keep_weakly: duplicates of a non-dominated point are all kept.
    return np.asarray(moocore.is_nondominated(p, maximise=True, keep_weakly=True), dtype=bool)
