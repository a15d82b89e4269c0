"""The synthetic Pareto-set-learning task: torch problems against pymoo."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mdpo.benchmarks.tasks.problems import PROBLEMS
from mdpo.benchmarks.tasks.synthetic import SyntheticTask


@pytest.mark.parametrize(
    ("name", "n_var", "n_obj"), [("zdt1", 6, 2), ("zdt2", 6, 2), ("dtlz2", 7, 3)]
)
def test_torch_objectives_match_pymoo(name, n_var, n_obj):
    from pymoo.problems import get_problem

    kwargs = {"n_var": n_var} if name.startswith("zdt") else {"n_var": n_var, "n_obj": n_obj}
    problem = get_problem(name, **kwargs)
    x = np.random.default_rng(0).random((50, n_var))
    ours = PROBLEMS[name](torch.tensor(x), n_obj).numpy()
    theirs = problem.evaluate(x)
    assert not np.allclose(ours[:, 0], ours[:, 1])
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def test_true_front_is_the_negated_pymoo_front_and_concave():
    task = SyntheticTask({"problem": "zdt2", "n_var": 4})
    front = task.true_front(10).numpy()
    f1 = -front[:, 0]
    np.testing.assert_allclose(-front[:, 1], 1 - f1**2, atol=1e-12)
    # Concave: the chord between the extremes dominates the front's midpoint (f1 = 0.5),
    # so no λ-weighted sum is maximised there (linear scalarisation skips the interior).
    mid, chord = front[5], 0.5 * (front[0] + front[-1])
    assert (chord >= mid).all() and (chord > mid).any()


def test_dtlz2_true_front_lies_on_the_unit_sphere():
    task = SyntheticTask({"problem": "dtlz2", "n_var": 5, "n_obj": 3})
    front = task.true_front(4)
    torch.testing.assert_close(front.norm(dim=1), torch.ones(15, dtype=torch.float64))


def test_network_maps_into_the_box_and_values_are_negated_objectives():
    task = SyntheticTask({"problem": "zdt1", "n_var": 5, "hidden": 8})
    x = task.make_model()(task.inputs())
    assert x.shape == (1, 5) and ((x > 0) & (x < 1)).all()
    torch.testing.assert_close(task.values(x), -task.objectives_of(x.double())[0])
    assert torch.equal(task.ideal_point(), torch.zeros(2, dtype=torch.float64))
