import itertools

import numpy as np
import pytest
import torch
from pymoo.indicators.hv import HV

from mdpo.metrics import (
    DEFAULT_HV_SAMPLES,
    EXACT_HV_MAX_M,
    hypervolume,
    hypervolume_method,
)


def inclusion_exclusion_hv(points, ref):
    """Exact HV by inclusion–exclusion over all subsets (maximisation); small n only."""
    p = np.asarray(points, dtype=float)
    ref = np.asarray(ref, dtype=float)
    p = p[(p > ref).all(axis=1)]
    total = 0.0
    for k in range(1, len(p) + 1):
        for subset in itertools.combinations(range(len(p)), k):
            corner = p[list(subset)].min(axis=0)  # intersection of the boxes [ref, p]
            total += (-1) ** (k + 1) * np.prod(corner - ref)
    return total


# ---------- hand-computed values ----------


def test_hv_2d_hand_values():
    # Boxes [0,3]x[0,1] (area 3) and [0,1]x[0,2] (area 2) overlap in [0,1]x[0,1]: 3 + 2 - 1.
    assert hypervolume([[3.0, 1.0], [1.0, 2.0]], [0.0, 0.0]) == pytest.approx(4.0)
    # Staircase (1,3), (2,2), (3,1) with ref (0,0): columns of widths 1 of heights 3, 2, 1.
    assert hypervolume([[1, 3], [2, 2], [3, 1]], [0, 0]) == pytest.approx(6.0)
    # Reference (-1, -1): columns x in (-1, 1] of height 4, (1, 2] of height 3 and (2, 3] of
    # height 2: 2*4 + 1*3 + 1*2 = 13.
    assert hypervolume([[1, 3], [2, 2], [3, 1]], [-1, -1]) == pytest.approx(13.0)


def test_hv_3d_hand_values():
    assert hypervolume([[1, 1, 1]], [0, 0, 0]) == pytest.approx(1.0)
    # Two 2x1x1 boxes overlapping in the unit cube: 2 + 2 - 1 = 3.
    assert hypervolume([[2, 1, 1], [1, 2, 1]], [0, 0, 0]) == pytest.approx(3.0)
    # Three 2x1x1 boxes along each axis: 3*2 - 3*1 (pairwise overlaps) + 1 (triple) = 4.
    assert hypervolume([[2, 1, 1], [1, 2, 1], [1, 1, 2]], [0, 0, 0]) == pytest.approx(4.0)
    # A box of 1 x 2 x 3 from ref (-1, -1, -1) to (0, 1, 2).
    assert hypervolume([[0, 1, 2]], [-1, -1, -1]) == pytest.approx(6.0)


@pytest.mark.parametrize("m", [2, 3, 4, 5])
def test_hv_matches_pymoo_and_inclusion_exclusion(m):
    rng = np.random.default_rng(m)
    points = rng.uniform(0.0, 1.0, size=(7, m))
    ref = np.full(m, -0.1)
    expected = HV(ref_point=-ref)(-points)  # pymoo minimises
    got = hypervolume(points, ref)
    assert got == pytest.approx(expected, rel=1e-12)
    assert got == pytest.approx(inclusion_exclusion_hv(points, ref), rel=1e-9)


def test_hv_accepts_tensor_array_and_list():
    pts = [[3.0, 1.0], [1.0, 2.0]]
    values = {
        hypervolume(pts, [0, 0]),
        hypervolume(np.array(pts), np.zeros(2)),
        hypervolume(torch.tensor(pts, dtype=torch.float32), torch.zeros(2)),
    }
    assert values == {4.0}


def test_dominated_and_duplicate_points_add_nothing():
    base = [[3.0, 1.0], [1.0, 2.0]]
    assert hypervolume([*base, [0.5, 0.5], [3.0, 1.0]], [0, 0]) == pytest.approx(4.0)


# ---------- points outside the reference box ----------


def test_points_not_dominating_ref_contribute_zero():
    base = [[3.0, 1.0], [1.0, 2.0]]
    # (5, 0) touches the reference point's f2 = 0 (not strictly greater); (-1, 9) is below in f1.
    outside = [[5.0, 0.0], [-1.0, 9.0]]
    assert hypervolume(base + outside, [0, 0]) == pytest.approx(4.0)
    assert hypervolume(outside, [0, 0]) == 0.0


def test_strict_raises_with_count_and_rows():
    pts = [[3.0, 1.0], [5.0, 0.0], [1.0, 2.0], [-1.0, 9.0]]
    with pytest.raises(ValueError, match=r"2 of 4 point\(s\) do not dominate ref_point") as err:
        hypervolume(pts, [0, 0], strict=True)
    assert "[1, 3]" in str(err.value)
    # All inside: strict gives the same value as the default.
    assert hypervolume(pts[::2], [0, 0], strict=True) == pytest.approx(4.0)


def test_empty_point_set_is_zero():
    assert hypervolume([], [0.0, 0.0]) == 0.0
    assert hypervolume(np.empty((0, 3)), np.zeros(3)) == 0.0
    assert hypervolume(np.empty((0, 7)), np.zeros(7)) == 0.0


# ---------- monotonicity ----------


@pytest.mark.parametrize("m", [2, 3, 4, 6])
def test_hv_never_decreases_when_a_point_improves(m):
    rng = np.random.default_rng(100 + m)
    ref = np.zeros(m)
    for _ in range(15):
        pts = rng.uniform(-0.2, 1.0, size=(int(rng.integers(1, 9)), m))
        before = hypervolume(pts, ref)
        i = int(rng.integers(len(pts)))
        improved = pts.copy()
        improved[i] += rng.uniform(0.0, 0.3, size=m) * (rng.uniform(size=m) < 0.7)
        after = hypervolume(improved, ref)
        # Exact for m <= 5; for m = 6 the same quasi-Monte-Carlo directions are reused, so
        # the estimate is monotone too (max over directions of a growing set).
        assert after >= before - 1e-12, (pts, improved)


