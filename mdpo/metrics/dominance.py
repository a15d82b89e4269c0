"""Pareto dominance in maximisation space."""

from __future__ import annotations

import numpy as np

from ._validation import ArrayLike, check_points

__all__ = ["non_dominated"]

# Rows compared at once; bounds the temporary [chunk, n, m] comparison arrays.
_CHUNK_ELEMENTS = 2**22


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
    p = check_points(points)
    n, m = p.shape
    mask = np.ones(n, dtype=bool)
    chunk = max(1, _CHUNK_ELEMENTS // max(1, n * m))
    for start in range(0, n, chunk):
        block = p[start : start + chunk, None, :]  # [c, 1, m]: the points being tested
        geq = (p[None, :, :] >= block).all(axis=-1)  # [c, n]: other >= tested everywhere
        gt = (p[None, :, :] > block).any(axis=-1)  # [c, n]: other > tested somewhere
        mask[start : start + chunk] = ~(geq & gt).any(axis=1)
    return mask
