"""Per-token and per-sequence log-probabilities of completions under a causal LM."""

from __future__ import annotations

from typing import Any

import torch

__all__ = ["sequence_logps"]


def sequence_logps(
    model: Any,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    completion_mask: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Log-probabilities of the completion tokens, per token and summed per sequence.

    Token ``t`` is scored by the logits at position ``t - 1``. Position ids are derived
    from the attention mask, so left- and right-padded batches give the same values. Only
    the completion positions are gathered and normalised (a ``logsumexp`` over the
    selected rows, in float32), so no full ``[B, T, V]`` log-softmax is materialised.

    Args:
        model: A causal LM returning ``.logits [B, T, V]``.
        input_ids: ``[B, T]`` token ids.
        attention_mask: ``[B, T]``, 1 on real tokens.
        completion_mask: ``[B, T]`` bool, True on completion tokens. Position 0 has no
            predicting position and is never scored.

    Returns:
        ``(sum_logps [B], token_logps [B, T])`` in float32; ``token_logps`` is 0 outside the
        completion mask. Gradients flow to the model's parameters.

    Raises:
        ValueError: If the shapes differ.

    Example:
        >>> import torch
        >>> from mdpo.data import sequence_logps
        >>> from mdpo.testing import tiny_causal_lm
        >>> ids = torch.tensor([[5, 6, 7]])
        >>> total, per_token = sequence_logps(
        ...     tiny_causal_lm(), ids, torch.ones_like(ids), torch.tensor([[False, True, True]]))
        >>> bool(total[0] == per_token[0].sum()), per_token.shape
        (True, torch.Size([1, 3]))
    """
    shapes = {t.shape for t in (input_ids, attention_mask, completion_mask)}
    if len(shapes) != 1 or input_ids.dim() != 2:
        raise ValueError(
            "input_ids, attention_mask and completion_mask must share one [B, T] shape, got "
            f"{tuple(input_ids.shape)}, {tuple(attention_mask.shape)}, "
            f"{tuple(completion_mask.shape)}"
        )
    position_ids = (attention_mask.long().cumsum(dim=-1) - 1).clamp(min=0)
    logits = model(
        input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids
    ).logits
    target = completion_mask[:, 1:].bool() & (attention_mask[:, 1:] > 0)
    picked = logits[:, :-1][target].float()  # [N, V], completion positions only
    ids = input_ids[:, 1:][target]
    lp = picked.gather(-1, ids[:, None]).squeeze(-1) - torch.logsumexp(picked, dim=-1)
    shifted = torch.zeros(target.shape, dtype=torch.float32, device=logits.device)
    shifted = shifted.masked_scatter(target, lp)
    token_logps = torch.cat([shifted.new_zeros(shifted.shape[0], 1), shifted], dim=1)
    return token_logps.sum(dim=-1), token_logps
