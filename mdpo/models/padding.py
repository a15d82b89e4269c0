"""Padding helpers: a pad token always set, right padding for training, left for generation.

SmolLM2 has pad == eos == ``<|im_end|>``. Padding positions must therefore be found through
the attention mask, never by comparing ids with ``pad_token_id``: that would also drop the
real EOS that ends every completion, and the model would never learn to stop.
"""

from __future__ import annotations

import copy
from typing import Any, Literal

__all__ = ["ensure_pad_token", "left_pad", "with_padding_side"]


def ensure_pad_token(tokenizer: Any) -> Any:
    """Give a tokenizer a pad token (its EOS) if it has none. Modifies it in place.

    Args:
        tokenizer: A Hugging Face tokenizer.

    Returns:
        The same tokenizer, with ``pad_token`` set.

    Raises:
        ValueError: If it has neither a pad nor an EOS token.

    Example:
        >>> from mdpo.models import ensure_pad_token
        >>> from mdpo.testing import tiny_chat_tokenizer
        >>> tok = tiny_chat_tokenizer()
        >>> tok.pad_token = None
        >>> ensure_pad_token(tok).pad_token
        '<|im_end|>'
    """
    if tokenizer.pad_token is None:
        if tokenizer.eos_token is None:
            raise ValueError(
                f"tokenizer {type(tokenizer).__name__} has neither pad_token nor eos_token; "
                "set tokenizer.pad_token explicitly"
            )
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def with_padding_side(tokenizer: Any, side: Literal["left", "right"] = "left") -> Any:
    """A copy of the tokenizer that pads on ``side`` (``"left"`` for batched generation).

    Decoder-only models continue from the last position, so prompts for ``generate`` must be
    left-padded; training collators pad on the right. The copy keeps the original untouched.

    Args:
        tokenizer: A Hugging Face tokenizer.
        side: ``"left"`` or ``"right"``.

    Returns:
        A deep copy with ``padding_side == side`` and a pad token set.

    Raises:
        ValueError: If ``side`` is not ``"left"`` or ``"right"``.

    Example:
        >>> from mdpo.models import with_padding_side
        >>> from mdpo.testing import tiny_chat_tokenizer
        >>> tok = tiny_chat_tokenizer()
        >>> gen = with_padding_side(tok, "left")
        >>> gen.padding_side, tok.padding_side
        ('left', 'right')
        >>> gen(["a", "abc"], padding=True)["attention_mask"][0]
        [0, 0, 1]
    """
    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right', got {side!r}")
    out = ensure_pad_token(copy.deepcopy(tokenizer))
    out.padding_side = side
    return out


def left_pad(rows: list[list[int]], pad_id: int, device: Any = None) -> tuple[Any, Any]:
    """Token id lists as one left-padded batch, for generation.

    Args:
        rows: ``B`` lists of token ids.
        pad_id: The id written before the shorter rows.
        device: Where the tensors go (CPU when None).

    Returns:
        ``(input_ids [B, T], attention_mask [B, T])`` with ``T`` the longest row (int64;
        the mask is 0 on padding).

    Example:
        >>> from mdpo.models.padding import left_pad
        >>> ids, mask = left_pad([[5, 6], [7]], pad_id=0)
        >>> ids.tolist(), mask.tolist()
        ([[5, 6], [0, 7]], [[1, 1], [0, 1]])
    """
    import torch

    width = max(len(r) for r in rows)
    ids = torch.tensor([[pad_id] * (width - len(r)) + r for r in rows], device=device)
    mask = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rows], device=device)
    return ids, mask
