"""Which modules a Panacea adapter wraps: default targets, matching and tied weights."""

from __future__ import annotations

import re
from collections.abc import Sequence

from torch import nn

from mdpo.adapters.layer import supported_linear

__all__ = ["DEFAULT_TARGET_MODULES", "default_target_modules", "resolve_target_modules"]

_LLAMA_LIKE = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")

DEFAULT_TARGET_MODULES: dict[str, tuple[str, ...]] = {
    "llama": _LLAMA_LIKE,
    "qwen2": _LLAMA_LIKE,
    "qwen3": _LLAMA_LIKE,
    "mistral": _LLAMA_LIKE,
    "gemma": _LLAMA_LIKE,
    "gemma2": _LLAMA_LIKE,
    "phi3": ("qkv_proj", "o_proj", "gate_up_proj", "down_proj"),
    "gpt2": ("c_attn", "c_proj", "c_fc"),
}
"""Attention and MLP linears per ``config.model_type``; other models use the generic rule."""


def _embedding_weight_ids(model: nn.Module) -> set[int]:
    """Storage pointers of the input/output embedding weights and everything tied to them."""
    ptrs: set[int] = set()
    for getter in ("get_input_embeddings", "get_output_embeddings"):
        fn = getattr(model, getter, None)
        emb = fn() if callable(fn) else None
        weight = getattr(emb, "weight", None)
        if weight is not None:
            ptrs.add(weight.data_ptr())
    for mod in model.modules():
        if isinstance(mod, nn.Embedding):
            ptrs.add(mod.weight.data_ptr())
    return ptrs


def _forbidden_reason(model: nn.Module, name: str, module: nn.Module, tied: set[int]) -> str | None:
    """Why ``module`` must never be adapted, or None if it may be."""
    out_fn = getattr(model, "get_output_embeddings", None)
    out_emb = out_fn() if callable(out_fn) else None
    if module is out_emb or name.rsplit(".", 1)[-1] == "lm_head":
        return "it is the output embedding (lm_head)"
    weight = getattr(module, "weight", None)
    if weight is not None and weight.data_ptr() in tied:
        return "its weight is tied to the embeddings"
    return None


def default_target_modules(model: nn.Module) -> list[str]:
    """The module paths a Panacea adapter wraps when ``target_modules`` is None.

    For a known ``config.model_type`` (Llama, Qwen2, GPT-2, ...; see
    :data:`DEFAULT_TARGET_MODULES`) these are the attention and MLP linears. For any other
    module, every ``nn.Linear`` / ``Conv1D`` except the output embedding and anything whose
    weight is tied to an embedding.

    Args:
        model: The base model.

    Returns:
        Module paths (as in ``model.named_modules()``), in model order.
    """
    model_type = getattr(getattr(model, "config", None), "model_type", None)
    suffixes = DEFAULT_TARGET_MODULES.get(model_type) if isinstance(model_type, str) else None
    tied = _embedding_weight_ids(model)
    names = []
    for name, module in model.named_modules():
        if not name or not supported_linear(module):
            continue
        if suffixes is not None and name.rsplit(".", 1)[-1] not in suffixes:
            continue
        if _forbidden_reason(model, name, module, tied) is None:
            names.append(name)
    return names


def _matches(name: str, target: str | Sequence[str]) -> bool:
    if isinstance(target, str):
        return re.fullmatch(target, name) is not None
    return any(name == t or name.endswith("." + t) for t in target)


def resolve_target_modules(
    model: nn.Module, target_modules: str | Sequence[str] | None
) -> list[str]:
    """Resolve a config's ``target_modules`` to the module paths to wrap, refusing bad ones.

    Args:
        model: The base model.
        target_modules: None (the default targets), a list of names (suffix match on the
            module path) or a regex string (full match on the module path).

    Returns:
        The matched module paths, in model order.

    Raises:
        ValueError: If nothing matches, a match is ``lm_head`` or tied to the embeddings, or
            a match is not a linear layer Panacea can wrap.
    """
    if target_modules is None:
        names = default_target_modules(model)
        if not names:
            raise ValueError(
                "target_modules=None found no linear layer to adapt in "
                f"{type(model).__name__}; pass target_modules explicitly"
            )
        return names
    tied = _embedding_weight_ids(model)
    names = []
    for name, module in model.named_modules():
        if not name or not _matches(name, target_modules):
            continue
        reason = _forbidden_reason(model, name, module, tied)
        if reason is not None:
            raise ValueError(
                f"target_modules={target_modules!r} matches {name!r}, which Panacea never "
                f"adapts because {reason}; exclude it from target_modules"
            )
        if not supported_linear(module):
            raise ValueError(
                f"target_modules={target_modules!r} matches {name!r} of type "
                f"{type(module).__name__}; only nn.Linear and transformers Conv1D are supported"
            )
        names.append(name)
    if not names:
        leaves = sorted(
            {n.rsplit(".", 1)[-1] for n, m in model.named_modules() if supported_linear(m)}
        )
        raise ValueError(
            f"target_modules={target_modules!r} matches no module of {type(model).__name__}; "
            f"linear layer names present: {leaves}"
        )
    return names
