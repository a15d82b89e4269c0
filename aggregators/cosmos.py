"""COSMOS: linear scalarisation plus a cosine alignment penalty."""

from __future__ import annotations

import torch

from mdpo._numbers import check_real
from mdpo.aggregators._masked import masked_sum, zero_empty_rows
from mdpo.aggregators.base import AggregatorInputs
from mdpo.aggregators.direction import DEFAULT_EPS, DirectionAggregator

__all__ = ["COSMOS"]

_NORM_EPS = 1e-8


class COSMOS(DirectionAggregator):
    r"""COSMOS: a weighted sum plus a penalty that aligns the loss vector with a direction.

    With ``v = l - z`` and the direction ``d_i = 1 / max(λ_i, ε)``:

    .. math::

        g(l; \lambda, z) = \sum_i \lambda_i v_i + \mu \left(1 - \cos(v, d)\right), \qquad
        \cos(v, d) = \frac{\langle v, d \rangle}{\max(\lVert v \rVert, 10^{-8}) \,
                                                 \max(\lVert d \rVert, 10^{-8})} .

    Reference: Ruchte & Grabocka, "Scalable Pareto Front Approximation for Deep
    Multi-Objective Learning" (COSMOS), ICDM 2021, which minimises
    ``Σ_i r_i L_i − μ cos(r, L)`` for a preference ray r. mdpo departs from it in two
    documented ways: the penalty is written ``μ(1 − cos)``, which has the same minimisers
    and is non-negative; and the cosine uses the direction d rather than λ itself, so that
    both terms read λ as importance (a larger λ_i pulls l_i *down*, see the conventions page of the
    docs). The losses
    are measured from the ideal point z (required), which makes the cosine invariant to a
    constant offset in the losses. Masked-out dimensions drop out of the sum, the dot
    product and both norms. The gradient of the cosine grows like 1/‖v‖ near v = 0, so z
    should be a strict lower bound.

    Args:
        mu: Weight μ >= 0 of the cosine penalty; default ``1.0`` (the paper tunes it per
            task; μ = 0 is linear scalarisation measured from z).
        eps: Floor ε on λ_i, in (0, 1); default ``1e-3``.

    Raises:
        TypeError: If a parameter is not a real number.
        ValueError: If ``mu < 0`` or ``eps`` is outside (0, 1).

    Example:
        >>> import torch
        >>> from mdpo.aggregators import COSMOS
        >>> COSMOS(mu=1.0)(torch.tensor([1.0, 1.0]), [0.5, 0.5], ideal=[0.0, 0.0])
        tensor(1.)
    """

    def __init__(self, mu: float = 1.0, eps: float = DEFAULT_EPS) -> None:
        super().__init__(eps=eps)
        self.mu = check_real("mu", mu, low=0.0)

    def _aggregate(self, x: AggregatorInputs) -> torch.Tensor:
        v, d = self.kept_offset_and_direction(*x)
        linear = masked_sum(x.preference * v, x.mask)
        cos = torch.nn.functional.cosine_similarity(v, d, dim=-1, eps=_NORM_EPS)
        return zero_empty_rows(linear + self.mu * (1.0 - cos), x.mask)
