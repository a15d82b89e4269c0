"""Preference-conditioned policies: Panacea, Rewarded Soups, DPS, MOD and prompt conditioning."""

from .base import PreferenceConditionedPolicy
from .dps import DPSPolicy
from .mod import MODPolicy
from .panacea import PanaceaPolicy
from .prompt_conditioned import PromptConditionedPolicy, append_preference, preference_prompt
from .rewarded_soups import RSPolicy

__all__ = [
    "DPSPolicy",
    "MODPolicy",
    "PanaceaPolicy",
    "PreferenceConditionedPolicy",
    "PromptConditionedPolicy",
    "RSPolicy",
    "append_preference",
    "preference_prompt",
]
