"""Importance → direction in loss space, shared by mTche, PBI and COSMOS."""

from __future__ import annotations

import torch

from mdpo._numbers import check_real
from mdpo.aggregators._masked import zero_masked
from mdpo.aggregators.base import Aggregator

__all__ = ["DEFAULT_EPS", "DirectionAggregator", "importance_direction"]

DEFAULT_EPS = 1e-3
"""Default floor ε on λ_i before inversion: a dimension with λ_i = 0 gets d_i = 1000."""


def importance_direction(preference: torch.Tensor, eps: float = DEFAULT_EPS) -> torch.Tensor:
    r"""Turn importance weights into an (unnormalised) direction in loss space.

    .. math:: d_i = \frac{1}{\max(\lambda_i, \varepsilon)}

    A more important dimension gets a shorter component, so a solution on the ray
    ``z + t·d`` is better (lower loss) along it. The floor ε keeps d finite at λ_i = 0.

    Args:
        preference: λ, ``[..., m]``, non-negative.
        eps: Floor ε in (0, 1).

    Returns:
        d, ``[..., m]``, with entries in ``[1, 1/ε]`` for λ on the simplex.

    Example:
        >>> import torch
        >>> from mdpo.aggregators import importance_direction
        >>> importance_direction(torch.tensor([0.75, 0.25, 0.0]), eps=0.01)
        tensor([  1.3333,   4.0000, 100.0000])
    """
    return 1.0 / preference.clamp_min(eps)


class DirectionAggregator(Aggregator):
    """Base class of the aggregators that read λ as a direction ``d = 1/max(λ, ε)``.

    Args:
        eps: Floor ε on λ_i before inversion, in (0, 1); default ``1e-3``.

    Raises:
        TypeError: If ``eps`` is not a real number.
        ValueError: If ``eps`` is outside (0, 1).
    """

    def __init__(self, eps: float = DEFAULT_EPS) -> None:
        self.eps = check_real("eps", eps, low=0.0, high=1.0, low_open=True, high_open=True)

    def direction(self, preference: torch.Tensor) -> torch.Tensor:
        """The direction ``d[..., m]`` for λ ``[..., m]`` (see :func:`importance_direction`)."""
        return importance_direction(preference, self.eps)

    def kept_offset_and_direction(
        self,
        losses: torch.Tensor,
        preference: torch.Tensor,
        ideal: torch.Tensor,
        mask: torch.Tensor | None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The offset ``v = l - z`` and the direction d, both ``[..., m]``, restricted to the mask.

        Masked-out entries of both are set to 0, so that they drop out of dot products and
        norms: the geometry then lives in the subspace of the kept dimensions.

        Args:
            losses: ``[..., m]``.
            preference: ``[..., m]``.
            ideal: ``[..., m]``.
            mask: Bool ``[..., m]`` or None.

        Returns:
            ``(v, d)``, each ``[..., m]``.
        """
        return zero_masked(losses - ideal, mask), zero_masked(self.direction(preference), mask)
