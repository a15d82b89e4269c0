"""Suite YAML validation: errors name the bad key and list the allowed ones."""

from __future__ import annotations

import textwrap

import pytest

from mdpo.benchmarks.config import SuiteConfig, builtin_suites, load_suite

BASE = {
    "name": "s",
    "seeds": [0],
    "tasks": [{"name": "b", "kind": "bandit", "params": {"n_dims": 2}}],
    "methods": [{"name": "p", "kind": "panacea"}],
}


def _with(**changes):
    data = {k: (list(v) if isinstance(v, list) else v) for k, v in BASE.items()}
    data.update(changes)
    return data


def test_builtin_suites_load():
    assert {"quick", "bandit10"} <= set(builtin_suites())
    quick = load_suite("quick")
    assert [t.name for t in quick.tasks] == ["bandit2", "bandit3", "zdt2"]
    assert quick.seeds == [0, 1, 2]
    kinds = {m.kind for m in quick.methods}
    assert kinds == {"panacea", "rs", "dps", "mod", "modpo"}
    ten = load_suite("bandit10")
    assert ten.tasks[0].params["n_dims"] == 10
    dps = next(m for m in ten.methods if m.kind == "dps")
    assert dps.grid_partitions(10) == 2


def test_valid_suite_roundtrips():
    suite = SuiteConfig.from_dict(BASE)
    assert SuiteConfig.from_dict(suite.to_dict()) == suite


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (_with(epochs=3), r"suite has unknown key 'epochs'; allowed keys: \['name', 'tasks'"),
        ({"name": "s", "tasks": []}, "missing the required key 'methods'"),
        (_with(tasks=[{"name": "b"}]), r"missing key 'kind' in tasks\[0\]"),
        (_with(training={"step": 3}), r"training has unknown key 'step'; allowed keys: \['steps'"),
        (_with(training={"lr": -1.0}), "training.lr must be a real number >="),
        (
            _with(training={"lr_schedule": "step"}),
            r"training.lr_schedule must be one of \['constant', 'linear', 'cosine'\], got 'step'",
        ),
        (
            _with(methods=[{"name": "p", "kind": "rs", "rank": 0}]),
            r"method 'p' rank must be an int >= 1, got 0",
        ),
        (
            _with(methods=[{"name": "p", "kind": "panacea", "lr_schedule": "exp"}]),
            r"method 'p' lr_schedule must be one of \['constant', 'linear', 'cosine'\]",
        ),
        (_with(seeds=[]), "seeds must be a non-empty list"),
        (_with(seeds=[0, 0]), "seeds must be distinct"),
        (
            _with(tasks=[{"name": "b", "kind": "bandit", "parms": {}}]),
            r"tasks\[0\] has unknown key 'parms'; allowed keys: \['name', 'kind', 'params'",
        ),
        (
            _with(tasks=[{"name": "b", "kind": "maze"}]),
            r"kind 'maze'; allowed kinds: \['bandit', 'synthetic', 'smollm', 'hf'\]",
        ),
        (
            _with(tasks=[{"name": "b", "kind": "bandit", "params": {"n_arms": 3}}]),
            r"task 'b' params has unknown key 'n_arms'; allowed keys: \['n_dims'",
        ),
        (
            _with(tasks=[{"name": "b", "kind": "bandit", "params": {"beta": 0}}]),
            "bandit param beta must be a float > 0",
        ),
        (
            _with(tasks=[{"name": "z", "kind": "synthetic", "params": {"problem": "zdt9"}}]),
            "problem must be one of",
        ),
        (
            _with(tasks=[{"name": "b", "kind": "bandit", "training": {"lrr": 1}}]),
            "task 'b' training has unknown key 'lrr'",
        ),
        (_with(methods=[{"name": "p", "kind": "ppo"}]), "allowed kinds: \\['panacea', 'rs'"),
        (_with(methods=[{"name": "p", "kind": "panacea", "aggregator": "max"}]), "valid"),
        (_with(methods=[{"name": "p", "kind": "panacea", "ideal": "zero"}]), "'tracked' or"),
        (_with(methods=[{"name": "p", "kind": "rs", "tasks": ["nope"]}]), "unknown tasks"),
        (_with(methods=[{"name": "../up", "kind": "rs"}]), "method name must be"),
        (_with(methods=[{"name": "a/b", "kind": "rs"}]), "method name must be"),
        (_with(tasks=[{"name": "..", "kind": "bandit"}]), "task name must be"),
        (
            _with(methods=[{"name": "p", "kind": "rs"}, {"name": "p", "kind": "dps"}]),
            "method names must be unique",
        ),
        (
            _with(methods=[{"name": "p", "kind": "panacea", "adapter": {"init": "pissa"}}]),
            r"method 'p' adapter: init must be one of \['svd', 'lora'\], got 'pissa'",
        ),
        (
            _with(methods=[{"name": "p", "kind": "panacea", "adapter": {"r": 3}}]),
            r"method 'p' adapter has unknown fields \['r'\]; allowed: \['init', 'init_scale'",
        ),
        (
            _with(methods=[{"name": "p", "kind": "rs", "adapter": {"init": "lora"}}]),
            "adapter options apply to kind 'panacea' only",
        ),
        (
            _with(methods=[{"name": "p", "kind": "panacea", "adapter": ["init"]}]),
            "adapter must be a mapping",
        ),
    ],
)
def test_invalid_suites_are_refused_with_a_named_key(data, match):
    with pytest.raises(ValueError, match=match):
        SuiteConfig.from_dict(data)


