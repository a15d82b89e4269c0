"""Per-dimension objectives (SFT, DPO, RLHF, MODPO) returning LossOutput, and MultiObjective.

Pure losses over log-probs: :func:`dpo_loss`, :func:`sft_loss`, :func:`rlhf_loss` (RLOO
with a per-token KL), :func:`exact_rlhf_loss` (finite action sets) and :func:`modpo_loss`
(DPO with a margin from other dimensions' rewards). Objectives take raw
dataset rows and return a :class:`LossOutput` ``(losses [B, m], mask [B, m], metrics)``
whose values are −Ĵ_i and whose gradients are the estimators'. :class:`MultiObjective`
composes different kinds per dimension with stateless per-row draws. Objectives are named
in run configs through :func:`register_objective` (built in: ``dpo``, ``sft``, ``rlhf``,
``modpo``).
"""

from .base import Objective, ObjectiveInputs, check_dim_names, reference_policy
from .dpo import DPOObjective, reference_column
from .losses import dpo_loss, exact_rlhf_loss, rlhf_loss, sft_loss
from .modpo import MODPOObjective, modpo_loss, reward_column, target_dimension
from .multi import Component, MultiObjective
from .normalization import FixedScale, RunningScale, ScaleNormalizer, make_normalizer
from .output import LossOutput, value_with_gradient
from .registry import (
    ObjectiveFactory,
    ObjectiveSpec,
    available_objectives,
    make_objective,
    objective_spec,
    register_objective,
    unregister_objective,
)
from .rlhf import RLHFObjective, prompt_text
from .sft import SFTObjective

__all__ = [
    "Component",
    "DPOObjective",
    "FixedScale",
    "LossOutput",
    "MODPOObjective",
    "MultiObjective",
    "Objective",
    "ObjectiveFactory",
    "ObjectiveInputs",
    "ObjectiveSpec",
    "RLHFObjective",
    "RunningScale",
    "SFTObjective",
    "ScaleNormalizer",
    "available_objectives",
    "check_dim_names",
    "dpo_loss",
    "exact_rlhf_loss",
    "make_normalizer",
    "make_objective",
    "modpo_loss",
    "objective_spec",
    "prompt_text",
    "reference_column",
    "reference_policy",
    "register_objective",
    "reward_column",
    "rlhf_loss",
    "sft_loss",
    "target_dimension",
    "unregister_objective",
    "value_with_gradient",
]
