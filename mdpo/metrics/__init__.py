"""Pareto-front metrics on points in maximisation space (hypervolume, IGD+, spread, ...).

Every function takes points as ``[n, m]`` torch tensors, numpy arrays or nested lists of
objective values to **maximise** (the conventions page of the docs), converts them to numpy at this
boundary, and
returns Python floats (or numpy arrays per dimension or per point). Conversion for pymoo and
moocore, which minimise, happens inside. Fronts are compared by one protocol (the conventions page
of the docs):
:func:`normalize_fronts`, then :func:`front_metrics` on the normalised points.
"""

from .controllability import controllability
from .distance import gd, gd_plus, igd, igd_plus
from .dominance import non_dominated
from .hypervolume import (
    DEFAULT_HV_APPROX_METHOD,
    DEFAULT_HV_SAMPLES,
    EXACT_HV_MAX_M,
    hypervolume,
    hypervolume_error,
    hypervolume_method,
)
from .inner_product import inner_product
from .normalization import REF_MARGIN, NormalizedFronts, normalize_fronts
from .spacing import nearest_neighbour_distances, spacing
from .sparsity import sparsity
from .spread import extreme_points, spread
from .summary import front_metrics
from .vertex_control import VertexControl, vertex_controllability

__all__ = [
    "DEFAULT_HV_APPROX_METHOD",
    "DEFAULT_HV_SAMPLES",
    "EXACT_HV_MAX_M",
    "REF_MARGIN",
    "NormalizedFronts",
    "VertexControl",
    "controllability",
    "extreme_points",
    "front_metrics",
    "gd",
    "gd_plus",
    "hypervolume",
    "hypervolume_error",
    "hypervolume_method",
    "igd",
    "igd_plus",
    "inner_product",
    "nearest_neighbour_distances",
    "non_dominated",
    "normalize_fronts",
    "spacing",
    "sparsity",
    "spread",
    "vertex_controllability",
]