def test_explicit_bandit_tables_are_validated():
    rewards = [[[1.0, 0.0], [0.0, 1.0]]]
    ok = SuiteConfig.from_dict(
        _with(tasks=[{"name": "b", "kind": "bandit", "params": {"rewards": rewards}}])
    )
    assert ok.tasks[0].build().n_dims == 2
    bad = _with(
        tasks=[
            {
                "name": "b",
                "kind": "bandit",
                "params": {"rewards": rewards, "ref_logits": [[0.0, 0.0, 0.0]]},
            }
        ]
    )
    with pytest.raises(ValueError, match=r"ref_logits must have shape \[1, 2\]"):
        SuiteConfig.from_dict(bad)


def test_load_suite_errors(tmp_path):
    with pytest.raises(ValueError, match=r"unknown suite 'nope'.*built-in suites: \["):
        load_suite("nope")
    with pytest.raises(ValueError, match="does not exist"):
        load_suite(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\n")
    with pytest.raises(ValueError, match="not valid YAML"):
        load_suite(broken)
    odd = tmp_path / "odd.yaml"
    odd.write_text(
        textwrap.dedent(
            """
            name: odd
            tasks: [{name: b, kind: bandit}]
            methods: [{name: p, kind: panacea, steps: 0}]
            """
        )
    )
    with pytest.raises(ValueError, match=r"odd.yaml: method 'p' steps must be an int >= 1"):
        load_suite(odd)


def test_yaml_is_loaded_safely(tmp_path):
    evil = tmp_path / "evil.yaml"
    evil.write_text("name: !!python/object/apply:os.system ['echo hi']\ntasks: []\nmethods: []\n")
    with pytest.raises(ValueError, match="not valid YAML"):
        load_suite(evil)


def test_method_overrides_reach_the_training_settings():
    suite = SuiteConfig.from_dict(
        _with(
            training={"lr": 0.01, "lr_schedule": "cosine"},
            methods=[
                {
                    "name": "p",
                    "kind": "panacea",
                    "lr": 0.05,
                    "lr_schedule": "linear",
                    "rank": 4,
                    "adapter": {"pref_rank": 3},
                },
                {"name": "r", "kind": "rs"},
            ],
        )
    )
    p, r = (m.training_for(suite.training) for m in suite.methods)
    assert (p.lr, p.lr_schedule, r.lr, r.lr_schedule) == (0.05, "linear", 0.01, "cosine")
    assert p.steps == r.steps == suite.training.steps
    assert (p.rank, r.rank) == (4, suite.training.rank)
    panacea = suite.methods[0].panacea_config(p.rank, 2, None)
    assert panacea.total_rank == 4 + 2 * 3 == r.rank + 2


def test_reference_applies_to_prompt_methods_only():
    from mdpo.benchmarks.config import MethodConfig

    assert MethodConfig(name="p", kind="prompt", reference="annotated").reference == "annotated"
    with pytest.raises(ValueError, match="reference applies to kind 'prompt' only"):
        MethodConfig(name="x", kind="panacea", reference="plain")
    with pytest.raises(ValueError, match="reference must be 'plain' or 'annotated', got 'both'"):
        MethodConfig(name="p", kind="prompt", reference="both")
