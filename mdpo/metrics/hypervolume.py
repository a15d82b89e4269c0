"""Hypervolume of a point set in maximisation space: exact for m <= 5, Monte-Carlo beyond."""

from __future__ import annotations

from typing import Any

import numpy as np

from mdpo._numbers import check_int

from ._validation import ArrayLike, check_choice, check_points, check_vector

__all__ = [
    "DEFAULT_HV_APPROX_METHOD",
    "DEFAULT_HV_SAMPLES",
    "EXACT_HV_MAX_M",
    "backend_hypervolume",
    "hypervolume",
    "hypervolume_error",
    "hypervolume_method",
]

EXACT_HV_MAX_M = 5
"""Largest number of objectives for which :func:`hypervolume` is exact (pymoo)."""

DEFAULT_HV_SAMPLES = 2**18
"""Default sample count of the m >= 6 estimate (about 0.1 s at m = 10, n = 100 here)."""

DEFAULT_HV_APPROX_METHOD = "Rphi-FWE+"
"""Default ``moocore.hv_approx`` method for m >= 6."""

_APPROX_METHODS = ("Rphi-FWE+", "DZ2019-MC", "DZ2019-HW")

DEFAULT_HV_ERROR_REPEATS = 8
"""Random-direction estimates whose spread :func:`hypervolume_error` reports."""


def hypervolume_method(
    m: int,
    *,
    n_samples: int = DEFAULT_HV_SAMPLES,
    seed: int = 0,
    approx_method: str = DEFAULT_HV_APPROX_METHOD,
) -> dict[str, Any]:
    """Describe how :func:`hypervolume` computes the indicator for ``m`` objectives.

    Meant to be written next to the value in a ``results.json``, so a reader knows whether
    a number is exact or an estimate.

    Args:
        m: Number of objectives.
        n_samples: Sample count that would be passed to :func:`hypervolume` (m >= 6 only).
        seed: Seed that would be passed to :func:`hypervolume` (m >= 6 only).
        approx_method: ``moocore.hv_approx`` method (m >= 6 only).

    Returns:
        ``{"method": "exact", "backend": "pymoo.indicators.hv.HV"}`` for ``m <= 5``, else
        ``{"method": "monte-carlo", "backend": "moocore.hv_approx", "approx_method": ...,
        "n_samples": ..., "seed": ...}``.

    Raises:
        TypeError: If ``m``, ``n_samples`` or ``seed`` is not an int.
        ValueError: If ``m < 1``, ``n_samples < 1`` or ``approx_method`` is unknown.

    Example:
        >>> from mdpo.metrics import hypervolume_method
        >>> hypervolume_method(3)["method"], hypervolume_method(10)["method"]
        ('exact', 'monte-carlo')
    """
    m = check_int("m", m, minimum=1)
    if m <= EXACT_HV_MAX_M:
        return {"method": "exact", "backend": "pymoo.indicators.hv.HV"}
    return {
        "method": "monte-carlo",
        "backend": "moocore.hv_approx",
        "approx_method": check_choice(approx_method, "approx_method", _APPROX_METHODS),
        "n_samples": check_int("n_samples", n_samples, minimum=1),
        "seed": check_int("seed", seed, minimum=0),
    }


def hypervolume(
    points: ArrayLike,
    ref_point: ArrayLike,
    *,
    strict: bool = False,
    n_samples: int = DEFAULT_HV_SAMPLES,
    seed: int = 0,
    approx_method: str = DEFAULT_HV_APPROX_METHOD,
) -> float:
    """Hypervolume dominated by ``points`` and bounded by ``ref_point`` (maximisation).

    The volume of the union of the boxes ``[ref_point, p]`` over the points ``p``. A point
    contributes only if it dominates the reference point strictly, i.e. every coordinate is
    greater than ``ref_point``'s; other points contribute 0 (or raise, with ``strict``).
    Dominated points and duplicates add nothing. An empty point set has volume 0.

    For ``m <= 5`` (:data:`EXACT_HV_MAX_M`) the value is exact (pymoo's ``HV``). For
    ``m >= 6`` the value is a **Monte-Carlo estimate** from ``moocore.hv_approx`` with
    ``n_samples`` directions (default :data:`DEFAULT_HV_SAMPLES` = 2**18), because exact
    cost grows steeply with m (n = 100 points on the unit sphere, 2 CPU cores: m = 8 about
    0.4 s, m = 9 about 3 s, m = 10 over 100 s; the estimate takes about 0.1 s). The default
    ``"Rphi-FWE+"`` is a deterministic quasi-Monte-Carlo rule (relative error about 1e-5 at
    m = 6 on that set, 1e-4 to 8e-4 on 60 random points at m = 6 and 7); ``"DZ2019-MC"``
    draws random directions from ``seed``. Record :func:`hypervolume_method` next to
    reported values and :func:`hypervolume_error` as their error.

    Args:
        points: ``[n, m]`` points to maximise (tensor, array or nested list).
        ref_point: ``[m]`` reference point, worse than the points in every objective.
        strict: If True, raise instead of ignoring points that do not dominate
            ``ref_point``.
        n_samples: Number of directions of the estimate (m >= 6 only).
        seed: Seed of the estimate (m >= 6 with ``approx_method="DZ2019-MC"`` only).
        approx_method: ``moocore.hv_approx`` method for m >= 6: ``"Rphi-FWE+"``,
            ``"DZ2019-MC"`` or ``"DZ2019-HW"``.

    Returns:
        The hypervolume as a Python float.

    Raises:
        TypeError: If an input has the wrong type.
        ValueError: If the shapes disagree, an input holds NaN/inf, or, with ``strict``,
            some point does not dominate ``ref_point`` (the message gives how many and which).

    Example:
        >>> from mdpo.metrics import hypervolume
        >>> # Boxes [0,3]x[0,1] and [0,1]x[0,2] overlap in [0,1]x[0,1]: 3 + 2 - 1 = 4.
        >>> hypervolume([[3.0, 1.0], [1.0, 2.0]], ref_point=[0.0, 0.0])
        4.0
    """
    ref = check_vector(ref_point, "ref_point")  # fixes m, so [] is a valid empty set
    m = ref.shape[0]
    p = check_points(points, m=m)
    if not isinstance(strict, bool):
        raise TypeError(f"strict must be a bool, got {type(strict).__name__} {strict!r}")
    info = hypervolume_method(m, n_samples=n_samples, seed=seed, approx_method=approx_method)
    inside = (p > ref).all(axis=1)
    if strict and not inside.all():
        bad = np.flatnonzero(~inside)
        shown = bad[:10].tolist()
        raise ValueError(
            f"points: {bad.size} of {p.shape[0]} point(s) do not dominate ref_point="
            f"{ref.tolist()} (every coordinate must be strictly greater); row indices "
            f"{shown}{' ...' if bad.size > 10 else ''}. Pass strict=False to count them as 0"
        )
    p = p[inside]
    if p.shape[0] == 0:
        return 0.0
    return backend_hypervolume(p, ref, info)


