"""MOD: multi-objective decoding by mixing the experts' logits with λ."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from .base import PreferenceConditionedPolicy

__all__ = ["MODPolicy"]


def _logits(output: Any) -> torch.Tensor:
    logits = getattr(output, "logits", output)
    if not isinstance(logits, torch.Tensor):
        raise TypeError(
            f"MOD needs models that return logits (a tensor or an object with .logits), got "
            f"{type(output).__name__}"
        )
    return logits


class MODPolicy(PreferenceConditionedPolicy):
    """Mix the logits of m experts (one per dimension) as ``Σ_i λ_i logits_i``.

    For KL-regularised experts this is the optimum of the λ-weighted objective,
    ``π ∝ Π_i π_i^{λ_i}`` (multi-objective decoding). :meth:`forward` mixes once per call,
    :meth:`generate` once per decoding step.

    Args:
        experts: m modules that return logits (a tensor, or an output with ``.logits``).
        dim_names: Dimension names.

    Raises:
        ValueError: If there is no expert.
    """

    def __init__(self, experts: Sequence[nn.Module], dim_names: Sequence[str] | None = None):
        if len(experts) == 0:
            raise ValueError("experts must hold one model per dimension, got none")
        super().__init__(len(experts), dim_names)
        self._experts = list(experts)

    @property
    def model(self) -> nn.Module:
        """The first expert (MOD has no single model; see :attr:`experts`)."""
        return self._experts[0]

    @property
    def experts(self) -> list[nn.Module]:
        """The m experts."""
        return list(self._experts)

    def modules(self) -> list[nn.Module]:
        """All m experts."""
        return list(self._experts)

    def _apply_preference(self, preference: torch.Tensor) -> None:
        pass

    def forward(self, *args: Any, **kwargs: Any) -> torch.Tensor:
        """Mixed logits ``Σ_i λ_i logits_i(...)``, shaped like one expert's logits.

        Experts with λ_i = 0 are skipped.

        Raises:
            RuntimeError: If no λ is set.
        """
        lam = self._require_preference()
        mixed: torch.Tensor | None = None
        for weight, expert in zip(lam.tolist(), self._experts):
            if weight == 0.0:
                continue
            term = weight * _logits(expert(*args, **kwargs))
            mixed = term if mixed is None else mixed + term
        assert mixed is not None  # λ sums to 1, so some weight is positive
        return mixed

    @torch.no_grad()
    def generate(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        *,
        max_new_tokens: int = 32,
        do_sample: bool = False,
        temperature: float = 1.0,
        eos_token_id: int | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Decode with the logits mixed at every step (no KV cache; for small models).

        Args:
            input_ids: Left-padded prompts ``[B, T]``.
            attention_mask: ``[B, T]``; all ones when None.
            max_new_tokens: Number of tokens to add.
            do_sample: Sample from ``softmax(mixed / temperature)`` instead of greedy.
            temperature: Sampling temperature (> 0).
            eos_token_id: Rows that emitted it continue with it (padding).
            generator: Generator for sampling.

        Returns:
            ``[B, T + max_new_tokens]`` token ids.

        Raises:
            ValueError: If ``max_new_tokens < 0`` or ``temperature <= 0``.
            RuntimeError: If no λ is set.
        """
        if max_new_tokens < 0:
            raise ValueError(f"max_new_tokens must be >= 0, got {max_new_tokens!r}")
        if not temperature > 0:
            raise ValueError(f"temperature must be > 0, got {temperature!r}")
        ids = input_ids
        mask = torch.ones_like(ids) if attention_mask is None else attention_mask
        done = torch.zeros(ids.shape[0], dtype=torch.bool, device=ids.device)
        for _ in range(max_new_tokens):
            logits = self.forward(input_ids=ids, attention_mask=mask)[:, -1, :]
            if do_sample:
                probs = torch.softmax(logits.float() / temperature, dim=-1)
                nxt = torch.multinomial(probs, 1, generator=generator).squeeze(-1)
            else:
                nxt = logits.argmax(dim=-1)
            if eos_token_id is not None:
                nxt = torch.where(done, torch.full_like(nxt, eos_token_id), nxt)
                done = done | (nxt == eos_token_id)
            ids = torch.cat([ids, nxt[:, None]], dim=1)
            mask = torch.cat([mask, torch.ones_like(nxt[:, None])], dim=1)
        return ids
