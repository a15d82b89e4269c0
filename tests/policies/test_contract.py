"""One contract for every PreferenceConditionedPolicy: validation, determinism, sensitivity."""

from __future__ import annotations

import math

import pytest
import torch

from mdpo.benchmarks.config import MethodConfig, TrainingConfig
from mdpo.benchmarks.methods import available_methods, get_method
from mdpo.benchmarks.methods.builders import build_method
from mdpo.benchmarks.tasks.bandit import BanditTask
from mdpo.policies import MODPolicy, PreferenceConditionedPolicy, PromptConditionedPolicy

KINDS = tuple(available_methods(language_model=False))
"""Every registered method kind that trains on the bandit."""
CLASSES = {kind: get_method(kind).policy for kind in KINDS}
CONTINUOUS = [kind for kind in KINDS if not get_method(kind).grid]


@pytest.fixture(scope="module")
def task() -> BanditTask:
    return BanditTask({"n_dims": 2, "n_contexts": 3, "n_actions": 4, "hidden": 8})


@pytest.fixture(scope="module")
def policies(task: BanditTask) -> dict[str, PreferenceConditionedPolicy]:
    torch.set_num_threads(1)
    training = TrainingConfig(steps=12, pref_batch=4, lr=0.05)
    return {
        kind: build_method(MethodConfig(name=kind, kind=kind), task, training, seed=0).policy
        for kind in KINDS
    }


def _two_supported(policy: PreferenceConditionedPolicy) -> tuple[torch.Tensor, torch.Tensor]:
    grid = policy.supported_preferences
    if grid is None:
        return torch.tensor([0.8, 0.2]), torch.tensor([0.1, 0.9])
    return grid[0], grid[-1]


@pytest.mark.parametrize("kind", KINDS)
def test_is_the_right_class(policies, kind):
    assert isinstance(policies[kind], CLASSES[kind])
    assert isinstance(policies[kind], PreferenceConditionedPolicy)
    assert policies[kind].n_dims == 2
    assert policies[kind].dim_names == ["r0", "r1"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("bad", "error", "match"),
    [
        ([0.5, 0.3, 0.2], ValueError, "length m=2"),
        ([1.5, -0.5], ValueError, "non-negative"),
        ([0.6, 0.6], ValueError, "sum to 1"),
        ([math.nan, 1.0], ValueError, "finite"),
        ("0.5,0.5", TypeError, "preference must be"),
    ],
)
def test_invalid_preference_is_refused(policies, kind, bad, error, match):
    with pytest.raises(error, match=match):
        policies[kind].set_preference(bad)


@pytest.mark.parametrize("kind", KINDS)
def test_same_preference_same_output_and_different_preference_differs(policies, task, kind):
    policy = policies[kind]
    a, b = _two_supported(policy)
    x = task.inputs()
    policy.set_preference(a)
    out_a = policy(x).detach().clone()
    policy.set_preference(b)
    out_b = policy(x).detach().clone()
    assert not torch.allclose(out_a, out_b, atol=1e-4), "λ must change the output"
    policy.set_preference(a)
    again = policy(x).detach()
    torch.testing.assert_close(again, out_a, rtol=0, atol=1e-6)
    assert torch.equal(policy.preference, a.float())


@pytest.mark.parametrize("kind", KINDS)
def test_forward_before_any_preference_raises(task, kind):
    training = TrainingConfig(steps=1, pref_batch=2)
    fresh = build_method(MethodConfig(name=kind, kind=kind), task, training, seed=1).policy
    with pytest.raises(RuntimeError, match="set_preference"):
        fresh(task.inputs())


@pytest.mark.parametrize("kind", [kind for kind in KINDS if get_method(kind).grid])
def test_grid_methods_support_only_their_grid(policies, kind):
    dps = policies[kind]
    assert dps.supported_preferences.shape == (5, 2)  # Das–Dennis, K = 5 for m = 2
    assert dps.supports([0.25, 0.75]) and not dps.supports([0.3, 0.7])
    with pytest.raises(ValueError, match="supports only its 5 grid preferences"):
        dps.set_preference([0.3, 0.7])


@pytest.mark.parametrize("kind", CONTINUOUS)
def test_continuous_policies_support_any_preference(policies, kind):
    assert policies[kind].supported_preferences is None
    assert policies[kind].supports([0.123, 0.877])


def test_batched_preferences_only_where_supported(policies, task):
    lam = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    panacea = policies["panacea"]
    panacea.set_preference(lam)
    batched = panacea(task.inputs().expand(3, *task.inputs().shape))
    for i in range(3):
        panacea.set_preference(lam[i])
        torch.testing.assert_close(batched[i], panacea(task.inputs()), rtol=0, atol=1e-5)
    with pytest.raises(ValueError, match=r"shape \[m\]"):
        policies["rs"].set_preference(lam)


