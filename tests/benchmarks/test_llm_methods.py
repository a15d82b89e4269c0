"""A tiny LLM suite end to end through ``mdpo bench run``: results, report, saved runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from mdpo.benchmarks.config import load_suite
from mdpo.benchmarks.methods.llm import run_dir_for
from mdpo.cli.main import main
from mdpo.policies import load_policy

METHODS = [
    {"name": "p-ls", "kind": "panacea", "aggregator": "ls", "objective": "dpo"},
    {"name": "rs", "kind": "rs", "objective": "dpo"},
    {"name": "mod", "kind": "mod", "objective": "dpo"},
    {"name": "dps", "kind": "dps", "aggregator": "ls", "objective": "dpo", "dps_partitions": 1},
    {"name": "prompt", "kind": "prompt", "objective": "dpo"},
    {"name": "prompt-ann", "kind": "prompt", "objective": "dpo", "reference": "annotated"},
]


@pytest.fixture(scope="module")
def suite_run(tiny_lm_dir, tmp_path_factory, write_tiny_llm_suite) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("llm-suite")
    cfg = write_tiny_llm_suite(root / "suite.yaml", "tinyllm", tiny_lm_dir, METHODS)
    out = root / "run"
    assert main(["bench", "run", str(cfg), "--out", str(out)]) == 0
    return cfg, out


def test_results_carry_the_llm_fields(suite_run):
    _, out = suite_run
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert json.loads((out / "failures.json").read_text()) == {}
    task = results["tasks"]["llm2"]
    assert set(task["methods"]) == {"p-ls", "rs", "mod", "dps", "prompt", "prompt-ann"}
    assert task["true_front"] is None
    decoding = results["decoding"]["llm2"]
    assert decoding["mode"] == "sampling" and decoding["max_new_tokens"] == 6
    assert decoding["seed"] == 0 and decoding["temperature"] == 1.0
    llm = task["llm"]
    assert llm["decoding"] == decoding
    assert "bootstrap over the 3 eval prompts" in llm["intervals"]
    assert llm["data"]["n_pairs"] > 0 and "concise" in llm["data"]["summary"]["dimensions"]
    # The task's data record (LanguageModelTask.data_record): self-generated pairs add the
    # build record they carry.
    assert set(llm["data"]) == {"n_pairs", "summary", "counts", "decoding", "pairing"}
    assert llm["data"]["counts"]["prompts"] > 0
    for name, method in task["methods"].items():
        part = method["seeds"]["0"]
        n_points = len(part["front"]["points"])
        assert n_points == (2 if name == "dps" else 5)
        assert len(part["llm"]["points"]) == n_points
        assert torch.tensor(part["llm"]["per_prompt"]).shape == (n_points, 3, 2)
        for point, value in zip(part["llm"]["points"], part["front"]["points"]):
            boot = point["bootstrap"]
            assert boot["mean"] == pytest.approx(value)
            assert all(lo <= m <= hi for lo, m, hi in zip(boot["low"], boot["mean"], boot["high"]))
            assert isinstance(point["kl"], float)
            assert 0.0 <= point["degeneracy"]["empty"] <= 1.0
        hv = llm["hv_bootstrap"][name]["0"]
        assert hv["low"] <= hv["high"]
        assert hv["estimate"] == pytest.approx(method["seeds"]["0"]["metrics"]["hypervolume"])
    # Training moved Panacea away from the reference somewhere on its front.
    assert max(abs(p["kl"]) for p in task["methods"]["p-ls"]["seeds"]["0"]["llm"]["points"]) > 0
    # Equal compute: RS 2 x 3 steps, DPS 2 x 3 steps, Panacea 6.
    assert {m["steps"] for m in task["methods"].values()} == {6}


def test_report_shows_example_answers_at_five_lambdas(suite_run):
    _, out = suite_run
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "### Example answers" in report and "#### p-ls" in report
    section = report.split("#### p-ls", 1)[1].split("####", 1)[0]
    first_prompt = section.split("**Prompt:**")[1]
    assert first_prompt.count("- λ (concise=") == 5
    for needle in ("KL per point", "Degeneracy:", "bootstrap over the 3 eval prompts", "| KL |"):
        assert needle in report


def test_every_method_records_its_learning_dynamics_and_the_report_plots_them(suite_run):
    _, out = suite_run
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    methods = results["tasks"]["llm2"]["methods"]
    panacea = methods["p-ls"]["seeds"]["0"]["logs"][0]["dynamics"]
    n_logged = len(methods["p-ls"]["seeds"]["0"]["logs"][0]["curve_steps"])
    for key in (
        "probe/sensitivity",
        "probe/e0/concise/margin",
        "probe/e1/verbose/accuracy",
        "grad/s",
        "grad/U_pref",
        "s/attn",
        "pref_norm/attn",
        "shared_norm/mlp",
    ):
        assert len(panacea[key]) == n_logged, key
    # Panacea starts with s = 0 and its preference part grows: λ comes to matter.
    assert panacea["probe/sensitivity"][-1] > 0.0
    assert panacea["pref_norm/attn"][-1] > panacea["pref_norm/attn"][0] >= 0.0
    for name in ("rs", "dps"):
        for log in methods[name]["seeds"]["0"]["logs"]:
            dyn = log["dynamics"]
            assert dyn["probe/sensitivity"] == [0.0] * len(log["curve_steps"])
            assert "probe/concise/margin" in dyn and "grad/lora_B" in dyn
            assert not any(k.startswith("probe/e0") for k in dyn)
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "![learning dynamics](dynamics_llm2.png)" in report
    png = out / "dynamics_llm2.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000


def test_fronts_are_rescored_by_independent_judges(suite_run):
    _, out = suite_run
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    task = results["tasks"]["llm2"]
    judges = task["llm"]["judges"]
    # Characters are judged by words: a different instrument, same direction.
    assert judges["specs"]["concise"] == {
        "scorer": "length",
        "kwargs": {"unit": "words", "sign": -1},
    }
    assert judges["dimensions"] == ["concise", "verbose"]
    assert set(judges["methods"]) == {"p-ls", "rs", "mod", "dps", "prompt", "prompt-ann"}
    for name, method in task["methods"].items():
        part = method["seeds"]["0"]
        judged = torch.tensor(part["llm"]["judge_per_prompt"], dtype=torch.float64)
        scored = torch.tensor(part["llm"]["per_prompt"], dtype=torch.float64)
        assert judged.shape == scored.shape and not torch.equal(judged, scored)
        entry = judges["methods"][name]["0"]
        assert torch.allclose(
            torch.tensor(entry["points"], dtype=torch.float64), judged.mean(dim=1)
        )
        assert 0.0 <= entry["hypervolume"] <= 1.21
        assert len(entry["controllability"]) == 2
        # Fewer words never means more characters here in the aggregate direction.
        assert all(w <= 0 for w, _ in entry["points"])
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "Independent judges (evaluation only" in report and "| HV (judges) |" in report
    assert "| cut mid-sentence |" in report


def test_each_saved_run_loads_back_and_reproduces_its_answers(suite_run, tiny_lm_dir):
    from mdpo.policies import (
        DPSPolicy,
        MODPolicy,
        PanaceaPolicy,
        PromptConditionedPolicy,
        RSPolicy,
        load_policy,
    )

    cfg, out = suite_run
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    task = load_suite(cfg).tasks[0].build()
    kinds = {
        "p-ls": PanaceaPolicy,
        "rs": RSPolicy,
        "mod": MODPolicy,
        "dps": DPSPolicy,
        "prompt": PromptConditionedPolicy,
    }
    for name, kind in kinds.items():
        run_dir = run_dir_for(out, "llm2", name, 0)
        manifest = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
        assert manifest["base_model"] == str(tiny_lm_dir)
        assert manifest["dimension_names"] == ["concise", "verbose"]
        policy, _ = load_policy(run_dir)
        assert isinstance(policy, kind)
        examples = results["tasks"]["llm2"]["llm"]["examples"][name]
        # The runner evaluates a front in one call (per-row λ batches for Panacea and MOD),
        # and sampling is seeded per batch, so the reproduction makes the same call.
        evals = task.evaluate_points(policy, torch.tensor(examples["preferences"]))
        assert [r.answers[:2] for r in evals] == examples["answers"]
    dps = json.loads((run_dir_for(out, "llm2", "dps", 0) / "run.json").read_text())
    assert dps["grid"] == [[0.0, 1.0], [1.0, 0.0]] and dps["adapters"] == ["members/0", "members/1"]
    # DPS is evaluated (and reloads) with its members batched per row on one base.
    assert dps["soup"] == "unmerged"
    assert load_policy(run_dir_for(out, "llm2", "dps", 0))[0].batched


def test_prompt_conditioning_trains_on_annotated_prompts_with_either_reference(suite_run):
    """The prompt method records its reference; the two references train differently."""
    from mdpo.policies import load_policy

    _cfg, out = suite_run
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    methods = results["tasks"]["llm2"]["methods"]
    curves = {}
    for name, reference in (("prompt", "plain"), ("prompt-ann", "annotated")):
        manifest = json.loads((run_dir_for(out, "llm2", name, 0) / "run.json").read_text())
        assert manifest["method"] == "lora" and manifest["conditioning"] == "prompt"
        assert manifest["reference"] == reference
        curves[name] = methods[name]["seeds"]["0"]["logs"][0]["curve"]
    # Same data, λ draws and initialisation: only the reference log-probs differ.
    assert curves["prompt"] != curves["prompt-ann"]
    policy, _tokenizer = load_policy(run_dir_for(out, "llm2", "prompt", 0))
    policy.set_preference([0.25, 0.75])
    (text,) = policy.condition(["Hi"])
    assert text.startswith("Preference weights: concise=0.25, verbose=0.75.")


def test_rs_and_mod_share_experts_and_a_rerun_resumes(suite_run, capsys):
    cfg, out = suite_run
    rs = json.loads((run_dir_for(out, "llm2", "rs", 0) / "run.json").read_text())
    mod = json.loads((run_dir_for(out, "llm2", "mod", 0) / "run.json").read_text())
    assert (
        rs["experts"]
        == mod["experts"]
        == {"concise": "experts/concise", "verbose": "experts/verbose"}
    )
    assert mod["experts_reused"] is True
    # RS is evaluated (and reloads) as the unmerged, batched soup; MOD mixes logits.
    assert rs["soup"] == "unmerged" and "soup" not in mod
    policy, _ = load_policy(run_dir_for(out, "llm2", "rs", 0))
    assert policy.batched and policy.mode == "unmerged"
    (run_dir_for(out, "llm2", "rs", 0) / "run.json").write_text(json.dumps({**rs, "soup": "x"}))
    try:
        with pytest.raises(ValueError, match="soup must be 'merged' or 'unmerged', got 'x'"):
            load_policy(run_dir_for(out, "llm2", "rs", 0))
    finally:
        (run_dir_for(out, "llm2", "rs", 0) / "run.json").write_text(json.dumps(rs))
    for dim in ("concise", "verbose"):
        a = run_dir_for(out, "llm2", "rs", 0) / "experts" / dim / "adapter_model.safetensors"
        b = run_dir_for(out, "llm2", "mod", 0) / "experts" / dim / "adapter_model.safetensors"
        assert a.read_bytes() == b.read_bytes()
    parts = sorted((out / "parts").rglob("*.json"))
    stamps = [p.stat().st_mtime_ns for p in parts]
    assert main(["bench", "run", str(cfg), "--out", str(out)]) == 0
    assert "0 computed, 6 resumed" in capsys.readouterr().out
    assert [p.stat().st_mtime_ns for p in parts] == stamps  # nothing was retrained


def test_hf_kind_trains_on_a_local_pku_like_fixture(tiny_lm_dir, tmp_path):
    fixture = Path(__file__).parent / "fixtures" / "pku_like.jsonl"
    suite = {
        "name": "tinyhf",
        "seeds": [0],
        "training": {"steps": 2, "pref_batch": 2, "log_every": 1, "lr": 0.05, "rank": 2},
        "tasks": [
            {
                "name": "pku",
                "kind": "hf",
                "eval_partitions": 1,
                "params": {
                    "model": str(tiny_lm_dir),
                    "dims": {
                        "helpful": {"scorer": "length", "kwargs": {"unit": "chars", "sign": 1}},
                        "harmless": {"scorer": "length", "kwargs": {"unit": "chars", "sign": -1}},
                    },
                    "hf": {
                        "dataset": str(fixture),
                        "dims": {"helpful": "better_response_id", "harmless": "safer_response_id"},
                    },
                    "eval_prompts": 2,
                    "max_new_tokens": 4,
                    "greedy": False,
                    "bootstrap_samples": 20,
                    "device": "cpu",
                },
            }
        ],
        "methods": [{"name": "p-ls", "kind": "panacea", "objective": "dpo"}],
    }
    cfg = tmp_path / "hf.json"
    cfg.write_text(json.dumps(suite), encoding="utf-8")
    cfg_yaml = cfg.with_suffix(".yaml")
    cfg_yaml.write_text(cfg.read_text(), encoding="utf-8")  # JSON is valid YAML
    out = tmp_path / "run"
    assert main(["bench", "run", str(cfg_yaml), "--out", str(out)]) == 0
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert json.loads((out / "failures.json").read_text()) == {}
    task = results["tasks"]["pku"]
    part = task["methods"]["p-ls"]["seeds"]["0"]
    assert part["steps"] == 2 and len(part["front"]["points"]) == 2
    n_rows = sum(1 for line in fixture.read_text().splitlines() if line.strip())
    assert task["llm"]["data"] == {"n_pairs": n_rows}  # a Hub dataset has no build record
    assert task["dim_names"] == ["helpful", "harmless"]


def test_tuning_table_rescores_stored_answers_with_the_judges(suite_run, capsys):
    from mdpo.benchmarks.tuning import judge_fronts, main, sweep_rows, sweep_table

    _, out = suite_run
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    task = results["tasks"]["llm2"]
    # The suite stored 2 of its 3 prompts' answers: the judges cannot rescore the front.
    with pytest.raises(ValueError, match="stored answers to 2 of 3 prompts"):
        judge_fronts(task)
    assert main([str(out)]) == 2
    # Keep only the first 2 prompts' scores: now the stored answers cover every prompt.
    for method in task["methods"].values():
        llm = method["seeds"]["0"]["llm"]
        llm["per_prompt"] = [scores[:2] for scores in llm["per_prompt"]]
    judged = judge_fronts(task)
    for name, method in task["methods"].items():
        answers = method["seeds"]["0"]["llm"]["examples"]["answers"]
        words = [[-float(len(a.split())) for a in point] for point in answers]
        expected = [sum(w) / len(w) for w in words]
        assert [p[0] for p in judged[name]["points"]] == pytest.approx(expected)
    rows = sweep_rows(results)
    assert {r["method"] for r in rows} == {"p-ls", "rs", "mod", "dps", "prompt", "prompt-ann"}
    table = sweep_table(rows)
    assert table.count("\n") == len(rows) + 1 and "| HV (judges) |" in table
    assert "stored answers to 2 of 3 prompts" in capsys.readouterr().err


def test_modpo_trains_margin_experts_then_its_grid_saves_and_loads(
    tiny_lm_dir, tmp_path, write_tiny_llm_suite
):
    from mdpo.policies import DPSPolicy, load_policy

    methods = [{"name": "modpo", "kind": "modpo", "dps_partitions": 2}]
    cfg = write_tiny_llm_suite(tmp_path / "suite.yaml", "tinymodpo", tiny_lm_dir, methods)
    out = tmp_path / "run"
    assert main(["bench", "run", str(cfg), "--out", str(out), "--no-progress"]) == 0
    assert json.loads((out / "failures.json").read_text()) == {}
    results = json.loads((out / "results.json").read_text())
    part = results["tasks"]["llm2"]["methods"]["modpo"]["seeds"]["0"]
    # Equal compute: 2 margin experts x (6 // 2) // 2 = 1 step, 3 members x (6 - 2) // 3 = 1.
    assert [log["steps"] for log in part["logs"]] == [1, 1, 1, 1, 1]
    assert [log["label"] for log in part["logs"]][:2] == ["expert:concise", "expert:verbose"]
    assert len(part["front"]["points"]) == 3  # evaluated on its grid only
    run_dir = run_dir_for(out, "llm2", "modpo", 0)
    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["method"] == "dps" and manifest["method_kind"] == "modpo"
    assert manifest["grid"] == [[0.0, 1.0], [0.5, 0.5], [1.0, 0.0]]
    assert manifest["margin_experts"] == {"steps": 1, "reused": False}
    policy, _ = load_policy(run_dir)
    assert isinstance(policy, DPSPolicy) and policy.supports([0.5, 0.5])
    # Like DPS, its members share one base: evaluated (and reloaded) batched per row, so
    # the reloaded policy reproduces the stored answers in the runner's one call.
    assert manifest["soup"] == "unmerged" and policy.batched
    examples = results["tasks"]["llm2"]["llm"]["examples"]["modpo"]
    task = load_suite(cfg).tasks[0].build()
    evals = task.evaluate_points(policy, torch.tensor(examples["preferences"]))
    assert [r.answers[:2] for r in evals] == examples["answers"]
