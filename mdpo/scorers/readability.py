"""Readability of the completion with ``textstat`` (Flesch reading ease by default)."""

from __future__ import annotations

import functools
import warnings
from typing import Any

import torch

from .base import Scorer
from .registry import register_scorer

__all__ = ["ReadabilityScorer"]

_METRICS: dict[str, int] = {
    "flesch_reading_ease": 1,
    "flesch_kincaid_grade": -1,
    "gunning_fog": -1,
    "coleman_liau_index": -1,
    "automated_readability_index": -1,
    "smog_index": -1,
}
"""textstat functions and the sign that makes "more readable" score higher: the reading
ease rises with readability, the grade levels fall."""


@functools.lru_cache(maxsize=1)
def _textstat() -> Any:
    try:
        with warnings.catch_warnings():  # textstat < 0.7.5 imports the deprecated pkg_resources
            warnings.simplefilter("ignore")
            import textstat
    except ImportError as err:
        if err.name == "pkg_resources":  # setuptools >= 81 no longer ships it
            hint = 'textstat<0.7.5 needs pkg_resources: pip install "setuptools<81"'
        else:  # textstat >= 0.7.5 calls nltk.download, which fails offline
            hint = 'ReadabilityScorer needs textstat<0.7.5: pip install "textstat<0.7.5"'
        raise ImportError(hint) from err
    return textstat


@register_scorer("readability")
class ReadabilityScorer(Scorer):
    """How easy the completion is to read; higher is easier.

    The default, Flesch reading ease, is ``206.835 − 1.015·words/sentences −
    84.6·syllables/words``: about 0–100 for ordinary prose (higher is easier), above 100 for
    very short simple sentences. Grade-level metrics are negated so that higher still means
    more readable. textstat scores an empty text as perfectly readable (206.8 for Flesch),
    which would make an empty answer the optimum, so completions without a word get
    ``empty_score`` instead. The prompt is ignored.

    Args:
        metric: One of ``"flesch_reading_ease"`` (default), ``"flesch_kincaid_grade"``,
            ``"gunning_fog"``, ``"coleman_liau_index"``, ``"automated_readability_index"``,
            ``"smog_index"``.
        empty_score: The score of a completion with no word.
        clip: Optional ``(low, high)`` bounds applied to the (signed) scores.

    Raises:
        ValueError: For an unknown ``metric`` or ``clip`` with ``low > high``.

    Example:
        >>> from mdpo.scorers import ReadabilityScorer
        >>> r = ReadabilityScorer()
        >>> s = r(["q", "q", "q"], ["The cat sat on the mat.",
        ...                         "Notwithstanding considerable institutional heterogeneity, "
        ...                         "organisational interdependencies proliferate.", ""])
        >>> bool(s[0] > s[1]), float(s[2])
        (True, 0.0)
    """

    name = "readability"

    def __init__(
        self,
        metric: str = "flesch_reading_ease",
        *,
        empty_score: float = 0.0,
        clip: tuple[float, float] | None = None,
    ) -> None:
        if metric not in _METRICS:
            raise ValueError(f"metric must be one of {sorted(_METRICS)}, got {metric!r}")
        if clip is not None and (len(clip) != 2 or float(clip[0]) > float(clip[1])):
            raise ValueError(f"clip must be None or (low, high) with low <= high, got {clip!r}")
        self.metric = metric
        self.empty_score = float(empty_score)
        self.clip = clip

    def _score(self, prompts: list[str], completions: list[str]) -> torch.Tensor:
        fn = getattr(_textstat(), self.metric)
        sign = _METRICS[self.metric]
        values = [sign * float(fn(c)) if c.split() else self.empty_score for c in completions]
        out = torch.tensor(values, dtype=torch.float32)
        if self.clip is not None:
            out = out.clamp(float(self.clip[0]), float(self.clip[1]))
        return out

    def __repr__(self) -> str:
        return f"ReadabilityScorer(metric={self.metric!r})"
