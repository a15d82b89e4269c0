import math

import numpy as np
import pytest

from mdpo.metrics import (
    controllability,
    front_metrics,
    hypervolume,
    igd_plus,
    normalize_fronts,
    spacing,
    sparsity,
    spread,
)
from mdpo.preferences import preference_grid


def test_on_the_true_front_itself():
    lam = preference_grid(2, 10).numpy()
    true_front = np.stack([lam[:, 0], 1 - lam[:, 0]], axis=1)  # linear front, evenly spaced
    out = front_metrics(true_front, lam, true_front=true_front)
    assert out["hv_ratio"] == pytest.approx(1.0)
    assert out["igd_plus"] == 0.0
    assert out["igd"] == 0.0
    assert out["spread"] == pytest.approx(0.0, abs=1e-6)  # the grid is float32
    assert out["controllability"] == pytest.approx(1.0)
    assert out["controllability/0"] == pytest.approx(1.0)
    assert out["n_points"] == 11.0
    assert out["n_nondominated"] == 11.0


def test_values_match_the_individual_metrics_on_non_dominated_points():
    true_front = np.array([[0.0, 1.0], [0.5, 0.5], [1.0, 0.0]])
    pts = np.array([[0.1, 0.8], [0.4, 0.3], [0.9, 0.05], [0.05, 0.05]])  # last is dominated
    lam = np.array([[0.1, 0.9], [0.5, 0.5], [0.9, 0.1], [0.5, 0.5]])
    out = front_metrics(pts, lam, true_front=true_front, names=["helpful", "harmless"])
    front = pts[:3]
    assert out["n_nondominated"] == 3.0
    ref = [-0.1, -0.1]
    assert out["hypervolume"] == pytest.approx(hypervolume(pts, ref))
    assert out["true_hypervolume"] == pytest.approx(hypervolume(true_front, ref))
    assert 0 < out["hv_ratio"] < 1
    assert out["igd_plus"] == pytest.approx(igd_plus(pts, true_front))
    assert out["spacing"] == pytest.approx(spacing(front))
    assert out["spread"] == pytest.approx(spread(front, reference_front=true_front))
    assert out["spread"] != pytest.approx(spread(pts, reference_front=true_front))
    assert out["sparsity"] == pytest.approx(sparsity(front))
    rho = controllability(pts, lam)
    assert out["controllability/helpful"] == pytest.approx(rho[0])
    assert out["controllability/harmless"] == pytest.approx(rho[1])


def test_without_truth_or_preferences_only_front_shape_keys():
    out = front_metrics([[0.0, 1.0], [1.0, 0.0]])
    assert set(out) == {
        "n_points",
        "n_nondominated",
        "hypervolume",
        "spacing",
        "spread",
        "sparsity",
    }
    # Boxes 0.1 x 1.1 and 1.1 x 0.1 from (-0.1, -0.1) overlap in 0.1 x 0.1: 0.22 - 0.01.
    assert out["hypervolume"] == pytest.approx(0.21)


def test_single_point_gives_nan_not_zero():
    out = front_metrics([[0.5, 0.5]], [[0.5, 0.5]])
    assert math.isnan(out["spacing"])
    assert math.isnan(out["sparsity"])
    assert math.isnan(out["controllability"])


def test_with_normalize_fronts_end_to_end():
    raw_truth = np.array([[0.0, 100.0], [5.0, 60.0], [10.0, 0.0]])
    nf = normalize_fronts({"a": [[5.0, 60.0]], "b": [[2.0, 20.0]]}, true_front=raw_truth)
    a = front_metrics(nf.fronts["a"], true_front=nf.true_front, ref_point=nf.ref_point)
    b = front_metrics(nf.fronts["b"], true_front=nf.true_front, ref_point=nf.ref_point)
    assert a["igd_plus"] < b["igd_plus"]
    assert a["hv_ratio"] > b["hv_ratio"]


def test_single_objective_spread_is_nan():
    out = front_metrics([[1.0], [2.0]], ref_point=[0.0])
    assert out["hypervolume"] == pytest.approx(2.0)
    assert math.isnan(out["spread"])
    assert out["n_nondominated"] == 1.0


def test_validation():
    with pytest.raises(ValueError, match=r"names must be a sequence of 2 strings"):
        front_metrics([[0.0, 1.0]], names=["only-one"])
    with pytest.raises(ValueError, match=r"ref_point must have shape \[2\]"):
        front_metrics([[0.0, 1.0]], ref_point=[0.0])
    with pytest.raises(ValueError, match=r"true_front must have m=2"):
        front_metrics([[0.0, 1.0]], true_front=[[0.0, 1.0, 2.0]])
