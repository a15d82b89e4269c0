"""The project's own instruction prompts for the SmolLM2 task, shipped as package data.

``data/prompts.jsonl`` holds 332 short English instructions written for this project, one
JSON object per line: ``{"id": "p0001", "category": "how-to", "split": "train",
"prompt": "..."}``. The five categories (``how-to``, ``explanation``, ``advice``,
``creative``, ``opinion``) each have 14 eval prompts and 10 validation prompts; the rest
(212) are train prompts. The three splits are disjoint: settings are chosen on the
validation prompts (a tuning suite sets ``eval_split: validation``), results are reported on
the eval prompts.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

__all__ = ["PROMPT_CATEGORIES", "PROMPT_SPLITS", "load_prompts"]

PROMPT_SPLITS = ("train", "validation", "eval")
"""The valid values of ``split``."""

PROMPT_CATEGORIES = ("how-to", "explanation", "advice", "creative", "opinion")
"""The categories of the prompt set."""


@functools.lru_cache(maxsize=1)
def _all_prompts() -> tuple[dict[str, str], ...]:
    text = resources.files(__package__).joinpath("data", "prompts.jsonl").read_text("utf-8")
    return tuple(json.loads(line) for line in text.splitlines() if line.strip())


def load_prompts(split: str | None = None) -> list[dict[str, Any]]:
    """Load the prompt set, optionally one split.

    Args:
        split: ``"train"``, ``"validation"``, ``"eval"``, or ``None`` for all prompts.

    Returns:
        A list of fresh dicts with keys ``id``, ``category``, ``split`` and ``prompt``, in
        file order.

    Raises:
        ValueError: If ``split`` is not ``None`` or one of :data:`PROMPT_SPLITS`.

    Example:
        >>> from mdpo.benchmarks.tasks.prompts import load_prompts
        >>> len(load_prompts("eval")), len(load_prompts("validation")), len(load_prompts("train"))
        (70, 50, 212)
        >>> sorted(load_prompts()[0])
        ['category', 'id', 'prompt', 'split']
    """
    if split is not None and split not in PROMPT_SPLITS:
        raise ValueError(f"split must be None or one of {list(PROMPT_SPLITS)}, got {split!r}")
    return [dict(row) for row in _all_prompts() if split is None or row["split"] == split]
