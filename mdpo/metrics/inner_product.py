"""Inner product between each preference and the objective values it produced."""

from __future__ import annotations

import numpy as np

from ._validation import ArrayLike, check_choice, check_points_and_preferences

__all__ = ["inner_product"]


def inner_product(
    points: ArrayLike,
    preferences: ArrayLike,
    *,
    reduction: str = "mean",
) -> float | np.ndarray:
    """Mean (or per-point) inner product ``<J(λ), λ>`` of each point with its preference.

    Row i of ``points`` is the objective vector ``J(λ_i)`` a preference-conditioned policy
    reached at preference ``λ_i`` (row i of ``preferences``). The score rewards fronts whose
    points are good *in the direction the user asked for*; the Panacea paper (Zhong et al.
    2024) reports it to compare preference-conditioned fronts. Higher is better. It depends
    on the scale and offset of each objective, so compare only points normalised the same way
    (:func:`mdpo.metrics.normalize_fronts`).

    Args:
        points: ``[n, m]`` objective values (maximisation).
        preferences: ``[n, m]`` preferences on the simplex, validated with
            :func:`mdpo.preferences.check_preference`.
        reduction: ``"mean"`` (default) returns the mean over the points; ``"none"``
            returns the ``[n]`` per-point values.

    Returns:
        A Python float (``"mean"``; ``nan`` for ``n = 0``) or a float64 numpy array ``[n]``.

    Raises:
        TypeError: If an input is not numeric.
        ValueError: If the shapes disagree, a preference is invalid, or ``reduction`` is
            unknown.

    Example:
        >>> from mdpo.metrics import inner_product
        >>> # 0.5 * 1 + 0.5 * 0 = 0.5 and 1 * 0.2 + 0 * 0.9 = 0.2: mean 0.35.
        >>> round(inner_product([[1.0, 0.0], [0.2, 0.9]], [[0.5, 0.5], [1.0, 0.0]]), 6)
        0.35
    """
    reduction = check_choice(reduction, "reduction", ("mean", "none"))
    p, lam = check_points_and_preferences(points, preferences)
    values = (p * lam).sum(axis=1)
    if reduction == "none":
        return values
    return float(values.mean()) if values.size else float("nan")
