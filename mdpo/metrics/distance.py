"""Distances between a point set and a reference front: GD, GD+, IGD and IGD+ (maximisation).

The definitions follow pymoo's indicators, written for maximisation. With ``A`` the points
(``n`` rows) and ``Z`` the reference front (``k`` rows):

- GD(A)   = mean over a in A of min over z in Z of ``||a - z||``;
- IGD(A)  = mean over z in Z of min over a in A of ``||a - z||``;
- GD+(A)  = mean over a in A of min over z in Z of ``d+(a, z)``;
- IGD+(A) = mean over z in Z of min over a in A of ``d+(a, z)``,

where ``d+(a, z) = ||max(z - a, 0)||`` counts only the objectives in which ``a`` falls short
of ``z``; IGD+ is weakly Pareto-compliant, IGD is not. All are 0 for a perfect match and
lower is better. Euclidean norms throughout, no normalisation inside: pass normalised points
(see :func:`mdpo.metrics.normalize_fronts`). The computation is moocore's (``moocore.igd``,
``moocore.igd_plus``); these functions validate the inputs and fix the maximisation
convention.
"""

from __future__ import annotations

import numpy as np

from ._validation import ArrayLike, check_points

__all__ = ["gd", "gd_plus", "igd", "igd_plus"]


def _distance(
    points: ArrayLike, reference_front: ArrayLike, *, to_front: bool, plus: bool
) -> float:
    """GD (``to_front``: from each point to the front) or IGD, plain or plus, maximising."""
    z = check_points(reference_front, "reference_front", min_points=1)
    a = check_points(points, "points", m=z.shape[1], min_points=1)
    if not to_front:
        return _mean_nearest(a, z, plus=plus)
    # GD+: the shortfall of a point a to z, ||max(z - a, 0)||, is moocore's minimising IGD+
    # distance with z as the points and a as the reference.
    return _mean_nearest(z, a, plus=plus, maximise=not plus)


def _mean_nearest(
    points: np.ndarray, reference: np.ndarray, *, plus: bool, maximise: bool = True
) -> float:
    """Mean over ``reference``'s rows of the distance to the nearest row of ``points``.

    moocore's IGD (``plus=False``: Euclidean) or IGD+ (``plus=True``: the shortfall
    ``||max(reference - points, 0)||`` when maximising, ``||max(points - reference, 0)||``
    when minimising).
    """
    import moocore

    measure = moocore.igd_plus if plus else moocore.igd
    return float(measure(points, reference, maximise=maximise))


def gd(points: ArrayLike, reference_front: ArrayLike) -> float:
    """Generational distance: mean distance from each point to its nearest front point.

    Args:
        points: ``[n, m]`` points (maximisation), ``n >= 1``.
        reference_front: ``[k, m]`` reference front, ``k >= 1``.

    Returns:
        GD as a Python float (lower is better).

    Raises:
        TypeError: If an input is not numeric.
        ValueError: If an input is empty, not 2-D, holds NaN/inf, or the m's differ.

    Example:
        >>> from mdpo.metrics import gd
        >>> gd([[0.0, 0.0]], [[3.0, 4.0], [0.0, 1.0]])
        1.0
    """
    return _distance(points, reference_front, to_front=True, plus=False)


def igd(points: ArrayLike, reference_front: ArrayLike) -> float:
    """Inverted generational distance: mean distance from each front point to the points.

    Takes and refuses the same inputs as :func:`gd`.

    Returns:
        IGD as a Python float (lower is better).

    Example:
        >>> from mdpo.metrics import igd
        >>> igd([[0.0, 0.0]], [[3.0, 4.0], [0.0, 1.0]])  # (5 + 1) / 2
        3.0
    """
    return _distance(points, reference_front, to_front=False, plus=False)


def gd_plus(points: ArrayLike, reference_front: ArrayLike) -> float:
    """GD+: mean over the points of the shortfall to the nearest front point.

    Takes and refuses the same inputs as :func:`gd`.

    Returns:
        GD+ as a Python float (lower is better; 0 when every point weakly dominates some
        front point).

    Example:
        >>> from mdpo.metrics import gd_plus
        >>> gd_plus([[2.0, 0.0]], [[1.0, 1.0]])  # only the shortfall (0, 1) counts
        1.0
    """
    return _distance(points, reference_front, to_front=True, plus=True)


def igd_plus(points: ArrayLike, reference_front: ArrayLike) -> float:
    """IGD+: mean over the front points of the smallest shortfall of any point.

    Takes and refuses the same inputs as :func:`gd`.

    Returns:
        IGD+ as a Python float (lower is better; 0 when every front point is weakly
        dominated by some point).

    Example:
        >>> from mdpo.metrics import igd_plus
        >>> igd_plus([[2.0, 0.0]], [[1.0, 1.0], [3.0, 0.0]])  # (1 + 1) / 2
        1.0
    """
    return _distance(points, reference_front, to_front=False, plus=True)
