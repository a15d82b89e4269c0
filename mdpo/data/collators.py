"""Collators that tokenize prompt + completion(s) and build completion masks.

The completion mask is built from the attention mask and each row's prompt length, never
from the pad id: SmolLM2's pad token *is* its EOS, and the EOS that ends a completion must
stay in the loss. Prompts are truncated before completions, and examples whose completion
would be empty are dropped and counted (:attr:`CompletionCollator.num_dropped`, plus a
``logging`` warning); the returned ``kept`` tensor says which examples survived.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import torch

from .encoding import encode_completion, encode_prompt, fit_lengths

__all__ = ["CompletionCollator", "PairCollator", "PromptCollator", "pad_sequences", "split_example"]

logger = logging.getLogger(__name__)


def pad_sequences(
    seqs: Sequence[Sequence[int]],
    *,
    pad_id: int,
    side: Literal["left", "right"] = "right",
) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad token-id lists into a batch.

    Args:
        seqs: ``N`` lists of token ids.
        pad_id: Id written into padding (never used to find padding later).
        side: ``"right"`` (training forwards) or ``"left"`` (generation).

    Returns:
        ``(input_ids [N, T], attention_mask [N, T])``, both int64, T the longest length.

    Example:
        >>> from mdpo.data import pad_sequences
        >>> pad_sequences([[5, 6], [7]], pad_id=2, side="left")
        (tensor([[5, 6],
                [2, 7]]), tensor([[1, 1],
                [0, 1]]))
    """
    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right', got {side!r}")
    width = max((len(s) for s in seqs), default=0)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    attn = torch.zeros((len(seqs), width), dtype=torch.long)
    for i, s in enumerate(seqs):
        if not s:
            continue
        sl = slice(0, len(s)) if side == "right" else slice(width - len(s), width)
        ids[i, sl] = torch.tensor(list(s), dtype=torch.long)
        attn[i, sl] = 1
    return ids, attn


def _completion_mask(attention_mask: torch.Tensor, prompt_lengths: torch.Tensor) -> torch.Tensor:
    # Position of each token among its row's real tokens (0 for the first real token).
    rank = attention_mask.cumsum(dim=-1) - 1
    return (attention_mask > 0) & (rank >= prompt_lengths[:, None])


