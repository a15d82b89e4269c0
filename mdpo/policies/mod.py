"""MOD: multi-objective decoding by mixing the experts' logits with λ."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any, ClassVar

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
    :meth:`generate` once per decoding step. λ may be one per batch row (``[B, m]``), so
    several preferences decode in one batch.

    Args:
        experts: m modules that return logits (a tensor, or an output with ``.logits``).
        dim_names: Dimension names.

    Raises:
        ValueError: If there is no expert.
    """

    batched: ClassVar[bool] = True

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

    def active_experts(self) -> list[tuple[torch.Tensor, nn.Module]]:
        """``(weights, expert)`` of the experts with some positive weight at the current λ.

        A decoding loop of its own (such as the server's) mixes ``Σ weights · logits`` of
        these experts, as :meth:`generate` does.

        Returns:
            One pair per active expert; the weights are ``[]`` for a ``[m]`` λ and ``[B]``
            for a ``[B, m]`` one.

        Raises:
            RuntimeError: If no λ is set.
        """
        return self._active()

    def _active(self) -> list[tuple[torch.Tensor, nn.Module]]:
        """``(weights, expert)`` of the experts with some positive weight.

        The weights are ``[]`` for a ``[m]`` λ and ``[B]`` for a ``[B, m]`` one.
        """
        lam = self._require_preference()
        return [
            (lam[..., i], expert)
            for i, expert in enumerate(self._experts)
            if bool((lam[..., i] != 0).any())
        ]

    @staticmethod
    def mix(mixed: torch.Tensor | None, weight: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
        """``mixed + weight * logits`` with a per-row weight ``[B]`` broadcast over rows.

        Args:
            mixed: The sum so far (``[B, ..., V]``), or None for the first term.
            weight: ``[]`` or ``[B]`` weight of this expert.
            logits: The expert's logits ``[B, ..., V]``.

        Returns:
            The new sum.

        Raises:
            RuntimeError: If a per-row weight's row count differs from the batch's.
        """
        if weight.dim() == 1:
            if weight.shape[0] != logits.shape[0]:
                raise RuntimeError(
                    f"the per-row preference has {weight.shape[0]} rows but the batch has "
                    f"{logits.shape[0]}"
                )
            weight = weight.reshape(-1, *([1] * (logits.dim() - 1)))
        term = weight.to(device=logits.device, dtype=logits.dtype) * logits
        return term if mixed is None else mixed + term

    def forward(self, *args: Any, **kwargs: Any) -> torch.Tensor:
        """Mixed logits ``Σ_i λ_i logits_i(...)``, shaped like one expert's logits.

        Experts whose λ_i is 0 on every row are skipped. A ``[B, m]`` λ weighs row b of
        every expert's logits by ``λ[b]``.

        Raises:
            RuntimeError: If no λ is set, or a per-row λ's row count differs from the
                batch's.
        """
        mixed: torch.Tensor | None = None
        for weight, expert in self._active():
            mixed = self.mix(mixed, weight, _logits(expert(*args, **kwargs)))
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
        use_cache: bool | None = None,
    ) -> torch.Tensor:
        """Decode with the logits mixed at every step.

        With ``use_cache`` each active expert keeps its own key/value cache, so a step
        feeds one new token per expert instead of the whole sequence; position ids follow
        the attention mask (left padding). Without it every step re-runs the full sequence
        (any module that returns logits works).

        Args:
            input_ids: Left-padded prompts ``[B, T]``.
            attention_mask: ``[B, T]``; all ones when None.
            max_new_tokens: Number of tokens to add.
            do_sample: Sample from ``softmax(mixed / temperature)`` instead of greedy.
            temperature: Sampling temperature (> 0).
            eos_token_id: Rows that emitted it continue with it (padding).
            generator: Generator for sampling.
            use_cache: Use per-expert KV caches. None (default): when every expert is a
                Hugging Face causal LM (or a peft model of one), i.e. has a ``config``
                with ``use_cache``.

        Returns:
            ``[B, T + max_new_tokens]`` token ids.

        Raises:
            ValueError: If ``max_new_tokens < 0`` or ``temperature <= 0``.
            TypeError: If ``use_cache`` is not a bool or None.
            RuntimeError: If no λ is set.
        """
        if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, int):
            raise TypeError(
                f"max_new_tokens must be an int >= 0, got {type(max_new_tokens).__name__} "
                f"{max_new_tokens!r}"
            )
        if max_new_tokens < 0:
            raise ValueError(f"max_new_tokens must be >= 0, got {max_new_tokens!r}")
        if not temperature > 0:
            raise ValueError(f"temperature must be > 0, got {temperature!r}")
        if use_cache is not None and not isinstance(use_cache, bool):
            raise TypeError(
                f"use_cache must be a bool or None, got {type(use_cache).__name__} {use_cache!r}"
            )
        active = self._active()
        if use_cache is None:
            use_cache = all(_caches(expert) for _, expert in active)
        ids = input_ids
        mask = torch.ones_like(ids) if attention_mask is None else attention_mask
        done = torch.zeros(ids.shape[0], dtype=torch.bool, device=ids.device)
        caches: list[Any] = [None] * len(active)
        names = [_cache_argument(expert) for _, expert in active] if use_cache else []
        step_ids = ids
        positions = (mask.long().cumsum(dim=1) - 1).clamp(min=0)
        for _ in range(max_new_tokens):
            if use_cache:
                logits = None
                for k, (weight, expert) in enumerate(active):
                    step, caches[k] = cached_step(
                        expert, names[k], caches[k], step_ids, mask, positions
                    )
                    logits = self.mix(logits, weight, step)
                assert logits is not None
            else:
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
            step_ids = nxt[:, None]
            positions = positions[:, -1:] + 1
        return ids


def _caches(expert: nn.Module) -> bool:
    """Whether an expert looks like a Hugging Face causal LM that keeps a KV cache."""
    config = getattr(expert, "config", None)
    return config is not None and hasattr(config, "use_cache") and hasattr(expert, "generate")


def _cache_argument(expert: nn.Module) -> str:
    """The forward argument for the KV cache: ``cache`` (newer transformers) or the older name."""
    model = expert.get_base_model() if hasattr(expert, "get_base_model") else expert
    return "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"


def _cache_of(output: Any) -> Any:
    """The KV cache a forward returned (``cache`` or ``past_key_values``)."""
    cache = getattr(output, "cache", None)
    return output.past_key_values if cache is None else cache


def cached_step(
    model: nn.Module,
    cache_argument: str,
    cache: Any,
    step_ids: torch.Tensor,
    mask: torch.Tensor,
    positions: torch.Tensor,
) -> tuple[torch.Tensor, Any]:
    """One decoding step of a Hugging Face causal LM with a KV cache (MOD's and the server's).

    Args:
        model: The model (or one MOD expert).
        cache_argument: Its forward's KV-cache argument (``cache`` or ``past_key_values``).
        cache: The cache so far, or None at the first step.
        step_ids: ``[B, t]`` the new tokens (the whole prompt at the first step).
        mask: ``[B, T]`` the attention mask of everything so far.
        positions: ``[B, t]`` the new tokens' positions.

    Returns:
        ``(logits [B, vocab] of the last position, the updated cache)``.
    """
    out = model(
        input_ids=step_ids,
        attention_mask=mask,
        position_ids=positions,
        use_cache=True,
        logits_to_keep=1,
        **{cache_argument: cache},
    )
    return _logits(out)[:, -1, :], _cache_of(out)
