"""Lexical relevance of the answer to the prompt: TF-IDF cosine of their stemmed words.

A second relevance instrument, deliberately unlike the MiniLM embedding cosine of
:class:`~mdpo.scorers.RelevanceScorer`: it only sees which content words the prompt and the
answer share, weighted by how rare they are in a fixed corpus. It needs scikit-learn (a core
dependency) and nothing is downloaded.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple

import torch

from .base import Scorer
from .registry import register_scorer

__all__ = ["LexicalRelevanceScorer", "lexical_terms"]

_WORD = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token pattern
_VOWELS = frozenset("aeiouy")


def _stem(word: str) -> str:
    """A light, deterministic suffix stripper: "plants", "planted", "planting" -> "plant".

    Plural ``-ies``/``-sses``/``-es`` (after a sibilant)/``-s``; ``-eed`` to ``-ee`` after a
    vowel ("agreed" -> "agree", "speed" stays); then ``-ing``, ``-ed`` or ``-ly`` when a stem
    of at least 2 letters with a vowel remains, dropping a doubled final consonant after
    ``-ing``/``-ed`` ("running" -> "run", but "filling" -> "fill"); finally a final ``e``
    ("bake", "baking" -> "bak"). Stems need not be words; they only have to agree across
    inflections. Words of at most 3 letters only lose a final ``e`` ("use" -> "us").
    """
    if len(word) <= 3:
        return word[:-1] if len(word) == 3 and word[-1] == "e" and word[-2] != "e" else word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses") or (
        word.endswith("es") and word[:-2].endswith(("x", "z", "ch", "sh"))
    ):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("eed") and _VOWELS.intersection(word[:-3]):
        word = word[:-1]  # agreed -> agree, but speed and need stay
    for suffix in ("ing", "ed", "ly"):
        if not word.endswith(suffix) or (suffix == "ed" and word.endswith("eed")):
            continue
        stem = word[: -len(suffix)]
        if len(stem) >= 2 and _VOWELS.intersection(stem):
            if suffix == "ly" and stem.endswith("i"):
                stem = stem[:-1] + "y"  # happily -> happy
            elif suffix != "ly" and len(stem) >= 3 and stem[-1] == stem[-2] not in "aeiouylsz":
                stem = stem[:-1]  # running -> run, but filling -> fill
            word = stem
        break
    if len(word) >= 3 and word.endswith("e") and not word.endswith("ee"):
        word = word[:-1]
    return word


def lexical_terms(text: str) -> list[str]:
    """The terms :class:`LexicalRelevanceScorer` compares: stemmed content words.

    The text is lower-cased and split into words of at least two letters or digits
    (scikit-learn's default token pattern); scikit-learn's English stop words are dropped and
    the rest are stemmed by a light suffix stripper, so inflections of a word share a term.

    Args:
        text: Any text.

    Returns:
        The terms, in order, with repeats.

    Example:
        >>> from mdpo.scorers import lexical_terms
        >>> lexical_terms("The plants need planting; I planted a plant.")
        ['plant', 'need', 'plant', 'plant', 'plant']
    """
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    words = _WORD.findall(text.lower())
    return [_stem(w) for w in words if w not in ENGLISH_STOP_WORDS]


class _Idf(NamedTuple):
    """IDF weights fitted on a corpus, and the weight of a term the corpus lacks."""

    weights: dict[str, float]
    unseen: float


def _check_corpus(corpus: object) -> tuple[str, ...]:
    if isinstance(corpus, str | bytes) or not isinstance(corpus, Sequence):
        raise TypeError(
            f"corpus must be None or a list or tuple of str, got {type(corpus).__name__} "
            f"{corpus!r:.80}"
        )
    for i, text in enumerate(corpus):
        if not isinstance(text, str):
            raise TypeError(f"corpus[{i}] must be a str, got {type(text).__name__} {text!r:.80}")
    if not any(lexical_terms(text) for text in corpus):
        raise ValueError(
            "corpus must hold at least one text with a content word (not only stop words), "
            f"got {len(corpus)} texts"
        )
    return tuple(corpus)


@functools.lru_cache(maxsize=8)
def _fit(corpus: tuple[str, ...]) -> _Idf:
    """Fit scikit-learn's smoothed IDF on ``corpus`` once per process."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer=lexical_terms, sublinear_tf=True)
    vectorizer.fit(corpus)
    weights = dict(zip(vectorizer.get_feature_names_out(), vectorizer.idf_.tolist()))
    # The smoothed IDF of a term with document frequency 0: ln((1 + n) / 1) + 1.
    return _Idf({str(t): w for t, w in weights.items()}, math.log(1 + len(corpus)) + 1.0)


@functools.lru_cache(maxsize=1)
def _default_corpus() -> tuple[str, ...]:
    from mdpo.benchmarks.tasks.prompts import load_prompts

    return tuple(row["prompt"] for row in load_prompts())


@register_scorer("lexical_relevance")
class LexicalRelevanceScorer(Scorer):
    """TF-IDF cosine in ``[0, 1]`` between the prompt's and the completion's stemmed words.

    Each text becomes a vector over its :func:`lexical_terms` with weight
    ``(1 + ln count) * idf(term)`` (scikit-learn's ``TfidfVectorizer`` with
    ``sublinear_tf=True`` and smoothed IDF); the score is the cosine of the prompt's and the
    completion's vectors. The IDF is fitted once on a fixed corpus, by default the bundled
    prompts of all splits (:func:`mdpo.benchmarks.tasks.prompts.load_prompts`), so a score
    never depends on the batch. A term absent from the corpus gets the IDF of a term seen in
    no document, ``ln(1 + n) + 1``: off-topic words in an answer lower its score instead of
    being ignored. An empty completion, or one of stop words only, scores 0.

    A proxy for topicality, different in kind from the embedding cosine of
    :class:`~mdpo.scorers.RelevanceScorer`: synonyms do not match, shared words do. Word
    stuffing games it; use it as an independent evaluation judge rather than a training
    reward.

    Args:
        corpus: Texts to fit the IDF on; ``None`` for the bundled prompts.

    Raises:
        TypeError: If ``corpus`` is not ``None`` or a list or tuple of str.
        ValueError: If ``corpus`` has no content word at all.

    Example:
        >>> from mdpo.scorers import LexicalRelevanceScorer
        >>> r = LexicalRelevanceScorer()
        >>> s = r(["How often should I water my plants?"] * 3,
        ...       ["Water the plant once a week.", "The stock market rose on Tuesday.", ""])
        >>> bool(s[0] > s[1]), s[2].item()
        (True, 0.0)
    """

    name = "lexical_relevance"

    def __init__(self, corpus: Sequence[str] | None = None) -> None:
        self.corpus = None if corpus is None else _check_corpus(corpus)

    @property
    def idf(self) -> dict[str, float]:
        """The IDF weight of every term of the corpus (fitted on first use, then cached)."""
        return dict(self._idf().weights)

    def _idf(self) -> _Idf:
        return _fit(self.corpus if self.corpus is not None else _default_corpus())

    def _vector(self, text: str, idf: _Idf) -> dict[str, float]:
        counts = Counter(lexical_terms(text))
        vec = {t: (1.0 + math.log(c)) * idf.weights.get(t, idf.unseen) for t, c in counts.items()}
        norm = math.sqrt(sum(w * w for w in vec.values()))
        return {t: w / norm for t, w in vec.items()} if norm > 0 else {}

    def _score(self, prompts: list[str], completions: list[str]) -> torch.Tensor:
        idf = self._idf()
        cache: dict[str, dict[str, float]] = {}
        scores = []
        for prompt, completion in zip(prompts, completions):
            if prompt not in cache:
                cache[prompt] = self._vector(prompt, idf)
            p, c = cache[prompt], self._vector(completion, idf)
            cosine = sum(w * c[t] for t, w in p.items() if t in c)
            scores.append(min(max(cosine, 0.0), 1.0))
        return torch.tensor(scores, dtype=torch.float64)
