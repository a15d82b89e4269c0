"""The LLM task on a tiny random model: config validation, decoding, KL, degeneracy, bootstrap."""

from __future__ import annotations

import pytest
import torch

from mdpo.benchmarks.config import TaskConfig
from mdpo.benchmarks.stats import bootstrap_interval
from mdpo.benchmarks.tasks.llm import (
    LLMTask,
    LLMTaskConfig,
    degeneracy,
    distinct_bigram_ratio,
)

DIMS = {
    "concise": {"scorer": "length", "kwargs": {"unit": "chars", "sign": -1}},
    "verbose": {"scorer": "length", "kwargs": {"unit": "chars", "sign": 1}},
}


def _task(model_dir, **changes) -> LLMTask:
    params = {
        "model": str(model_dir),
        "dims": DIMS,
        "eval_prompts": 3,
        "max_new_tokens": 6,
        "greedy": False,
        "gen_batch_size": 2,  # two chunks: exercises the per-chunk seeding
        "device": "cpu",
        **changes,
    }
    return LLMTask(LLMTaskConfig(**params))


def _panacea(task: LLMTask, noise: float):
    from mdpo.adapters import PanaceaConfig, get_panacea_model
    from mdpo.policies import PanaceaPolicy

    torch.manual_seed(1)
    model = get_panacea_model(
        task.make_model(), PanaceaConfig(r=2, n_dims=2, target_modules=task.target_modules)
    )
    with torch.no_grad():
        for p in model.parameters():
            if p.requires_grad:
                p.add_(noise * torch.randn_like(p))
    return PanaceaPolicy(model, 2, task.dim_names).eval()


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"dims": {"a": {"scorer": "length"}}}, "dims must map at least 2"),
        ({"dims": {"a": {"scorer": "length"}, "b": {"model": "x"}}}, "dims['b']"),
        ({"dims": {"a": {"scorer": "length"}, "b": {}}}, "exactly one of"),
        ({"eval_prompts": 0}, "eval_prompts must be an int >= 1, got 0"),
        ({"n_samples": 1}, "n_samples must be an int >= 2"),
        ({"top_p": 1.5}, "top_p must be a real number in [1e-06, 1], got 1.5"),
        ({"greedy": "yes"}, "greedy must be true or false, got 'yes'"),
        ({"batch_preferences": 1}, "batch_preferences must be true or false, got 1"),
        ({"tie_tolerance": {"a": -1}}, "tie_tolerance"),
        ({"device": "tpu"}, "device must be"),
        ({"data_systems": "Be brief."}, "data_systems must be a non-empty list"),
        ({"data_systems": [None, 1]}, "data_systems[1] must be a str, None or False, got 1"),
    ],
)
def test_config_rejects_bad_values(params, needle):
    with pytest.raises(ValueError) as err:
        LLMTaskConfig(**params)
    assert needle in str(err.value)


def test_task_config_registers_both_kinds_and_refuses_unknown_params():
    task = TaskConfig(name="t", kind="smollm", params={"dims": DIMS}).build()
    assert isinstance(task, LLMTask) and task.dim_names == ["concise", "verbose"]
    assert task.true_front(5) is None and task.has_logits and task.objectives == ("dpo",)
    with pytest.raises(ValueError, match="unknown key 'n_prompts'"):
        TaskConfig(name="t", kind="smollm", params={"n_prompts": 3})
    with pytest.raises(ValueError, match="needs params.hf"):
        TaskConfig(name="t", kind="hf", params={"dims": DIMS})


def test_token_length_scorer_gets_the_task_tokenizer(tiny_lm_dir):
    dims = {
        "concise": {"scorer": "length", "kwargs": {"unit": "tokens", "sign": -1, "floor": 2}},
        "verbose": {"scorer": "length", "kwargs": {"unit": "chars", "sign": 1}},
    }
    task = _task(tiny_lm_dir, dims=dims)
    concise = task.scorers()["concise"]
    assert concise.tokenizer is task.tokenizer and concise.floor == 2.0
    text = "a fairly long answer of several tokens"
    n = len(task.tokenizer(text, add_special_tokens=False)["input_ids"])
    assert n > 2
    assert concise(["q", "q"], [text, ""]).tolist() == [-float(n), -2.0]


def test_degeneracy_catches_empty_and_looping_answers():
    assert distinct_bigram_ratio("a b a b a b") == pytest.approx(2 / 5)
    stats = degeneracy(["", "  ", "go go go go go go go", "A short but fine answer here."])
    assert stats["empty"] == 0.5
    assert stats["repetitive"] == 0.25
    assert stats["degenerate"] == 0.75
    # Too short to judge: never repetitive.
    assert degeneracy(["no no"], min_words=6)["repetitive"] == 0.0


