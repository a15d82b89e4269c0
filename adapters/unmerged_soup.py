"""Rewarded Soups without merging: the experts' updates applied per row, batched like Panacea.

A soup ``W0 + Σ_i λ_i ΔW_i`` with ``ΔW_i = s_i B_i A_i`` is a Panacea layer with no shared
singular values and the experts' factors stacked, ``U = [s_1 B_1 … s_m B_m]``,
``Vᵀ = [A_1; …; A_m]``, whose preference block ``diag(λ_1 1_r, …, λ_m 1_r)`` repeats each
weight over its expert's rank. :func:`unmerged_soup` builds exactly that
:class:`~mdpo.adapters.PanaceaModel`, so one forward pass serves a batch whose rows have
different λ (``set_preference([B, m])``), and nothing is written into the base weights.
Mathematically it equals the merged soup of :func:`~mdpo.adapters.soup` at every λ (up to
floating-point rounding: the update is added to the activations instead of the weights).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from mdpo.adapters.config import PanaceaConfig
from mdpo.adapters.model import PanaceaModel, get_panacea_model
from mdpo.adapters.soup import load_lora_expert, shared_modules

__all__ = ["unmerged_soup"]


@torch.no_grad()
def unmerged_soup(model: nn.Module, experts: Sequence[Any]) -> PanaceaModel:
    """Inject the experts into ``model`` (in place) as one per-row soup.

    Experts of different ranks are padded with zero factors to the largest rank.

    Args:
        model: The plain base model the experts adapt (not modified apart from the injected
            layers; its weights stay ``W0``).
        experts: m plain LoRA experts, one per dimension, in any form
            :func:`~mdpo.adapters.load_lora_expert` accepts.

    Returns:
        A :class:`~mdpo.adapters.PanaceaModel` with ``n_dims = m``: at λ its forward equals
        the merged soup's at λ; a ``[B, m]`` λ gives each batch row its own soup.

    Raises:
        ValueError: If there is no expert or the experts adapt different modules.

    Example:
        >>> import torch
        >>> from peft import LoraConfig, get_peft_model
        >>> from mdpo.adapters import unmerged_soup
        >>> from mdpo.testing import tiny_causal_lm
        >>> experts = []
        >>> for seed in (1, 2):
        ...     _ = torch.manual_seed(seed)
        ...     e = get_peft_model(tiny_causal_lm(), LoraConfig(r=2, target_modules=["q_proj"],
        ...                        init_lora_weights=False))
        ...     experts.append(e)
        >>> rs = unmerged_soup(tiny_causal_lm(), experts)
        >>> with rs.preference(torch.tensor([[1.0, 0.0], [0.5, 0.5]])):
        ...     logits = rs(torch.tensor([[1, 5], [1, 5]])).logits
        >>> bool((logits[0] - logits[1]).abs().max() > 0)
        True
    """
    if isinstance(experts, str | bytes) or not isinstance(experts, Sequence) or not experts:
        raise ValueError(f"experts must be a non-empty sequence of LoRA experts, got {experts!r}")
    loaded = [load_lora_expert(e) for e in experts]
    names = shared_modules(loaded)
    rank = max(e.factors[name][0].shape[0] for e in loaded for name in names)
    m = len(loaded)
    pattern = "|".join(re.escape(name) for name in names)
    # One shared column (the config needs r >= 1) kept at zero; alpha = total rank gives a
    # scaling of 1, so the experts' own scalings s_i sit in U.
    config = PanaceaConfig(
        r=1, n_dims=m, pref_rank=rank, target_modules=f"(?:{pattern})", lora_alpha=1 + m * rank
    )
    panacea = get_panacea_model(model, config)
    for name in names:
        layer = panacea.base_model.get_submodule(name)
        A = torch.zeros_like(layer.lora_A)
        B = torch.zeros_like(layer.lora_B)
        for i, e in enumerate(loaded):
            a, b = e.factors[name]
            start = 1 + i * rank
            A[start : start + a.shape[0]] = a.to(A)
            B[:, start : start + b.shape[1]] = (e.scalings[name] * b.float()).to(B)
        layer.lora_A.copy_(A)
        layer.lora_B.copy_(B)
        layer.lora_E.zero_()
        layer.lora_s.fill_(1.0)
    return panacea.eval()