def test_rs_soup_at_a_vertex_is_that_expert_and_restore_gives_the_base(task):
    training = TrainingConfig(steps=10, pref_batch=2, lr=0.05)
    run = build_method(MethodConfig(name="rs", kind="rs"), task, training, seed=0)
    rs = run.policy
    x = task.inputs()
    experts = build_method(MethodConfig(name="rs", kind="mod"), task, training, seed=0).policy
    for i in range(2):
        rs.set_preference(torch.eye(2)[i])
        torch.testing.assert_close(rs(x), experts.experts[i](x), rtol=0, atol=1e-5)
    rs.restore()
    torch.testing.assert_close(rs.model(x), task.ref_logits, rtol=0, atol=1e-6)
    with pytest.raises(RuntimeError, match="set_preference"):
        rs(x)


def test_mod_mixes_logits_linearly(policies, task):
    mod = policies["mod"]
    x = task.inputs()
    e0, e1 = (expert(x).detach() for expert in mod.experts)
    assert not torch.allclose(e0, e1)
    mod.set_preference([0.3, 0.7])
    torch.testing.assert_close(mod(x), 0.3 * e0 + 0.7 * e1, rtol=0, atol=1e-6)


def test_mod_generate_at_a_vertex_matches_that_experts_greedy_decoding():
    from mdpo.testing import tiny_causal_lm

    experts = [tiny_causal_lm("llama", seed=s, tie_word_embeddings=False) for s in (0, 1)]
    mod = MODPolicy(experts)
    prompt = torch.tensor([[1, 72, 105]])
    mod.set_preference([0.0, 1.0])
    ours = mod.generate(prompt, max_new_tokens=5)
    ref = experts[1].generate(
        prompt, attention_mask=torch.ones_like(prompt), max_new_tokens=5, do_sample=False
    )
    mod.set_preference([1.0, 0.0])
    other = mod.generate(prompt, max_new_tokens=5)
    assert ours.shape == (1, 8)
    assert torch.equal(ours, ref[:, :8])
    assert not torch.equal(ours, other)


def _mod_experts(peft: bool = False):
    from mdpo.testing import tiny_causal_lm

    experts = [tiny_causal_lm("llama", seed=s, tie_word_embeddings=False) for s in (0, 1)]
    if peft:
        from peft import LoraConfig, get_peft_model

        experts = [
            get_peft_model(e, LoraConfig(r=2, target_modules=["q_proj"], init_lora_weights=False))
            for e in experts
        ]
    return experts


@pytest.mark.parametrize("peft", [False, True])
def test_mod_kv_cached_decoding_matches_full_recompute_with_left_padding(peft):
    mod = MODPolicy(_mod_experts(peft))
    ids = torch.tensor([[2, 2, 1, 72, 105], [1, 40, 50, 60, 70], [2, 1, 9, 8, 7]])
    mask = (torch.arange(5)[None] >= torch.tensor([[2], [0], [1]])).long()
    for lam in ([0.3, 0.7], [[0.3, 0.7], [1.0, 0.0], [0.0, 1.0]]):
        mod.set_preference(lam)
        cached = mod.generate(ids, mask, max_new_tokens=8)  # auto: HF experts keep caches
        full = mod.generate(ids, mask, max_new_tokens=8, use_cache=False)
        assert cached.shape == (3, 13)
        assert torch.equal(cached, full)


def test_mod_per_row_lambda_decodes_each_row_as_if_alone():
    mod = MODPolicy(_mod_experts())
    ids = torch.tensor([[2, 2, 1, 72, 105], [1, 40, 50, 60, 70], [2, 1, 9, 8, 7]])
    mask = (torch.arange(5)[None] >= torch.tensor([[2], [0], [1]])).long()
    rows = [[0.3, 0.7], [1.0, 0.0], [0.0, 1.0]]
    mod.set_preference(rows)
    together = mod.generate(ids, mask, max_new_tokens=8)
    assert not torch.equal(together[1, 5:], together[2, 5:])
    mod.set_preference(rows[1])
    assert not torch.equal(mod.generate(ids, mask, max_new_tokens=8)[2], together[2])
    for r, lam in enumerate(rows):
        mod.set_preference(lam)
        alone = mod.generate(ids[r : r + 1, mask[r].bool()], max_new_tokens=8)
        assert torch.equal(alone[0, -8:], together[r, -8:])


def test_mod_refuses_bad_generate_arguments_and_mismatched_rows():
    mod = MODPolicy(_mod_experts())
    mod.set_preference([[0.5, 0.5], [1.0, 0.0]])
    prompt = torch.tensor([[1, 72, 105]])
    with pytest.raises(TypeError, match="use_cache must be a bool or None, got str 'yes'"):
        mod.generate(prompt, use_cache="yes")
    with pytest.raises(TypeError, match="max_new_tokens must be an int >= 0, got float 2.0"):
        mod.generate(prompt, max_new_tokens=2.0)
    with pytest.raises(RuntimeError, match="per-row preference has 2 rows but the batch has 1"):
        mod.generate(prompt, max_new_tokens=2)


def test_prompt_policy_text_condition():
    from mdpo.policies import preference_prompt

    seen = []
    policy = PromptConditionedPolicy(
        torch.nn.Identity(),
        2,
        ["helpful", "concise"],
        condition=lambda text, lam: (
            seen.append(preference_prompt(lam, ["helpful", "concise"])) or text
        ),
    )
    policy.set_preference([0.25, 0.75])
    assert policy("hi") == "hi"
    assert seen == ["Preference weights: helpful=0.25, concise=0.75."]
