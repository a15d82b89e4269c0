"""Length of the completion in words, characters or tokens; by default shorter is better."""

from __future__ import annotations

from typing import Any, Literal

import torch

from mdpo._numbers import check_real

from .base import Scorer
from .registry import register_scorer

__all__ = ["LengthScorer"]

_UNITS = ("words", "chars", "tokens")


@register_scorer("length")
class LengthScorer(Scorer):
    """``sign × length(completion)``: with the default ``sign=-1`` it rewards conciseness.

    Args:
        unit: ``"words"`` (whitespace-separated), ``"chars"``, or ``"tokens"`` (needs
            ``tokenizer``; counted without special tokens).
        tokenizer: A Hugging Face tokenizer, required for ``unit="tokens"``.
        sign: ``-1`` (default: the "concise" dimension, shorter scores higher) or ``+1``
            (longer scores higher, a "verbosity"/"detail" dimension).
        floor: Lengths below this count as ``floor``: with ``sign=-1`` an answer gets no
            extra credit for being shorter than ``floor``, so an empty answer is not the
            most concise one (0: no floor).

    Note:
        On answers cut at a generation limit, count ``"tokens"``: every cut answer then has
        the same length and only answers that *end* earlier score as shorter. Counting words
        on cut answers rewards long tokens per word instead (a policy trained on it learned
        to emit "1. 1. 1. …").

    Raises:
        ValueError: For an unknown ``unit``, a ``sign`` other than ±1, a negative or
            non-finite ``floor``, or ``unit="tokens"`` without a tokenizer.

    Example:
        >>> from mdpo.scorers import LengthScorer
        >>> concise = LengthScorer()
        >>> concise(["q", "q"], ["One two three.", "One."])
        tensor([-3., -1.])
        >>> LengthScorer(unit="chars", sign=1)(["q"], ["abc"])
        tensor([3.])
        >>> LengthScorer(floor=2)(["q", "q"], ["", "One two three."])
        tensor([-2., -3.])
    """

    name = "length"

    def __init__(
        self,
        unit: Literal["words", "chars", "tokens"] = "words",
        *,
        tokenizer: Any = None,
        sign: int = -1,
        floor: float = 0.0,
    ) -> None:
        if unit not in _UNITS:
            raise ValueError(f"unit must be one of {_UNITS}, got {unit!r}")
        if isinstance(sign, bool) or sign not in (-1, 1):
            raise ValueError(f"sign must be -1 (shorter is better) or +1, got {sign!r}")
        floor = check_real("floor", floor, low=0.0, noun="number")
        if unit == "tokens" and tokenizer is None:
            raise ValueError("unit='tokens' needs a tokenizer, got tokenizer=None")
        self.unit = unit
        self.tokenizer = tokenizer
        self.sign = sign
        self.floor = floor

    def _score(self, prompts: list[str], completions: list[str]) -> torch.Tensor:
        if self.unit == "words":
            lengths = [len(c.split()) for c in completions]
        elif self.unit == "chars":
            lengths = [len(c) for c in completions]
        else:
            ids = self.tokenizer(completions, add_special_tokens=False)["input_ids"]
            lengths = [len(x) for x in ids]
        length = torch.tensor(lengths, dtype=torch.float32).clamp(min=self.floor)
        return self.sign * length + 0.0  # no -0.

    def __repr__(self) -> str:
        floor = f", floor={self.floor:g}" if self.floor else ""
        return f"LengthScorer(unit={self.unit!r}, sign={self.sign}{floor})"
