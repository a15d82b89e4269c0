import math

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr

from mdpo.metrics import controllability, inner_product
from mdpo.preferences import preference_grid


def _front(lam, sign=1.0):
    """A concave 2-D front traversed by λ_1: J = (sin θ, cos θ), θ = sign-dependent angle."""
    theta = (lam[:, 0] if sign > 0 else lam[:, 1]) * np.pi / 2
    return np.stack([np.sin(theta), np.cos(theta)], axis=1)


def test_monotone_front_gives_plus_one():
    lam = preference_grid(2, 10).numpy()
    rho = controllability(_front(lam), lam)
    assert rho.shape == (2,)
    assert rho.tolist() == pytest.approx([1.0, 1.0])


def test_anti_monotone_front_gives_minus_one():
    lam = preference_grid(2, 10).numpy()
    rho = controllability(_front(lam, sign=-1.0), lam)
    assert rho.tolist() == pytest.approx([-1.0, -1.0])


def test_matches_scipy_on_noisy_three_objective_front():
    g = torch.Generator().manual_seed(0)
    lam = torch.distributions.Dirichlet(torch.ones(3)).sample((30,))
    points = lam + 0.3 * torch.rand(30, 3, generator=g)  # mostly monotone, not perfectly
    rho = controllability(points, lam)
    expected = [spearmanr(lam[:, i], points[:, i]).statistic for i in range(3)]
    assert rho == pytest.approx(expected, rel=1e-10)
    assert (rho > 0.3).all()
    assert (rho < 1.0).all()


def test_constant_column_gives_nan_not_zero():
    lam = preference_grid(2, 4).numpy()
    points = np.stack([lam[:, 0], np.full(5, 0.7)], axis=1)  # J_2 never moves
    rho = controllability(points, lam)
    assert rho[0] == pytest.approx(1.0)
    assert math.isnan(rho[1])


def test_ties_use_average_ranks():
    lam = [[0.0, 1.0], [0.5, 0.5], [0.5, 0.5], [1.0, 0.0]]
    points = [[0.0, 3.0], [1.0, 2.0], [2.0, 1.0], [3.0, 0.0]]
    expected = spearmanr([0.0, 0.5, 0.5, 1.0], [0.0, 1.0, 2.0, 3.0]).statistic
    assert controllability(points, lam)[0] == pytest.approx(expected)
    assert expected < 1.0


def test_validation():
    with pytest.raises(ValueError, match=r"one row per evaluated preference"):
        controllability([[0.0, 1.0]], [[0.5, 0.5], [1.0, 0.0]])
    with pytest.raises(ValueError, match=r"preferences must sum to 1"):
        controllability([[0.0, 1.0]], [[0.5, 0.7]])
    with pytest.raises(ValueError, match=r"points must have m=2 objective columns"):
        controllability([[0.0, 1.0, 2.0]], [[0.5, 0.5]])


# ---------- inner product ----------


def test_inner_product_hand_values():
    points = [[1.0, 0.0], [0.2, 0.9]]
    lam = [[0.5, 0.5], [1.0, 0.0]]
    # 0.5*1 + 0.5*0 = 0.5 and 1*0.2 + 0*0.9 = 0.2.
    assert inner_product(points, lam, reduction="none").tolist() == pytest.approx([0.5, 0.2])
    assert inner_product(points, lam) == pytest.approx(0.35)


def test_inner_product_rewards_aligned_fronts():
    lam = preference_grid(2, 10).numpy()
    aligned = inner_product(_front(lam), lam)
    reversed_ = inner_product(_front(lam, sign=-1.0), lam)
    assert aligned > reversed_ + 0.1


def test_inner_product_validation():
    with pytest.raises(ValueError, match=r"reduction must be one of \['mean', 'none'\]"):
        inner_product([[1.0, 0.0]], [[1.0, 0.0]], reduction="sum")
    with pytest.raises(ValueError, match=r"preferences must be non-negative"):
        inner_product([[1.0, 0.0]], [[1.5, -0.5]])


def test_spearman_by_scipy_equals_the_rank_formula():
    """The delegated ρ equals Pearson's r of the average ranks (the formula it replaced)."""
    from scipy.stats import rankdata

    from mdpo.metrics.controllability import spearman

    rng = np.random.default_rng(0)
    for n in (2, 3, 7, 40):
        for ties in (False, True):
            x = rng.integers(0, 3, n).astype(float) if ties else rng.normal(size=n)
            y = rng.normal(size=n)
            if np.ptp(x) == 0:
                assert np.isnan(spearman(x, y))
                continue
            rx, ry = rankdata(x) - (n + 1) / 2, rankdata(y) - (n + 1) / 2
            expected = (rx * ry).sum() / np.sqrt((rx**2).sum() * (ry**2).sum())
            assert spearman(x, y) == pytest.approx(expected, abs=1e-14)
    assert np.isnan(spearman([1.0], [2.0])) and np.isnan(spearman([1.0, 2.0], [3.0, 3.0]))
