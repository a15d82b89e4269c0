"""Chat-template helpers: control the default system prompt and never double the BOS.

SmolLM2's template (like many ChatML templates) injects a default system prompt when a
conversation has none, and writes its own ``<|im_start|>`` (which is also the tokenizer's
BOS) at the start of every turn. :func:`apply_chat` lets callers keep the default system
prompt, replace it, or drop it. :func:`encode_chat` tokenizes the rendered text with
exactly one BOS whether or not the template writes it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "SystemPrompt",
    "apply_chat",
    "encode_chat",
    "encode_chats",
    "template_adds_bos",
    "tokenizer_adds_bos",
]

SystemPrompt = str | bool | None
"""``None`` keeps the template's default, a string replaces it, ``False`` drops it."""

_SENTINEL = "\x1fmdpo-system-sentinel\x1f"
_PROBE = "\x1fmdpo-probe\x1f"


def _check_tokenizer(tokenizer: Any) -> None:
    if not getattr(tokenizer, "chat_template", None):
        raise ValueError(
            f"tokenizer has no chat_template ({type(tokenizer).__name__}); set "
            "tokenizer.chat_template or format prompts yourself"
        )


def _messages(prompt: str | Sequence[Mapping[str, str]]) -> list[dict[str, str]]:
    if isinstance(prompt, str):
        return [{"role": "user", "content": prompt}]
    if isinstance(prompt, Sequence) and all(
        isinstance(m, Mapping) and isinstance(m.get("role"), str) for m in prompt
    ):
        return [dict(m) for m in prompt]
    raise TypeError(
        "prompt must be a str or a sequence of {'role': ..., 'content': ...} messages, "
        f"got {type(prompt).__name__} {prompt!r:.80}"
    )


def _render(tokenizer: Any, messages: list[dict[str, str]], add_generation_prompt: bool) -> str:
    return tokenizer.apply_chat_template(
        messages, tokenize=False, add_generation_prompt=add_generation_prompt
    )


def apply_chat(
    tokenizer: Any,
    prompt: str | Sequence[Mapping[str, str]],
    *,
    system: SystemPrompt = None,
    add_generation_prompt: bool = True,
) -> str:
    r"""Render a prompt with the tokenizer's chat template, choosing the system prompt.

    Args:
        tokenizer: A tokenizer with a ``chat_template``.
        prompt: A user message, or a conversation as a list of ``{"role", "content"}``
            dicts (which must not start with a system message when ``system`` is given).
        system: ``None`` keeps whatever the template does without a system message (SmolLM2
            injects "You are a helpful AI assistant named SmolLM..."); a string becomes the
            system message; ``False`` removes the system turn entirely.
        add_generation_prompt: Append the assistant header so the model answers next.

    Returns:
        The rendered text (not tokenized). Tokenize it with :func:`encode_chat` or with
        ``add_special_tokens=False`` to avoid a second BOS.

    Raises:
        ValueError: If the tokenizer has no chat template, ``system`` is given for a
            conversation that already has one, or the template's system turn cannot be
            separated from the rest (so ``system=False`` cannot be honoured).
        TypeError: If ``prompt`` or ``system`` has the wrong type.

    Example:
        >>> from mdpo.models import apply_chat
        >>> from mdpo.testing import tiny_chat_tokenizer
        >>> tok = tiny_chat_tokenizer()
        >>> apply_chat(tok, "Hi", system=False)
        '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n'
        >>> apply_chat(tok, "Hi", system="Be brief.").splitlines()[1]
        'Be brief.<|im_end|>'
        >>> "SmolLM" in apply_chat(tok, "Hi")
        True
    """
    _check_tokenizer(tokenizer)
    if system is not None and system is not False and not isinstance(system, str):
        raise TypeError(
            f"system must be None (template default), a str, or False (no system turn), "
            f"got {type(system).__name__} {system!r}"
        )
    messages = _messages(prompt)
    if system is None:
        return _render(tokenizer, messages, add_generation_prompt)
    if messages and messages[0]["role"] == "system":
        raise ValueError(
            f"system={system!r} was given but the conversation already starts with a system "
            "message; pass one or the other"
        )
    if isinstance(system, str):
        return _render(
            tokenizer, [{"role": "system", "content": system}, *messages], add_generation_prompt
        )

    # system=False: render with a sentinel system turn and cut that turn out again.
    full = _render(
        tokenizer, [{"role": "system", "content": _SENTINEL}, *messages], add_generation_prompt
    )
    head = _render(tokenizer, [{"role": "system", "content": _SENTINEL}], False)
    if not full.startswith(head) or _SENTINEL not in head:
        raise ValueError(
            "system=False is not supported by this chat template: its system turn is not a "
            "separable prefix of the conversation"
        )
    rest = full[len(head) :]
    bos = getattr(tokenizer, "bos_token", None)
    # Templates such as Llama 3's write a global BOS before the first turn: keep it.
    if bos and head.startswith(bos) and not rest.startswith(bos):
        rest = bos + rest
    return rest