def test_hv_strictly_increases_when_the_only_point_improves():
    assert hypervolume([[1.0, 1.0]], [0, 0]) == 1.0
    assert hypervolume([[1.5, 1.0]], [0, 0]) == pytest.approx(1.5)


# ---------- m >= 6: Monte-Carlo estimate ----------


def test_method_switches_at_six_objectives():
    assert EXACT_HV_MAX_M == 5
    assert hypervolume_method(5) == {"method": "exact", "backend": "pymoo.indicators.hv.HV"}
    info = hypervolume_method(6, seed=3)
    assert info["method"] == "monte-carlo"
    assert info["backend"] == "moocore.hv_approx"
    assert info["n_samples"] == DEFAULT_HV_SAMPLES
    assert info["seed"] == 3


def test_m6_single_box_is_close_to_exact():
    # One box with sides 1..6 from ref 0: volume 6! = 720.
    point = np.arange(1.0, 7.0)
    assert hypervolume([point], np.zeros(6)) == pytest.approx(720.0, rel=1e-2)


def test_m6_several_points_close_to_inclusion_exclusion():
    rng = np.random.default_rng(6)
    pts = rng.uniform(0.2, 1.0, size=(5, 6))
    exact = inclusion_exclusion_hv(pts, np.zeros(6))
    assert exact == pytest.approx(HV(ref_point=np.zeros(6))(-pts), rel=1e-9)
    assert hypervolume(pts, np.zeros(6)) == pytest.approx(exact, rel=1e-2)
    mc = hypervolume(pts, np.zeros(6), approx_method="DZ2019-MC", seed=1)
    assert mc == pytest.approx(exact, rel=2e-2)


def test_monte_carlo_seed_controls_the_draw():
    rng = np.random.default_rng(7)
    pts = rng.uniform(0.2, 1.0, size=(10, 7))
    kwargs = {"approx_method": "DZ2019-MC", "n_samples": 4096}
    a = hypervolume(pts, np.zeros(7), seed=1, **kwargs)
    b = hypervolume(pts, np.zeros(7), seed=2, **kwargs)
    assert a != b
    assert hypervolume(pts, np.zeros(7), seed=1, **kwargs) == a


# ---------- validation ----------


@pytest.mark.parametrize(
    ("points", "ref", "kwargs", "match"),
    [
        ([[1.0, 2.0]], [0.0, 0.0, 0.0], {}, r"points must have m=3 objective columns"),
        ([1.0, 2.0], [0.0, 0.0], {}, r"points must be a 2-D array of shape \[n, m\]"),
        ([[1.0, float("nan")]], [0.0, 0.0], {}, r"points must be finite"),
        ([[1.0, 2.0]], [[0.0, 0.0]], {}, r"ref_point must be a 1-D array"),
        ([[1.0, 2.0]], [0.0, float("inf")], {}, r"ref_point must be finite"),
        ([[1.0] * 6], [0.0] * 6, {"approx_method": "wfg"}, r"approx_method must be one of"),
        ([[1.0] * 6], [0.0] * 6, {"n_samples": 0}, r"n_samples must be an int >= 1, got 0"),
    ],
)
def test_bad_input_value_errors(points, ref, kwargs, match):
    with pytest.raises(ValueError, match=match):
        hypervolume(points, ref, **kwargs)


def test_bad_input_type_errors():
    with pytest.raises(TypeError, match="points must be a torch tensor, numpy array"):
        hypervolume("1,2", [0, 0])
    with pytest.raises(TypeError, match="strict must be a bool"):
        hypervolume([[1, 1]], [0, 0], strict="yes")
    with pytest.raises(TypeError, match="points must hold real numbers"):
        hypervolume([["a", "b"]], [0, 0])


# ---------- error of the m >= 6 estimate ----------


def test_hypervolume_error_is_zero_where_exact():
    from mdpo.metrics import hypervolume_error

    assert hypervolume_error([[1.0, 2.0], [2.0, 1.0]], [0.0, 0.0]) == 0.0
    assert hypervolume_error(np.full((3, 5), 0.5), np.zeros(5)) == 0.0


def test_hypervolume_error_covers_the_actual_error_at_m6():
    from mdpo.metrics import hypervolume_error

    rng = np.random.default_rng(1)
    p = np.abs(rng.normal(size=(30, 6)))
    p /= np.linalg.norm(p, axis=1, keepdims=True)
    ref = np.full(6, -0.1)
    exact = HV(ref_point=-ref)(-p)
    err = hypervolume_error(p, ref, n_samples=2**14)
    assert 0.0 < err < 0.02 * exact  # a small, non-zero error bar
    assert abs(hypervolume(p, ref, n_samples=2**14) - exact) <= 3 * err
    # More samples, smaller error: the standard deviation shrinks like 1/sqrt(n).
    assert hypervolume_error(p, ref, n_samples=2**18) < err / 2


def test_hypervolume_error_bad_input():
    from mdpo.metrics import hypervolume_error

    with pytest.raises(ValueError, match="repeats"):
        hypervolume_error(np.ones((2, 6)), np.zeros(6), repeats=1)
    with pytest.raises(ValueError, match="n_samples"):
        hypervolume_error(np.ones((2, 6)), np.zeros(6), n_samples=0)
    with pytest.raises(ValueError, match="m=6"):
        hypervolume_error(np.ones((2, 5)), np.zeros(6))