def test_bootstrap_interval_brackets_the_mean_and_shrinks_with_agreement():
    gen = torch.Generator().manual_seed(0)
    noisy = torch.randn(40, 2, generator=gen, dtype=torch.float64)
    wide = bootstrap_interval(noisy, samples=300)
    narrow = bootstrap_interval(noisy * 0.1, samples=300)
    for i in range(2):
        assert wide["low"][i] < wide["mean"][i] < wide["high"][i]
        assert narrow["high"][i] - narrow["low"][i] < wide["high"][i] - wide["low"][i]
    assert wide == bootstrap_interval(noisy, samples=300)  # seeded


def test_prompts_come_from_the_bundled_splits():
    task = LLMTask(LLMTaskConfig(dims=DIMS, train_prompts=5, eval_prompts=4))
    train, evals = task.prompts("train"), task.prompts("eval")
    assert len(train) == 5 and len(evals) == 4 and not set(train) & set(evals)
    with pytest.raises(ValueError, match="eval_prompts=1000 exceeds"):
        LLMTask(LLMTaskConfig(dims=DIMS, eval_prompts=1000)).prompts("eval")


def test_evaluate_point_moves_with_lambda_and_reproduces(tiny_lm_dir):
    task = _task(tiny_lm_dir)
    policy = _panacea(task, noise=0.5)
    policy.set_preference([1.0, 0.0])
    first = task.evaluate_point(policy)
    policy.set_preference([0.0, 1.0])
    other = task.evaluate_point(policy)
    assert first.answers != other.answers  # λ changes the decoded text
    assert first.per_prompt.shape == (3, 2)
    assert torch.allclose(first.values, first.per_prompt.mean(dim=0))
    # concise = -chars, verbose = +chars of the same answers.
    assert torch.allclose(first.per_prompt[:, 0], -first.per_prompt[:, 1])
    chars = torch.tensor([float(len(a)) for a in first.answers], dtype=torch.float64)
    assert torch.allclose(first.per_prompt[:, 1], chars)
    assert abs(first.kl) > 1e-3  # the randomised adapter moved away from the reference
    policy.set_preference([1.0, 0.0])
    again = task.evaluate_point(policy)
    assert again.answers == first.answers and again.kl == pytest.approx(first.kl)
    assert set(first.degeneracy) == {
        "empty",
        "repetitive",
        "repeated_phrase",
        "unfinished_list",
        "cut_mid_sentence",
        "degenerate",
        "mean_words",
    }
    # The independent judge of a character count counts words (a different instrument).
    assert task.config.judges["concise"] == {
        "scorer": "length",
        "kwargs": {"unit": "words", "sign": -1},
    }
    words = torch.tensor([float(len(a.split())) for a in first.answers], dtype=torch.float64)
    assert first.judged.shape == first.per_prompt.shape
    assert torch.equal(first.judged[:, 0], -words) and not torch.equal(
        first.judged, first.per_prompt
    )


def test_kl_is_zero_for_the_untouched_adapter_and_matches_a_direct_computation(tiny_lm_dir):
    from mdpo.data import sequence_logps

    task = _task(tiny_lm_dir, eval_prompts=2, gen_batch_size=4)
    untouched = _panacea(task, noise=0.0)
    untouched.set_preference([0.5, 0.5])
    assert task.evaluate_point(untouched).kl == pytest.approx(0.0, abs=1e-5)

    policy = _panacea(task, noise=0.5)
    policy.set_preference([0.5, 0.5])
    result = task.evaluate_point(policy)
    # Recompute log π(y|x) − log π_ref(y|x) by hand from the decoded continuation.
    batch = task._encode(task.prompts("eval"))
    generated = task._generate(policy, batch, 0)
    t = batch["input_ids"].shape[1]
    eos = task.tokenizer.eos_token_id
    rows = []
    for row in generated[:, t:].tolist():
        keep = row.index(eos) + 1 if eos in row else len(row)
        rows.append([1] * keep + [0] * (len(row) - keep))
    new_mask = torch.tensor(rows)
    attention = torch.cat([batch["attention_mask"], new_mask], dim=1)
    completion = torch.cat([torch.zeros_like(batch["attention_mask"]), new_mask], dim=1).bool()
    with torch.no_grad():
        own, _ = sequence_logps(policy.model, generated, attention, completion)
        ref, _ = sequence_logps(task.reference, generated, attention, completion)
    assert result.kl == pytest.approx(float((own - ref).mean()), rel=1e-4, abs=1e-4)
    assert abs(result.kl) > 1e-3


