"""The method registry: a kind registered from outside runs in a suite; what the specs decide."""

from __future__ import annotations

import json

import pytest
import torch

import mdpo.benchmarks.runner as runner
from mdpo.benchmarks import config
from mdpo.benchmarks.config import MethodConfig, SuiteConfig
from mdpo.benchmarks.methods import (
    MethodSpec,
    available_methods,
    get_method,
    register_method,
    unregister_method,
)
from mdpo.benchmarks.methods.builders import FeatureContext, MethodRun
from mdpo.policies import DPSPolicy, policy_layouts

SUITE = {
    "name": "registry",
    "seeds": [0],
    "training": {"steps": 4, "pref_batch": 2, "log_every": 2},
    "tasks": [
        {
            "name": "b",
            "kind": "bandit",
            "params": {"n_dims": 2, "n_contexts": 2, "n_actions": 3, "hidden": 4},
            "eval_partitions": 2,
            "true_front_partitions": 10,
        },
        {"name": "z", "kind": "synthetic", "params": {"problem": "zdt2", "n_var": 3, "hidden": 4}},
    ],
}


def _vertices(ctx: FeatureContext) -> MethodRun:
    """A toy grid method from the shared helpers: the m experts, each scored at its vertex."""
    experts, logs = ctx.experts()
    return MethodRun(DPSPolicy(torch.eye(ctx.n_dims), experts, ctx.task.dim_names), logs)


@pytest.fixture
def vertices():
    spec = register_method("vertices", MethodSpec(policy=DPSPolicy, train=_vertices, grid=True))
    yield spec
    unregister_method("vertices")


def test_builtin_kinds_are_registered_in_order_and_read_everywhere():
    assert available_methods() == ["panacea", "rs", "dps", "mod", "prompt", "modpo"]
    assert tuple(available_methods()) == config.METHOD_KINDS
    assert get_method("dps").grid and get_method("modpo").grid and not get_method("rs").grid
    for kind in available_methods():
        assert get_method(kind).layout in policy_layouts()


def test_a_registered_kind_runs_in_a_suite_and_is_scored_on_its_grid(vertices, tmp_path):
    assert "vertices" in config.METHOD_KINDS  # read from the registry on each access
    methods = [{"name": "v", "kind": "vertices"}, {"name": "p", "kind": "panacea"}]
    suite = SuiteConfig.from_dict({**SUITE, "methods": methods})
    summary = runner.run_suite(suite, tmp_path / "run", progress=False)
    assert summary.ok and summary.computed == 4
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    task = results["tasks"]["b"]
    assert len(task["methods"]["v"]["seeds"]["0"]["front"]["points"]) == 2  # its grid only
    assert task["paired_differences"]["v - p"]["on"] == "dps_grid"
    # No language-model trainer: a saved run is never asked of it.
    assert get_method("vertices").layout is None


def test_registration_is_checked():
    spec = get_method("rs")
    with pytest.raises(ValueError, match="already registered as 'rs'"):
        register_method("rs", get_method("dps"))
    assert register_method("rs", spec) is spec  # the same spec again is a no-op
    with pytest.raises(ValueError, match="built-in method kind 'rs' cannot be unregistered"):
        unregister_method("rs")
    with pytest.raises(ValueError, match="must start with a letter"):
        register_method("9x", spec)
    with pytest.raises(TypeError, match="spec must be a MethodSpec"):
        register_method("x", {"train": None})
    with pytest.raises(ValueError, match="layout 'nowhere', which load_policy cannot read"):
        register_method("x", MethodSpec(policy=DPSPolicy, train_llm=print, layout="nowhere"))
    with pytest.raises(ValueError, match="needs train, train_llm or both"):
        MethodSpec(policy=DPSPolicy)
    with pytest.raises(ValueError, match="unknown method kind 'nope'; allowed kinds"):
        get_method("nope")


def test_kind_specific_options_are_refused_on_other_kinds():
    with pytest.raises(ValueError, match="reference applies to kind 'prompt' only, got 'plain'"):
        MethodConfig(name="r", kind="rs", reference="plain")
    with pytest.raises(ValueError, match="adapter options apply to kind 'panacea' only"):
        MethodConfig(name="d", kind="modpo", adapter={"init": "lora"})
    with pytest.raises(ValueError, match="has kind 'nope'; allowed kinds: \\['panacea'"):
        MethodConfig(name="n", kind="nope")


class _Task:
    def __init__(self, objectives):
        self.objectives = objectives


def test_an_unset_objective_is_each_tasks_first_and_a_refused_one_is_named():
    method = MethodConfig(name="rs", kind="rs")
    assert method.objective is None
    assert method.objective_for(_Task(("dpo",))) == "dpo"  # the LLM tasks': runs there too
    assert method.objective_for(_Task(("exact", "dpo"))) == "exact"
    with pytest.raises(ValueError, match=r"objective 'dpo' is not trained on by tasks \['z'\]"):
        SuiteConfig.from_dict(
            {**SUITE, "methods": [{"name": "p", "kind": "panacea", "objective": "dpo"}]}
            | {"tasks": SUITE["tasks"][1:]}
        )
    named = [{"name": "p", "kind": "panacea", "objective": "dpo", "tasks": ["b", "z"]}]
    with pytest.raises(ValueError, match="not trained on by tasks \\['z'\\]"):
        SuiteConfig.from_dict({**SUITE, "methods": named})
    # Unrestricted, it runs where it can (the bandit) and is skipped on ZDT2.
    SuiteConfig.from_dict(
        {**SUITE, "methods": [{"name": "p", "kind": "panacea", "objective": "dpo"}]}
    )


def test_failures_keep_their_tracebacks(tmp_path, monkeypatch):
    def failing(method, task, training, seed, **kw):
        raise RuntimeError("boom")

    monkeypatch.setattr(runner, "build_method", failing)
    suite = SuiteConfig.from_dict({**SUITE, "methods": [{"name": "rs", "kind": "rs"}]})
    summary = runner.run_suite(suite, tmp_path / "run", progress=False)
    assert summary.failed == ["b/rs/seed0", "z/rs/seed0"]
    failures = json.loads((tmp_path / "run" / "failures.json").read_text())
    assert failures["b/rs/seed0"] == "RuntimeError: boom"
    trace = failures["tracebacks"]["b/rs/seed0"]
    assert trace.startswith("Traceback (most recent call last):")
    assert "in failing" in trace and trace.rstrip().endswith("RuntimeError: boom")
