"""Panacea SVD-LoRA adapters, soups and export (mdpo.adapters).

Panacea adapts every target linear as ``W0 + scaling · U diag(σ, s·λ) Vᵀ``: one adapter
whose last m singular values are the preference λ times a learned per-layer scale, so a
single model serves every trade-off. Rewarded Soups over plain LoRA experts
(:func:`soup`) is the usual baseline.
"""

from mdpo.adapters.config import FORMAT_VERSION, PEFT_TYPE, PEFT_TYPE_FIELD, PanaceaConfig
from mdpo.adapters.export import export_lora, lora_factors
from mdpo.adapters.holder import PreferenceHolder
from mdpo.adapters.layer import PanaceaLinear
from mdpo.adapters.model import PanaceaModel, get_panacea_model
from mdpo.adapters.serialization import (
    load_panacea_adapter,
    read_panacea_config,
    save_panacea_adapter,
)
from mdpo.adapters.soup import LoraExpert, apply_delta, load_lora_expert, soup
from mdpo.adapters.targets import (
    DEFAULT_TARGET_MODULES,
    default_target_modules,
    resolve_target_modules,
)
from mdpo.adapters.unmerged_soup import unmerged_soup

__all__ = [
    "DEFAULT_TARGET_MODULES",
    "FORMAT_VERSION",
    "PEFT_TYPE",
    "PEFT_TYPE_FIELD",
    "LoraExpert",
    "PanaceaConfig",
    "PanaceaLinear",
    "PanaceaModel",
    "PreferenceHolder",
    "apply_delta",
    "default_target_modules",
    "export_lora",
    "get_panacea_model",
    "load_lora_expert",
    "load_panacea_adapter",
    "lora_factors",
    "read_panacea_config",
    "resolve_target_modules",
    "save_panacea_adapter",
    "soup",
    "unmerged_soup",
]
