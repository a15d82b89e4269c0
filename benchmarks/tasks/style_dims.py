"""The ten chat-style dimensions of the ``smollm10d`` suite, as task specs and as scorers."""

from __future__ import annotations

import copy
from typing import Any

from mdpo.scorers import STYLES
from mdpo.scorers.base import Scorer

__all__ = ["CONCISE_SPEC", "STYLE_DIMS", "style_scorers"]

CONCISE_SPEC: dict[str, Any] = {
    "scorer": "length",
    "kwargs": {"unit": "tokens", "sign": -1, "floor": 8},
}
"""``concise`` as the LLM suites score it: minus the token count, floored at 8 (words on
answers cut at the token limit were gamed: "1. 1. 1. ..." has few words per token)."""

STYLE_DIMS: dict[str, dict[str, Any]] = {
    style: copy.deepcopy(CONCISE_SPEC)
    if style == "concise"
    else {"scorer": "style", "kwargs": {"style": style}}
    for style in STYLES
}
"""``{style: spec}`` in :data:`mdpo.scorers.STYLES` order, the ``dims`` of ``smollm10d``: the
MiniLM style probe of each style, :data:`CONCISE_SPEC` for ``concise``."""


def style_scorers(tokenizer: Any) -> dict[str, Scorer]:
    """The scorers of :data:`STYLE_DIMS`, ``concise`` counting ``tokenizer``'s tokens.

    Args:
        tokenizer: The policy's tokenizer.

    Returns:
        ``{style: scorer}`` in :data:`~mdpo.scorers.STYLES` order; nothing is loaded yet.

    Raises:
        ValueError: If ``tokenizer`` is None (``concise`` counts tokens).
    """
    from mdpo.scorers import get_scorer

    if tokenizer is None:
        raise ValueError("tokenizer must be the policy's tokenizer (concise counts tokens)")
    out = {}
    for name, spec in STYLE_DIMS.items():
        kwargs = dict(spec["kwargs"])
        if spec["scorer"] == "length":
            kwargs["tokenizer"] = tokenizer
        out[name] = get_scorer(spec["scorer"], **kwargs)
    return out
