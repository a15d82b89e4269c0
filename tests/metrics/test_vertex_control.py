import numpy as np
import pytest

from mdpo.metrics import vertex_controllability
from mdpo.preferences import preference_grid


def _vertices(m):
    return np.eye(m)


def test_a_controllable_ten_dimensional_front_has_diagonal_one():
    m = 10
    lam = preference_grid(m, 2).numpy()  # vertices and midpoints
    rng = np.random.default_rng(0)
    weights = rng.uniform(0.5, 1.5, size=m)
    points = lam * weights + 0.01 * rng.uniform(size=lam.shape)  # score follows importance
    out = vertex_controllability(points, lam)
    assert out.scores.shape == out.normalized.shape == (m, m)
    assert np.allclose(np.diag(out.normalized), 1.0)
    assert out.diagonal_mean == pytest.approx(1.0)
    assert out.n_defined == m
    # Off the diagonal every vertex is worse on the other dimensions.
    assert np.nanmax(out.normalized[~np.eye(m, dtype=bool)]) < 0.05


def test_raw_scores_are_the_vertex_rows_and_columns_are_min_max():
    lam = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1 / 3, 1 / 3, 1 / 3]]
    points = [[3.0, 1.0, 0.0], [1.0, 2.0, 4.0], [2.0, 0.0, 2.0], [9.0, 9.0, 9.0]]
    out = vertex_controllability(points, lam)
    assert out.scores.tolist() == [[3.0, 1.0, 0.0], [1.0, 2.0, 4.0], [2.0, 0.0, 2.0]]
    # Column 2 ranges over [0, 4]: e_2 scores 2 there, e_1 is best.
    assert out.normalized[:, 2].tolist() == [0.0, 1.0, 0.5]
    assert out.diagonal_mean == pytest.approx((1.0 + 1.0 + 0.5) / 3)


def test_anti_controllable_front_has_diagonal_zero():
    m = 4
    lam = _vertices(m)
    points = 1.0 - lam  # every vertex is worst on its own dimension
    out = vertex_controllability(points, lam)
    assert out.diagonal_mean == 0.0


def test_missing_vertices_and_constant_columns_are_nan_not_zero():
    lam = [[1, 0, 0], [0, 1, 0], [0.5, 0.5, 0]]  # e_2 never evaluated
    points = [[1.0, 0.0, 5.0], [0.0, 1.0, 5.0], [0.5, 0.5, 5.0]]  # dimension 2 constant
    out = vertex_controllability(points, lam)
    assert np.isnan(out.scores[2]).all()
    assert np.isnan(out.normalized[:, 2]).all() and np.isnan(out.normalized[2]).all()
    assert out.n_defined == 2 and out.diagonal_mean == 1.0
    single = vertex_controllability([[1.0, 0.0]], [[1, 0]])
    assert single.n_defined == 0 and np.isnan(single.diagonal_mean)


def test_repeated_vertices_are_averaged():
    lam = [[1, 0], [1, 0], [0, 1]]
    out = vertex_controllability([[1.0, 0.0], [3.0, 0.0], [0.0, 1.0]], lam)
    assert out.scores[0].tolist() == [2.0, 0.0]


def test_validation():
    with pytest.raises(ValueError, match="one row per evaluated preference"):
        vertex_controllability([[1.0, 0.0]], [[1, 0], [0, 1]])
    with pytest.raises(ValueError, match="preferences"):
        vertex_controllability([[1.0, 0.0]], [[0.7, 0.7]])
    with pytest.raises(TypeError, match="points"):
        vertex_controllability("ab", [[1, 0]])