def test_greedy_decoding_is_recorded_and_deterministic(tiny_lm_dir):
    task = _task(tiny_lm_dir, greedy=True, eval_prompts=2)
    assert task.config.decoding()["mode"] == "greedy"
    assert "temperature" not in task.config.decoding()
    assert _task(tiny_lm_dir).config.decoding()["temperature"] == 1.0
    policy = _panacea(task, noise=0.5)
    policy.set_preference([0.3, 0.7])
    assert task.evaluate_point(policy).answers == task.evaluate_point(policy).answers


def _counting(policy):
    """Wrap ``policy.generate`` to count its calls and batch rows."""
    calls: list[int] = []
    inner = policy.generate

    def generate(*args, **kwargs):
        ids = kwargs.get("input_ids", args[0] if args else None)
        calls.append(int(ids.shape[0]))
        return inner(*args, **kwargs)

    policy.generate = generate
    return calls


def _mod(task: LLMTask, noise: float):
    from mdpo.policies import MODPolicy

    experts = []
    for seed in (1, 2):
        torch.manual_seed(seed)
        model = task.make_model()
        with torch.no_grad():
            for p in model.parameters():
                p.add_(noise * torch.randn_like(p))
        experts.append(model.eval())
    return MODPolicy(experts, task.dim_names)


@pytest.mark.parametrize("kind", ["panacea", "mod"])
def test_evaluate_points_batches_lambda_rows_and_matches_one_at_a_time(tiny_lm_dir, kind):
    prefs = torch.tensor([[1.0, 0.0], [0.4, 0.6], [0.0, 1.0]])
    results = {}
    for batched in (True, False):
        task = _task(
            tiny_lm_dir, greedy=True, gen_batch_size=8, eval_prompts=3, batch_preferences=batched
        )
        policy = _panacea(task, noise=0.5) if kind == "panacea" else _mod(task, noise=0.05)
        assert policy.batched
        calls = _counting(policy)
        results[batched] = task.evaluate_points(policy, prefs)
        # 9 (λ, prompt) rows: 2 batches of <= 8 together, one batch of 3 per λ alone.
        assert calls == ([8, 1] if batched else [3, 3, 3])
    together, alone = results[True], results[False]
    assert together[0].answers != together[2].answers  # λ moves the text
    for a, b in zip(together, alone):
        assert a.answers == b.answers
        torch.testing.assert_close(a.per_prompt, b.per_prompt)
        assert a.kl == pytest.approx(b.kl, rel=1e-4, abs=1e-4)


def test_evaluate_points_goes_one_lambda_at_a_time_for_policies_with_one_lambda(tiny_lm_dir):
    from mdpo.policies import DPSPolicy

    task = _task(tiny_lm_dir, greedy=True, gen_batch_size=8)
    grid = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    policy = DPSPolicy(grid, _mod(task, noise=0.05).experts, task.dim_names)
    assert not policy.batched
    calls = _counting(policy)
    out = task.evaluate_points(policy, grid)
    assert calls == [3, 3] and len(out) == 2
    assert out[0].answers != out[1].answers
    with pytest.raises(ValueError, match=r"preferences must have shape \[n, 2\], got \(3,\)"):
        task.evaluate_points(policy, torch.tensor([0.2, 0.3, 0.5]))


def test_response_logps_score_as_the_tasks_dpo_tokenizes(tiny_lm_dir):
    from mdpo.benchmarks.tasks.base import LanguageModelTask
    from mdpo.benchmarks.tasks.llm_data import reference_logps

    task = _task(tiny_lm_dir, max_length=12)
    prompts, responses = ["Hi", "Hi", "Tell me"], ["ab", "a much longer answer here", "x"]
    got = task.response_logps(task.reference, prompts, responses)
    want = reference_logps(
        task.reference, task.tokenizer, prompts, responses, chat_template=True, max_length=12
    )
    torch.testing.assert_close(got, want, equal_nan=True)
    longer = _task(tiny_lm_dir, max_length=64)  # the task's max_length is the one used
    untruncated = longer.response_logps(longer.reference, prompts, responses)
    assert untruncated.isfinite().all() and not torch.allclose(untruncated, got, equal_nan=True)
    with pytest.raises(NotImplementedError, match="does not score responses"):
        LanguageModelTask.response_logps(task, task.reference, prompts, responses)
