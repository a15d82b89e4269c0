"""Saving and loading Panacea adapters (``adapter_config.json`` + safetensors weights)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from torch import nn

from mdpo._version import __version__
from mdpo.adapters._files import (
    atomic_write_json,
    atomic_write_safetensors,
    output_directory,
    read_json,
    read_safetensors,
)
from mdpo.adapters.config import FORMAT_VERSION, PEFT_TYPE, PEFT_TYPE_FIELD, PanaceaConfig
from mdpo.adapters.model import PanaceaModel

__all__ = [
    "ADAPTER_CONFIG_NAME",
    "ADAPTER_WEIGHTS_NAME",
    "load_panacea_adapter",
    "save_panacea_adapter",
]

ADAPTER_CONFIG_NAME = "adapter_config.json"
ADAPTER_WEIGHTS_NAME = "adapter_model.safetensors"


def save_panacea_adapter(model: PanaceaModel, save_directory: str | os.PathLike[str]) -> Path:
    """Save a Panacea adapter: its config and its weights only (never λ, never the base).

    ``adapter_config.json`` holds ``peft_type`` (:data:`~mdpo.adapters.config.PEFT_TYPE_FIELD`:
    "PANACEA" and what to load it with, which plain peft shows), ``format_version``,
    ``mdpo_version``, ``base_model_name_or_path`` (when known) and the config fields.
    ``adapter_model.safetensors`` holds :meth:`PanaceaModel.adapter_state_dict`. Both files
    are written atomically.

    Args:
        model: The model to save.
        save_directory: Output directory, created if needed.

    Returns:
        The directory.

    Raises:
        TypeError: If ``model`` is not a :class:`PanaceaModel`.
        ValueError: If ``save_directory`` is an existing file.
    """
    if not isinstance(model, PanaceaModel):
        raise TypeError(f"model must be a PanaceaModel, got {type(model).__name__}")
    out = output_directory(save_directory)
    meta: dict[str, Any] = {
        "peft_type": PEFT_TYPE_FIELD,
        "format_version": FORMAT_VERSION,
        "mdpo_version": __version__,
        "base_model_name_or_path": base_model_name(model.base_model),
        **model.panacea_config.to_dict(),
    }
    atomic_write_safetensors(out / ADAPTER_WEIGHTS_NAME, model.adapter_state_dict())
    atomic_write_json(out / ADAPTER_CONFIG_NAME, meta)
    return out


def base_model_name(model: nn.Module) -> str | None:
    """The hub name or path a transformers model was loaded from, or None if unknown.

    Args:
        model: A model.

    Returns:
        ``config._name_or_path`` when it is a non-empty string, else None.
    """
    name = getattr(getattr(model, "config", None), "_name_or_path", None)
    return name if isinstance(name, str) and name else None


def read_panacea_config(adapter_dir: str | os.PathLike[str]) -> PanaceaConfig:
    """Read and check the config of a saved Panacea adapter.

    Args:
        adapter_dir: A directory written by :func:`save_panacea_adapter`.

    Returns:
        The adapter's config.

    Raises:
        ValueError: If the directory is missing, is not a Panacea adapter (e.g. a peft LoRA)
            or was written by a newer, unknown format version.
    """
    path = Path(adapter_dir)
    if not path.is_dir():
        raise ValueError(f"adapter_dir {str(path)!r} is not a directory")
    data = read_json(path / ADAPTER_CONFIG_NAME, f"adapter_dir {str(path)!r} is not an adapter")
    peft_type = data.get("peft_type")
    if peft_type not in (PEFT_TYPE, PEFT_TYPE_FIELD):
        hint = (
            " It is a plain peft adapter: load it with peft.PeftModel.from_pretrained, or use it "
            "as a Rewarded Soups expert with mdpo.adapters.soup."
            if isinstance(peft_type, str)
            else ""
        )
        raise ValueError(
            f"adapter_dir {str(path)!r} is not a Panacea adapter: its peft_type is "
            f"{peft_type!r}, expected {PEFT_TYPE!r}.{hint}"
        )
    version = data.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(
            f"adapter_dir {str(path)!r} has an invalid format_version {version!r} "
            "(expected a positive int)"
        )
    if version > FORMAT_VERSION:
        raise ValueError(
            f"adapter_dir {str(path)!r} uses format_version {version}, newer than the "
            f"{FORMAT_VERSION} this mdpo ({__version__}) reads; upgrade mdpo "
            f"(it was written by mdpo {data.get('mdpo_version')!r})"
        )
    return PanaceaConfig.from_dict(data)


def load_panacea_adapter(
    base_model: nn.Module,
    adapter_dir: str | os.PathLike[str],
    *,
    is_trainable: bool = False,
    n_dims: int | None = None,
) -> PanaceaModel:
    """Inject a saved Panacea adapter into ``base_model`` and load its weights exactly.

    Args:
        base_model: The model the adapter was trained on; modified in place.
        adapter_dir: A directory written by :func:`save_panacea_adapter`.
        is_trainable: If False (default), adapter parameters are frozen and the model is put
            in eval mode; if True they stay trainable.
        n_dims: The number m of dimensions the caller expects; checked when given.

    Returns:
        The restored :class:`PanaceaModel`.

    Raises:
        ValueError: If the directory is not a Panacea adapter, ``n_dims`` differs, or the
            weights file is missing or its keys or shapes do not fit the model.
    """
    config = read_panacea_config(adapter_dir)
    if n_dims is not None and n_dims != config.n_dims:
        raise ValueError(
            f"the adapter in {str(adapter_dir)!r} has n_dims={config.n_dims} preference "
            f"dimensions, but n_dims={n_dims} was expected"
        )
    weights = Path(adapter_dir) / ADAPTER_WEIGHTS_NAME
    if not weights.is_file():
        raise ValueError(f"adapter_dir {str(adapter_dir)!r} has no {ADAPTER_WEIGHTS_NAME}")
    state = read_safetensors(weights, f"adapter_dir {str(adapter_dir)!r}")
    model = PanaceaModel(base_model, config)
    try:
        model.load_adapter_state_dict(state)
    except (KeyError, ValueError) as err:
        # Leave the caller's base model as it was: remove the freshly injected layers.
        model.unload()
        raise ValueError(
            f"the adapter in {str(adapter_dir)!r} does not fit this base model: "
            f"{err.args[0] if err.args else err}"
        ) from err
    if not is_trainable:
        for p in model.adapter_parameters():
            p.requires_grad_(False)
        model.eval()
    return model
