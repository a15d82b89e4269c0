"""The prompt-conditioned method reaches the analytic optimum at the vertices of the bandit."""

from __future__ import annotations

import pytest
import torch

from mdpo.benchmarks.config import MethodConfig, load_suite
from mdpo.benchmarks.methods.builders import build_method


@pytest.fixture(scope="module")
def bandit():
    suite = load_suite("quick")
    return suite.tasks[0].build(), suite.training  # bandit2: 8 contexts x 8 actions, m = 2


@pytest.mark.parametrize(("kind", "rank"), [("prompt", None), ("panacea", 2)])
def test_the_optimum_at_each_vertex_matches_the_analytic_one(bandit, kind, rank):
    task, training = bandit
    before = build_method(
        MethodConfig(name=kind, kind=kind, rank=rank), task, training.replace(steps=1), 0
    )
    run = build_method(MethodConfig(name=kind, kind=kind, rank=rank), task, training, 0)
    reached = []
    for i in range(task.n_dims):
        vertex = torch.eye(task.n_dims)[i]
        optimum = task.values(task.optimal_logits(vertex.double()))
        before.policy.set_preference(vertex)
        start = task.objective_values(before.policy)
        assert (start - optimum).abs().max() > 0.1  # one step is far from it
        run.policy.set_preference(vertex)
        got = task.objective_values(run.policy)
        assert got.tolist() == pytest.approx(optimum.tolist(), abs=0.03)
        reached.append(got)
    # The two vertices are different policies: λ reaches the model through the input.
    assert (reached[0] - reached[1]).abs().max() > 0.5
