"""Token ids of prompts and completions, chat template included, and prompt-first truncation.

Prompts that are conversations (lists of ``{"role", "content"}``) go through the
tokenizer's chat template with the generation prompt appended, with exactly one BOS
(:func:`mdpo.models.chat.encode_chat`). Plain-text prompts are encoded without special
tokens, with the BOS prepended only if the tokenizer normally adds one. A completion is
its text's ids followed by EOS, the token that ends it, which stays in the loss.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .schemas import is_conversation

__all__ = ["encode_completion", "encode_prompt", "fit_lengths"]


def _bos_prefix(tokenizer: Any) -> list[int]:
    from mdpo.models.chat import tokenizer_adds_bos

    return [tokenizer.bos_token_id] if tokenizer_adds_bos(tokenizer) else []


def encode_prompt(tokenizer: Any, prompt: Any, *, chat_template: bool | None = None) -> list[int]:
    """Token ids of a prompt, with exactly one BOS where the tokenizer uses one.

    Args:
        tokenizer: A Hugging Face tokenizer.
        prompt: A string or a conversation (list of ``{"role", "content"}`` dicts).
        chat_template: ``None`` applies the chat template to conversations only; ``True``
            also wraps a string prompt as one user message; ``False`` never applies it
            (a conversation is then refused).

    Returns:
        A list of ``L`` token ids. An empty prompt becomes ``[bos]`` (or ``[eos]`` without a
        BOS token) so that the first completion token has a position predicting it.

    Raises:
        TypeError: If ``prompt`` is neither a string nor a conversation, or is a
            conversation while ``chat_template=False``.

    Example:
        >>> from mdpo.data import encode_prompt
        >>> from mdpo.testing import tiny_chat_tokenizer
        >>> tok = tiny_chat_tokenizer(add_bos_token=True)
        >>> encode_prompt(tok, "ab")
        [1, 67, 68]
        >>> ids = encode_prompt(tok, [{"role": "user", "content": "ab"}])
        >>> ids[:2] == [1, tok.convert_tokens_to_ids("s")]  # one BOS, then "system"
        True
    """
    conversational = is_conversation(prompt)
    if not conversational and not isinstance(prompt, str):
        raise TypeError(
            "prompt must be a str or a list of {'role', 'content'} messages, "
            f"got {type(prompt).__name__} {prompt!r:.80}"
        )
    if conversational and chat_template is False:
        raise TypeError("prompt is a conversation but chat_template=False; pass a str prompt")
    if conversational or chat_template:
        from mdpo.models.chat import encode_chat

        ids = encode_chat(tokenizer, prompt, add_generation_prompt=True)
    else:
        ids = list(tokenizer(prompt, add_special_tokens=False)["input_ids"])
        prefix = _bos_prefix(tokenizer)
        if prefix and ids[:1] != prefix:
            ids = prefix + ids
    if not ids:
        fallback = tokenizer.bos_token_id
        ids = [tokenizer.eos_token_id if fallback is None else fallback]
    return ids


def encode_completion(tokenizer: Any, completion: Any, *, add_eos: bool = True) -> list[int]:
    """Token ids of a completion, ending with EOS (which belongs to the completion).

    Args:
        tokenizer: A Hugging Face tokenizer.
        completion: A string, an assistant message ``{"role", "content"}`` or a list of
            them (their contents are concatenated).
        add_eos: Append ``tokenizer.eos_token_id`` unless the ids already end with it.

    Returns:
        A list of token ids (empty only for an empty text with ``add_eos=False``).

    Raises:
        TypeError: If ``completion`` has another type.

    Example:
        >>> from mdpo.data import encode_completion
        >>> from mdpo.testing import tiny_chat_tokenizer
        >>> encode_completion(tiny_chat_tokenizer(), "ab")
        [67, 68, 2]
    """
    if isinstance(completion, Mapping) and "content" in completion:
        text = completion["content"]
    elif is_conversation(completion):
        text = "".join(m.get("content", "") for m in completion)
    else:
        text = completion
    if not isinstance(text, str):
        raise TypeError(
            "completion must be a str or assistant message(s), "
            f"got {type(completion).__name__} {completion!r:.80}"
        )
    ids = list(tokenizer(text, add_special_tokens=False)["input_ids"]) if text else []
    eos = tokenizer.eos_token_id
    if add_eos and eos is not None and ids[-1:] != [eos]:
        ids.append(eos)
    return ids


def fit_lengths(
    prompt: Sequence[int],
    completions: Sequence[Sequence[int]],
    *,
    max_length: int | None,
    max_prompt_length: int | None = None,
) -> tuple[list[int], list[list[int]]]:
    """Truncate one prompt and its completions so every ``prompt + completion`` fits.

    The prompt is truncated first, from the left (its end, next to the completion, is
    kept), down to one token; only then are completions cut from the right.

    Args:
        prompt: The prompt's ids (at least one).
        completions: One or more completions of that prompt (the two responses of a pair
            share the truncated prompt).
        max_length: Maximum total length, or None for no limit.
        max_prompt_length: Maximum prompt length, applied before ``max_length``.

    Returns:
        ``(prompt ids, [completion ids, ...])``; a completion may come back empty, which
        callers treat as "drop this example".

    Example:
        >>> from mdpo.data import fit_lengths
        >>> fit_lengths([1, 2, 3, 4], [[7, 8, 9]], max_length=5)
        ([3, 4], [[7, 8, 9]])
        >>> fit_lengths([1, 2, 3, 4], [[7, 8, 9, 9, 9]], max_length=5)
        ([4], [[7, 8, 9, 9]])
    """
    p = list(prompt)
    if max_prompt_length is not None and len(p) > max_prompt_length:
        p = p[len(p) - max_prompt_length :]
    if max_length is not None:
        longest = max((len(c) for c in completions), default=0)
        room = max(max_length - longest, 1)
        if len(p) > room:
            p = p[len(p) - room :]
        budget = max(max_length - len(p), 0)
        return p, [list(c[:budget]) for c in completions]
    return p, [list(c) for c in completions]
