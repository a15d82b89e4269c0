"""Sentiment of the completion: VADER's compound score (``vaderSentiment``), in [-1, 1]."""

from __future__ import annotations

import functools
from typing import Any

import torch

from .base import Scorer
from .registry import register_scorer

__all__ = ["SentimentScorer"]


@functools.lru_cache(maxsize=1)
def _analyzer() -> Any:
    """The process-wide VADER analyser (its lexicon is read once)."""
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError as err:
        raise ImportError(
            'SentimentScorer needs vaderSentiment: pip install vaderSentiment (or "mdpo[scorers]")'
        ) from err
    return SentimentIntensityAnalyzer()


@register_scorer("sentiment")
class SentimentScorer(Scorer):
    """Positivity of the completion: VADER's normalised compound score.

    VADER is a lexicon-and-rules model for English; the compound score lies in
    ``[-1, 1]`` (``-1`` most negative, ``+1`` most positive, ``0`` for neutral or empty
    text). The prompt is ignored.

    Example:
        >>> from mdpo.scorers import SentimentScorer
        >>> s = SentimentScorer()
        >>> scores = s(["q", "q"], ["What a wonderful, happy day!", "This is awful and sad."])
        >>> bool(scores[0] > 0 > scores[1])
        True
    """

    name = "sentiment"

    def _score(self, prompts: list[str], completions: list[str]) -> torch.Tensor:
        analyzer = _analyzer()
        return torch.tensor([analyzer.polarity_scores(c)["compound"] for c in completions])
