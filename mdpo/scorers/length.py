"""Length of the completion in words, characters or tokens; by default shorter is better."""

from __future__ import annotations

from typing import Any, Literal

import torch

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

    Raises:
        ValueError: For an unknown ``unit``, a ``sign`` other than ±1, or ``unit="tokens"``
            without a tokenizer.

    Example:
        >>> from mdpo.scorers import LengthScorer
        >>> concise = LengthScorer()
        >>> concise(["q", "q"], ["One two three.", "One."])
        tensor([-3., -1.])
        >>> LengthScorer(unit="chars", sign=1)(["q"], ["abc"])
        tensor([3.])
    """

    name = "length"

    def __init__(
        self,
        unit: Literal["words", "chars", "tokens"] = "words",
        *,
        tokenizer: Any = None,
        sign: int = -1,
    ) -> None:
        if unit not in _UNITS:
            raise ValueError(f"unit must be one of {_UNITS}, got {unit!r}")
        if isinstance(sign, bool) or sign not in (-1, 1):
            raise ValueError(f"sign must be -1 (shorter is better) or +1, got {sign!r}")
        if unit == "tokens" and tokenizer is None:
            raise ValueError("unit='tokens' needs a tokenizer, got tokenizer=None")
        self.unit = unit
        self.tokenizer = tokenizer
        self.sign = sign

    def _score(self, prompts: list[str], completions: list[str]) -> torch.Tensor:
        if self.unit == "words":
            lengths = [len(c.split()) for c in completions]
        elif self.unit == "chars":
            lengths = [len(c) for c in completions]
        else:
            ids = self.tokenizer(completions, add_special_tokens=False)["input_ids"]
            lengths = [len(x) for x in ids]
        return self.sign * torch.tensor(lengths, dtype=torch.float32) + 0.0  # no -0.

    def __repr__(self) -> str:
        return f"LengthScorer(unit={self.unit!r}, sign={self.sign})"
