import math

import pytest
import torch

from mdpo.objectives import dpo_loss, exact_rlhf_loss, rlhf_loss, sft_loss, value_with_gradient


# ---------------------------------------------------------------- DPO
@pytest.mark.parametrize("beta", [0.01, 0.1, 2.0])
@pytest.mark.parametrize("eps", [0.0, 0.2])
def test_dpo_is_ln2_when_policy_equals_reference(beta, eps):
    g = torch.Generator().manual_seed(0)
    c, r = torch.randn(5, 3, generator=g) * 10, torch.randn(5, 3, generator=g) * 10
    out = dpo_loss(c, r, c, r, beta=beta, label_smoothing=eps)
    assert out.shape == (5, 3)
    torch.testing.assert_close(out, torch.full((5, 3), math.log(2)))


def test_dpo_against_hand_computation():
    pc, pr = torch.tensor([-1.0]), torch.tensor([-2.0])
    rc, rr = torch.tensor([-1.5]), torch.tensor([-1.5])
    # margin = (−1 + 1.5) − (−2 + 1.5) = 1, h = β·1 = 0.5
    expected = math.log1p(math.exp(-0.5))
    torch.testing.assert_close(dpo_loss(pc, pr, rc, rr, beta=0.5), torch.tensor([expected]))
    smoothed = 0.9 * expected + 0.1 * math.log1p(math.exp(0.5))
    got = dpo_loss(pc, pr, rc, rr, beta=0.5, label_smoothing=0.1)
    torch.testing.assert_close(got, torch.tensor([smoothed]))
    # Swapping chosen and rejected raises the loss.
    assert dpo_loss(pr, pc, rr, rc, beta=0.5) > dpo_loss(pc, pr, rc, rr, beta=0.5)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"beta": 0.0}, "beta must be a finite float > 0, got 0.0"),
        ({"beta": float("nan")}, "beta"),
        ({"beta": True}, "beta"),
        ({"label_smoothing": 0.5}, r"label_smoothing must be a float in \[0, 0.5\), got 0.5"),
        ({"label_smoothing": -0.1}, "label_smoothing"),
    ],
)
def test_dpo_refuses_bad_hyperparameters(kwargs, match):
    x = torch.zeros(2)
    with pytest.raises(ValueError, match=match):
        dpo_loss(x, x, x, x, **kwargs)


# ---------------------------------------------------------------- SFT
def test_sft_against_hand_computation():
    lp = torch.tensor([[-9.0, -1.0, -3.0, -7.0], [-2.0, -4.0, -6.0, -8.0]])
    mask = torch.tensor([[False, True, True, False], [False, False, False, True]])
    torch.testing.assert_close(sft_loss(lp, mask), torch.tensor([2.0, 8.0]))
    torch.testing.assert_close(sft_loss(lp, mask, reduction="sum"), torch.tensor([4.0, 8.0]))
    # A row without completion tokens contributes 0 rather than NaN.
    assert sft_loss(lp, torch.zeros_like(mask)).tolist() == [0.0, 0.0]


def test_sft_refusals():
    with pytest.raises(ValueError, match="reduction must be 'mean' or 'sum', got 'max'"):
        sft_loss(torch.zeros(1, 2), torch.ones(1, 2, dtype=torch.bool), reduction="max")
    with pytest.raises(ValueError, match=r"token_logps shape \(1, 2\) must equal mask shape"):
        sft_loss(torch.zeros(1, 2), torch.ones(1, 3, dtype=torch.bool))


# ---------------------------------------------------------------- value vs gradient
def test_value_with_gradient_carries_value_and_surrogate_gradient():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    out = value_with_gradient(torch.tensor([10.0, 20.0]), x**2)
    assert out.tolist() == [10.0, 20.0]
    out.sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]


# ---------------------------------------------------------------- RLOO
def test_rloo_value_and_gradient_by_hand_without_kl():
    # One prompt, k = 3 single-token samples, rewards 1, 2, 6.
    lp = torch.tensor([[[-1.0], [-2.0], [-0.5]]], requires_grad=True)
    mask = torch.ones(1, 3, 1, dtype=torch.bool)
    rewards = torch.tensor([[[1.0], [2.0], [6.0]]])
    loss = rlhf_loss(lp, lp.detach(), mask, rewards, beta=0.3)
    # KL is 0 (policy == ref): value = −mean reward = −3.
    torch.testing.assert_close(loss, torch.tensor([[-3.0]]))
    loss.sum().backward()
    # Leave-one-out advantages: 1 − 4, 2 − 3.5, 6 − 1.5; gradient −A/k per sample.
    expected = torch.tensor([-3.0, -1.5, 4.5]) / -3
    torch.testing.assert_close(lp.grad.view(3), expected)


