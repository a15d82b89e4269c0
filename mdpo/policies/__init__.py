"""Preference-conditioned policies: Panacea, Rewarded Soups, DPS, MOD and prompt conditioning."""

from .base import PreferenceConditionedPolicy
from .dps import DPSPolicy
from .loading import POLICY_METHODS, RunManifest, load_policy, read_run_manifest
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
    "PreferenceConditionedPolicy",
    "PromptConditionedPolicy",
    "RSPolicy",
    "RunManifest",
    "SoftPromptPolicy",
    "TextCondition",
    "append_preference",
    "load_policy",
    "preference_prompt",
    "read_run_manifest",
]
