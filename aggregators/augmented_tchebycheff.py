"""The augmented Tchebycheff scalarisation."""

from __future__ import annotations

import torch

from mdpo._numbers import check_real
from mdpo.aggregators._masked import masked_max, masked_sum
from mdpo.aggregators.base import Aggregator, AggregatorInputs

__all__ = ["AugmentedTchebycheff"]


class AugmentedTchebycheff(Aggregator):
    r"""Augmented Tchebycheff scalarisation: Tchebycheff plus a small weighted sum.

    .. math:: g(l; \lambda, z) = \max_i \lambda_i (l_i - z_i) + \rho \sum_i \lambda_i (l_i - z_i)

    The augmentation removes weakly Pareto-optimal minimisers and gives the non-maximal
    dimensions a gradient. z is the ideal point in loss space (required); max and sum run over
    the kept dimensions. Reference: Miettinen, *Nonlinear Multiobjective Optimization*, 1999,
    §3.4 (augmented weighted Tchebycheff problem).

    Args:
        rho: Augmentation weight ρ >= 0 (ρ = 0 is plain Tchebycheff); default ``0.1``.
            Miettinen only asks for a small positive ρ; 0.1 keeps a useful gradient on the
            non-maximal dimensions during training.

    Raises:
        TypeError: If ``rho`` is not a real number.
        ValueError: If ``rho < 0``.

    Example:
        >>> import torch
        >>> from mdpo.aggregators import AugmentedTchebycheff
        >>> agg = AugmentedTchebycheff(rho=0.1)
        >>> agg(torch.tensor([1.0, 3.0]), [0.75, 0.25], ideal=[0.0, 0.0])
        tensor(0.9000)
    """

    def __init__(self, rho: float = 0.1) -> None:
        self.rho = check_real("rho", rho, low=0.0)

    def _aggregate(self, x: AggregatorInputs) -> torch.Tensor:
        weighted = x.weighted()
        return masked_max(weighted, x.mask) + self.rho * masked_sum(weighted, x.mask)
