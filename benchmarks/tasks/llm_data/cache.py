"""The cache of the preference data: stable keys (model fingerprint) and atomic disk copies."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import torch

from mdpo._io import atomic_replace_dir

__all__ = ["digest", "load_cached", "model_fingerprint", "save_atomic", "scorer_identity"]


def digest(obj: Any) -> str:
    """A short stable hash of a JSON-able object (keys sorted; other objects by ``str``).

    Args:
        obj: The object.

    Returns:
        20 hex digits.
    """
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:20]


def model_fingerprint(model: Any, tokenizer: Any) -> str:
    """A stable identity of a model and tokenizer for cache keys.

    Hashes the model's config, every parameter's name, shape and (float64) sum and absolute
    sum, and the tokenizer's name, size and chat template: two models with different
    weights or configs get different fingerprints, the same model loaded twice the same.

    Args:
        model: A torch module (with an optional ``config``).
        tokenizer: Its tokenizer.

    Returns:
        A hex digest.
    """
    config = getattr(model, "config", None)
    config_text = config.to_json_string(use_diff=False) if config is not None else ""
    with torch.no_grad():
        params = [
            [
                name,
                list(p.shape),
                float(p.sum(dtype=torch.float64)),
                float(p.abs().sum(dtype=torch.float64)),
            ]
            for name, p in model.named_parameters()
        ]
    tok = [
        getattr(tokenizer, "name_or_path", ""),
        len(tokenizer),
        getattr(tokenizer, "chat_template", None),
    ]
    return digest([type(model).__qualname__, config_text, params, tok])


def scorer_identity(scorer: Any) -> str:
    """How a scorer enters a cache key: its repr, or its class and name for a default repr.

    Args:
        scorer: A :class:`mdpo.scorers.Scorer`.

    Returns:
        A string that is the same for equal scorers across processes.
    """
    text = repr(scorer)
    # Default object reprs carry a memory address: fall back to the class and name.
    if " at 0x" in text:
        text = (
            f"{type(scorer).__module__}.{type(scorer).__qualname__}:{getattr(scorer, 'name', '')}"
        )
    return text


def save_atomic(dataset: Any, target: Path) -> None:
    """``save_to_disk`` into a temporary folder next to ``target``, then rename it.

    Args:
        dataset: A :class:`datasets.Dataset`.
        target: The folder it is saved as (a finished copy another process wrote is kept).
    """
    # A folder already there is another process's finished copy of the same key: kept.
    with atomic_replace_dir(target, keep=Path.is_dir) as tmp:
        dataset.save_to_disk(os.fspath(tmp))


def load_cached(path: Path | None) -> Any:
    """The dataset saved at ``path``, or None when there is none (or no path).

    Args:
        path: A folder written by :func:`save_atomic`, or None.

    Returns:
        The :class:`datasets.Dataset`, or None.
    """
    if path is None or not path.is_dir():
        return None
    from datasets import load_from_disk

    return load_from_disk(os.fspath(path))
