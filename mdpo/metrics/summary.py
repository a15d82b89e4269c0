"""The headline metric set of a front, computed the same way for every report."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._validation import ArrayLike, check_points, check_vector
from .controllability import controllability
from .distance import igd, igd_plus
from .dominance import non_dominated
from .hypervolume import DEFAULT_HV_APPROX_METHOD, DEFAULT_HV_SAMPLES, hypervolume
from .inner_product import inner_product
from .normalization import REF_MARGIN
from .spacing import spacing
from .sparsity import sparsity
from .spread import spread

__all__ = ["front_metrics"]


def front_metrics(
    points: ArrayLike,
    preferences: ArrayLike | None = None,
    *,
    true_front: ArrayLike | None = None,
    ref_point: ArrayLike | None = None,
    names: Sequence[str] | None = None,
    n_samples: int = DEFAULT_HV_SAMPLES,
    seed: int = 0,
    approx_method: str = DEFAULT_HV_APPROX_METHOD,
) -> dict[str, float]:
    """Headline metrics of one front, on points already normalised by the §4 protocol.

    Normalise first with :func:`mdpo.metrics.normalize_fronts` (the default ``ref_point`` is
    that protocol's -0.1 in every coordinate). The keys are:

    - ``n_points``, ``n_nondominated``;
    - ``hypervolume`` (of all points; :func:`mdpo.metrics.hypervolume`);
    - ``spacing`` (L1, Schott/pymoo), ``spread`` (Deb / Zhou, extremes of ``true_front``
      when given; nan for m = 1) and ``sparsity`` (PGMORL), all three on the non-dominated
      points only;
    - with ``true_front``: ``true_hypervolume``, ``hv_ratio`` (hypervolume / the true
      front's, nan if that is 0), ``igd_plus`` and ``igd`` against it;
    - with ``preferences`` (row-matched to ``points``): ``inner_product`` (mean),
      ``controllability`` (nan-mean of the per-dimension Spearman ρ, nan if all are nan) and
      ``controllability/<name>`` per dimension.

    Undefined values (e.g. spacing of a single point) are ``nan``, never a made-up 0.

    Args:
        points: ``[n, m]`` normalised points (maximisation), ``n >= 1``.
        preferences: ``[n, m]`` preferences that produced the points, or None.
        true_front: ``[k, m]`` normalised true front, or None.
        ref_point: ``[m]`` hypervolume reference point; default ``-0.1`` everywhere.
        names: ``m`` dimension names for the per-dimension keys; default ``"0"``, ``"1"``, ...
        n_samples: Hypervolume sample count for m >= 6.
        seed: Hypervolume seed for m >= 6.
        approx_method: Hypervolume approximation method for m >= 6.

    Returns:
        Metric name -> Python float.

    Raises:
        TypeError: If an input has the wrong type.
        ValueError: If an input is malformed or the shapes disagree.

    Example:
        >>> from mdpo.metrics import front_metrics
        >>> out = front_metrics([[0, 1], [0.5, 0.5], [1, 0]], true_front=[[0, 1], [1, 0]])
        >>> round(out["hypervolume"], 4), out["igd_plus"], out["spread"]
        (0.46, 0.0, 0.0)
    """
    p = check_points(points, min_points=1)
    n, m = p.shape
    ref = np.full(m, -REF_MARGIN) if ref_point is None else check_vector(ref_point, "ref_point", m)
    if names is None:
        names = [str(i) for i in range(m)]
    elif isinstance(names, str) or len(names) != m or not all(isinstance(s, str) for s in names):
        raise ValueError(
            f"names must be a sequence of {m} strings (one per objective), got {names!r}"
        )
    truth = None
    if true_front is not None:
        truth = check_points(true_front, "true_front", m=m, min_points=1)
    hv_kwargs = {"n_samples": n_samples, "seed": seed, "approx_method": approx_method}
    front = p[non_dominated(p)]
    out: dict[str, float] = {
        "n_points": float(n),
        "n_nondominated": float(front.shape[0]),
        "hypervolume": hypervolume(p, ref, **hv_kwargs),
        "spacing": spacing(front),
        "spread": spread(front, reference_front=truth) if m >= 2 else float("nan"),
        "sparsity": sparsity(front, nondominated_only=False),
    }
    if truth is not None:
        true_hv = hypervolume(truth, ref, **hv_kwargs)
        out["true_hypervolume"] = true_hv
        out["hv_ratio"] = out["hypervolume"] / true_hv if true_hv > 0 else float("nan")
        out["igd_plus"] = igd_plus(p, truth)
        out["igd"] = igd(p, truth)
    if preferences is not None:
        out["inner_product"] = float(inner_product(p, preferences))
        rho = controllability(p, preferences)
        out["controllability"] = float(np.nanmean(rho)) if np.isfinite(rho).any() else float("nan")
        out.update({f"controllability/{name}": float(r) for name, r in zip(names, rho)})
    return out
