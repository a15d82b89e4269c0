"""Sentiment of the completion: the AFINN word list (``afinn``), squashed into [-1, 1].

A second sentiment instrument, deliberately unlike VADER's rules
(:class:`~mdpo.scorers.SentimentScorer`): a plain sum of word valences, with no negation,
intensifier or punctuation handling.
"""

from __future__ import annotations

import functools
import math
import warnings
from typing import Any

import torch

from .base import Scorer
from .registry import register_scorer

__all__ = ["AfinnSentimentScorer"]

_NORMS = ("tanh", "per_word")


@functools.lru_cache(maxsize=1)
def _afinn() -> Any:
    """The process-wide English AFINN analyser (its word list is read once)."""
    try:
        with warnings.catch_warnings():
            # afinn 0.1 has a non-raw regex string: an invalid-escape warning on compilation.
            warnings.simplefilter("ignore", (DeprecationWarning, SyntaxWarning))
            from afinn import Afinn
    except ImportError as err:
        raise ImportError(
            'AfinnSentimentScorer needs afinn: pip install afinn (or "mdpo[scorers]")'
        ) from err
    return Afinn(language="en")


@register_scorer("afinn")
class AfinnSentimentScorer(Scorer):
    """Positivity of the completion from the AFINN-165 lexicon, in ``[-1, 1]``.

    AFINN gives about 3,400 English words and phrases an integer valence from ``-5`` to
    ``+5``; the raw score of a text is the sum of the valences of the listed words it
    contains (matched whole, case-insensitively). The raw sum grows with the number of
    sentiment words, so it is normalised:

    - ``"tanh"`` (default): ``tanh(sum / scale)``. With ``scale=5``, one "good" (+3) gives
      0.54, "wonderful, happy" (+4 +3) 0.89; a longer answer with more positive words scores
      higher, as with VADER's compound score.
    - ``"per_word"``: ``sum / (5 * words)``, the mean valence per whitespace-separated word
      divided by the largest valence: a density that long answers cannot inflate. Each
      listed word or phrase has ``|valence| <= 5``; the value is clipped to ``[-1, 1]`` for
      the rare token that holds two listed words ("good/great").

    Text without listed words, and empty text, scores 0. The prompt is ignored. Unlike VADER,
    AFINN has no negation rules (only a few listed phrases such as "not good"): "not happy"
    counts as positive. A different instrument, meant as an independent judge.

    Args:
        norm: ``"tanh"`` or ``"per_word"``.
        scale: The divisor of the raw sum under ``"tanh"``.

    Raises:
        ValueError: If ``norm`` is unknown or ``scale`` is not a positive finite number.

    Example:
        >>> from mdpo.scorers import AfinnSentimentScorer
        >>> s = AfinnSentimentScorer()
        >>> scores = s(["q"] * 3, ["What a wonderful, happy day!", "It is Tuesday.",
        ...                        "This is awful and sad."])
        >>> bool(scores[0] > scores[1] > scores[2]), scores[1].item()
        (True, 0.0)
    """

    name = "afinn"

    def __init__(self, norm: str = "tanh", *, scale: float = 5.0) -> None:
        if norm not in _NORMS:
            raise ValueError(f"norm must be one of {list(_NORMS)}, got {norm!r}")
        if (
            isinstance(scale, bool)
            or not isinstance(scale, int | float)
            or not math.isfinite(scale)
            or scale <= 0
        ):
            raise ValueError(f"scale must be a positive finite number, got {scale!r}")
        self.norm = norm
        self.scale = float(scale)

    def _score(self, prompts: list[str], completions: list[str]) -> torch.Tensor:
        afinn = _afinn()
        sums = [float(afinn.score(text)) for text in completions]
        if self.norm == "tanh":
            values = [math.tanh(s / self.scale) for s in sums]
        else:
            counts = [len(text.split()) for text in completions]
            values = [s / (5.0 * n) if n else 0.0 for s, n in zip(sums, counts)]
            values = [min(max(v, -1.0), 1.0) for v in values]
        return torch.tensor(values, dtype=torch.float64)
