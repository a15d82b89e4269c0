"""Aggregators: scalarise m per-dimension losses under a preference λ (mdpo.aggregators).

Every aggregator maps losses ``[..., m]`` (minimised) and a preference λ ``[m]`` or
``[..., m]`` (importance weights on the simplex) to ``[...]``, is differentiable in the
losses, and accepts ``ideal=`` (the ideal point z in loss space) and ``mask=`` (True where a
dimension has signal). :meth:`Aggregator.reduce` applies one to a batch with per-row λ.

Example:
    >>> import torch
    >>> from mdpo.aggregators import get_aggregator
    >>> agg = get_aggregator("tche")
    >>> agg(torch.tensor([[1.0, 3.0], [2.0, 2.0]]), [0.5, 0.5], ideal=[0.0, 0.0])
    tensor([1.5000, 1.0000])
"""

from mdpo.aggregators.augmented_tchebycheff import AugmentedTchebycheff
from mdpo.aggregators.base import Aggregator, AggregatorInputs, IdealLike
from mdpo.aggregators.cosmos import COSMOS
from mdpo.aggregators.direction import DEFAULT_EPS, DirectionAggregator, importance_direction
from mdpo.aggregators.linear import LinearScalarization
from mdpo.aggregators.modified_tchebycheff import ModifiedTchebycheff
from mdpo.aggregators.pbi import PBI
from mdpo.aggregators.registry import (
    available_aggregators,
    get_aggregator,
    register_aggregator,
    unregister_aggregator,
)
from mdpo.aggregators.smooth_tchebycheff import SmoothTchebycheff
from mdpo.aggregators.tchebycheff import Tchebycheff

__all__ = [
    "COSMOS",
    "DEFAULT_EPS",
    "PBI",
    "Aggregator",
    "AggregatorInputs",
    "AugmentedTchebycheff",
    "DirectionAggregator",
    "IdealLike",
    "LinearScalarization",
    "ModifiedTchebycheff",
    "SmoothTchebycheff",
    "Tchebycheff",
    "available_aggregators",
    "get_aggregator",
    "importance_direction",
    "register_aggregator",
    "unregister_aggregator",
]
