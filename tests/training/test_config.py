"""MDPOConfig: defaults, validation and refusals."""

from __future__ import annotations

import pytest

from mdpo.training import MDPOConfig


def test_defaults_suit_mdpo(tmp_path):
    cfg = MDPOConfig(output_dir=str(tmp_path))
    assert cfg.remove_unused_columns is False
    assert cfg.preference_sampling == "per_row"
    assert cfg.ideal == "track"
    assert cfg.aggregator == "ls" and cfg.aggregator_kwargs == {}
    assert cfg.report_to in ("none", [], ["none"])
    assert cfg.train_sampling_strategy == "sequential"


def test_accepts_valid_fields(tmp_path):
    cfg = MDPOConfig(
        output_dir=str(tmp_path),
        preference_sampling="per_step",
        vertex_prob=0.3,
        fixed_preference=[0.25, 0.75],
        aggregator="tche",
        aggregator_kwargs={},
        ideal=[0, 1],
        ideal_margin=0.0,
        dim_names=["a", "b"],
    )
    assert cfg.fixed_preference == [0.25, 0.75]
    assert cfg.ideal == [0.0, 1.0]
    assert cfg.vertex_prob == 0.3


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"preference_sampling": "per_epoch"}, ValueError, ["preference_sampling", "per_epoch"]),
        ({"vertex_prob": 1.5}, ValueError, ["vertex_prob", "1.5", "[0, 1]"]),
        ({"vertex_prob": "0.3"}, TypeError, ["vertex_prob"]),
        ({"ideal_margin": -0.1}, ValueError, ["ideal_margin", "-0.1"]),
        ({"fixed_preference": [0.5, 0.6]}, ValueError, ["fixed_preference", "sum"]),
        ({"fixed_preference": [-1.0, 2.0]}, ValueError, ["fixed_preference", "non-negative"]),
        ({"fixed_preference": "0.5,0.5"}, TypeError, ["fixed_preference"]),
        ({"ideal": "zero"}, ValueError, ["ideal", "'zero'", "track"]),
        ({"ideal": [0.0, float("nan")]}, ValueError, ["ideal", "finite"]),
        ({"aggregator": ""}, TypeError, ["aggregator"]),
        ({"aggregator_kwargs": [1]}, TypeError, ["aggregator_kwargs"]),
        ({"dim_names": ["a", "a"]}, ValueError, ["dim_names", "unique"]),
        ({"dim_names": "ab"}, TypeError, ["dim_names"]),
        (
            {"fixed_preference": [0.5, 0.5], "dim_names": ["a", "b", "c"]},
            ValueError,
            ["agree on m"],
        ),
        ({"remove_unused_columns": True}, ValueError, ["remove_unused_columns", "dimension"]),
        ({"train_sampling_strategy": "random"}, ValueError, ["train_sampling_strategy", "random"]),
    ],
)
def test_refusals_name_parameter_and_value(tmp_path, kwargs, error, words):
    with pytest.raises(error) as info:
        MDPOConfig(output_dir=str(tmp_path), **kwargs)
    for word in words:
        assert word in str(info.value)