def backend_hypervolume(p: np.ndarray, ref: np.ndarray, info: dict[str, Any]) -> float:
    """The hypervolume from the backend that ``info`` names, with no checks of the input.

    What :func:`hypervolume` calls once it has validated the points and dropped those that do
    not dominate the reference point; :mod:`mdpo.benchmarks.perf.metrics` times it as the
    backend's own cost.

    Args:
        p: ``[n, m]`` float points to maximise, each strictly better than ``ref``.
        ref: ``[m]`` float reference point.
        info: :func:`hypervolume_method`'s description for m (``"exact"``: pymoo's ``HV``;
            ``"monte-carlo"``: ``moocore.hv_approx`` with its ``n_samples``, ``seed`` and
            ``approx_method``).

    Returns:
        The hypervolume as a Python float.
    """
    # pymoo and moocore minimise: negate both the points and the reference point.
    if info["method"] == "exact":
        from pymoo.indicators.hv import HV

        return float(HV(ref_point=-ref)(-p))
    import moocore

    return float(
        moocore.hv_approx(
            -p,
            ref=-ref,
            nsamples=info["n_samples"],
            seed=info["seed"],
            method=info["approx_method"],
        )
    )


def hypervolume_error(
    points: ArrayLike,
    ref_point: ArrayLike,
    *,
    n_samples: int = DEFAULT_HV_SAMPLES,
    repeats: int = DEFAULT_HV_ERROR_REPEATS,
    seed: int = 0,
) -> float:
    """The error of :func:`hypervolume`'s m >= 6 estimate, estimated; 0.0 where it is exact.

    The sample standard deviation of ``repeats`` random-direction estimates
    (``"DZ2019-MC"``, seeds ``seed`` ... ``seed + repeats - 1``) at the same ``n_samples``:
    the error of one Monte-Carlo estimate of that size. The default deterministic rule
    converges faster, so this is a conservative error bar for it: on 60 random points at
    m = 6 and 7 (six sets, exact value from pymoo) its error was 0.7e-4 to 7.8e-4 of the
    hypervolume and this estimate 1.0e-3 to 1.9e-3 every time. Costs ``repeats`` estimates
    (about 0.05-0.15 s each at m = 10 for up to 220 points on 2 CPU cores).

    Args:
        points: ``[n, m]`` points to maximise.
        ref_point: ``[m]`` reference point.
        n_samples: Sample count of the estimate whose error is wanted.
        repeats: Number of random-direction estimates (at least 2).
        seed: First seed of the random estimates.

    Returns:
        The estimated absolute error (same unit as the hypervolume); 0.0 for m <= 5 or when
        no point dominates ``ref_point``.

    Raises:
        TypeError: If an input has the wrong type.
        ValueError: If the shapes disagree, an input holds NaN/inf, or ``repeats < 2``.

    Example:
        >>> from mdpo.metrics import hypervolume_error
        >>> hypervolume_error([[1.0, 2.0]], [0.0, 0.0])  # m = 2: exact
        0.0
        >>> err = hypervolume_error([[0.5] * 6, [0.9, 0.2, 0.5, 0.5, 0.5, 0.5]], [0.0] * 6)
        >>> 0.0 < err < 1e-3
        True
    """
    repeats = check_int("repeats", repeats, minimum=2)
    seed = check_int("seed", seed, minimum=0)
    ref = check_vector(ref_point, "ref_point")
    m = ref.shape[0]
    p = check_points(points, m=m)
    hypervolume_method(m, n_samples=n_samples)  # validates n_samples
    if m <= EXACT_HV_MAX_M:
        return 0.0
    estimates = [
        hypervolume(p, ref, n_samples=n_samples, seed=seed + r, approx_method="DZ2019-MC")
        for r in range(repeats)
    ]
    return float(np.std(estimates, ddof=1))
