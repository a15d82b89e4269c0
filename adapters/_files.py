"""Atomic file writes and safe reads shared by the adapter's save, load and export."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from mdpo._io import atomic_replace as _atomic
from mdpo._io import atomic_write_json

__all__ = [
    "atomic_write_json",
    "atomic_write_safetensors",
    "output_directory",
    "read_json",
    "read_safetensors",
]


def output_directory(path: str | os.PathLike[str], name: str = "save_directory") -> Path:
    """Create (if needed) and return an output directory, refusing an existing file.

    Args:
        path: The directory.
        name: Parameter name for error messages.

    Returns:
        The directory as a :class:`~pathlib.Path`.

    Raises:
        TypeError: If ``path`` is not a string or path.
        ValueError: If ``path`` exists and is not a directory.
    """
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"{name} must be a str or os.PathLike, got {type(path).__name__}")
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise ValueError(f"{name} must be a directory, got the existing file {str(out)!r}")
    out.mkdir(parents=True, exist_ok=True)
    return out


def atomic_write_safetensors(target: Path, tensors: Mapping[str, torch.Tensor]) -> None:
    """Write tensors to a safetensors file via a temp file and ``os.replace``.

    Args:
        target: Destination file.
        tensors: Name → tensor; saved contiguous, on CPU.
    """
    from safetensors.torch import save_file

    payload = {k: v.detach().to("cpu").contiguous() for k, v in tensors.items()}
    _atomic(target, lambda tmp: save_file(payload, tmp, metadata={"format": "pt"}))


def read_json(path: Path, what: str) -> dict[str, Any]:
    """Read a JSON object, with a friendly error when it is missing or malformed.

    Args:
        path: The file.
        what: Description for error messages.

    Returns:
        The parsed object.

    Raises:
        ValueError: If the file is missing, not JSON or not an object.
    """
    if not path.is_file():
        raise ValueError(f"{what}: {str(path)!r} does not exist")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{what}: {str(path)!r} is not valid JSON ({err})") from err
    if not isinstance(data, dict):
        raise ValueError(f"{what}: {str(path)!r} must hold a JSON object")
    return data


def read_safetensors(path: str | os.PathLike[str], what: str) -> dict[str, torch.Tensor]:
    """Read adapter weights, refusing a corrupt file and NaN or infinite values.

    Args:
        path: A ``.safetensors`` file.
        what: Description for error messages (e.g. ``"adapter_dir '/runs/a/adapter'"``).

    Returns:
        Name → tensor, on CPU.

    Raises:
        ValueError: If the file is missing, is not a readable safetensors file (truncated,
            corrupt), or a floating tensor holds NaN or infinity (the message names it).
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    file = Path(path)
    if not file.is_file():
        raise ValueError(f"{what}: weights file {os.fspath(file)!r} does not exist")
    try:
        tensors = load_file(os.fspath(file))
    except (SafetensorError, OSError, ValueError, RuntimeError) as err:
        raise ValueError(
            f"{what}: weights file {os.fspath(file)!r} is not a readable safetensors file "
            f"(truncated or corrupt?): {err}"
        ) from err
    bad = [
        name
        for name, tensor in tensors.items()
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all())
    ]
    if bad:
        raise ValueError(
            f"{what}: weights file {os.fspath(file)!r} holds NaN or infinite values in "
            f"{len(bad)} tensor(s), e.g. {sorted(bad)[:3]}; the run that wrote it diverged "
            "or the file is damaged"
        )
    return tensors
