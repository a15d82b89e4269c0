"""The front-comparison protocol of the conventions page: one normalisation and one reference point.

Every report normalises the fronts it compares with :func:`normalize_fronts`, then computes
metrics on the normalised points (:func:`mdpo.metrics.front_metrics`), and writes
:meth:`NormalizedFronts.to_dict` into its ``results.json`` so the numbers can be re-derived.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from mdpo._numbers import check_real

from ._validation import ArrayLike, check_points

__all__ = ["REF_MARGIN", "NormalizedFronts", "normalize_fronts"]

REF_MARGIN = 0.1
"""The reference point sits this fraction of the range below the nadir (normalised: -0.1)."""


@dataclass(frozen=True)
class NormalizedFronts:
    """Fronts min–max normalised to a shared scale, plus everything needed to reproduce it.

    In normalised coordinates (maximisation) the nadir maps to 0 and the ideal to 1 in every
    objective, and the reference point is ``-margin`` everywhere.

    Attributes:
        fronts: Name -> normalised ``[n_k, m]`` float64 array, in the input order.
        true_front: The normalised ``[k, m]`` true front, or None.
        ideal: ``[m]`` raw ideal point (best value per objective) used for the scaling.
        nadir: ``[m]`` raw nadir point (worst value per objective) used for the scaling.
        method: ``"true_front"`` (ideal/nadir of the known front) or ``"union"`` (of all
            compared points).
        margin: Reference-point margin as a fraction of the range.
        degenerate: Objectives whose range was 0; they are shifted by the nadir but not
            scaled (a scale of 1 is used instead of dividing by 0).
    """

    fronts: dict[str, np.ndarray]
    true_front: np.ndarray | None
    ideal: np.ndarray
    nadir: np.ndarray
    method: str
    margin: float = REF_MARGIN
    degenerate: tuple[int, ...] = ()

    @property
    def scale(self) -> np.ndarray:
        """``[m]`` divisor per objective: ``ideal - nadir``, or 1 for a degenerate objective."""
        return _scale(self.ideal, self.nadir)

    @property
    def ref_point(self) -> np.ndarray:
        """``[m]`` reference point in normalised coordinates: ``-margin`` everywhere."""
        return np.full(self.ideal.shape, -self.margin)

    @property
    def raw_ref_point(self) -> np.ndarray:
        """``[m]`` reference point in raw coordinates: ``nadir - margin * scale``."""
        return self.nadir - self.margin * self.scale

    def normalize(self, points: ArrayLike) -> np.ndarray:
        """Map raw points to the normalised coordinates of this protocol.

        Args:
            points: ``[n, m]`` raw points (maximisation).

        Returns:
            A float64 numpy array ``[n, m]``: ``(points - nadir) / scale``.

        Raises:
            TypeError: If ``points`` is not numeric.
            ValueError: If ``points`` is malformed or has the wrong m.
        """
        p = check_points(points, m=self.ideal.shape[0])
        return (p - self.nadir) / self.scale

    def to_dict(self) -> dict[str, Any]:
        """The protocol as JSON-ready Python types (for ``results.json``).

        Returns:
            ``{"method", "ideal", "nadir", "scale", "ref_point", "raw_ref_point", "margin",
            "degenerate"}`` with lists of floats for the vectors.
        """
        return {
            "method": self.method,
            "ideal": self.ideal.tolist(),
            "nadir": self.nadir.tolist(),
            "scale": self.scale.tolist(),
            "ref_point": self.ref_point.tolist(),
            "raw_ref_point": self.raw_ref_point.tolist(),
            "margin": self.margin,
            "degenerate": list(self.degenerate),
        }


def normalize_fronts(
    fronts: Mapping[str, ArrayLike],
    *,
    true_front: ArrayLike | None = None,
    margin: float = REF_MARGIN,
) -> NormalizedFronts:
    """Normalise the compared fronts by the comparison protocol of the conventions page.

    - With a known ``true_front``: min–max by its ideal (per-objective maximum) and nadir
      (per-objective minimum). Points beyond the true front then lie above 1 or below 0.
    - Otherwise: min–max per objective over the union of all compared points.

    Either way the reference point for the hypervolume is ``-margin`` (default -0.1) in every
    normalised coordinate, i.e. the nadir minus 10 % of the range. An objective with zero
    range is not scaled (divisor 1, listed in ``degenerate``), so nothing divides by 0.

    Args:
        fronts: Method name -> ``[n_k, m]`` raw points (maximisation). Empty fronts are
            allowed, but at least one point overall (or a true front) is needed.
        true_front: ``[k, m]`` known Pareto front, raw, or None.
        margin: Reference-point margin as a fraction of the range, ``>= 0``.

    Returns:
        A :class:`NormalizedFronts`.

    Raises:
        TypeError: If ``fronts`` is not a mapping with string keys or a front is not numeric.
        ValueError: If the m's differ, an input holds NaN/inf, there are no points to take
            the range from, or ``margin`` is negative.

    Example:
        >>> from mdpo.metrics import normalize_fronts
        >>> nf = normalize_fronts({"a": [[0, 10], [2, 30]], "b": [[4, 20]]})
        >>> nf.method, nf.ideal.tolist(), nf.nadir.tolist()
        ('union', [4.0, 30.0], [0.0, 10.0])
        >>> nf.fronts["b"].tolist(), nf.ref_point.tolist()
        ([[1.0, 0.5]], [-0.1, -0.1])
    """
    if not isinstance(fronts, Mapping):
        raise TypeError(
            f"fronts must be a mapping from method name to [n, m] points, "
            f"got {type(fronts).__name__}"
        )
    margin = check_real("margin", margin, low=0.0, noun="float")
    truth = None if true_front is None else check_points(true_front, "true_front", min_points=1)
    m = None if truth is None else truth.shape[1]
    raw: dict[str, np.ndarray] = {}
    for name, pts in fronts.items():
        if not isinstance(name, str):
            raise TypeError(f"fronts keys must be method names (str), got {name!r}")
        raw[name] = check_points(pts, f"fronts[{name!r}]", m=m)
        m = raw[name].shape[1]
    if truth is not None:
        basis, method = truth, "true_front"
    else:
        stacked = [a for a in raw.values() if a.shape[0] > 0]
        if not stacked:
            raise ValueError(
                "fronts must hold at least one point in total to take the union's range "
                "(or pass true_front), got only empty fronts"
            )
        basis, method = np.concatenate(stacked), "union"
    ideal, nadir = basis.max(axis=0), basis.min(axis=0)
    scale = _scale(ideal, nadir)
    return NormalizedFronts(
        fronts={name: (a - nadir) / scale for name, a in raw.items()},
        true_front=None if truth is None else (truth - nadir) / scale,
        ideal=ideal,
        nadir=nadir,
        method=method,
        margin=float(margin),
        degenerate=tuple(int(i) for i in np.flatnonzero(ideal - nadir <= 0)),
    )


def _scale(ideal: np.ndarray, nadir: np.ndarray) -> np.ndarray:
    """``[m]`` divisor per objective: the range, or 1 where the range is 0."""
    rng = ideal - nadir
    return np.where(rng > 0, rng, 1.0)
