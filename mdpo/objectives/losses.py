"""Pure losses over log-probabilities: DPO, SFT, RLOO-RLHF and exact finite-action RLHF.

Losses are minimised and equal −J_i (see the conventions page of the docs). Each takes per-sample
inputs and returns
per-sample values, per dimension when the inputs carry a trailing ``m`` axis.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F

from mdpo._numbers import check_real

from .output import value_with_gradient

__all__ = ["dpo_loss", "exact_rlhf_loss", "rlhf_loss", "sft_loss"]


def _check_beta(beta: float, *, allow_zero: bool = False) -> float:
    return check_real("beta", beta, low=0.0, low_open=not allow_zero, noun="float")


def _check_same_shape(policy: torch.Tensor, reference: torch.Tensor, names: str, axes: str) -> None:
    """Refuse policy and reference tensors that do not share one shape ``[axes]``."""
    if policy.dim() != len(axes.split(",")) or policy.shape != reference.shape:
        raise ValueError(
            f"{names} must share one [{axes}] shape, got "
            f"{tuple(policy.shape)} and {tuple(reference.shape)}"
        )


def dpo_loss(
    policy_chosen_logps: torch.Tensor,
    policy_rejected_logps: torch.Tensor,
    ref_chosen_logps: torch.Tensor,
    ref_rejected_logps: torch.Tensor,
    *,
    beta: float = 0.1,
    label_smoothing: float = 0.0,
) -> torch.Tensor:
    r"""The DPO loss of each pair (optionally with conservative label smoothing).

    With the implicit reward margin
    ``h = β·[(log π(y_c) − log π_ref(y_c)) − (log π(y_r) − log π_ref(y_r))]`` the loss is
    ``−(1 − ε)·log σ(h) − ε·log σ(−h)``. It equals ``ln 2`` when the policy equals the
    reference, for every ε.

    Args:
        policy_chosen_logps: ``[...]`` sequence log-probs of the chosen responses.
        policy_rejected_logps: ``[...]`` of the rejected responses.
        ref_chosen_logps: ``[...]`` under the reference policy.
        ref_rejected_logps: ``[...]`` under the reference policy.
        beta: Inverse temperature β > 0.
        label_smoothing: ε in [0, 0.5): the assumed probability that a label is flipped.

    Returns:
        ``[...]`` (the broadcast shape) per-pair losses.

    Raises:
        ValueError: If ``beta`` or ``label_smoothing`` is out of range.

    Example:
        >>> import torch
        >>> from mdpo.objectives import dpo_loss
        >>> x = torch.tensor([-3.0, -5.0])
        >>> dpo_loss(x, x - 1, x, x - 1)  # policy == reference
        tensor([0.6931, 0.6931])
    """
    beta = _check_beta(beta)
    if isinstance(label_smoothing, bool) or not (
        isinstance(label_smoothing, int | float) and 0.0 <= label_smoothing < 0.5
    ):
        raise ValueError(f"label_smoothing must be a float in [0, 0.5), got {label_smoothing!r}")
    margin = (policy_chosen_logps - ref_chosen_logps) - (policy_rejected_logps - ref_rejected_logps)
    h = beta * margin
    return -(1.0 - label_smoothing) * F.logsigmoid(h) - label_smoothing * F.logsigmoid(-h)


def sft_loss(
    token_logps: torch.Tensor,
    mask: torch.Tensor,
    *,
    reduction: Literal["mean", "sum"] = "mean",
) -> torch.Tensor:
    """Negative log-likelihood of the completion tokens of each sequence.

    Args:
        token_logps: ``[B, T]`` per-token log-probs.
        mask: ``[B, T]`` bool (or 0/1), True on completion tokens.
        reduction: ``"mean"`` (per token, the default) or ``"sum"`` (per sequence).

    Returns:
        ``[B]``: ``−Σ_t mask·logp / max(Σ_t mask, 1)`` for ``"mean"``, ``−Σ_t mask·logp``
        for ``"sum"``.

    Raises:
        ValueError: For an unknown ``reduction`` or mismatched shapes.

    Example:
        >>> import torch
        >>> from mdpo.objectives import sft_loss
        >>> lp = torch.tensor([[-9.0, -1.0, -3.0]])
        >>> m = torch.tensor([[False, True, True]])
        >>> sft_loss(lp, m), sft_loss(lp, m, reduction="sum")
        (tensor([2.]), tensor([4.]))
    """
    if reduction not in ("mean", "sum"):
        raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
    if token_logps.shape != mask.shape:
        raise ValueError(
            f"token_logps shape {tuple(token_logps.shape)} must equal mask shape "
            f"{tuple(mask.shape)}"
        )
    m = mask.to(token_logps.dtype)
    total = -(token_logps * m).sum(dim=-1)
    return total / m.sum(dim=-1).clamp(min=1.0) if reduction == "mean" else total


def rlhf_loss(
    policy_logps: torch.Tensor,
    ref_logps: torch.Tensor,
    mask: torch.Tensor,
    rewards: torch.Tensor,
    *,
    beta: float = 0.05,
) -> torch.Tensor:
    r"""RLOO loss with a per-token KL to the reference, per prompt and dimension.

    For prompt b with k sampled completions y_1..y_k (from π at the prompt's λ):

    - **KL estimator.** Per token, ``log π(y_t) − log π_ref(y_t)`` (the "k1" estimator, an
      unbiased estimate of KL(π‖π_ref) under samples of π), summed over the completion:
      ``KL_j = Σ_t mask·(log π − log π_ref)``.
    - **Regularised return.** ``R_ji = r_ji − β·KL_j`` (detached).
    - **Value.** ``Ĵ_i = mean_j R_ji``; the loss *value* is ``−Ĵ_i``.
    - **Gradient.** Leave-one-out advantages ``A_ji = R_ji − mean_{l≠j} R_li`` and the
      surrogate ``−mean_j A_ji · log π(y_j)``; its gradient is the RLOO estimate of
      ``−∇J_i`` (the KL's own ``E[∇ log π] = 0`` term drops out in expectation).

    Args:
        policy_logps: ``[B, k, T]`` per-token log-probs of the samples under π (with grad).
        ref_logps: ``[B, k, T]`` under π_ref.
        mask: ``[B, k, T]`` bool, True on completion tokens.
        rewards: ``[B, k, m]`` one reward per sample and dimension.
        beta: KL coefficient β ≥ 0.

    Returns:
        ``[B, m]`` losses with value −Ĵ and the RLOO surrogate's gradient.

    Raises:
        ValueError: If shapes disagree, k < 2, or ``beta`` is negative.

    Example:
        >>> import torch
        >>> from mdpo.objectives import rlhf_loss
        >>> lp = torch.zeros(1, 2, 3)
        >>> mask = torch.ones(1, 2, 3, dtype=torch.bool)
        >>> rlhf_loss(lp, lp, mask, torch.tensor([[[1.0], [3.0]]]), beta=0.1)
        tensor([[-2.]])
    """
    beta = _check_beta(beta, allow_zero=True)
    _check_same_shape(policy_logps, ref_logps, "policy_logps and ref_logps", "B, k, T")
    if mask.shape != policy_logps.shape:
        raise ValueError(
            f"mask must have shape {tuple(policy_logps.shape)}, got {tuple(mask.shape)}"
        )
    B, k, _ = policy_logps.shape
    if rewards.dim() != 3 or rewards.shape[:2] != (B, k):
        raise ValueError(f"rewards must have shape [B={B}, k={k}, m], got {tuple(rewards.shape)}")
    if k < 2:
        raise ValueError(f"RLOO needs k >= 2 samples per prompt, got k={k}")
    m = mask.to(policy_logps.dtype)
    seq_logps = (policy_logps * m).sum(dim=-1)  # [B, k]
    kl = ((policy_logps - ref_logps).detach() * m).sum(dim=-1)  # [B, k]
    returns = rewards.detach().to(seq_logps.dtype) - beta * kl[..., None]  # [B, k, m]
    value = -returns.mean(dim=1)  # [B, m]
    baseline = (returns.sum(dim=1, keepdim=True) - returns) / (k - 1)
    advantages = returns - baseline
    surrogate = -(advantages * seq_logps[..., None]).mean(dim=1)
    return value_with_gradient(value, surrogate)


def exact_rlhf_loss(
    logits: torch.Tensor,
    ref_logits: torch.Tensor,
    rewards: torch.Tensor,
    *,
    beta: float,
) -> torch.Tensor:
    r"""Exact KL-regularised RLHF loss over a finite action set, by enumeration.

    With ``π = softmax(logits)`` and ``π_ref = softmax(ref_logits)``:
    ``loss_i = −(Σ_a π_a r_ai − β·KL(π‖π_ref))``. Value and gradient are exact.

    Args:
        logits: ``[B, A]`` policy logits over A actions.
        ref_logits: ``[B, A]`` reference logits.
        rewards: ``[B, A, m]`` rewards per action and dimension.
        beta: KL coefficient β ≥ 0.

    Returns:
        ``[B, m]`` losses.

    Raises:
        ValueError: On shape mismatch or negative ``beta``.

    Example:
        >>> import torch
        >>> from mdpo.objectives import exact_rlhf_loss
        >>> z = torch.zeros(1, 2)
        >>> exact_rlhf_loss(z, z, torch.tensor([[[1.0], [3.0]]]), beta=0.5)
        tensor([[-2.]])
    """
    beta = _check_beta(beta, allow_zero=True)
    _check_same_shape(logits, ref_logits, "logits and ref_logits", "B, A")
    if rewards.dim() != 3 or rewards.shape[:2] != logits.shape:
        raise ValueError(
            f"rewards must have shape [B, A, m] = {tuple(logits.shape)} + [m], "
            f"got {tuple(rewards.shape)}"
        )
    logp = torch.log_softmax(logits, dim=-1)
    ref_logp = torch.log_softmax(ref_logits, dim=-1)
    p = logp.exp()
    expected = (p[..., None] * rewards).sum(dim=1)  # [B, m]
    kl = (p * (logp - ref_logp)).sum(dim=-1, keepdim=True)  # [B, 1]
    return -(expected - beta * kl)