def test_rloo_with_kl_and_two_dimensions_by_hand():
    lp = torch.tensor([[[-1.0, -1.0, 0.0], [-2.0, -0.5, -4.0]]], requires_grad=True)
    ref = torch.tensor([[[-1.5, -0.5, 0.0], [-1.0, -1.0, -4.0]]])
    mask = torch.tensor([[[True, True, False], [True, True, False]]])  # last token masked
    rewards = torch.tensor([[[1.0, 0.0], [3.0, 10.0]]])
    beta = 0.5
    loss = rlhf_loss(lp, ref, mask, rewards, beta=beta)
    kl = torch.tensor([(-1.0 + 1.5) + (-1.0 + 0.5), (-2.0 + 1.0) + (-0.5 + 1.0)])  # [0, −0.5]
    ret = rewards[0] - beta * kl[:, None]  # [[1, 0], [3.25, 10.25]]
    torch.testing.assert_close(loss, -ret.mean(dim=0, keepdim=True))
    # The value is not the surrogate's value (which is a different number here).
    seq = (lp.detach() * mask).sum(-1)[0]
    adv = ret - ret.flip(0)  # k = 2: A_j = R_j − R_other
    surrogate = -(adv * seq[:, None]).mean(dim=0)
    assert not torch.allclose(loss[0], surrogate)
    loss[0, 1].backward()
    expected = -(adv[:, 1] / 2)[:, None] * mask[0].float()
    torch.testing.assert_close(lp.grad[0], expected)


def test_rloo_refusals():
    lp = torch.zeros(2, 3, 4)
    mask = torch.ones(2, 3, 4, dtype=torch.bool)
    with pytest.raises(ValueError, match="RLOO needs k >= 2 samples per prompt, got k=1"):
        rlhf_loss(lp[:, :1], lp[:, :1], mask[:, :1], torch.zeros(2, 1, 1))
    with pytest.raises(ValueError, match=r"rewards must have shape \[B=2, k=3, m\], got \(2, 3\)"):
        rlhf_loss(lp, lp, mask, torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r"mask must have shape \(2, 3, 4\)"):
        rlhf_loss(lp, lp, mask[..., :2], torch.zeros(2, 3, 1))
    with pytest.raises(ValueError, match="beta must be a finite float >= 0, got -1"):
        rlhf_loss(lp, lp, mask, torch.zeros(2, 3, 1), beta=-1)


# ---------------------------------------------------------------- exact finite-action RLHF
def test_exact_rlhf_two_actions_by_hand():
    logits = torch.tensor([[0.0, math.log(3.0)]])  # π = (1/4, 3/4)
    ref = torch.zeros(1, 2)  # π_ref uniform
    rewards = torch.tensor([[[1.0, -1.0], [3.0, 2.0]]])
    kl = 0.25 * math.log(0.5) + 0.75 * math.log(1.5)
    expected = -torch.tensor([[2.5 - 0.5 * kl, 1.25 - 0.5 * kl]])
    torch.testing.assert_close(exact_rlhf_loss(logits, ref, rewards, beta=0.5), expected)


def test_exact_rlhf_matches_rloo_monte_carlo():
    # A bandit with 4 actions: single-token "completions" sampled from π. The RLOO value
    # and gradient averaged over many prompts match the exact enumeration.
    theta = torch.tensor([0.3, -0.2, 1.0, 0.0], requires_grad=True)
    ref_logits = torch.tensor([0.0, 0.5, -0.5, 0.2])
    r = torch.tensor([[1.0], [0.0], [2.0], [-1.0]])
    beta = 0.2
    exact = exact_rlhf_loss(theta[None], ref_logits[None], r[None], beta=beta)[0, 0]
    (g_exact,) = torch.autograd.grad(exact, theta)

    B, k = 20000, 4
    g = torch.Generator().manual_seed(0)
    actions = torch.multinomial(torch.softmax(theta.detach(), -1), B * k, True, generator=g)
    actions = actions.view(B, k)
    logp = torch.log_softmax(theta, -1)[actions][..., None]  # [B, k, 1]
    ref_lp = torch.log_softmax(ref_logits, -1)[actions][..., None]
    loss = rlhf_loss(logp, ref_lp, torch.ones(B, k, 1, dtype=torch.bool), r[actions], beta=beta)
    (g_mc,) = torch.autograd.grad(loss.mean(), theta)
    assert abs(loss.mean().item() - exact.item()) < 0.03
    torch.testing.assert_close(g_mc, g_exact, atol=0.03, rtol=0.0)
    assert g_exact.abs().max() > 0.1  # the comparison is not between two zeros


def test_exact_rlhf_refusals():
    with pytest.raises(ValueError, match=r"rewards must have shape \[B, A, m\]"):
        exact_rlhf_loss(torch.zeros(1, 2), torch.zeros(1, 2), torch.zeros(1, 3, 1), beta=0.1)
    with pytest.raises(ValueError, match="logits and ref_logits must share one"):
        exact_rlhf_loss(torch.zeros(1, 2), torch.zeros(2, 2), torch.zeros(1, 2, 1), beta=0.1)
