"""Size bounds of Das–Dennis preference grids, checked before anything is allocated.

A grid of m dimensions and n partitions holds ``C(n + m - 1, m - 1)`` points: 51 for
m = 2, n = 50, but two billion for m = 10, n = 40. :func:`check_grid_size` counts with
:func:`math.comb` first and refuses a grid over :data:`MAX_GRID_POINTS`, saying which
partition count would fit.
"""

from __future__ import annotations

import math

__all__ = ["MAX_GRID_POINTS", "check_grid_size", "grid_size", "max_partitions"]

MAX_GRID_POINTS = 1_000_000
"""The most points a preference grid may hold (about 80 MB of float64 at m = 10)."""


def grid_size(m: int, n_partitions: int) -> int:
    """The number of points of the Das–Dennis grid, ``C(n + m - 1, m - 1)``.

    Args:
        m: Number of dimensions (>= 1).
        n_partitions: Partitions of each axis (>= 1).

    Returns:
        The point count (exact, however large).

    Example:
        >>> from mdpo._grid import grid_size
        >>> grid_size(2, 50), grid_size(10, 40)
        (51, 2054455634)
    """
    return math.comb(n_partitions + m - 1, m - 1)


def max_partitions(m: int, limit: int = MAX_GRID_POINTS) -> int:
    """The largest partition count whose grid holds at most ``limit`` points (0 if none).

    Args:
        m: Number of dimensions (>= 1).
        limit: The point budget.

    Returns:
        The largest n with ``grid_size(m, n) <= limit``.
    """
    if m == 1:
        return limit  # one point, whatever n
    n = 0
    while grid_size(m, n + 1) <= limit:
        n += 1
    return n


def check_grid_size(
    m: int, n_partitions: int, *, name: str = "n_partitions", limit: int = MAX_GRID_POINTS
) -> int:
    """Refuse a grid of more than ``limit`` points before it is built.

    Args:
        m: Number of dimensions.
        n_partitions: Partitions of each axis.
        name: The parameter that set ``n_partitions``, for the message.
        limit: The point budget (default :data:`MAX_GRID_POINTS`).

    Returns:
        The grid's point count.

    Raises:
        ValueError: If the grid would hold more than ``limit`` points; the message says
            the largest partition count that fits at this m.

    Example:
        >>> from mdpo._grid import check_grid_size
        >>> check_grid_size(10, 40)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: n_partitions=40 at m=10 dimensions gives a preference grid of 2054455634 ...
    """
    size = grid_size(m, n_partitions)
    if size > limit:
        fit = max_partitions(m, limit)
        raise ValueError(
            f"{name}={n_partitions} at m={m} dimensions gives a preference grid of {size} "
            f"points, more than the limit of {limit}; at m={m} at most {fit} partitions fit "
            f"({grid_size(m, fit)} points)"
        )
    return size
