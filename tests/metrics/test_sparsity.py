import math

import numpy as np
import pytest

from mdpo.metrics import sparsity


def test_hand_example_2d():
    # f1 sorted 0, 1, 3 -> gaps 1, 2; f2 sorted 0, 2, 3 -> gaps 2, 1.
    # (1 + 4 + 4 + 1) / (3 - 1) = 5.
    assert sparsity([[0, 3], [1, 2], [3, 0]]) == pytest.approx(5.0)


def test_dominated_points_are_dropped_by_default():
    pts = [[0, 3], [1, 2], [3, 0], [0.5, 0.5]]
    assert sparsity(pts) == pytest.approx(5.0)
    # Kept: f1 sorted 0, .5, 1, 3 -> .25 + .25 + 4; f2 sorted 0, .5, 2, 3 -> .25 + 2.25 + 1.
    # 8 / (4 - 1).
    assert sparsity(pts, nondominated_only=False) == pytest.approx(8 / 3)


def test_hand_example_3d():
    # Each objective sorted 0, 0, 1 -> gaps 0, 1; three objectives -> 3 / (3 - 1).
    assert sparsity(np.eye(3)) == pytest.approx(1.5)


def test_denser_front_is_sparser_less():
    t = np.linspace(0, 1, 5)
    coarse = np.stack([t, 1 - t], axis=1)
    t = np.linspace(0, 1, 9)
    fine = np.stack([t, 1 - t], axis=1)
    # coarse: 2 objectives * 4 gaps of 0.25^2 / 4 = 0.125; fine: 2 * 8 * 0.125^2 / 8.
    assert sparsity(coarse) == pytest.approx(0.125)
    assert sparsity(fine) == pytest.approx(0.03125)


def test_duplicates_kept_and_single_point_nan():
    # (1,0), (1,0), (0,1): f1 sorted 0,1,1 -> 1, 0; f2 sorted 0,0,1 -> 0, 1; 2 / 2.
    assert sparsity([[1, 0], [1, 0], [0, 1]]) == pytest.approx(1.0)
    assert math.isnan(sparsity([[1.0, 1.0]]))
    # One non-dominated point left after filtering.
    assert math.isnan(sparsity([[1.0, 1.0], [0.5, 0.5]]))
    with pytest.raises(TypeError, match="nondominated_only must be a bool"):
        sparsity([[1.0, 1.0]], nondominated_only=1)
