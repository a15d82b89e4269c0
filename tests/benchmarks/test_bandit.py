"""The bandit oracle: analytic front, exact J, reference = base network, DPO pairs."""

from __future__ import annotations

import math

import pytest
import torch

from mdpo.benchmarks.tasks.bandit import BanditTask
from mdpo.seeding import keyed_generator

# 2 contexts x 2 actions, 2 dimensions, uniform reference, beta = 1.
REWARDS = [[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [1.0, 0.0]]]


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def test_analytic_front_of_a_2x2_bandit_matches_hand_values():
    task = BanditTask({"rewards": REWARDS, "ref_logits": [[0.0, 0.0]] * 2, "beta": 1.0})
    front = task.true_front(2)  # λ = (0, 1), (0.5, 0.5), (1, 0)
    # At λ = e_1, π* = softmax(r_1) puts σ(1) on the action rewarded in dimension 1 in
    # both contexts, so J_1 = σ(1) − KL, J_2 = σ(−1) − KL with the same KL to uniform.
    p, q = _sigmoid(1.0), _sigmoid(-1.0)
    kl = p * math.log(2 * p) + q * math.log(2 * q)
    expected = torch.tensor([[q - kl, p - kl], [0.5, 0.5], [p - kl, q - kl]], dtype=torch.float64)
    torch.testing.assert_close(front, expected, rtol=0, atol=1e-12)
    # The single-dimension optimum is the ideal point (in loss space).
    torch.testing.assert_close(task.ideal_point(), -torch.tensor([p - kl, p - kl]).double())


def test_exact_objective_matches_monte_carlo():
    task = BanditTask({"n_dims": 3, "n_contexts": 4, "n_actions": 5, "beta": 0.7})
    gen = keyed_generator(0, "test-logits")
    logits = torch.randn(4, 5, generator=gen, dtype=torch.float64)
    exact = task.values(logits)
    n = 200_000
    ctx = torch.randint(0, 4, (n,), generator=gen)
    probs = torch.softmax(logits, -1)[ctx]
    act = torch.multinomial(probs, 1, generator=gen).squeeze(-1)
    logp = torch.log_softmax(logits, -1)[ctx, act]
    ref_logp = torch.log_softmax(task.ref_logits.double(), -1)[ctx, act]
    samples = task.rewards.double()[ctx, act] - 0.7 * (logp - ref_logp)[:, None]
    estimate = samples.mean(0)
    stderr = samples.std(0) / math.sqrt(n)
    assert not torch.allclose(exact, torch.zeros(3, dtype=torch.float64), atol=0.05)
    assert ((exact - estimate).abs() < 4 * stderr).all(), (exact, estimate, stderr)


def test_optimal_policy_beats_random_policies_on_the_scalarised_objective():
    task = BanditTask({"n_dims": 2, "n_contexts": 3, "n_actions": 4})
    lam = torch.tensor([0.3, 0.7], dtype=torch.float64)
    best = task.values(task.optimal_logits(lam)) @ lam
    gen = keyed_generator(1, "random-policies")
    for _ in range(20):
        other = task.optimal_logits(lam) + 0.3 * torch.randn(3, 4, generator=gen).double()
        assert task.values(other) @ lam < best


def test_base_network_is_the_reference_and_prompt_slot_is_ignored():
    task = BanditTask({"n_dims": 2, "n_contexts": 3, "n_actions": 4, "hidden": 8})
    net = task.make_model()
    x = task.inputs()
    torch.testing.assert_close(net(x), task.ref_logits, rtol=0, atol=0)
    with_slot = torch.cat([x, torch.tensor([[0.2, 0.8]]).expand(3, 2)], dim=1)
    torch.testing.assert_close(net(with_slot), task.ref_logits, rtol=0, atol=0)
    assert torch.equal(task.values(net(x)) * 0, torch.zeros(2, dtype=torch.float64))


def test_panacea_adapter_disabled_is_the_reference():
    from mdpo.adapters import PanaceaConfig, get_panacea_model

    task = BanditTask({"n_dims": 2, "n_contexts": 3, "n_actions": 4, "hidden": 8})
    model = get_panacea_model(
        task.make_model(),
        PanaceaConfig(
            r=2, n_dims=2, target_modules=task.target_modules, init="svd", init_scale=0.5
        ),
    )
    for layer in model.panacea_layers().values():
        torch.nn.init.normal_(layer.lora_E)
        torch.nn.init.normal_(layer.lora_s)
    model.set_preference([0.5, 0.5])
    assert not torch.allclose(model(task.inputs()), task.ref_logits, atol=1e-3)
    with model.disable_adapter():
        torch.testing.assert_close(model(task.inputs()), task.ref_logits, rtol=0, atol=0)
    assert len(model.panacea_layers()) == 3  # >= 2 adapted layers with tanh between


def test_losses_shapes_and_dpo_at_the_reference():
    task = BanditTask({"n_dims": 2, "n_contexts": 3, "n_actions": 4})
    ref = task.ref_logits.expand(5, 3, 4)
    exact = task.losses(ref, objective="exact", seed=0, step=0)
    assert exact.shape == (5, 3, 2)
    torch.testing.assert_close(-exact.mean((0, 1)), task.values(task.ref_logits).float())
    dpo = task.losses(ref, objective="dpo", seed=0, step=0)
    torch.testing.assert_close(dpo, torch.full((5, 3, 2), math.log(2.0)))
    tilted = ref + 2.0 * task.rewards[..., 0]  # prefers dimension 0's best actions
    d0 = task.losses(tilted, objective="dpo", seed=0, step=3)
    assert d0[..., 0].mean() < math.log(2.0) < d0[..., 1].mean() + 0.2
    again = task.losses(tilted, objective="dpo", seed=0, step=3)
    assert torch.equal(d0, again)  # pairs are a pure function of (seed, step)
    with pytest.raises(ValueError, match="objective must be one of"):
        task.losses(ref, objective="ppo", seed=0, step=0)
