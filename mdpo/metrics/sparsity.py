"""Sparsity of a front (PGMORL, Xu et al. 2020): mean squared gap between sorted neighbours."""

from __future__ import annotations

import numpy as np

from ._validation import ArrayLike, check_points
from .dominance import non_dominated

__all__ = ["sparsity"]


def sparsity(points: ArrayLike, *, nondominated_only: bool = True) -> float:
    """Sparsity of the non-dominated points, as in PGMORL (Xu et al. 2020); lower is denser.

    For each objective j the values of the ``n`` points are sorted, ``S_j(1) <= ... <=
    S_j(n)``, and ``Sparsity = Σ_j Σ_{i<n} (S_j(i+1) - S_j(i))**2 / (n - 1)``.

    **Normalisation.** The value is in the squared units of the points, and no normalisation
    happens here: normalising each front by its own range would make a narrow front look as
    spread out as a wide one. Pass points normalised by the shared protocol of
    :func:`mdpo.metrics.normalize_fronts` (min–max by the true front, or by the union of all
    compared fronts), as :func:`mdpo.metrics.front_metrics` does.

    Args:
        points: ``[n, m]`` points (maximisation).
        nondominated_only: If True (default, as in PGMORL), dominated points are dropped
            first (duplicates are kept).

    Returns:
        The sparsity as a Python float; ``nan`` when fewer than two points remain (a gap
        needs two points, and 0 would wrongly rank a collapsed front as perfectly dense).

    Raises:
        TypeError: If ``points`` is not numeric.
        ValueError: If ``points`` is malformed.

    Example:
        >>> from mdpo.metrics import sparsity
        >>> # f1 sorted 0, 1, 3 -> gaps 1, 2; f2 sorted 0, 2, 3 -> gaps 2, 1.
        >>> # (1 + 4 + 4 + 1) / (3 - 1) = 5.
        >>> sparsity([[0, 3], [1, 2], [3, 0]])
        5.0
    """
    p = check_points(points)
    if not isinstance(nondominated_only, bool):
        raise TypeError(
            f"nondominated_only must be a bool, got {type(nondominated_only).__name__} "
            f"{nondominated_only!r}"
        )
    if nondominated_only and p.shape[0] > 0:
        p = p[non_dominated(p)]
    n = p.shape[0]
    if n < 2:
        return float("nan")
    gaps = np.diff(np.sort(p, axis=0), axis=0)
    return float((gaps**2).sum() / (n - 1))
