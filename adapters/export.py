"""Export a Panacea adapter at a fixed λ as a standard peft LoRA adapter."""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch

from mdpo._io import atomic_write
from mdpo.adapters._files import atomic_write_safetensors, output_directory
from mdpo.adapters.model import PanaceaModel
from mdpo.adapters.serialization import ADAPTER_CONFIG_NAME, ADAPTER_WEIGHTS_NAME, base_model_name
from mdpo.preferences import PreferenceLike

__all__ = ["export_lora", "lora_factors"]


@torch.no_grad()
def lora_factors(
    model: PanaceaModel, preference: PreferenceLike
) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Plain LoRA factors ``(A, B)`` with ``B @ A == ΔW(λ)`` for every Panacea layer.

    ``A = Vᵀ`` and ``B = scaling · U · diag(σ, s·λ)``: rank k+m, scaling 1.

    Args:
        model: A Panacea model.
        preference: A single λ ``[m]``.

    Returns:
        ``{module path: (A [k+m, in], B [out, k+m])}`` in float32.

    Raises:
        ValueError: If λ is invalid or batched.
    """
    lam = model.holder.validate(preference)
    if lam.dim() != 1:
        raise ValueError(
            f"preference must be a single λ of shape [{model.n_dims}], got {tuple(lam.shape)}"
        )
    return {
        name: (layer.lora_A.detach().clone(), layer.lora_B * layer.diagonal(lam))
        for name, layer in model.panacea_layers().items()
    }


def export_lora(
    model: PanaceaModel,
    preference: PreferenceLike,
    save_directory: str | os.PathLike[str],
    *,
    base_model_name_or_path: str | None = None,
) -> Path:
    """Write a standard peft LoRA adapter (rank k+m) that reproduces ``model`` at λ.

    σ, s·λ and the scaling are folded into ``lora_B`` and ``lora_alpha`` is set to the rank,
    so peft's scaling is 1. Any tool that serves peft LoRA adapters (peft, vLLM, TGI) can
    then serve this λ. λ must be fixed: the export is one point of the front.

    Args:
        model: A Panacea model (merged or not).
        preference: A single λ ``[m]``.
        save_directory: Output directory, created if needed.
        base_model_name_or_path: Recorded in the config; defaults to the base model's
            ``config._name_or_path`` when known.

    Returns:
        The directory.

    Raises:
        TypeError: If ``model`` is not a :class:`PanaceaModel`.
        ValueError: If λ is invalid or ``save_directory`` is an existing file.
    """
    from peft import LoraConfig

    if not isinstance(model, PanaceaModel):
        raise TypeError(f"model must be a PanaceaModel, got {type(model).__name__}")
    factors = lora_factors(model, preference)
    layers = model.panacea_layers()
    out = output_directory(save_directory)
    rank = model.panacea_config.total_rank
    can_generate = getattr(model.base_model, "can_generate", None)
    config = LoraConfig(
        r=rank,
        lora_alpha=rank,
        lora_dropout=model.panacea_config.lora_dropout,
        target_modules=list(layers),
        fan_in_fan_out=any(layer.fan_in_fan_out for layer in layers.values()),
        bias="none",
        base_model_name_or_path=base_model_name_or_path or base_model_name(model.base_model),
        task_type="CAUSAL_LM" if callable(can_generate) and can_generate() else None,
    )
    tensors = {}
    for name, (A, B) in factors.items():
        tensors[f"base_model.model.{name}.lora_A.weight"] = A
        tensors[f"base_model.model.{name}.lora_B.weight"] = B
    atomic_write_safetensors(out / ADAPTER_WEIGHTS_NAME, tensors)
    # The JSON peft's save_pretrained writes (sets as lists), written atomically.
    fields = {k: list(v) if isinstance(v, set) else v for k, v in config.to_dict().items()}
    text = json.dumps(fields, indent=2, sort_keys=True)
    atomic_write(out / ADAPTER_CONFIG_NAME, lambda fh: fh.write(text), binary=False)
    return out
