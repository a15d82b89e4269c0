import numpy as np
import pytest
import torch

from mdpo.metrics import non_dominated


def brute_force(points):
    p = np.asarray(points, dtype=float)
    out = []
    for i in range(len(p)):
        dominated = any(
            (p[j] >= p[i]).all() and (p[j] > p[i]).any() for j in range(len(p)) if j != i
        )
        out.append(not dominated)
    return np.array(out)


def test_hand_example_two_objectives():
    pts = [[1, 0], [0, 1], [0.5, 0.5], [0.2, 0.2], [1, -1]]
    # (0.2, 0.2) is dominated by (0.5, 0.5); (1, -1) by (1, 0) (equal f1, worse f2).
    assert non_dominated(pts).tolist() == [True, True, True, False, False]


def test_duplicates_are_all_kept():
    pts = [[1.0, 1.0], [1.0, 1.0], [0.5, 0.5]]
    assert non_dominated(pts).tolist() == [True, True, False]


def test_maximisation_not_minimisation():
    # Under minimisation (0, 0) would be the only non-dominated point.
    assert non_dominated([[0.0, 0.0], [1.0, 1.0]]).tolist() == [False, True]


@pytest.mark.parametrize("m", [2, 3, 5])
def test_matches_brute_force(m):
    rng = np.random.default_rng(m)
    pts = rng.integers(0, 4, size=(40, m)).astype(float)  # many ties and duplicates
    expected = brute_force(pts)
    assert not expected.all()
    assert expected.any()
    assert non_dominated(pts).tolist() == expected.tolist()
    # A tensor gives the same mask (moocore computes it from the validated array).
    assert non_dominated(torch.from_numpy(pts)).tolist() == expected.tolist()


def test_empty_and_bad_input():
    assert non_dominated(np.empty((0, 2))).shape == (0,)
    with pytest.raises(ValueError, match=r"points must be a 2-D array"):
        non_dominated([1.0, 2.0])
