"""The server's decoding loop: many requests, each with its own λ, in one batch.

:func:`decode` answers a list of :class:`Row` (a conversation, a preference λ and a decoding
protocol each). For a policy that takes one λ per batch row (Panacea, MOD, prompt
conditioning) every row goes into one batch; other policies (Rewarded Soups, DPS) decode
one group of rows per distinct λ. The loop keeps a key/value cache per model, so a step
feeds one new token per row.

A row's answer depends only on the row: greedy rows take the argmax; sampling rows draw
with the Gumbel-max trick from a generator of their own, seeded by the row's ``seed``
(``argmax(logits / T + G)`` with ``G`` standard Gumbel noise is an exact draw from
``softmax(logits / T)``: pure sampling, no top-k or top-p). So an answer does not change
with the other requests it happens to share a batch with.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
from torch import nn

__all__ = ["Completion", "Row", "decode"]


@dataclasses.dataclass
class Row:
    """One request to answer.

    Args:
        messages: The conversation: ``{"role": ..., "content": ...}`` turns, ending with
            the user's message. A ``system`` turn replaces the chat template's default.
        preference: λ ``[m]`` on the simplex, supported by the policy.
        max_tokens: Most tokens to generate (>= 1).
        temperature: 0 for greedy decoding, else the sampling temperature.
        seed: Seed of the row's own sampling generator.
        on_text: Called from the decoding thread with each new piece of the answer's
            text (streaming); the pieces join to the final text.
        cancelled: Set it (from any thread) when nobody waits for the answer any more;
            the row then leaves its batch at the next step.
    """

    messages: Sequence[Mapping[str, str]]
    preference: torch.Tensor
    max_tokens: int
    temperature: float = 0.0
    seed: int = 0
    on_text: Callable[[str], None] | None = None
    cancelled: bool = False


@dataclasses.dataclass(frozen=True)
class Completion:
    """The answer to one :class:`Row`.

    Args:
        text: The answer, special tokens removed, stripped.
        prompt_tokens: Tokens of the encoded conversation.
        completion_tokens: Tokens generated (without the end-of-sequence token).
        finish_reason: ``"stop"`` (the model ended the answer) or ``"length"``
            (``max_tokens`` reached).
    """

    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str


def decode(policy: Any, tokenizer: Any, rows: Sequence[Row]) -> list[Completion]:
    """Answer every row (see the module docstring for the batching).

    Args:
        policy: A :class:`~mdpo.policies.PreferenceConditionedPolicy` of a Hugging Face
            causal LM, as :func:`mdpo.policies.load_policy` builds it.
        tokenizer: Its tokenizer, with a chat template.
        rows: The requests; their λ must be supported by the policy.

    Returns:
        One :class:`Completion` per row, in order.

    Raises:
        ValueError: If a λ is invalid or not supported by the policy.
    """
    if not rows:
        return []
    groups: dict[Any, list[int]] = {}
    for i, row in enumerate(rows):
        key = "all" if policy.batched else tuple(float(v) for v in row.preference)
        groups.setdefault(key, []).append(i)
    out: list[Completion | None] = [None] * len(rows)
    for indices in groups.values():
        for i, completion in zip(
            indices, _decode_group(policy, tokenizer, [rows[i] for i in indices])
        ):
            out[i] = completion
    return [c for c in out if c is not None]


def _decode_group(policy: Any, tokenizer: Any, rows: list[Row]) -> list[Completion]:
    """Rows that share one batch: per-row λ for a batched policy, else one λ for all."""
    from mdpo.models import encode_chats
    from mdpo.models.padding import left_pad
    from mdpo.policies import PromptConditionedPolicy

    lam = torch.stack([row.preference.reshape(-1) for row in rows])
    policy.set_preference(lam if policy.batched else lam[0])
    chats: list[Any] = [list(row.messages) for row in rows]
    if isinstance(policy, PromptConditionedPolicy):
        # A lone user message is conditioned as a string prompt, as the benchmark trains it
        # (λ's line in front of the message, the template's default system prompt kept).
        chats = policy.condition(
            [c[0]["content"] if len(c) == 1 and c[0]["role"] == "user" else c for c in chats]
        )
    encoded = encode_chats(tokenizer, chats)
    device = next(policy.model.parameters()).device
    ids, mask = left_pad(encoded, tokenizer.pad_token_id, device)
    streams = [_Stream(tokenizer, row.on_text) for row in rows]
    finish = _Loop(policy, tokenizer.eos_token_id, rows, device).run(ids, mask, streams)
    return [
        Completion(stream.finish(), len(prompt), len(stream.ids), reason)
        for stream, prompt, reason in zip(streams, encoded, finish)
    ]


class _Loop:
    """Token-by-token decoding of one group with a KV cache per model."""

    def __init__(self, policy: Any, eos_id: int | None, rows: list[Row], device: Any) -> None:
        from mdpo.policies import MODPolicy
        from mdpo.policies.mod import cached_step

        self.step = cached_step
        self.eos_id = eos_id
        self.rows = rows
        if isinstance(policy, MODPolicy):
            self.components: list[tuple[torch.Tensor | None, nn.Module]] = list(
                policy.active_experts()
            )
        else:
            self.components = [(None, policy.model)]
        self.mix = MODPolicy.mix
        self.names = [_cache_argument(module) for _, module in self.components]
        self.generators = [
            torch.Generator(device=device).manual_seed(row.seed) if row.temperature > 0 else None
            for row in rows
        ]

    def logits(self, step_ids: torch.Tensor, mask: torch.Tensor, positions: torch.Tensor) -> Any:
        mixed: torch.Tensor | None = None
        for k, (weight, module) in enumerate(self.components):
            logits, self.caches[k] = self.step(
                module, self.names[k], self.caches[k], step_ids, mask, positions
            )
            logits = logits.float()
            mixed = logits if weight is None else self.mix(mixed, weight, logits)
        return mixed

    def pick(self, logits: torch.Tensor, active: list[int]) -> list[int]:
        """The next token of each active row: argmax, or a Gumbel-max draw."""
        greedy = logits.argmax(dim=-1).tolist()
        picks = []
        for b in active:
            generator = self.generators[b]
            if generator is None:
                picks.append(greedy[b])
                continue
            u = torch.rand(logits.shape[-1], generator=generator, device=logits.device)
            gumbel = -torch.log(-torch.log(u))
            picks.append(int((logits[b] / self.rows[b].temperature + gumbel).argmax()))
        return picks

    @torch.inference_mode()
    def run(self, ids: torch.Tensor, mask: torch.Tensor, streams: list[_Stream]) -> list[str]:
        """Decode until every row stops; returns the rows' finish reasons."""
        self.caches: list[Any] = [None] * len(self.components)
        finish = ["length"] * len(self.rows)
        active = [b for b, row in enumerate(self.rows)]
        positions = (mask.long().cumsum(dim=1) - 1).clamp(min=0)
        step_ids = ids
        filler = self.eos_id if self.eos_id is not None else 0
        for _ in range(max(row.max_tokens for row in self.rows)):
            picks = self.pick(self.logits(step_ids, mask, positions), active)
            nxt = [filler] * len(self.rows)
            still = []
            for b, token in zip(active, picks):
                nxt[b] = token
                if self.rows[b].cancelled:
                    continue
                if token == self.eos_id:
                    finish[b] = "stop"
                    continue
                streams[b].add(token)
                if len(streams[b].ids) < self.rows[b].max_tokens:
                    still.append(b)
            active = still
            if not active:
                break
            step_ids = torch.tensor(nxt, device=ids.device)[:, None]
            mask = torch.cat([mask, torch.ones_like(step_ids)], dim=1)
            positions = positions[:, -1:] + 1
        return finish


