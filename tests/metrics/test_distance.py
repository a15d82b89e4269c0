import numpy as np
import pytest
import torch
from pymoo.indicators.gd import GD
from pymoo.indicators.gd_plus import GDPlus
from pymoo.indicators.igd import IGD
from pymoo.indicators.igd_plus import IGDPlus

from mdpo.metrics import gd, gd_plus, igd, igd_plus


def test_hand_values():
    front = [[3.0, 4.0], [0.0, 1.0]]
    points = [[0.0, 0.0]]
    # Distances from (0,0): 5 to (3,4), 1 to (0,1).
    assert gd(points, front) == pytest.approx(1.0)  # nearest front point: 1
    assert igd(points, front) == pytest.approx(3.0)  # (5 + 1) / 2
    # Shortfalls max(z - a, 0): (3,4) -> 5, (0,1) -> 1; same as Euclidean here.
    assert igd_plus(points, front) == pytest.approx(3.0)
    assert gd_plus(points, front) == pytest.approx(1.0)


def test_plus_variants_ignore_objectives_where_the_point_is_better():
    # (2, 0) vs front point (1, 1): Euclidean sqrt(2), shortfall only in f2: 1.
    assert igd([[2.0, 0.0]], [[1.0, 1.0]]) == pytest.approx(np.sqrt(2))
    assert igd_plus([[2.0, 0.0]], [[1.0, 1.0]]) == pytest.approx(1.0)
    # A point dominating the whole front: IGD+ and GD+ are 0, IGD and GD are not.
    front = [[1.0, 0.0], [0.0, 1.0]]
    assert igd([[2.0, 2.0]], front) > 0
    assert gd([[2.0, 2.0]], front) > 0
    assert igd_plus([[2.0, 2.0]], front) == 0.0
    assert gd_plus([[2.0, 2.0]], front) == 0.0


def test_zero_on_the_front_itself():
    front = [[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]]
    for fn in (gd, igd, gd_plus, igd_plus):
        assert fn(front, front) == 0.0


@pytest.mark.parametrize("m", [2, 3, 5])
def test_match_pymoo_on_negated_points(m):
    rng = np.random.default_rng(m)
    front = rng.uniform(size=(20, m))
    points = rng.uniform(size=(9, m))
    # pymoo minimises: negate both sets.
    assert gd(points, front) == pytest.approx(GD(-front)(-points), rel=1e-12)
    assert igd(points, front) == pytest.approx(IGD(-front)(-points), rel=1e-12)
    assert gd_plus(points, front) == pytest.approx(GDPlus(-front)(-points), rel=1e-12)
    assert igd_plus(points, front) == pytest.approx(IGDPlus(-front)(-points), rel=1e-12)
    # The sign convention matters: without negation the plus variants disagree.
    assert igd_plus(points, front) != pytest.approx(IGDPlus(front)(points), rel=1e-6)


def test_accepts_tensors():
    front = torch.tensor([[3.0, 4.0], [0.0, 1.0]])
    assert igd(torch.zeros(1, 2), front) == pytest.approx(3.0)


@pytest.mark.parametrize("fn", [gd, igd, gd_plus, igd_plus])
def test_validation(fn):
    with pytest.raises(ValueError, match=r"points must have m=2 objective columns"):
        fn([[1.0, 2.0, 3.0]], [[0.0, 0.0]])
    with pytest.raises(ValueError, match=r"points must hold at least 1 point"):
        fn(np.empty((0, 2)), [[0.0, 0.0]])
    with pytest.raises(ValueError, match=r"reference_front must hold at least 1 point"):
        fn([[0.0, 0.0]], np.empty((0, 2)))
    with pytest.raises(ValueError, match=r"reference_front must be finite"):
        fn([[0.0, 0.0]], [[np.nan, 0.0]])


@pytest.mark.parametrize("seed", range(4))
def test_moocore_values_equal_the_definitions(seed):
    """GD, IGD, GD+ and IGD+ as moocore computes them equal the module docstring's formulas."""
    rng = np.random.default_rng(seed)
    m = 2 + seed % 3
    points = rng.normal(size=(7 + seed, m))
    front = np.round(rng.normal(size=(11, m)), 1)  # ties with the points' coordinates too
    points[0] = front[0]
    euclid = np.sqrt(((points[:, None] - front[None]) ** 2).sum(-1))  # [n, k]
    short = np.sqrt((np.clip(front[None] - points[:, None], 0, None) ** 2).sum(-1))
    expected = {
        gd: euclid.min(1).mean(),
        igd: euclid.min(0).mean(),
        gd_plus: short.min(1).mean(),
        igd_plus: short.min(0).mean(),
    }
    for fn, value in expected.items():
        assert fn(points, front) == pytest.approx(value, rel=1e-13, abs=1e-15)
