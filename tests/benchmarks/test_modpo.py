"""MODPO: its loss, its objective on paired data, its members at the bandit's analytic optimum."""

from __future__ import annotations

import pytest
import torch

from mdpo.benchmarks.config import MethodConfig, load_suite
from mdpo.benchmarks.methods.builders import build_method
from mdpo.benchmarks.methods.modpo import bandit_modpo_losses
from mdpo.objectives import (
    DPOObjective,
    MODPOObjective,
    dpo_loss,
    modpo_loss,
    reward_column,
    target_dimension,
)


@pytest.fixture(autouse=True)
def _one_thread():
    """The bandit's tiny networks train fastest on one thread (as ``mdpo bench`` runs them)."""
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def bandit():
    suite = load_suite("quick")
    return suite.tasks[0].build(), suite.training  # bandit2: 8 contexts x 8 actions, m = 2


def _gaps(task, policy) -> list[float]:
    """Per grid member, max_i |J_i(member) − J_i(π*_λ)| at the member's own λ."""
    gaps = []
    for lam in policy.supported_preferences:
        optimum = task.values(task.optimal_logits(lam.double()))
        policy.set_preference(lam)
        gaps.append(float((task.objective_values(policy) - optimum).abs().max()))
    return gaps


def test_members_reach_the_analytic_optimum_at_their_lambda(bandit):
    task, training = bandit
    before = build_method(MethodConfig(name="modpo", kind="modpo", steps=5), task, training, 0)
    method = MethodConfig(name="modpo", kind="modpo", steps=1200)  # 240 steps per member
    run = build_method(method, task, training, 0)
    assert run.steps == 1200 and run.policy.supported_preferences.shape == (5, 2)
    assert max(_gaps(task, before.policy)) > 0.1  # one step per member is far from it
    # π*_λ ∝ π_ref·exp(Σ λ_i r_i / β) at every grid λ, interior ones included.
    assert max(_gaps(task, run.policy)) < 2e-3


def test_sampled_pairs_move_towards_the_optimum(bandit):
    task, training = bandit
    short = MethodConfig(name="modpo", kind="modpo", objective="dpo", steps=5)
    start = _gaps(task, build_method(short, task, training, 0).policy)
    method = MethodConfig(name="modpo", kind="modpo", objective="dpo", steps=1200)
    gaps = _gaps(task, build_method(method, task, training, 0).policy)
    assert max(gaps) < 0.2 and sum(gaps) < 0.5 * sum(start)


@pytest.mark.parametrize("lam", [[0.25, 0.75], [0.5, 0.5], [0.9, 0.1]])
def test_the_exact_bandit_loss_is_stationary_at_the_analytic_optimum(bandit, lam):
    task, _ = bandit
    lam = torch.tensor(lam)
    losses = bandit_modpo_losses(task, lam)
    logits = task.optimal_logits(lam.double()).float().requires_grad_(True)
    value = losses(logits[None], objective="exact", seed=0, step=0)
    k = int(target_dimension(lam))
    assert value[..., 1 - k].abs().max() == 0  # only the target's column carries the loss
    (grad,) = torch.autograd.grad(value.sum(), logits)
    assert grad.abs().max() < 1e-5
    shifted = (logits.detach() + 0.3 * torch.randn(logits.shape)).requires_grad_(True)
    (moved,) = torch.autograd.grad(
        losses(shifted[None], objective="exact", seed=0, step=0).sum(), shifted
    )
    assert moved.abs().max() > 1e-3


def test_modpo_loss_formula_and_its_dpo_special_case():
    pc, pr, rc, rr = (torch.tensor([v]) for v in (-3.0, -5.0, -4.0, 0.0))
    margin, beta, w = torch.tensor([0.7]), 0.5, 0.6
    inside = (beta * ((pc - rc) - (pr - rr)) - margin) / w
    expected = -torch.nn.functional.logsigmoid(inside)
    torch.testing.assert_close(modpo_loss(pc, pr, rc, rr, margin, beta=beta, weight=w), expected)
    torch.testing.assert_close(
        modpo_loss(pc, pr, rc, rr, torch.zeros(1), beta=beta, weight=1.0),
        dpo_loss(pc, pr, rc, rr, beta=beta),
    )
    with pytest.raises(ValueError, match=r"weight \(the target's w_k\) must be in \(0, 1\]"):
        modpo_loss(pc, pr, rc, rr, margin, beta=beta, weight=0.0)
    with pytest.raises(ValueError, match="beta must be a real number > 0"):
        modpo_loss(pc, pr, rc, rr, margin, beta=-1.0, weight=0.5)


