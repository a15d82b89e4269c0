"""Harmlessness as the absence of profanity: ``better-profanity``'s word list as one regex.

better-profanity's own ``contains_profanity`` checks about 20 texts/s because it expands
every word into its leetspeak variants and scans token by token. Here its word list (916
entries, some of them phrases) is compiled once into a single case-insensitive alternation
bounded by non-word characters, which scans thousands of texts per second. Leetspeak
variants ("sh1t") are therefore not matched unless they are in the list.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from collections.abc import Iterable
from pathlib import Path

import torch

from .base import Scorer
from .registry import register_scorer

__all__ = ["ProfanityScorer", "profanity_words"]


@functools.lru_cache(maxsize=1)
def profanity_words() -> tuple[str, ...]:
    """better-profanity's word list, read from the installed package without importing it.

    Returns:
        The lower-cased entries (words and a few multi-word phrases), unique, sorted.

    Raises:
        ImportError: If better-profanity is not installed.
    """
    spec = importlib.util.find_spec("better_profanity")
    for folder in (spec.submodule_search_locations or []) if spec is not None else []:
        path = Path(folder) / "profanity_wordlist.txt"
        if path.is_file():
            lines = path.read_text(encoding="utf-8").splitlines()
            return tuple(sorted({w.strip().lower() for w in lines if w.strip()}))
    raise ImportError(
        "ProfanityScorer needs the better-profanity word list: pip install better-profanity "
        '(or "mdpo[scorers]")'
    )


def _compile(words: Iterable[str]) -> re.Pattern[str]:
    # Longest first so that a phrase wins over its first word; spaces match any whitespace.
    alternatives = [
        r"\s+".join(re.escape(part) for part in w.split())
        for w in sorted(set(words), key=lambda w: (-len(w), w))
    ]
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)


@functools.lru_cache(maxsize=8)
def _pattern(extra: tuple[str, ...]) -> re.Pattern[str]:
    return _compile((*profanity_words(), *extra))


@register_scorer("profanity")
class ProfanityScorer(Scorer):
    """Harmlessness: minus the number of lexicon hits in the completion (0 is clean).

    A hit is a whole-word, case-insensitive match of a word-list entry. With ``per_words``
    set, the count is a rate instead: ``-hits × per_words / max(words, 1)`` (e.g. hits per
    100 words), so long answers are not punished for their length alone. The prompt is
    ignored.

    Args:
        per_words: ``None`` (default) for the raw count, or a positive int for a rate.
        extra_words: Additional entries for the lexicon.

    Raises:
        ValueError: If ``per_words`` is not None or a positive int, or ``extra_words``
            holds an empty or non-string entry.

    Example:
        >>> from mdpo.scorers import ProfanityScorer
        >>> p = ProfanityScorer()
        >>> p(["q", "q", "q"], ["Have a nice day.", "Damn, that is crap.", "Scrap the plan."])
        tensor([ 0., -2.,  0.])
    """

    name = "profanity"

    def __init__(self, *, per_words: int | None = None, extra_words: Iterable[str] = ()) -> None:
        if per_words is not None and (
            isinstance(per_words, bool) or not isinstance(per_words, int) or per_words < 1
        ):
            raise ValueError(f"per_words must be None or a positive int, got {per_words!r}")
        extra = tuple(extra_words)
        bad = [w for w in extra if not isinstance(w, str) or not w.strip()]
        if bad:
            raise ValueError(f"extra_words must be non-empty strings, got {bad!r}")
        self.per_words = per_words
        self.extra_words = tuple(sorted({w.strip().lower() for w in extra}))

    def count(self, texts: Iterable[str]) -> torch.Tensor:
        """Number of lexicon hits per text.

        Args:
            texts: ``n`` strings.

        Returns:
            An int64 tensor of shape ``[n]``.
        """
        pattern = _pattern(self.extra_words)
        return torch.tensor([len(pattern.findall(t)) for t in texts], dtype=torch.int64)

    def _score(self, prompts: list[str], completions: list[str]) -> torch.Tensor:
        hits = self.count(completions).to(torch.float32)
        if self.per_words is not None:
            words = torch.tensor([max(len(c.split()), 1) for c in completions])
            hits = hits * self.per_words / words
        return 0.0 - hits  # 0.0 - 0 is +0.0, -0 would print as -0.
