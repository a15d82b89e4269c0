"""Penalty-based boundary intersection (PBI)."""

from __future__ import annotations

import torch

from mdpo._numbers import check_real
from mdpo.aggregators._masked import zero_empty_rows
from mdpo.aggregators.base import AggregatorInputs
from mdpo.aggregators.direction import DEFAULT_EPS, DirectionAggregator

__all__ = ["PBI"]


class PBI(DirectionAggregator):
    r"""Penalty-based boundary intersection: distance along a direction plus a penalty off it.

    With ``d_i = 1 / max(λ_i, ε)``, its unit vector :math:`\hat d = d / \lVert d \rVert` and
    ``v = l - z``:

    .. math::

        d_1 = \langle v, \hat d \rangle, \qquad
        d_2 = \lVert v - d_1 \hat d \rVert, \qquad
        g(l; \lambda, z) = d_1 + \theta \, d_2 .

    d_2 pulls the solution onto the ray ``z + t·d`` (where ``l_i - z_i ∝ 1/λ_i``, so more
    important dimensions get lower losses); d_1 pushes along :math:`\hat d` as far as
    possible. **Importance monotonicity is only approximate:** d_1 weighs dimension i by
    :math:`\hat d_i`, which grows as λ_i shrinks, so it pulls against importance. With a
    large θ the ray term dominates and monotonicity holds at interior λ; with a small θ it
    can fail. z is the ideal point in loss space (required); masked-out dimensions are
    dropped from v and d before normalising. Reference: Zhang & Li, "MOEA/D: A
    Multiobjective Evolutionary Algorithm Based on Decomposition", IEEE TEVC, 2007.

    Args:
        theta: Penalty weight θ >= 0; default ``5.0`` (the value used by Zhang & Li).
        eps: Floor ε on λ_i, in (0, 1); default ``1e-3``.

    Raises:
        TypeError: If a parameter is not a real number.
        ValueError: If ``theta < 0`` or ``eps`` is outside (0, 1).

    Example:
        >>> import torch
        >>> from mdpo.aggregators import PBI
        >>> PBI(theta=5.0)(torch.tensor([1.0, 1.0]), [0.5, 0.5], ideal=[0.0, 0.0])
        tensor(1.4142)
    """

    def __init__(self, theta: float = 5.0, eps: float = DEFAULT_EPS) -> None:
        super().__init__(eps=eps)
        self.theta = check_real("theta", theta, low=0.0)

    def _aggregate(self, x: AggregatorInputs) -> torch.Tensor:
        v, d = self.kept_offset_and_direction(*x)
        # For λ on the simplex every d_i >= 1, so the clamp only touches rows with nothing kept.
        unit = d / torch.linalg.vector_norm(d, dim=-1, keepdim=True).clamp_min(1.0)
        d1 = (v * unit).sum(dim=-1)
        d2 = torch.linalg.vector_norm(v - d1.unsqueeze(-1) * unit, dim=-1)
        return zero_empty_rows(d1 + self.theta * d2, x.mask)
