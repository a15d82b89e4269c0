"""Find parameters that share storage (SmolLM2's ``lm_head`` is tied to the embeddings).

A tied output projection must never be adapted or merged into: a delta written into
``lm_head.weight`` would silently change the input embeddings too. Adapters use
:func:`tied_module_names` to exclude such modules.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

__all__ = ["tied_module_names", "tied_parameter_names"]


def tied_parameter_names(model: Any) -> set[str]:
    """Names of all parameters that share their storage with another parameter.

    Args:
        model: A ``torch.nn.Module``.

    Returns:
        The set of qualified parameter names (e.g. ``{"lm_head.weight",
        "model.embed_tokens.weight"}`` for SmolLM2); empty if nothing is tied.

    Example:
        >>> from mdpo.models import tied_parameter_names
        >>> from mdpo.testing import tiny_causal_lm
        >>> sorted(tied_parameter_names(tiny_causal_lm("llama")))
        ['lm_head.weight', 'model.embed_tokens.weight']
        >>> tied_parameter_names(tiny_causal_lm("llama", tie_word_embeddings=False))
        set()
    """
    groups: dict[tuple[Any, int], list[str]] = defaultdict(list)
    for name, param in model.named_parameters(remove_duplicate=False):
        if param.numel() == 0:
            continue
        key = (param.device, param.untyped_storage().data_ptr())
        groups[key].append(name)
    return {name for names in groups.values() if len(names) > 1 for name in names}


def tied_module_names(model: Any) -> set[str]:
    """Names of the modules that own a tied parameter, e.g. ``{"lm_head", "model.embed_tokens"}``.

    Args:
        model: A ``torch.nn.Module``.

    Returns:
        The set of qualified module names (the parameter names without their last part).

    Example:
        >>> from mdpo.models import tied_module_names
        >>> from mdpo.testing import tiny_causal_lm
        >>> sorted(tied_module_names(tiny_causal_lm("qwen2")))
        ['lm_head', 'model.embed_tokens']
    """
    return {name.rpartition(".")[0] for name in tied_parameter_names(model)}
