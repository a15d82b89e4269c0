"""The modified (direction-based) Tchebycheff scalarisation."""

from __future__ import annotations

import torch

from mdpo.aggregators._masked import masked_max
from mdpo.aggregators.base import AggregatorInputs
from mdpo.aggregators.direction import DEFAULT_EPS, DirectionAggregator

__all__ = ["ModifiedTchebycheff"]


class ModifiedTchebycheff(DirectionAggregator):
    r"""Modified Tchebycheff scalarisation (mTche): Tchebycheff along a direction.

    Importance becomes a direction in loss space, ``d_i = 1 / max(λ_i, ε)``, and

    .. math::

        g(l; \lambda, z) = \max_i \frac{l_i - z_i}{d_i}
                         = \max_i \max(\lambda_i, \varepsilon)\,(l_i - z_i),

    i.e. :class:`Tchebycheff` with λ floored at ε. Its minimiser lies on the ray
    ``z + t·d`` whenever that ray meets the Pareto front, which spreads solutions evenly for
    evenly spread directions. z is the ideal point in loss space (required); the max runs
    over the kept dimensions. Reference: Ma et al., "On Tchebycheff Decomposition Approaches
    for Multiobjective Evolutionary Optimization", IEEE TEVC, 2017.

    Args:
        eps: Floor ε on λ_i, in (0, 1); default ``1e-3``.

    Raises:
        TypeError: If ``eps`` is not a real number.
        ValueError: If ``eps`` is outside (0, 1).

    Example:
        >>> import torch
        >>> from mdpo.aggregators import ModifiedTchebycheff
        >>> ModifiedTchebycheff()(torch.tensor([1.0, 3.0]), [1.0, 0.0], ideal=[0.0, 0.0])
        tensor(1.)
    """

    def __init__(self, eps: float = DEFAULT_EPS) -> None:
        super().__init__(eps=eps)

    def _aggregate(self, x: AggregatorInputs) -> torch.Tensor:
        return masked_max(x.offset() / self.direction(x.preference), x.mask)