def template_adds_bos(tokenizer: Any) -> bool:
    """Whether the chat template's output already starts with the tokenizer's BOS token.

    Args:
        tokenizer: A tokenizer with a ``chat_template``.

    Returns:
        True if the rendered text begins with ``tokenizer.bos_token`` (SmolLM2: yes, its
        BOS ``<|im_start|>`` opens every turn); False if there is no BOS token or the
        template does not write it.

    Example:
        >>> from mdpo.models import template_adds_bos
        >>> from mdpo.testing import tiny_chat_tokenizer
        >>> template_adds_bos(tiny_chat_tokenizer())
        True
    """
    _check_tokenizer(tokenizer)
    bos = getattr(tokenizer, "bos_token", None)
    if not bos:
        return False
    return apply_chat(tokenizer, _PROBE, system=None).startswith(bos)


def tokenizer_adds_bos(tokenizer: Any) -> bool:
    """Whether plain encoding (``add_special_tokens=True``) prepends the BOS token id.

    Args:
        tokenizer: Any Hugging Face tokenizer.

    Returns:
        True if ``tokenizer("a").input_ids`` starts with ``tokenizer.bos_token_id``.

    Example:
        >>> from mdpo.models import tokenizer_adds_bos
        >>> from mdpo.testing import tiny_chat_tokenizer
        >>> tokenizer_adds_bos(tiny_chat_tokenizer()), tokenizer_adds_bos(
        ...     tiny_chat_tokenizer(add_bos_token=True))
        (False, True)
    """
    bos_id = getattr(tokenizer, "bos_token_id", None)
    if bos_id is None:
        return False
    ids = tokenizer("a", add_special_tokens=True)["input_ids"]
    return len(ids) > 0 and ids[0] == bos_id


def encode_chat(
    tokenizer: Any,
    prompt: str | Sequence[Mapping[str, str]],
    *,
    system: SystemPrompt = None,
    add_generation_prompt: bool = True,
) -> list[int]:
    """Render with :func:`apply_chat` and tokenize with exactly one leading BOS.

    The rendered text is tokenized without special tokens (so the template's own BOS is not
    doubled and no EOS is appended). If the template does not write a BOS but the tokenizer
    normally adds one, it is prepended once.

    Args:
        tokenizer: A tokenizer with a ``chat_template``.
        prompt: A user message or a conversation (see :func:`apply_chat`).
        system: ``None`` (template default), a string, or ``False`` (no system turn).
        add_generation_prompt: Append the assistant header.

    Returns:
        Token ids, a list of ints of length ``L``.

    Example:
        >>> from mdpo.models import encode_chat
        >>> from mdpo.testing import tiny_chat_tokenizer
        >>> tok = tiny_chat_tokenizer(add_bos_token=True)
        >>> ids = encode_chat(tok, "Hi", system=False)
        >>> ids[:2] == [tok.bos_token_id, tok.convert_tokens_to_ids("u")]
        True
    """
    return encode_chats(
        tokenizer, [prompt], system=system, add_generation_prompt=add_generation_prompt
    )[0]


def encode_chats(
    tokenizer: Any,
    prompts: Sequence[str | Sequence[Mapping[str, str]]],
    *,
    system: SystemPrompt = None,
    add_generation_prompt: bool = True,
) -> list[list[int]]:
    """Batched :func:`encode_chat`: one tokenizer call for ``n`` prompts or conversations.

    Args:
        tokenizer: A tokenizer with a ``chat_template``.
        prompts: ``n`` user messages or conversations.
        system: ``None`` (template default), a string, or ``False`` (no system turn).
        add_generation_prompt: Append the assistant header.

    Returns:
        ``n`` lists of token ids, each with exactly one leading BOS when the model uses one.

    Example:
        >>> from mdpo.models import encode_chats
        >>> from mdpo.testing import tiny_chat_tokenizer
        >>> tok = tiny_chat_tokenizer()
        >>> [len(ids) for ids in encode_chats(tok, ["a", "abc"], system=False)]
        [20, 22]
    """
    texts = [
        apply_chat(tokenizer, p, system=system, add_generation_prompt=add_generation_prompt)
        for p in prompts
    ]
    if not texts:
        return []
    encoded = [list(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]
    bos_id = getattr(tokenizer, "bos_token_id", None)
    if bos_id is not None and not template_adds_bos(tokenizer) and tokenizer_adds_bos(tokenizer):
        encoded = [ids if ids[:1] == [bos_id] else [bos_id, *ids] for ids in encoded]
    return encoded
