"""The weighted Tchebycheff scalarisation."""

from __future__ import annotations

import torch

from mdpo.aggregators._masked import masked_max
from mdpo.aggregators.base import Aggregator, AggregatorInputs

__all__ = ["Tchebycheff"]


class Tchebycheff(Aggregator):
    r"""Weighted Tchebycheff scalarisation: the largest weighted distance to the ideal point.

    .. math:: g(l; \lambda, z) = \max_i \; \lambda_i \, (l_i - z_i)

    z is the ideal point in loss space (required). Every Pareto-optimal point, on convex and
    concave parts of the front alike, minimises g for some λ (Miettinen 1999, §3.4). The max
    runs over the kept dimensions only. There are no constants. The gradient flows to the
    arg-max dimension only; see :class:`SmoothTchebycheff` and
    :class:`AugmentedTchebycheff` for smoother variants.

    Example:
        >>> import torch
        >>> from mdpo.aggregators import Tchebycheff
        >>> Tchebycheff()(torch.tensor([1.0, 3.0]), [0.75, 0.25], ideal=[0.0, 0.0])
        tensor(0.7500)
    """

    def _aggregate(self, x: AggregatorInputs) -> torch.Tensor:
        return masked_max(x.weighted(), x.mask)
