"""Runner and CLI end to end on a tiny suite: results, resume, failures, report and plots."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

import mdpo.benchmarks.runner as runner
from mdpo.benchmarks.config import SuiteConfig, load_suite
from mdpo.cli.main import main

PNG = b"\x89PNG\r\n\x1a\n"

TINY = textwrap.dedent(
    """
    name: tiny
    seeds: [0, 1]
    training: {steps: 8, pref_batch: 4, log_every: 2}
    tasks:
      - name: b2
        kind: bandit
        params: {n_dims: 2, n_contexts: 3, n_actions: 4, hidden: 8}
        eval_partitions: 4
        true_front_partitions: 20
      - name: b3
        kind: bandit
        params: {n_dims: 3, n_contexts: 2, n_actions: 3, hidden: 8}
        eval_partitions: 2
        true_front_partitions: 6
      - name: z
        kind: synthetic
        params: {problem: zdt2, n_var: 3, hidden: 8}
        eval_partitions: 4
        true_front_partitions: 20
        training: {vertex_prob: 0.0}
    methods:
      - {name: p-ls, kind: panacea, aggregator: ls}
      - {name: p-tche, kind: panacea, aggregator: tche}
      - {name: rs, kind: rs}
      - {name: dps, kind: dps}
      - {name: mod, kind: mod}
      - {name: prompt, kind: prompt, tasks: [b2]}
      - {name: dpo, kind: panacea, objective: dpo, tasks: [b2]}
    """
)

SMALL = textwrap.dedent(
    """
    name: small
    seeds: [0, 1]
    training: {steps: 4, pref_batch: 2, log_every: 2}
    tasks:
      - {name: b, kind: bandit, params: {n_dims: 2, n_contexts: 2, n_actions: 3, hidden: 4},
         eval_partitions: 2, true_front_partitions: 10}
    methods:
      - {name: p, kind: panacea}
      - {name: rs, kind: rs}
      - {name: dps, kind: dps}
    """
)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> tuple[Path, int]:
    root = tmp_path_factory.mktemp("tiny")
    config = root / "tiny.yaml"
    config.write_text(TINY)
    out = root / "run"
    code = main(["bench", "run", str(config), "--out", str(out), "--no-progress"])
    return out, code


def test_cli_run_succeeds_and_writes_everything(tiny_run, capsys):
    out, code = tiny_run
    assert code == 0
    for name in ("results.json", "report.md", "suite.json", "failures.json"):
        assert (out / name).is_file(), name
    parts = sorted(p.relative_to(out).as_posix() for p in (out / "parts").rglob("*.json"))
    # b2: 7 methods, b3: 5 (no prompt/dpo), z: 4 (no MOD: no logits) -> 16 x 2 seeds
    assert len(parts) == 32
    assert "parts/z/mod/seed0.json" not in parts
    assert "parts/b2/dpo/seed1.json" in parts


def test_results_json_carries_every_field(tiny_run):
    out, _ = tiny_run
    results = json.loads((out / "results.json").read_text())
    assert set(results) >= {"suite", "protocol", "decoding", "versions", "tasks", "wall_time"}
    assert "n/a" in results["decoding"]
    assert {"torch", "pymoo", "mdpo", "python"} <= set(results["versions"])
    assert {"normalization", "reference_point", "intervals", "dps_comparison"} <= set(
        results["protocol"]
    )
    b2 = results["tasks"]["b2"]
    assert b2["n_eval_preferences"] == 5 and b2["eval_partitions"] == 4
    assert len(b2["true_front"]["points"]) == 21
    assert b2["normalization"]["method"] == "true_front"
    assert b2["normalization"]["ref_point"] == [-0.1, -0.1]
    assert b2["hypervolume_method"]["method"] == "exact"
    assert len(b2["dps_grid"]) == 5
    assert b2["method_order"] == ["p-ls", "p-tche", "rs", "dps", "mod", "prompt", "dpo"]
    for name, method in b2["methods"].items():
        assert set(method["seeds"]) == {"0", "1"}, name
        for seed in method["seeds"].values():
            front = seed["front"]
            n = len(front["points"])
            assert n == len(front["preferences"]) == 5  # dense grid == DPS grid here
            assert seed["steps"] > 0 and seed["rows"] > 0 and seed["wall_time"] > 0
            assert "ideal" in seed and "logs" in seed
            assert {"hv_ratio", "igd_plus", "hypervolume", "igd"} <= set(seed["metrics"])
            assert "hv_ratio" in seed["metrics_dps_grid"]
        stat = method["summary"]["hv_ratio"]
        assert stat["n"] == 2 and stat["low"] <= stat["mean"] <= stat["high"]
    ideal = b2["methods"]["p-tche"]["seeds"]["0"]["ideal"][0]
    assert len(ideal) == 2 and all(isinstance(v, float) for v in ideal)
    assert b2["methods"]["p-ls"]["seeds"]["0"]["ideal"] == [None]
    assert b2["methods"]["rs"]["steps"] == 8 and b2["methods"]["dps"]["steps"] == 5  # 8 // 5 = 1
    pairs = b2["paired_differences"]
    assert set(pairs["p-ls - rs"]) == {"hv_ratio", "igd_plus", "hypervolume", "on"}
    assert pairs["p-ls - rs"]["on"] == "dense" and pairs["p-ls - dps"]["on"] == "dps_grid"
    assert "dps" in b2["capacity"]
    ceiling = b2["ceiling"]  # the exact front at the 5 evaluation preferences
    assert ceiling["n_points"] == 5 and 0.5 < ceiling["metrics"]["hv_ratio"] < 1.0
    b3 = results["tasks"]["b3"]
    assert len(b3["methods"]["dps"]["seeds"]["0"]["front"]["points"]) == 6  # K = 6 at m = 3


def test_report_and_plots_are_written(tiny_run):
    out, _ = tiny_run
    report = (out / "report.md").read_text()
    assert "| method | HV ratio | IGD+" in report
    assert "| p-ls |" in report and "Paired differences" in report and "Student-t" in report
    assert "(ceiling)" in report
    for task in ("b2", "b3", "z"):
        for kind in ("front", "curves"):
            png = out / f"{kind}_{task}.png"
            data = png.read_bytes()
            assert data.startswith(PNG) and len(data) > 1000, png
            assert f"({png.name})" in report
    (out / "report.md").unlink()
    (out / "front_b3.png").unlink()
    assert main(["bench", "report", str(out)]) == 0
    assert (out / "report.md").is_file() and (out / "front_b3.png").read_bytes().startswith(PNG)


def test_report_of_a_missing_dir_fails(tmp_path):
    assert main(["bench", "report", str(tmp_path)]) == 2


def test_run_of_an_unknown_suite_fails(tmp_path, capsys):
    assert main(["bench", "run", "no-such-suite", "--out", str(tmp_path)]) == 2
    assert "built-in suites" in capsys.readouterr().err


def _small(tmp_path: Path) -> SuiteConfig:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL)
    return load_suite(path)


def test_resume_after_a_crash_loses_and_recomputes_nothing(tmp_path, monkeypatch):
    suite = _small(tmp_path)
    out = tmp_path / "run"
    real = runner.build_method
    calls: list[tuple[str, int]] = []

    def crashing(method, task, training, seed, **kw):
        if len(calls) == 3:
            raise KeyboardInterrupt  # a crash, not an ordinary failure: nothing catches it
        calls.append((method.name, seed))
        return real(method, task, training, seed, **kw)

    monkeypatch.setattr(runner, "build_method", crashing)
    with pytest.raises(KeyboardInterrupt):
        runner.run_suite(suite, out, progress=False)
    finished = sorted((out / "parts").rglob("*.json"))
    assert len(finished) == 3
    before = {p: p.read_bytes() for p in finished}
    assert not list((out / "parts").rglob("*.tmp"))

    resumed: list[tuple[str, int]] = []

    def counting(method, task, training, seed, **kw):
        resumed.append((method.name, seed))
        return real(method, task, training, seed, **kw)

    monkeypatch.setattr(runner, "build_method", counting)
    summary = runner.run_suite(suite, out, progress=False)
    assert summary.ok and summary.resumed == 3 and summary.computed == 3
    assert sorted(resumed) == sorted(set(_all_units(suite)) - set(calls))
    assert all(p.read_bytes() == data for p, data in before.items())
    again = runner.run_suite(suite, out, progress=False)
    assert again.computed == 0 and again.resumed == 6


def _all_units(suite: SuiteConfig) -> list[tuple[str, int]]:
    return [(m.name, s) for m in suite.methods for s in suite.seeds]


def test_changed_config_is_recomputed(tmp_path):
    suite = _small(tmp_path)
    out = tmp_path / "run"
    runner.run_suite(suite, out, progress=False)
    suite.methods[0].lr = 0.05
    summary = runner.run_suite(suite, out, progress=False)
    assert summary.computed == 2 and summary.resumed == 4


def test_a_failing_method_exits_nonzero_and_keeps_the_others(tmp_path, monkeypatch, capsys):
    path = tmp_path / "small.yaml"
    path.write_text(SMALL)
    real = runner.build_method

    def failing(method, task, training, seed, **kw):
        if method.name == "rs":
            raise RuntimeError("boom")
        return real(method, task, training, seed, **kw)

    monkeypatch.setattr(runner, "build_method", failing)
    out = tmp_path / "run"
    assert main(["bench", "run", str(path), "--out", str(out), "--no-progress"]) == 1
    captured = capsys.readouterr()
    assert "FAILED b/rs/seed0" in captured.err
    assert "2 failed" in captured.out.splitlines()[-1]
    failures = json.loads((out / "failures.json").read_text())
    assert failures["b/rs/seed1"] == "RuntimeError: boom"
    results = json.loads((out / "results.json").read_text())
    assert set(results["tasks"]["b"]["methods"]) == {"p", "dps"}


def test_runs_go_seed_by_seed(tmp_path, monkeypatch):
    suite = _small(tmp_path)
    real = runner.build_method
    order: list[tuple[str, int]] = []

    def recording(method, task, training, seed, **kw):
        order.append((method.name, seed))
        return real(method, task, training, seed, **kw)

    monkeypatch.setattr(runner, "build_method", recording)
    runner.run_suite(suite, tmp_path / "run", progress=False)
    assert order == [(m, s) for s in (0, 1) for m in ("p", "rs", "dps")]


def test_time_budget_stops_starting_runs_and_a_rerun_resumes(tmp_path, monkeypatch, capsys):
    path = tmp_path / "small.yaml"
    path.write_text(SMALL)
    clock = iter(range(10, 10_000, 10))  # each budget check sees 10 s more
    monkeypatch.setattr(runner, "_elapsed", lambda start: float(next(clock)))
    out = tmp_path / "run"
    code = main(
        ["bench", "run", str(path), "--out", str(out), "--no-progress", "--time-budget", "25"]
    )
    assert code == 1
    captured = capsys.readouterr()
    skipped = [line for line in captured.err.splitlines() if line.startswith("NOT STARTED")]
    assert skipped and "not started (time budget)" in captured.out.splitlines()[-1]
    parts = out / "parts"
    finished = sorted(p.relative_to(parts).as_posix() for p in parts.rglob("*.json"))
    assert 0 < len(finished) < 6 and len(finished) + len(skipped) == 6
    assert finished[0].endswith("seed0.json")
    results = json.loads((out / "results.json").read_text())  # the finished runs, reported
    assert results["tasks"]["b"]["methods"]
    assert results["tasks"]["b"]["planned_methods"] == ["p", "rs", "dps"]
    assert "**Incomplete:**" in (out / "report.md").read_text()
    monkeypatch.undo()
    summary = runner.run_suite(load_suite(path), out, progress=False)
    assert summary.ok and summary.resumed == len(finished) and summary.computed == len(skipped)


@pytest.mark.parametrize("budget", [0, -1.0, float("nan"), True, "60"])
def test_bad_time_budget_is_refused(tmp_path, budget):
    with pytest.raises(ValueError, match="time_budget must be a positive number of seconds"):
        runner.run_suite(_small(tmp_path), tmp_path / "run", progress=False, time_budget=budget)


def test_cli_refuses_a_non_positive_time_budget(tmp_path, capsys):
    path = tmp_path / "small.yaml"
    path.write_text(SMALL)
    args = ["bench", "run", str(path), "--out", str(tmp_path / "o"), "--time-budget", "0"]
    assert main(args) == 2
    assert "--time-budget must be > 0 seconds, got 0.0" in capsys.readouterr().err


def test_method_adapter_options_reach_the_panacea_model(tmp_path):
    from mdpo.benchmarks.config import MethodConfig

    suite = _small(tmp_path)
    task = suite.tasks[0].build()
    method = MethodConfig(name="p", kind="panacea", adapter={"init": "lora"})
    training = suite.training.replace(steps=1)
    run = runner.build_method(method, task, training, 0)
    model = run.policy.model
    assert model.panacea_config.init == "lora"
    # One step from U = 0, σ = s = 1: s and σ are still near 1 (the "svd" init has them at 0).
    layer = next(iter(model.panacea_layers().values()))
    assert (layer.lora_s - 1).abs().item() < 0.1


def test_part_paths_never_escape_the_output_dir(tmp_path):
    assert runner.part_path(tmp_path, "t", "m", 0) == (tmp_path / "parts/t/m/seed0.json").resolve()
    for task, method in (("..", "m"), ("t", "../../x"), ("t", "/abs"), ("a/b", "m")):
        with pytest.raises(ValueError, match="name must be"):
            runner.part_path(tmp_path, task, method, 0)