class _Stream:
    """A row's generated tokens and the text pieces already handed to ``on_text``."""

    def __init__(self, tokenizer: Any, on_text: Callable[[str], None] | None) -> None:
        self.tokenizer = tokenizer
        self.on_text = on_text
        self.ids: list[int] = []
        self.sent = ""

    def text(self) -> str:
        return self.tokenizer.decode(self.ids, skip_special_tokens=True).strip()

    def _emit(self, text: str) -> None:
        if self.on_text is not None and text.startswith(self.sent) and len(text) > len(self.sent):
            self.on_text(text[len(self.sent) :])
            self.sent = text

    def add(self, token: int) -> None:
        self.ids.append(token)
        if self.on_text is not None:
            # Only the part before the first replacement character is final: later bytes may
            # complete a multi-byte character; trailing space may still be stripped.
            self._emit(self.text().split("\ufffd", 1)[0].rstrip())

    def finish(self) -> str:
        text = self.text()
        self._emit(text)
        return text


def _cache_argument(module: nn.Module) -> str:
    """The forward argument of the KV cache: ``cache`` (newer transformers) or the older name.

    Wrappers (a Panacea model, a peft model, an adapter view) take ``**kwargs``; the first
    submodule whose ``forward`` names one of the two decides.
    """
    for sub in module.modules():
        parameters = inspect.signature(sub.forward).parameters
        for name in ("cache", "past_key_values"):
            if name in parameters:
                return name
    return "past_key_values"
