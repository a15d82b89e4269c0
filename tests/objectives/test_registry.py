"""register_objective: a registered objective is accepted by name wherever the built-ins are."""

from __future__ import annotations

import pytest

from mdpo.objectives import (
    DPOObjective,
    MODPOObjective,
    RLHFObjective,
    SFTObjective,
    available_objectives,
    make_objective,
    objective_spec,
    register_objective,
    unregister_objective,
)
from mdpo.training import DimensionSpec, TrainRunConfig


class ShortSFT(SFTObjective):
    """A toy objective: SFT on completions of at most 64 tokens."""

    def __init__(self, dim_names=None, **kwargs):
        super().__init__(dim_names, max_length=64, **kwargs)


@pytest.fixture
def toy():
    register_objective("short-sft", ShortSFT)
    yield "short-sft"
    unregister_objective("short-sft")


def _config(**dimension):
    return {"dimensions": [{"name": "a", "data": "d.jsonl", **dimension}]}


def test_builtins_are_registered_in_order():
    assert available_objectives()[:4] == ["dpo", "sft", "rlhf", "modpo"]
    assert objective_spec("RLHF").scorer and not objective_spec("sft").scorer
    assert objective_spec("dpo").paired and objective_spec("modpo").paired
    assert isinstance(make_objective("dpo", ["a", "b"]), DPOObjective)
    assert isinstance(make_objective("modpo", ["a", "b"]), MODPOObjective)
    assert isinstance(make_objective("rlhf", ["a"], scorers=len), RLHFObjective)


def test_the_former_constant_reads_the_registry(toy):
    import mdpo.training
    from mdpo.training import run_config

    assert tuple(available_objectives()) == run_config.OBJECTIVE_KINDS
    assert "short-sft" in mdpo.training.OBJECTIVE_KINDS


def test_a_registered_objective_is_accepted_by_name_where_builtins_are(toy, tmp_path):
    from mdpo.training import build_objective

    assert "short-sft" in available_objectives()
    cfg = TrainRunConfig.from_dict(_config(objective="short-sft"))
    assert cfg.dimensions[0].objective == "short-sft"
    data = tmp_path / "d.jsonl"
    data.write_text('{"prompt": "Q", "completion": "A"}\n')
    cfg.dimensions[0].data = str(data)
    (component,) = build_objective(cfg).components
    assert type(component.objective) is ShortSFT and component.objective.dim_names == ["a"]
    assert component.objective.collator.max_length == 64


def test_unknown_names_are_refused_naming_the_value_and_the_allowed_names(toy):
    with pytest.raises(ValueError, match=r"objective must be one of \[.*'short-sft'\], got 'ppo'"):
        DimensionSpec(name="a", objective="ppo", data="d.jsonl")
    with pytest.raises(ValueError, match="unknown objective 'ppo'; registered objectives: dpo,"):
        make_objective("ppo", ["a"])
    unregister_objective("short-sft")
    with pytest.raises(ValueError, match="got 'short-sft'"):
        TrainRunConfig.from_dict(_config(objective="short-sft"))
    register_objective("short-sft", ShortSFT)  # for the fixture's teardown


def test_flags_decide_what_a_dimension_may_give():
    with pytest.raises(
        ValueError, match=r"scorer is only used by objectives that train on a scorer \(rlhf\)"
    ):
        DimensionSpec(name="a", objective="sft", data="d", scorer="length")
    with pytest.raises(
        ValueError, match=r"need an objective for paired data \(dpo, modpo\), got 'sft'"
    ):
        DimensionSpec(name=["a", "b"], objective="sft", data="d")
    with pytest.raises(ValueError, match="paired data"):
        DimensionSpec(name="a", objective="sft", data="d", label_columns={"a": "x"})
    with pytest.raises(ValueError, match="scorer must be a non-empty str"):
        DimensionSpec(name="a", objective="rlhf", data="d")
    DimensionSpec(name=["a", "b"], objective="modpo", data="d")
    with pytest.raises(ValueError, match="takes no scorer"):
        make_objective("sft", ["a"], scorers=len)
    with pytest.raises(ValueError, match="give it a scorer"):
        make_objective("rlhf", ["a"])


def test_registration_as_a_decorator_with_flags_and_its_refusals():
    @register_objective("scored-sft", scorer=True)
    def scored(dim_names, *, scorers, **kwargs):
        scored.seen = scorers
        return SFTObjective(dim_names, **kwargs)

    try:
        assert objective_spec("scored-sft").scorer and not objective_spec("scored-sft").paired
        assert isinstance(make_objective("scored-sft", ["a"], scorers=len), SFTObjective)
        assert scored.seen is len
        register_objective("scored-sft", scored, scorer=True)  # the same again: a no-op
        with pytest.raises(ValueError, match="already registered as 'scored-sft'.*overwrite"):
            register_objective("scored-sft", SFTObjective)
        with pytest.raises(ValueError, match="built-in objective name='dpo' cannot be"):
            unregister_objective("dpo")
        with pytest.raises(TypeError, match="factory must be callable"):
            register_objective("x", 3)
        with pytest.raises(TypeError, match="objective name must be a str"):
            register_objective(3, SFTObjective)
        register_objective("not-an-objective", lambda names: "sft")
        with pytest.raises(TypeError, match="must return an mdpo Objective, got str"):
            make_objective("not-an-objective", ["a"])
    finally:
        unregister_objective("scored-sft")
        if "not-an-objective" in available_objectives():
            unregister_objective("not-an-objective")
    assert "scored-sft" not in available_objectives()
