"""Adapter-only checkpoints: adapter weights plus the trainer's own MDPO state."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from mdpo._io import atomic_write

__all__ = [
    "ADAPTER_WEIGHTS_FILE",
    "MDPO_STATE_FILE",
    "adapter_kind",
    "load_adapter_weights",
    "load_mdpo_state",
    "save_adapter",
    "save_mdpo_state",
]

ADAPTER_WEIGHTS_FILE = "adapter_model.safetensors"
"""The adapter weights file both Panacea's and peft's ``save_pretrained`` write."""

MDPO_STATE_FILE = "mdpo_state.pt"
"""The trainer's MDPO state in a checkpoint: ideal point and objective statistics."""


def adapter_kind(model: nn.Module) -> str | None:
    """Which adapter a model carries.

    Args:
        model: A model, possibly wrapped.

    Returns:
        ``"panacea"`` for a :class:`mdpo.adapters.PanaceaModel`, ``"peft"`` for a
        ``peft.PeftModel``, else None.
    """
    from mdpo.adapters.model import PanaceaModel

    if isinstance(model, PanaceaModel):
        return "panacea"
    try:
        from peft import PeftModel
    except ImportError:  # pragma: no cover - peft is a dependency
        return None
    return "peft" if isinstance(model, PeftModel) else None


def save_adapter(model: nn.Module, output_dir: str | os.PathLike[str]) -> None:
    """Write the adapter (config and weights only) with the model's own ``save_pretrained``.

    Args:
        model: A Panacea or peft model.
        output_dir: Target directory (created if needed).

    Raises:
        TypeError: If the model carries neither adapter.
    """
    kind = adapter_kind(model)
    if kind is None:
        raise TypeError(_NOT_ADAPTER.format(name=type(model).__name__))
    os.makedirs(output_dir, exist_ok=True)
    model.save_pretrained(os.fspath(output_dir))


def load_adapter_weights(model: nn.Module, checkpoint_dir: str | os.PathLike[str]) -> None:
    """Load the adapter weights saved by :func:`save_adapter` into ``model``, strictly.

    Args:
        model: The same kind of model that was saved (Panacea or peft).
        checkpoint_dir: A directory holding ``adapter_model.safetensors``.

    Raises:
        FileNotFoundError: If the weights file is missing.
        TypeError: If the model carries neither adapter.
        KeyError: If the stored keys do not fit the model.
        ValueError: If the weights file is corrupt or holds NaN or infinite values.
    """
    from mdpo.adapters._files import read_safetensors

    kind = adapter_kind(model)
    if kind is None:
        raise TypeError(_NOT_ADAPTER.format(name=type(model).__name__))
    path = Path(checkpoint_dir) / ADAPTER_WEIGHTS_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"no adapter weights in checkpoint {os.fspath(checkpoint_dir)!r}: expected {path.name}"
        )
    weights = read_safetensors(path, f"checkpoint {os.fspath(checkpoint_dir)!r}")
    if kind == "panacea":
        model.load_adapter_state_dict(weights)
        return
    from peft import set_peft_model_state_dict

    result = set_peft_model_state_dict(model, weights)
    unexpected = list(getattr(result, "unexpected_keys", []) or [])
    if unexpected:
        raise KeyError(f"peft adapter checkpoint has unexpected keys {unexpected[:5]}")


def save_mdpo_state(output_dir: str | os.PathLike[str], state: Mapping[str, Any]) -> None:
    """Atomically write the trainer's MDPO state (tensors, numbers, strings, nested dicts).

    Args:
        output_dir: The checkpoint directory.
        state: For example ``{"ideal": {...}, "objective": {...}}``.
    """
    payload = dict(state)
    atomic_write(
        Path(output_dir) / MDPO_STATE_FILE, lambda fh: torch.save(payload, fh), binary=True
    )


def load_mdpo_state(checkpoint_dir: str | os.PathLike[str]) -> dict[str, Any] | None:
    """Read :func:`save_mdpo_state`'s file with ``torch.load(weights_only=True)``.

    Args:
        checkpoint_dir: The checkpoint directory.

    Returns:
        The stored dict, or None if the checkpoint has no MDPO state.
    """
    path = Path(checkpoint_dir) / MDPO_STATE_FILE
    if not path.is_file():
        return None
    return torch.load(os.fspath(path), weights_only=True, map_location="cpu")


_NOT_ADAPTER = (
    "MDPOTrainer trains adapters only and checkpoints adapter weights only; the model must be "
    "a mdpo.adapters.PanaceaModel (get_panacea_model) or a peft.PeftModel (get_peft_model), "
    "got {name}"
)