def _check_length(name: str, value: Any, minimum: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be None or an int >= {minimum}, got {value!r}")
    return value


class _Collator:
    """Shared settings, tokenization and the dropped-example counter."""

    def __init__(
        self,
        tokenizer: Any,
        *,
        max_length: int | None = 512,
        max_prompt_length: int | None = None,
        padding_side: Literal["left", "right"] = "right",
        chat_template: bool | None = None,
        add_eos: bool = True,
    ) -> None:
        if tokenizer is not None and not callable(tokenizer):
            raise TypeError(f"tokenizer must be a Hugging Face tokenizer, got {tokenizer!r}")
        if padding_side not in ("left", "right"):
            raise ValueError(f"padding_side must be 'left' or 'right', got {padding_side!r}")
        if chat_template not in (None, True, False):
            raise ValueError(f"chat_template must be None, True or False, got {chat_template!r}")
        self.tokenizer = tokenizer
        self.max_length = _check_length("max_length", max_length, 2)
        self.max_prompt_length = _check_length("max_prompt_length", max_prompt_length, 1)
        self.padding_side = padding_side
        self.chat_template = chat_template
        self.add_eos = add_eos
        self.num_dropped = 0  # examples dropped so far because their completion was empty

    @property
    def pad_id(self) -> int:
        """The id written into padding: the pad token, else EOS."""
        tok = self.tokenizer
        return tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id

    def prompt_ids(self, prompt: Any) -> list[int]:
        """Token ids of one prompt (see :func:`mdpo.data.encode_prompt`)."""
        return encode_prompt(self.tokenizer, prompt, chat_template=self.chat_template)

    def completion_ids(self, completion: Any) -> list[int]:
        """Token ids of one completion ending with EOS (:func:`mdpo.data.encode_completion`)."""
        return encode_completion(self.tokenizer, completion, add_eos=self.add_eos)

    def _record_dropped(self, dropped: list[int], total: int) -> None:
        if dropped:
            self.num_dropped += len(dropped)
            logger.warning(
                "%s dropped %d of %d examples whose completion would be empty after "
                "truncation (max_length=%s, max_prompt_length=%s); indices %s",
                type(self).__name__,
                len(dropped),
                total,
                self.max_length,
                self.max_prompt_length,
                dropped[:10],
            )

    def _batch(
        self, prompts: list[list[int]], completions: list[list[int]]
    ) -> dict[str, torch.Tensor]:
        seqs = [p + c for p, c in zip(prompts, completions)]
        input_ids, attention_mask = pad_sequences(seqs, pad_id=self.pad_id, side=self.padding_side)
        lengths = torch.tensor([len(p) for p in prompts], dtype=torch.long)
        return {
            "input_ids": input_ids,
            "attention_mask": attention_mask,
            "completion_mask": _completion_mask(attention_mask, lengths),
        }


def split_example(example: Mapping[str, Any]) -> tuple[Any, Any]:
    """``(prompt, completion)`` of an SFT row: ``prompt``/``completion`` or ``messages``.

    Args:
        example: A row with ``prompt`` and ``completion``, or with ``messages`` (a
            conversation whose last turn, the assistant's, is the completion).

    Returns:
        The prompt (str or conversation) and the completion.

    Raises:
        ValueError: If the row has neither schema.
    """
    if "prompt" in example and "completion" in example:
        return example["prompt"], example["completion"]
    messages = example.get("messages")
    if isinstance(messages, Sequence) and len(messages) >= 2:
        last = messages[-1]
        if isinstance(last, Mapping) and last.get("role") == "assistant":
            return list(messages[:-1]), last
    raise ValueError(
        "an SFT example needs 'prompt' and 'completion', or 'messages' ending with an "
        f"assistant turn after at least one other turn; got keys {sorted(example)}"
    )


class CompletionCollator(_Collator):
    """Tokenize ``(prompt, completion)`` examples into one padded batch.

    Args:
        tokenizer: A Hugging Face tokenizer (None: set ``.tokenizer`` before the first call;
            objectives do this with the tokenizer they are called with).
        max_length: Maximum ``prompt + completion`` length (None: no limit).
        max_prompt_length: Maximum prompt length, applied first (None: no limit).
        padding_side: ``"right"`` (default, for log-prob forwards) or ``"left"``.
        chat_template: ``None`` applies the chat template to conversational prompts only,
            ``True`` to string prompts too, ``False`` never.
        add_eos: End every completion with EOS.

    Attributes:
        num_dropped: Cumulative count of examples dropped for an empty completion.

    Example:
        >>> from mdpo.data import CompletionCollator
        >>> from mdpo.testing import tiny_chat_tokenizer
        >>> batch = CompletionCollator(tiny_chat_tokenizer())(
        ...     [{"prompt": "ab", "completion": "c"}, {"prompt": "a", "completion": ""}])
        >>> batch["input_ids"]
        tensor([[67, 68, 69,  2],
                [67,  2,  2,  2]])
        >>> batch["completion_mask"].int()  # the EOS ending each completion is in the loss
        tensor([[0, 0, 1, 1],
                [0, 1, 0, 0]], dtype=torch.int32)
    """

    def __call__(self, examples: Sequence[Mapping[str, Any]]) -> dict[str, torch.Tensor]:
        """Collate ``N`` examples.

        Args:
            examples: Rows with ``prompt`` + ``completion`` or ``messages``.

        Returns:
            ``input_ids [n, T]``, ``attention_mask [n, T]``, ``completion_mask [n, T]``
            (bool) and ``kept [n]`` (int64 indices into ``examples``), where ``n <= N``
            after dropping empty completions.
        """
        prompts, completions, kept, dropped = [], [], [], []
        for i, example in enumerate(examples):
            prompt, completion = split_example(example)
            p, (c,) = fit_lengths(
                self.prompt_ids(prompt),
                [self.completion_ids(completion)],
                max_length=self.max_length,
                max_prompt_length=self.max_prompt_length,
            )
            if not c:
                dropped.append(i)
                continue
            prompts.append(p)
            completions.append(c)
            kept.append(i)
        self._record_dropped(dropped, len(examples))
        batch = self._batch(prompts, completions)
        batch["kept"] = torch.tensor(kept, dtype=torch.long)
        return batch


class PairCollator(_Collator):
    """Tokenize a prompt with two responses; both responses go into **one** batch.

    Row ``j`` of the output is example ``kept[j]``'s first response and row ``n + j`` its
    second, so one forward computes every response's log-probs once. The two responses
    share one truncated prompt.

    Args:
        tokenizer: A Hugging Face tokenizer.
        response_columns: The two response columns, ``("chosen", "rejected")`` or
            ``("response_0", "response_1")``.
        prompt_column: The prompt column.
        max_length: Maximum ``prompt + response`` length (None: no limit).
        max_prompt_length: Maximum prompt length, applied first.
        padding_side: ``"right"`` or ``"left"``.
        chat_template: As for :class:`CompletionCollator`.
        add_eos: End every response with EOS.

    Attributes:
        num_dropped: Cumulative count of pairs dropped because a response would be empty.

    Example:
        >>> from mdpo.data import PairCollator
        >>> from mdpo.testing import tiny_chat_tokenizer
        >>> collate = PairCollator(tiny_chat_tokenizer())
        >>> batch = collate([{"prompt": "a", "chosen": "bc", "rejected": "d"}])
        >>> batch["input_ids"]
        tensor([[67, 68, 69,  2],
                [67, 70,  2,  2]])
    """

    def __init__(
        self,
        tokenizer: Any,
        *,
        response_columns: tuple[str, str] = ("chosen", "rejected"),
        prompt_column: str = "prompt",
        **kwargs: Any,
    ) -> None:
        super().__init__(tokenizer, **kwargs)
        if len(response_columns) != 2:
            raise ValueError(
                f"response_columns must name exactly two columns, got {response_columns!r}"
            )
        self.response_columns = tuple(response_columns)
        self.prompt_column = prompt_column

    def __call__(self, examples: Sequence[Mapping[str, Any]]) -> dict[str, torch.Tensor]:
        """Collate ``N`` pairs.

        Args:
            examples: Rows with the prompt column and both response columns.

        Returns:
            ``input_ids [2n, T]``, ``attention_mask [2n, T]``, ``completion_mask [2n, T]``
            (bool; rows ``:n`` first responses, ``n:`` second) and ``kept [n]``.

        Raises:
            ValueError: If an example lacks a needed column.
        """
        prompts, firsts, seconds, kept, dropped = [], [], [], [], []
        for i, example in enumerate(examples):
            missing = [c for c in (self.prompt_column, *self.response_columns) if c not in example]
            if missing:
                raise ValueError(
                    f"examples[{i}] is missing column(s) {missing} for {type(self).__name__}; "
                    f"keys present: {sorted(example)}"
                )
            p, (a, b) = fit_lengths(
                self.prompt_ids(example[self.prompt_column]),
                [self.completion_ids(example[c]) for c in self.response_columns],
                max_length=self.max_length,
                max_prompt_length=self.max_prompt_length,
            )
            if not a or not b:
                dropped.append(i)
                continue
            prompts.append(p)
            firsts.append(a)
            seconds.append(b)
            kept.append(i)
        self._record_dropped(dropped, len(examples))
        batch = self._batch(prompts + prompts, firsts + seconds)
        batch["kept"] = torch.tensor(kept, dtype=torch.long)
        return batch


class PromptCollator(_Collator):
    """Tokenize prompts alone, left-padded, for ``generate``.

    Args:
        tokenizer: A Hugging Face tokenizer.
        max_prompt_length: Keep at most this many prompt tokens (the end is kept).
        chat_template: As for :class:`CompletionCollator`.

    Example:
        >>> from mdpo.data import PromptCollator
        >>> from mdpo.testing import tiny_chat_tokenizer
        >>> PromptCollator(tiny_chat_tokenizer())(["ab", "c"])["input_ids"]
        tensor([[67, 68],
                [ 2, 69]])
    """

    def __init__(
        self,
        tokenizer: Any,
        *,
        max_prompt_length: int | None = None,
        chat_template: bool | None = None,
    ) -> None:
        super().__init__(
            tokenizer,
            max_length=None,
            max_prompt_length=max_prompt_length,
            padding_side="left",
            chat_template=chat_template,
        )

    def __call__(self, prompts: Sequence[Any]) -> dict[str, torch.Tensor]:
        """Collate ``N`` prompts.

        Args:
            prompts: Strings or conversations.

        Returns:
            ``input_ids [N, P]`` and ``attention_mask [N, P]``, left-padded.
        """
        seqs = []
        for prompt in prompts:
            p, _ = fit_lengths(
                self.prompt_ids(prompt),
                [],
                max_length=None,
                max_prompt_length=self.max_prompt_length,
            )
            seqs.append(p)
        input_ids, attention_mask = pad_sequences(seqs, pad_id=self.pad_id, side="left")
        return {"input_ids": input_ids, "attention_mask": attention_mask}
