"""Front, evaluate_front and the Task protocol."""

from __future__ import annotations

from typing import ClassVar

import pytest
import torch

from mdpo.evaluation import Front, Task, evaluate_front
from mdpo.policies import DPSPolicy, PromptConditionedPolicy
from mdpo.preferences import preference_grid


class EchoTask:
    """Objective values = the policy's λ, read through its forward (the Identity model)."""

    dim_names: ClassVar[list[str]] = ["a", "b"]
    n_dims = 2

    def objective_values(self, policy):
        return policy(torch.zeros(0))

    def true_front(self, n):
        return preference_grid(2, n)


def test_echo_task_satisfies_the_protocol():
    assert isinstance(EchoTask(), Task)


def test_evaluate_front_visits_every_preference_in_order():
    prefs = preference_grid(2, 4)
    front = evaluate_front(PromptConditionedPolicy(torch.nn.Identity(), 2), EchoTask(), prefs)
    assert front.names == ["a", "b"]
    assert torch.equal(front.points, prefs.double())
    assert torch.equal(front.preferences, prefs.double())


def test_evaluate_front_keeps_only_what_dps_supports():
    grid = preference_grid(2, 1)  # (0, 1), (1, 0)
    members = [torch.nn.Linear(1, 2), torch.nn.Linear(1, 2)]
    policy = DPSPolicy(grid, members)

    class Task2(EchoTask):
        def objective_values(self, policy):
            return policy.preference * 3.0

    front = evaluate_front(policy, Task2(), preference_grid(2, 4))
    assert len(front) == 2
    assert torch.equal(front.preferences, grid.double())
    with pytest.raises(ValueError, match="none of the 1 preferences is supported"):
        evaluate_front(policy, Task2(), [[0.5, 0.5]])


def test_evaluate_front_checks_dimensions():
    policy = PromptConditionedPolicy(torch.nn.Identity(), 3)
    with pytest.raises(ValueError, match="m=2 dimensions but the policy has 3"):
        evaluate_front(policy, EchoTask(), [[1.0, 0.0, 0.0]])
    with pytest.raises(ValueError, match="sum to 1"):
        evaluate_front(PromptConditionedPolicy(torch.nn.Identity(), 2), EchoTask(), [[1, 1]])


def test_front_validates_shapes_and_names():
    with pytest.raises(ValueError, match=r"shape \[n, m\]"):
        Front(torch.zeros(3, 2), torch.zeros(2, 2), ["a", "b"])
    with pytest.raises(ValueError, match="m=2 names"):
        Front(torch.zeros(3, 2), torch.zeros(3, 2), ["a"])


def test_front_metrics_worse_front_scores_worse_then_true_front_is_perfect():
    truth = torch.stack([torch.linspace(0, 1, 21), 1 - torch.linspace(0, 1, 21) ** 2], dim=1)
    prefs = preference_grid(2, 20).flip(0)
    worse = Front(truth * 0.8, prefs, ["a", "b"]).metrics(true_front=truth)
    exact = Front(truth, prefs, ["a", "b"]).metrics(true_front=truth)
    assert worse["hv_ratio"] < 0.9 and worse["igd_plus"] > 0.05
    assert exact["hv_ratio"] == pytest.approx(1.0)
    assert exact["igd_plus"] == pytest.approx(0.0, abs=1e-12)


def test_front_metrics_without_true_front_use_the_union_of_others():
    front = Front(torch.tensor([[0.0, 1.0], [1.0, 0.0]]), preference_grid(2, 1), ["a", "b"])
    alone = front.metrics()
    shared = front.metrics(others={"big": [[10.0, 10.0]]})
    assert "hv_ratio" not in alone
    assert shared["hypervolume"] < alone["hypervolume"]


def test_front_subset_and_roundtrip():
    front = Front(torch.rand(5, 2), preference_grid(2, 4), ["a", "b"])
    sub = front.subset(preference_grid(2, 2))
    assert torch.equal(sub.preferences, preference_grid(2, 2).double())
    again = Front.from_dict(front.to_dict())
    assert torch.equal(again.points, front.points) and again.names == front.names
