"""The ``smollm10d`` suite: it validates as shipped, and a tiny-model copy runs end to end."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
import yaml

from mdpo.benchmarks.config import load_suite
from mdpo.cli.main import main
from mdpo.preferences import preference_grid
from mdpo.scorers import STYLES, get_scorer

PNG = b"\x89PNG\r\n\x1a\n"


def _shipped() -> dict:
    text = resources.files("mdpo.benchmarks.suites").joinpath("smollm10d.yaml").read_text()
    return yaml.safe_load(text)


def test_suite_validates_with_the_ten_style_dimensions():
    suite = load_suite("smollm10d")
    (task_cfg,) = suite.tasks
    task = task_cfg.build()
    assert task.dim_names == list(STYLES) and task.n_dims == 10
    for name, spec in task.config.dims.items():
        if name != "concise":
            assert spec == {"scorer": "style", "kwargs": {"style": name}}
            assert get_scorer("style", style=name).style == name  # lazy: loads nothing
    concise = task.config.dims["concise"]
    assert concise == {"scorer": "length", "kwargs": {"unit": "tokens", "sign": -1, "floor": 8}}
    # Only concise has an independent judge; the style dimensions have none.
    assert list(task.config.judges) == ["concise"]
    methods = {m.name: m for m in suite.methods}
    assert [m.kind for m in suite.methods] == ["panacea", "panacea", "rs", "dps", "mod", "prompt"]
    assert methods["panacea-ls"].vertex_prob == 1.0
    assert 0.0 < methods["panacea-tche"].vertex_prob < 1.0  # else Tche trains LS's model
    assert methods["panacea-tche"].aggregator == "tche"
    # DPS: the vertices (K = 10), each member at least one step at equal compute.
    k = preference_grid(10, methods["dps"].grid_partitions(10)).shape[0]
    assert k == 10 and suite.training.steps // k >= 1
    assert suite.training.steps // 10 >= 1  # RS / MOD experts
    # MOD mixes RS's experts: trained identically, so they are trained once and shared.
    assert methods["mod"].lr == methods["rs"].lr and methods["mod"].steps == methods["rs"].steps
    assert task_cfg.partitions(10)[0] == 2  # 55 λ: vertices and two-dimension mixes


# The shipped suite with a tiny random model and ten cheap scorers (the style probes embed
# their exemplars with MiniLM first, ~20 s; they are tested in tests/scorers).
CHEAP = [
    {"scorer": "length", "kwargs": {"unit": "chars", "sign": 1}},
    {"scorer": "length", "kwargs": {"unit": "chars", "sign": -1}},
    {"scorer": "length", "kwargs": {"unit": "words", "sign": 1}},
    {"scorer": "lexical_relevance"},
    None,  # concise: as shipped
    {"scorer": "readability"},
    {"scorer": "sentiment"},
    {"scorer": "afinn"},
    {"scorer": "length", "kwargs": {"unit": "words", "sign": -1}},
    {"scorer": "length", "kwargs": {"unit": "tokens", "sign": 1}},
]


@pytest.fixture(scope="module")
def tiny_run(tiny_lm_dir, tmp_path_factory) -> Path:
    suite = _shipped()
    suite["training"].update(steps=10, log_every=10, lr=0.05)
    (task,) = suite["tasks"]
    task["eval_partitions"] = 1  # the 10 vertices: what the heatmap needs, 5x fewer λ
    dims = task["params"]["dims"]
    for name, spec in zip(list(dims), CHEAP):
        if spec is not None:
            dims[name] = spec
    small = {"train_prompts": 2, "eval_prompts": 2, "data_max_new_tokens": 6}
    small |= {"max_new_tokens": 4, "gen_batch_size": 32, "bootstrap_samples": 10}
    task["params"].update(small, model=str(tiny_lm_dir), example_prompts=1)
    root = tmp_path_factory.mktemp("smollm10d")
    cfg = root / "smollm10d.yaml"
    cfg.write_text(yaml.safe_dump(suite, allow_unicode=True, sort_keys=False), encoding="utf-8")
    out = root / "run"
    assert main(["bench", "run", str(cfg), "--out", str(out), "--no-progress"]) == 0
    return out


def test_tiny_copy_runs_every_method_at_m10(tiny_run):
    results = json.loads((tiny_run / "results.json").read_text(encoding="utf-8"))
    assert json.loads((tiny_run / "failures.json").read_text()) == {}
    task = results["tasks"]["smollm10d"]
    assert task["n_dims"] == 10 and task["dim_names"] == list(STYLES)
    assert task["method_order"] == ["panacea-ls", "panacea-tche", "rs", "dps", "mod", "prompt"]
    for name, method in task["methods"].items():
        entry = method["seeds"]["0"]
        assert len(entry["front"]["points"]) == 10, name
        assert entry["metrics"]["hypervolume_error"] >= 0.0
    assert task["hypervolume_method"]["method"] == "monte-carlo"
    assert "concise" in task["llm"]["judges"]["dimensions"]
    # MOD reused RS's experts: the same training logs, and MOD trained nothing itself.
    assert (
        task["methods"]["mod"]["seeds"]["0"]["logs"] == task["methods"]["rs"]["seeds"]["0"]["logs"]
    )


def test_tiny_copy_reports_heatmap_radar_and_hv_error(tiny_run):
    report = (tiny_run / "report.md").read_text(encoding="utf-8")
    assert "Estimated error of the Monte-Carlo HV" in report
    assert "| method | mean diagonal | defined per seed |" in report
    for kind in ("heatmap", "radar", "front"):
        png = tiny_run / f"{kind}_smollm10d.png"
        assert png.read_bytes().startswith(PNG) and png.stat().st_size > 20_000, png
        assert f"({png.name})" in report


def test_judged_metrics_when_only_some_dimensions_are_judged():
    from mdpo.benchmarks.stats import judged_front_metrics

    lam = preference_grid(3, 2).tolist()  # 6 points; only dimension 1 is judged
    judged = {"a": [[p[1] * 2.0 + 0.1] for p in lam], "b": [[1.0 - p[1]] for p in lam]}
    metrics, _ = judged_front_metrics(
        {k: np.asarray(v) for k, v in judged.items()},
        {"a": lam, "b": lam},
        [1],
    )
    assert metrics["a"]["controllability"] == pytest.approx([1.0])
    assert metrics["b"]["controllability"] == pytest.approx([-1.0])
    assert metrics["a"]["hypervolume"] != metrics["a"]["hypervolume"]  # NaN: one dimension
