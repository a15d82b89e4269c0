"""Preference-conditioned policies: Panacea, Rewarded Soups, DPS, MOD and prompt conditioning."""

from .base import PreferenceConditionedPolicy
from .dps import DPSPolicy
from .loading import (
    POLICY_METHODS,
    PolicyLoader,
    RunManifest,
    load_policy,
    policy_layouts,
    read_run_manifest,
    register_policy_loader,
)
from .mod import MODPolicy
from .panacea import PanaceaPolicy
from .prompt_conditioned import (
    PromptConditionedPolicy,
    SoftPromptPolicy,
    TextCondition,
    append_preference,
    preference_prompt,
)
from .rewarded_soups import RSPolicy

__all__ = [
    "POLICY_METHODS",
    "DPSPolicy",
    "MODPolicy",
    "PanaceaPolicy",
    "PolicyLoader",
    "PreferenceConditionedPolicy",
    "PromptConditionedPolicy",
    "RSPolicy",
    "RunManifest",
    "SoftPromptPolicy",
    "TextCondition",
    "append_preference",
    "load_policy",
    "policy_layouts",
    "preference_prompt",
    "read_run_manifest",
    "register_policy_loader",
]
