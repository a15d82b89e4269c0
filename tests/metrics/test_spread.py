import math

import numpy as np
import pytest

from mdpo.metrics import extreme_points, spread

SQ2, SQ6 = math.sqrt(2), math.sqrt(6)

# ---------- Deb's Δ, m = 2 ----------


def test_deb_even_and_reaching_the_extremes_is_zero():
    assert spread([[0, 2], [1, 1], [2, 0]], reference_front=[[0, 2], [2, 0]]) == 0.0


def test_deb_hand_example_with_reference_front():
    ref = [[0, 4], [4, 0]]  # extremes: (4, 0) for f1, (0, 4) for f2
    pts = [[4, 0], [1, 3], [2, 2]]  # sorted by f1: (1,3), (2,2), (4,0)
    # Gaps sqrt2 and 2 sqrt2, mean 1.5 sqrt2, sum |d_i - mean| = sqrt2.
    # d_f = |(1,3) - (0,4)| = sqrt2, d_l = |(4,0) - (4,0)| = 0.
    # Δ = (sqrt2 + 0 + sqrt2) / (sqrt2 + 0 + 2 * 1.5 sqrt2) = 2/4.
    assert spread(pts, reference_front=ref) == pytest.approx(0.5)


def test_deb_without_reference_uses_the_points_own_extremes():
    # Same points; now d_f = d_l = 0: Δ = sqrt2 / (2 * 1.5 sqrt2) = 1/3.
    assert spread([[4, 0], [1, 3], [2, 2]]) == pytest.approx(1 / 3)


def test_deb_is_order_invariant():
    pts = np.array([[0.0, 1.0], [0.3, 0.9], [0.5, 0.5], [0.95, 0.1], [1.0, 0.0]])
    value = spread(pts)
    assert value > 0.05  # uneven gaps
    assert spread(pts[::-1]) == pytest.approx(value)
    assert spread(pts[[2, 0, 4, 1, 3]]) == pytest.approx(value)


def test_deb_single_point():
    # Away from both extremes: d_f = d_l = sqrt2, no gaps -> (2 sqrt2) / (2 sqrt2) = 1.
    assert spread([[1, 1]], reference_front=[[0, 2], [2, 0]]) == pytest.approx(1.0)
    # No reference: everything is 0 -> undefined.
    assert math.isnan(spread([[1, 1]]))


# ---------- Zhou et al.'s generalised spread, m >= 3 ----------


def test_generalised_even_simplex_corners():
    corners = np.eye(3)
    # Every nearest-neighbour distance is sqrt2; extremes are the points themselves.
    assert spread(corners) == 0.0
    # Reference extremes 2*e_k: each at distance 1 from the nearest point, sum 3.
    # Δ = (3 + 0) / (3 + 3 sqrt2) = 1 / (1 + sqrt2).
    assert spread(corners, reference_front=2 * np.eye(3)) == pytest.approx(1 / (1 + SQ2))


def test_generalised_uneven_hand_example():
    pts = [[2, 0, 0], [0, 2, 0], [0, 0, 2], [1, 1, 0]]
    # Nearest-neighbour distances: sqrt2, sqrt2, sqrt6 ((0,0,2) -> (1,1,0)), sqrt2.
    # Mean (3 sqrt2 + sqrt6)/4; sum of |d - mean| = 1.5 (sqrt6 - sqrt2).
    # Own extremes are points of the set: Δ = 1.5 (sqrt6 - sqrt2) / (3 sqrt2 + sqrt6).
    expected = 1.5 * (SQ6 - SQ2) / (3 * SQ2 + SQ6)
    assert spread(pts) == pytest.approx(expected)
    assert expected == pytest.approx(0.232051, abs=1e-6)


def test_extreme_points_break_ties_towards_the_non_dominated_point():
    front = [[0, 2], [1, 1], [2, -1], [2, 0]]
    assert extreme_points(front).tolist() == [[2.0, 0.0], [0.0, 2.0]]
    ex3 = extreme_points([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0.5, 0.5, 0]])
    assert ex3.tolist() == np.eye(3).tolist()


def test_validation():
    with pytest.raises(ValueError, match=r"m >= 2 objectives"):
        spread([[1.0], [2.0]])
    with pytest.raises(ValueError, match=r"reference_front must have m=2"):
        spread([[1.0, 2.0]], reference_front=[[1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match=r"points must hold at least 1 point"):
        spread(np.empty((0, 2)))
    with pytest.raises(ValueError, match=r"reference_front must hold at least 1 point"):
        spread([[1.0, 2.0]], reference_front=np.empty((0, 2)))
