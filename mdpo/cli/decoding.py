"""Answering prompts with a policy at one or several preferences λ: ``mdpo generate``'s core.

:func:`generate_answers` batches every (prompt, λ) row into one ``generate`` when the policy
takes one λ per row, and loops over λ otherwise; :class:`Decoding` is the protocol (greedy,
or pure sampling at a temperature, seeded).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import torch

__all__ = ["Decoding", "generate_answers"]


@dataclasses.dataclass(frozen=True)
class Decoding:
    """The decoding protocol of one ``mdpo generate`` call.

    Args:
        max_new_tokens: Tokens generated per answer (>= 1).
        temperature: 0 for greedy decoding, else the sampling temperature (pure sampling:
            no top-k, no top-p).
        seed: Seed of ``torch``'s generator before each ``generate`` call.
        system: ``None`` (the chat template's default system prompt), a system prompt, or
            ``False`` (no system turn).

    Raises:
        ValueError: If ``max_new_tokens < 1`` or ``temperature`` is negative or not finite.

    Example:
        >>> from mdpo.cli.decoding import Decoding
        >>> Decoding(max_new_tokens=8).as_dict()["strategy"]
        'greedy'
    """

    max_new_tokens: int = 64
    temperature: float = 0.0
    seed: int = 0
    system: str | bool | None = None

    def __post_init__(self) -> None:
        if isinstance(self.max_new_tokens, bool) or not isinstance(self.max_new_tokens, int):
            raise TypeError(f"max_new_tokens must be an int >= 1, got {self.max_new_tokens!r}")
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be an int >= 1, got {self.max_new_tokens!r}")
        if not math.isfinite(self.temperature) or self.temperature < 0:
            raise ValueError(
                f"temperature must be a finite number >= 0 (0 = greedy), got {self.temperature!r}"
            )

    @property
    def do_sample(self) -> bool:
        """True when sampling (temperature > 0)."""
        return self.temperature > 0

    def as_dict(self) -> dict[str, Any]:
        """The protocol as recorded in the JSON output.

        Returns:
            ``strategy`` ("greedy" or "sampling"), ``temperature``, ``top_k``, ``top_p``,
            ``max_new_tokens``, ``seed`` and ``system``.
        """
        return {
            "strategy": "sampling" if self.do_sample else "greedy",
            "temperature": self.temperature,
            "top_k": 0 if self.do_sample else None,
            "top_p": 1.0 if self.do_sample else None,
            "max_new_tokens": self.max_new_tokens,
            "seed": self.seed,
            "system": "template default" if self.system is None else self.system,
        }


def _chat_inputs(prompts: Sequence[str], system: str | bool | None) -> tuple[list[Any], Any]:
    """Prompts as chat inputs plus the ``system`` argument of :func:`encode_chats`."""
    if isinstance(system, str):
        convs = [
            [{"role": "system", "content": system}, {"role": "user", "content": p}] for p in prompts
        ]
        return convs, None
    return list(prompts), system


def _generate_rows(
    policy: Any,
    tokenizer: Any,
    prompts: Sequence[str],
    preferences: torch.Tensor,
    decoding: Decoding,
) -> list[str]:
    """One ``generate`` call: row i answers ``prompts[i]`` at λ ``preferences[i]``.

    ``preferences`` may also be one λ ``[m]`` for all rows.
    """
    from mdpo.models import encode_chats
    from mdpo.models.padding import left_pad
    from mdpo.policies import MODPolicy, PromptConditionedPolicy

    policy.set_preference(preferences)
    chats, system = _chat_inputs(prompts, decoding.system)
    text_conditioned = isinstance(policy, PromptConditionedPolicy)
    if text_conditioned:
        chats = policy.condition(chats)
    eos_id, pad_id = tokenizer.eos_token_id, tokenizer.pad_token_id
    ids, mask = left_pad(encode_chats(tokenizer, chats, system=system), pad_id)
    device = next(policy.model.parameters()).device
    ids, mask = ids.to(device), mask.to(device)
    torch.manual_seed(decoding.seed)
    with torch.inference_mode():
        if isinstance(policy, MODPolicy):
            generator = torch.Generator(device=device).manual_seed(decoding.seed)
            out = policy.generate(
                ids,
                mask,
                max_new_tokens=decoding.max_new_tokens,
                do_sample=decoding.do_sample,
                temperature=decoding.temperature if decoding.do_sample else 1.0,
                eos_token_id=eos_id,
                generator=generator,
            )
        else:
            kwargs: dict[str, Any] = {
                "attention_mask": mask,
                "max_new_tokens": decoding.max_new_tokens,
                "do_sample": decoding.do_sample,
                "pad_token_id": pad_id,
                "eos_token_id": eos_id,
            }
            if decoding.do_sample:
                kwargs.update(temperature=decoding.temperature, top_k=0, top_p=1.0)
            generate = policy.model.generate if text_conditioned else policy.generate
            out = generate(ids, **kwargs)
    answers = []
    for row in out[:, ids.shape[1] :].tolist():
        if eos_id is not None and eos_id in row:
            row = row[: row.index(eos_id)]
        answers.append(tokenizer.decode(row, skip_special_tokens=True).strip())
    return answers


def generate_answers(
    policy: Any,
    tokenizer: Any,
    prompts: Sequence[str],
    preferences: torch.Tensor,
    decoding: Decoding,
    *,
    batched: bool | None = None,
) -> list[list[str]]:
    """Answer every prompt at every preference.

    Args:
        policy: A :class:`~mdpo.policies.PreferenceConditionedPolicy` of a language model
            (as :func:`mdpo.policies.load_policy` builds it).
        tokenizer: Its tokenizer (with a chat template).
        prompts: P user messages.
        preferences: ``[L, m]`` preferences, each supported by the policy.
        decoding: The decoding protocol.
        batched: One ``generate`` over all P·L rows with per-row λ; by default when the
            policy is ``batched`` (Panacea, MOD, prompt conditioning). False loops over λ with the
            P prompts batched. Under greedy decoding both give the same answers.

    Returns:
        ``answers[p][l]``: the answer to prompt p at preference l.

    Raises:
        ValueError: If ``batched`` is requested for a policy that takes one λ at a time, or
            a preference is invalid or unsupported.
    """
    prompts = list(prompts)
    lam = preferences.reshape(-1, policy.n_dims)
    n = lam.shape[0]
    if batched is None:
        batched = bool(getattr(policy, "batched", False))
    if batched and not getattr(policy, "batched", False):
        raise ValueError(f"batched=True needs a policy with per-row λ, got {type(policy).__name__}")
    if batched:
        rows = [p for p in prompts for _ in range(n)]
        flat = _generate_rows(policy, tokenizer, rows, lam.repeat(len(prompts), 1), decoding)
        return [flat[i * n : (i + 1) * n] for i in range(len(prompts))]
    columns = [_generate_rows(policy, tokenizer, prompts, row, decoding) for row in lam]
    return [[columns[j][i] for j in range(n)] for i in range(len(prompts))]
