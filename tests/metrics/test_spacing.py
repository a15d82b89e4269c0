import math

import numpy as np
import pytest
from pymoo.indicators.spacing import SpacingIndicator

from mdpo.metrics import nearest_neighbour_distances, spacing


def test_l1_hand_example():
    # Nearest-neighbour L1 distances: (0,0)->1, (1,0)->1, (3,0)->2; mean 4/3.
    # Deviations -1/3, -1/3, 2/3; squares sum 6/9; / n=3 -> 2/9; sqrt -> sqrt(2)/3.
    assert spacing([[0, 0], [1, 0], [3, 0]]) == pytest.approx(math.sqrt(2) / 3)


def test_l1_and_euclidean_differ_on_a_hand_example():
    pts = [[0, 0], [1, 1], [3, 1]]
    # L1: nearest distances 2, 2, 2 -> perfectly even, S = 0.
    assert spacing(pts, metric="l1") == 0.0
    # Euclidean: sqrt2, sqrt2, 2; mean (2 sqrt2 + 2)/3; deviations (sqrt2 - 2)/3 (twice) and
    # -2 times that; squares sum 6 dev^2, / 3 -> 2 dev^2; S = sqrt2 (2 - sqrt2)/3.
    expected = math.sqrt(2) * (2 - math.sqrt(2)) / 3
    assert spacing(pts, metric="euclidean") == pytest.approx(expected)


def test_evenly_spaced_is_zero_uneven_is_positive():
    line = np.stack([np.linspace(0, 1, 6), np.linspace(1, 0, 6)], axis=1)
    assert spacing(line) == pytest.approx(0.0, abs=1e-12)
    line[2, 0] += 0.05  # (0.45, 0.6): L1 gaps 0.45 and 0.35 to its neighbours
    assert spacing(line) > 0.01


def test_matches_pymoo_l1():
    rng = np.random.default_rng(0)
    pts = rng.uniform(size=(15, 3))
    # Spacing is sign-invariant, so pymoo's minimisation convention does not matter.
    assert spacing(pts) == pytest.approx(SpacingIndicator()(pts), rel=1e-12)


def test_duplicates_count_as_zero_distance():
    assert nearest_neighbour_distances([[0, 0], [0, 0], [2, 0]]).tolist() == [0.0, 0.0, 2.0]


def test_single_point_is_nan_and_bad_metric_raises():
    assert math.isnan(spacing([[1.0, 2.0]]))
    with pytest.raises(ValueError, match=r"metric must be one of \['l1', 'euclidean'\], got 'l2'"):
        spacing([[0, 0], [1, 1]], metric="l2")
    with pytest.raises(ValueError, match=r"points must hold at least 2 point"):
        nearest_neighbour_distances([[0, 0]])
