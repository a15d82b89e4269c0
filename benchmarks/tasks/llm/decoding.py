"""Decoding of a language-model task: answer prompts under the recorded protocol, measure KL.

:class:`LLMDecoding` answers prompts with a policy in ``gen_batch_size`` chunks (left
padding, the chat template, greedy or seeded sampling per chunk) and measures each answer's
sequence log-ratio ``log π(y|x) − log π_ref(y|x)`` under the policy and the frozen reference.
"""

from __future__ import annotations

import types
from collections.abc import Sequence
from typing import Any

import torch

from mdpo.benchmarks.tasks.llm.config import LLMTaskConfig

__all__ = ["LLMDecoding"]


class _LogitsView:
    """Calls a policy and returns an object with ``.logits`` (MOD returns a bare tensor)."""

    def __init__(self, policy: Any) -> None:
        self.policy = policy

    def __call__(self, **kwargs: Any) -> Any:
        out = self.policy(**kwargs)
        return types.SimpleNamespace(logits=getattr(out, "logits", out))


class LLMDecoding:
    """The decoding half of :class:`~mdpo.benchmarks.tasks.llm.LLMTask` (a base class).

    Reads the task's decoding settings (``config``: ``greedy``, ``temperature``, ``top_p``,
    ``max_new_tokens``, ``decode_seed``, ``gen_batch_size``), its tokenizer, its frozen
    reference model and its device.
    """

    config: LLMTaskConfig
    tokenizer: Any
    reference: Any
    device: torch.device

    def _encode(self, prompts: Sequence[str]) -> Any:
        from mdpo.models import encode_chats, with_padding_side

        tok = with_padding_side(self.tokenizer, "left")
        ids = encode_chats(tok, list(prompts))
        return tok.pad({"input_ids": ids}, padding=True, return_tensors="pt").to(self.device)

    @torch.no_grad()
    def _generate(self, policy: Any, batch: Any, chunk: int) -> torch.Tensor:
        from mdpo.policies import MODPolicy
        from mdpo.seeding import derive_seed, keyed_generator

        c = self.config
        eos = self.tokenizer.eos_token_id
        if isinstance(policy, MODPolicy):
            gen = None if c.greedy else keyed_generator(c.decode_seed, "eval", chunk)
            if gen is not None and self.device.type != "cpu":
                gen = torch.Generator(self.device).manual_seed(
                    derive_seed(c.decode_seed, "eval", chunk) % (2**63)
                )
            return policy.generate(
                batch["input_ids"],
                batch["attention_mask"],
                max_new_tokens=c.max_new_tokens,
                do_sample=not c.greedy,
                temperature=c.temperature,
                eos_token_id=eos,
                generator=gen,
            )
        kwargs: dict[str, Any] = {"do_sample": False}
        if not c.greedy:
            kwargs = {"do_sample": True, "temperature": c.temperature, "top_p": c.top_p, "top_k": 0}
        devices = [] if self.device.type == "cpu" else [self.device]
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(derive_seed(c.decode_seed, "eval", chunk) % (2**31))
            return policy.generate(
                **batch,
                max_new_tokens=c.max_new_tokens,
                pad_token_id=self.tokenizer.pad_token_id,
                eos_token_id=eos,
                **kwargs,
            )

    def _completion(self, generated: torch.Tensor, batch: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """Attention and completion masks ``[B, T']`` of generated rows (cut after EOS)."""
        t = batch["input_ids"].shape[1]
        new = generated[:, t:]
        is_eos = new == self.tokenizer.eos_token_id
        # Keep tokens up to and including the first EOS.
        before = (is_eos.long().cumsum(dim=1) - is_eos.long()) == 0
        attention = torch.cat([batch["attention_mask"], before.long()], dim=1)
        completion = torch.cat([torch.zeros_like(batch["attention_mask"]).bool(), before], dim=1)
        return attention, completion

    @torch.no_grad()
    def _decode(
        self, policy: Any, prompts: Sequence[str], rows: torch.Tensor | None
    ) -> tuple[list[str], torch.Tensor, list[bool]]:
        """Answer ``prompts`` in ``gen_batch_size`` chunks.

        Returns the answers, their log-ratios ``[N]`` and whether the model ended each answer
        itself (EOS before the token limit).

        ``rows`` (``[N, m]``, one λ per prompt) is set on the policy chunk by chunk; None
        keeps the policy's current λ.
        """
        from mdpo.data import sequence_logps
        from mdpo.policies import PromptConditionedPolicy

        size = self.config.gen_batch_size
        answers: list[str] = []
        ratios: list[torch.Tensor] = []
        finished: list[bool] = []
        # A prompt-conditioned policy reads λ from the text: its model answers the annotated
        # prompts, and its KL is measured against the reference on the same annotated text.
        conditioned = isinstance(policy, PromptConditionedPolicy)
        runner = policy.model if conditioned else policy
        for chunk, start in enumerate(range(0, len(prompts), size)):
            if rows is not None:
                policy.set_preference(rows[start : start + size])
            texts = list(prompts[start : start + size])
            batch = self._encode(policy.condition(texts) if conditioned else texts)
            generated = self._generate(runner, batch, chunk)
            attention, completion = self._completion(generated, batch)
            t = batch["input_ids"].shape[1]
            texts = self.tokenizer.batch_decode(generated[:, t:], skip_special_tokens=True)
            answers.extend(text.strip() for text in texts)
            finished.extend((generated[:, t:] == self.tokenizer.eos_token_id).any(dim=1).tolist())
            own, _ = sequence_logps(_LogitsView(runner), generated, attention, completion)
            ref, _ = sequence_logps(self.reference, generated, attention, completion)
            ratios.append((own - ref).double().cpu())
        return answers, torch.cat(ratios), finished
