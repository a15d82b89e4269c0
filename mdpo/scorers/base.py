"""The scorer protocol: ``(prompts, completions) -> tensor[n]``, higher is better."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

import torch

__all__ = ["Scorer", "check_texts"]


def check_texts(prompts: Any, completions: Any) -> tuple[list[str], list[str]]:
    """Validate a scorer's inputs: two sequences of strings of equal length.

    Args:
        prompts: A list or tuple of ``n`` prompt strings.
        completions: A list or tuple of ``n`` completion strings.

    Returns:
        Both as lists.

    Raises:
        TypeError: If either is a bare string or not a sequence, or holds a non-string.
        ValueError: If their lengths differ.

    Example:
        >>> from mdpo.scorers import check_texts
        >>> check_texts(("a", "b"), ["x", "y"])
        (['a', 'b'], ['x', 'y'])
    """
    out = []
    for name, texts in (("prompts", prompts), ("completions", completions)):
        if isinstance(texts, str | bytes) or not isinstance(texts, Sequence):
            raise TypeError(
                f"{name} must be a list or tuple of str, got {type(texts).__name__} {texts!r:.80}"
            )
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(
                    f"{name}[{i}] must be a str, got {type(text).__name__} {text!r:.80}"
                )
        out.append(list(texts))
    if len(out[0]) != len(out[1]):
        raise ValueError(
            f"prompts and completions must have the same length, got {len(out[0])} prompts "
            f"and {len(out[1])} completions"
        )
    return out[0], out[1]


class Scorer(ABC):
    """Base class of scorers: a reward per (prompt, completion) pair, **higher is better**.

    ``__call__`` validates the inputs (equal-length sequences of ``str``), calls the
    subclass's batched :meth:`_score` and checks its output. Subclasses set ``name`` (the
    registry key and the default dimension name) and implement :meth:`_score`; any model
    they need is loaded once and reused.

    Example:
        >>> import torch
        >>> from mdpo.scorers import Scorer
        >>> class Shouting(Scorer):
        ...     name = "shouting"
        ...     def _score(self, prompts, completions):
        ...         return torch.tensor([float(c.count("!")) for c in completions])
        >>> Shouting()(["q", "q"], ["Hi!", "Hello."])
        tensor([1., 0.])
    """

    name: ClassVar[str] = "scorer"

    def __call__(self, prompts: Sequence[str], completions: Sequence[str]) -> torch.Tensor:
        """Score ``n`` completions of their prompts.

        Args:
            prompts: ``n`` prompt strings (the user message, without chat template).
            completions: ``n`` completion strings.

        Returns:
            A float32 CPU tensor of shape ``[n]``; higher is better.

        Raises:
            TypeError: If the inputs are not sequences of strings.
            ValueError: If their lengths differ.
        """
        prompts, completions = check_texts(prompts, completions)
        if not prompts:
            return torch.zeros(0, dtype=torch.float32)
        scores = torch.as_tensor(self._score(prompts, completions))
        if scores.shape != (len(prompts),):
            raise RuntimeError(
                f"{type(self).__name__}._score returned shape {tuple(scores.shape)}, "
                f"expected ({len(prompts)},)"
            )
        return scores.detach().to(device="cpu", dtype=torch.float32)

    @abstractmethod
    def _score(self, prompts: list[str], completions: list[str]) -> torch.Tensor:
        """Compute the scores of validated, non-empty inputs.

        Args:
            prompts: ``n >= 1`` prompt strings.
            completions: ``n`` completion strings.

        Returns:
            A tensor of shape ``[n]``.
        """

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"
