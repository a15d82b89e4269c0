"""Linear scalarisation (the weighted sum)."""

from __future__ import annotations

import torch

from mdpo.aggregators._masked import masked_sum
from mdpo.aggregators.base import Aggregator, AggregatorInputs

__all__ = ["LinearScalarization"]


class LinearScalarization(Aggregator):
    r"""Linear scalarisation: the λ-weighted sum of the losses.

    .. math:: g(l; \lambda) = \sum_i \lambda_i \, (l_i - z_i)

    The ideal point is optional: without one z = 0, with one the value shifts by the
    constant Σ_i λ_i z_i and the gradient is unchanged. Masked-out dimensions drop out of the
    sum. There are no constants. Linear scalarisation reaches only the convex part of a
    Pareto front (Miettinen, *Nonlinear Multiobjective Optimization*, 1999, §3.1).

    Example:
        >>> import torch
        >>> from mdpo.aggregators import LinearScalarization
        >>> LinearScalarization()(torch.tensor([1.0, 3.0]), [0.75, 0.25])
        tensor(1.5000)
    """

    requires_ideal = False

    def _aggregate(self, x: AggregatorInputs) -> torch.Tensor:
        return masked_sum(x.weighted(), x.mask)