def test_target_is_the_largest_weight_and_the_first_on_ties():
    assert target_dimension(torch.tensor([0.2, 0.8])).item() == 1
    assert target_dimension(torch.tensor([0.5, 0.5])).item() == 0
    assert target_dimension(torch.tensor([[0.2, 0.4, 0.4], [0.4, 0.2, 0.4]])).tolist() == [1, 0]


def _pairs(concise_rewards: tuple[float, float]) -> list[dict]:
    a, b = concise_rewards
    row = {
        "prompt": "Say hi",
        "response_0": "hi",
        "response_1": "hello there",
        "helpful": 1,
        "concise": 0,
        reward_column("helpful", "response_0"): 0.0,
        reward_column("helpful", "response_1"): 0.0,
        reward_column("concise", "response_0"): a,
        reward_column("concise", "response_1"): b,
    }
    return [row, dict(row, helpful=-1)]


@pytest.fixture(scope="module")
def lm():
    from peft import LoraConfig, get_peft_model

    from mdpo.testing import tiny_causal_lm, tiny_chat_tokenizer

    torch.manual_seed(0)
    model = get_peft_model(
        tiny_causal_lm("llama"),
        LoraConfig(r=2, target_modules=["q_proj"], init_lora_weights=False),
    )
    return model, tiny_chat_tokenizer()


def _call(objective, lm, rows, lam):
    from mdpo.conditioning import NoConditioning

    model, tok = lm
    prefs = torch.tensor([lam] * len(rows))
    return objective(model, rows, prefs, tokenizer=tok, conditioning=NoConditioning())


def test_objective_is_dpo_on_the_target_with_the_others_margin(lm):
    names = ["helpful", "concise"]
    modpo = MODPOObjective(names, beta=0.1, chat_template=False)
    dpo = DPOObjective(names, beta=0.1, chat_template=False)
    rows = _pairs((1.0, -1.0))
    # At a vertex the others weigh nothing: the target's DPO loss, alone in its column.
    out = _call(modpo, lm, rows, [1.0, 0.0])
    ref = _call(dpo, lm, rows, [1.0, 0.0])
    assert out.mask.tolist() == [[True, False], [False, False]]  # row 1: a tie on the target
    assert out.preferences.tolist() == [[1.0, 0.0], [1.0, 0.0]]
    torch.testing.assert_close(out.losses[0, 0], ref.losses[0, 0])
    # Inside the simplex the margin enters: helpful (0.6) prefers response 1, concise's
    # reward prefers response 0 by 2, so the margin is 0.4·(−1 − 1) = −0.8 and the loss falls.
    inner = _call(modpo, lm, rows, [0.6, 0.4])
    with torch.no_grad():
        h_dpo = -torch.log(torch.expm1(ref.losses[0, 0]))  # −log σ(h) = L  ⇒  h = −log(e^L − 1)
    expected = modpo_loss(h_dpo / 0.1, torch.zeros(()), 0.0, 0.0, -0.8, beta=0.1, weight=0.6)
    torch.testing.assert_close(inner.losses[0, 0], expected, rtol=1e-4, atol=1e-5)
    # The target flips to concise at λ = (0.4, 0.6): only column 1 carries the loss.
    flipped = _call(modpo, lm, rows, [0.4, 0.6])
    assert flipped.mask.tolist() == [[False, True], [False, True]]
    assert flipped.preferences.tolist() == [[0.0, 1.0], [0.0, 1.0]]


def test_objective_masks_a_row_without_a_finite_margin_and_names_missing_columns(lm):
    modpo = MODPOObjective(["helpful", "concise"], chat_template=False)
    rows = _pairs((float("nan"), 0.0))
    out = _call(modpo, lm, rows, [0.6, 0.4])
    assert not out.mask.any() and torch.isfinite(out.losses).all()
    bad = [{k: v for k, v in rows[0].items() if k != reward_column("concise", "response_1")}]
    with pytest.raises(ValueError, match=r"missing the reward column 'reward/concise/response_1'"):
        modpo.validate_data(bad)


def test_modpo_runs_on_the_bandit_and_llm_tasks_only_with_linear_scalarisation():
    suite = load_suite("quick")
    tasks = {t.name: t.build() for t in suite.tasks}
    method = MethodConfig(name="modpo", kind="modpo")
    assert method.applies_to("bandit2", tasks["bandit2"])
    assert not method.applies_to("zdt2", tasks["zdt2"])  # no preferences to learn from
    with pytest.raises(ValueError, match="aggregator must be 'ls', got 'tche'"):
        MethodConfig(name="m", kind="modpo", aggregator="tche")
