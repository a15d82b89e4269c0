"""Cases 3 and 7 of issue 15: NaN/inf refused at load time; grid sizes bounded before allocation."""

from __future__ import annotations

import math
import re

import pytest

from mdpo._grid import MAX_GRID_POINTS, check_grid_size, grid_size, max_partitions
from mdpo._numbers import check_finite_tree, check_int, check_real
from mdpo.benchmarks.config import SuiteConfig
from mdpo.preferences import check_preference, preference_grid
from mdpo.training import MDPOConfig, TrainRunConfig

SUITE = {
    "name": "s",
    "seeds": [0],
    "tasks": [{"name": "b", "kind": "bandit", "params": {"n_dims": 2}}],
    "methods": [{"name": "p", "kind": "panacea"}],
}


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_check_real_refuses_non_finite(bad):
    with pytest.raises(ValueError, match=r"lr must be a real number > 0 \(finite\), got"):
        check_real("lr", bad, low=0.0, low_open=True)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -1, "0.5", True, None])
def test_a_noun_makes_every_failure_one_value_error(bad):
    match = rf"^w must be a finite float >= 0, got {re.escape(repr(bad))}$"
    with pytest.raises(ValueError, match=match):
        check_real("w", bad, low=0.0, noun="float")


def test_a_noun_words_the_interval_and_passes_good_values():
    assert check_real("w", 2, low=0.0, noun="number") == 2.0
    assert isinstance(check_real("w", 2, noun="number"), float)
    with pytest.raises(ValueError, match=r"^w must be a finite number in \(0, 1\], got 0$"):
        check_real("w", 0, low=0.0, high=1.0, low_open=True, noun="number")
    with pytest.raises(ValueError, match=r"^w must be a finite number, got inf$"):
        check_real("w", math.inf, noun="number")
    with pytest.raises(TypeError, match="w must be a real number >= 0, got str"):
        check_real("w", "1", low=0.0)  # without a noun: a TypeError, as before


def test_check_int_names_type_and_range():
    with pytest.raises(TypeError, match="k must be an int in \\[1, 3\\], got float 2.0"):
        check_int("k", 2.0, minimum=1, maximum=3)
    with pytest.raises(ValueError, match="k must be an int in \\[1, 3\\], got 4"):
        check_int("k", 4, minimum=1, maximum=3)


def test_check_finite_tree_names_the_key_path():
    with pytest.raises(ValueError, match=r"training\.steps\[1\] must be a finite number, got nan"):
        check_finite_tree({"steps": [1, math.nan]}, "training")
    check_finite_tree({"ok": [1, 2.5, True, "x", None]}, "x")  # no error


@pytest.mark.parametrize(
    ("training", "needle"),
    [
        ({"lr": math.nan}, "training.lr must be a finite number, got nan"),
        ({"lr": math.inf}, "training.lr must be a finite number, got inf"),
        ({"vertex_prob": math.nan}, "training.vertex_prob must be a finite number"),
        ({"ideal_margin": math.inf}, "training.ideal_margin must be a finite number"),
    ],
)
def test_suite_refuses_non_finite_training_numbers(training, needle):
    with pytest.raises(ValueError, match=needle.replace(".", r"\.")):
        SuiteConfig.from_dict({**SUITE, "training": training})


def test_suite_refuses_nan_confidence_directly_and_from_yaml():
    with pytest.raises(ValueError, match="confidence must be a finite number, got nan"):
        SuiteConfig.from_dict({**SUITE, "confidence": math.nan})
    suite = SuiteConfig.from_dict(SUITE)
    suite.confidence = math.nan
    with pytest.raises(ValueError, match=r"confidence must be a real number in \[0.5, 0.999\]"):
        suite.__post_init__()


@pytest.mark.parametrize("field", ["lr", "vertex_prob", "ideal_margin"])
def test_training_config_dataclass_refuses_nan(field):
    from mdpo.benchmarks.config import TrainingConfig

    with pytest.raises(ValueError, match=f"training.{field} must be a real number"):
        TrainingConfig(**{field: math.nan})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("learning_rate", math.nan),
        ("learning_rate", math.inf),
        ("vertex_prob", math.nan),
        ("ideal_margin", math.inf),
    ],
)
def test_mdpo_config_refuses_non_finite(tmp_path, field, value):
    with pytest.raises(ValueError, match=f"{field} must be a real number"):
        MDPOConfig(output_dir=str(tmp_path), use_cpu=True, **{field: value})


def test_train_run_config_refuses_nan_learning_rate():
    data = {
        "dimensions": [{"name": "a", "objective": "sft", "data": "d.jsonl"}],
        "training": {"learning_rate": math.nan},
    }
    with pytest.raises(ValueError, match=r"training\.learning_rate must be a finite number"):
        TrainRunConfig.from_dict(data)


def test_check_preference_refuses_an_overflowing_sum():
    with pytest.raises(ValueError, match="must have a finite sum"):
        check_preference([1e308, 1e308], 2, normalize=True)
    # large but summable weights still normalise
    assert check_preference([1e300, 1e300], 2, normalize=True).tolist() == [0.5, 0.5]


def test_grid_size_counts_before_building():
    assert grid_size(10, 40) == math.comb(49, 9)
    assert grid_size(m=3, n_partitions=2) == preference_grid(3, 2).shape[0]
    fit = max_partitions(10)
    assert grid_size(10, fit) <= MAX_GRID_POINTS < grid_size(10, fit + 1)


def test_preference_grid_refuses_huge_grids_with_what_fits():
    with pytest.raises(
        ValueError, match=r"n_partitions=30 at m=30 dimensions .* at most \d+ partitions fit"
    ):
        preference_grid(30, 30)
    with pytest.raises(ValueError, match="limit of 1000000"):
        check_grid_size(10, 40)
    assert preference_grid(2, 50).shape == (51, 2)  # ordinary grids unchanged


def test_suite_refuses_an_eval_grid_too_large_at_validation():
    task = {"name": "b", "kind": "bandit", "params": {"n_dims": 10}, "eval_partitions": 40}
    with pytest.raises(
        ValueError, match=r"task 'b' eval_partitions=40 at m=10 .* at most 14 partitions fit"
    ):
        SuiteConfig.from_dict({**SUITE, "tasks": [task]})


def test_suite_refuses_a_dps_grid_too_large_at_validation():
    data = {
        **SUITE,
        "tasks": [{"name": "b", "kind": "bandit", "params": {"n_dims": 10}}],
        "methods": [{"name": "d", "kind": "dps", "dps_partitions": 30}],
    }
    with pytest.raises(ValueError, match=r"method 'd' dps_partitions \(task 'b'\)=30"):
        SuiteConfig.from_dict(data)
