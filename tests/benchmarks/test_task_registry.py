"""The task registry: a kind registered from outside loads and runs in a suite; what is refused."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
import torch
from torch import nn

import mdpo.benchmarks.runner as runner
from mdpo.benchmarks import config
from mdpo.benchmarks.config import SuiteConfig, TaskConfig
from mdpo.benchmarks.tasks import (
    TaskSpec,
    available_tasks,
    get_task,
    register_task,
    unregister_task,
)
from mdpo.benchmarks.tasks.base import TrainableTask
from mdpo.preferences import preference_grid

BUILTIN = ["bandit", "synthetic", "smollm", "hf"]


@dataclasses.dataclass
class LineConfig:
    """Params of the toy ``line`` kind."""

    hidden: int = 4

    def __post_init__(self) -> None:
        if isinstance(self.hidden, bool) or not isinstance(self.hidden, int) or self.hidden < 1:
            raise ValueError(f"line param hidden must be an int >= 1, got {self.hidden!r}")


class LineNet(nn.Module):
    """A constant input ``[..., 1]`` to one decision ``x`` ``[..., 1]``."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        with torch.random.fork_rng():  # the same base network on every call
            torch.manual_seed(0)
            self.fc1 = nn.Linear(1, hidden)
            self.fc2 = nn.Linear(hidden, 1)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.fc2(torch.tanh(self.fc1(inputs[..., :1])))


class LineTask(TrainableTask):
    """Two objectives ``x²`` and ``(x − 1)²`` of one decision; π*_λ is ``x = λ_1``."""

    has_optimum = True

    def __init__(self, cfg: LineConfig) -> None:
        self.config = cfg
        self.dim_names = ["left", "right"]
        self.target_modules = ["fc1", "fc2"]

    def make_model(self) -> nn.Module:
        return LineNet(self.config.hidden)

    def inputs(self) -> torch.Tensor:
        return torch.ones(1, 1)

    def losses(self, outputs: torch.Tensor, *, objective: str, seed: int, step: int) -> Any:
        return torch.cat([outputs**2, (outputs - 1) ** 2], dim=-1)  # [B, 1, 2]

    def values(self, outputs: torch.Tensor) -> torch.Tensor:
        return -self.losses(outputs.double(), objective="exact", seed=0, step=0)[0]

    def optimal_values(self, preference: torch.Tensor) -> torch.Tensor:
        return self.values(preference[None, 1:].double())

    def ideal_point(self) -> torch.Tensor:
        return torch.zeros(2, dtype=torch.float64)

    def true_front(self, n: int) -> torch.Tensor:
        return torch.stack([self.optimal_values(lam) for lam in preference_grid(2, n)])


SUITE = {
    "name": "tasks",
    "seeds": [0],
    "training": {"steps": 4, "pref_batch": 2, "log_every": 2},
    "tasks": [
        {
            "name": "l",
            "kind": "line",
            "params": {"hidden": 3},
            "eval_partitions": 4,
            "true_front_partitions": 10,
        }
    ],
    "methods": [{"name": "p", "kind": "panacea"}, {"name": "d", "kind": "dps"}],
}


@pytest.fixture
def line():
    spec = register_task("line", TaskSpec(config=LineConfig, task=LineTask, summary="toy"))
    yield spec
    if "line" in available_tasks():
        unregister_task("line")


def test_builtin_kinds_are_registered_in_order_and_read_everywhere():
    assert available_tasks() == BUILTIN == list(config.TASK_KINDS)
    assert available_tasks(language_model=True) == ["smollm", "hf"]
    assert available_tasks(language_model=False) == ["bandit", "synthetic"]
    assert all(get_task(kind).summary for kind in BUILTIN)


def test_a_registered_kind_loads_and_runs_in_a_suite(line, tmp_path):
    assert "line" in config.TASK_KINDS  # read from the registry on each access
    assert available_tasks(language_model=False) == ["bandit", "synthetic", "line"]
    suite = SuiteConfig.from_dict(SUITE)
    assert isinstance(suite.tasks[0].build(), LineTask) and suite.tasks[0].n_dims == 2
    summary = runner.run_suite(suite, tmp_path / "run", progress=False)
    assert summary.ok and summary.computed == 2
    task = json.loads((tmp_path / "run" / "results.json").read_text())["tasks"]["l"]
    assert task["kind"] == "line" and task["dim_names"] == ["left", "right"]
    assert len(task["true_front"]["points"]) == 11
    assert len(task["methods"]["p"]["seeds"]["0"]["front"]["points"]) == 5
    # has_optimum declared: the runner measures the LS-trained grid's gap to pi*_lambda.
    assert list(task["capacity"]) == ["d"]


def test_unregistering_removes_the_kind(line):
    SuiteConfig.from_dict(SUITE)
    assert unregister_task("line") is line
    assert "line" not in config.TASK_KINDS
    with pytest.raises(ValueError, match=r"task 'l' has kind 'line'; allowed kinds: \['bandit',"):
        SuiteConfig.from_dict(SUITE)


def test_an_unknown_kind_names_the_task_the_kind_and_the_allowed_kinds():
    with pytest.raises(ValueError) as err:
        TaskConfig(name="t", kind="nope")
    assert str(err.value) == f"task 't' has kind 'nope'; allowed kinds: {BUILTIN}"
    with pytest.raises(ValueError, match="unknown task kind 'nope'; allowed kinds"):
        get_task("nope")
    with pytest.raises(TypeError, match="task kind must be a str"):
        get_task(3)


def test_params_are_read_into_the_kinds_config(line):
    with pytest.raises(ValueError, match=r"task 'l' params has unknown key 'x'; allowed keys: \["):
        TaskConfig(name="l", kind="line", params={"x": 1})
    with pytest.raises(ValueError, match="line param hidden must be an int >= 1, got 0"):
        TaskConfig(name="l", kind="line", params={"hidden": 0})


def test_registration_is_checked(line):
    spec = get_task("bandit")
    with pytest.raises(ValueError, match="already registered as 'bandit'"):
        register_task("bandit", get_task("synthetic"))
    assert register_task("bandit", spec) is spec  # the same spec again is a no-op
    with pytest.raises(ValueError, match="built-in task kind 'bandit' cannot be unregistered"):
        unregister_task("bandit")
    with pytest.raises(ValueError, match="no task is registered as 'nope'"):
        unregister_task("nope")
    with pytest.raises(ValueError, match="must start with a letter"):
        register_task("9x", spec)
    with pytest.raises(TypeError, match="spec must be a TaskSpec"):
        register_task("x", {"config": LineConfig})
    with pytest.raises(TypeError, match="spec must be a TaskSpec, got NoneType"):
        register_task("x", None)
    assert "x" not in available_tasks()
    with pytest.raises(TypeError, match="config must be a dataclass type"):
        TaskSpec(config=dict, task=LineTask)
    with pytest.raises(TypeError, match="task must be callable"):
        TaskSpec(config=LineConfig, task="LineTask")
    with pytest.raises(TypeError, match="language_model must be a bool"):
        TaskSpec(config=LineConfig, task=LineTask, language_model="yes")


def test_a_builder_must_return_its_familys_task(line):
    register_task(
        "line", TaskSpec(config=LineConfig, task=LineTask, language_model=True), overwrite=True
    )
    with pytest.raises(TypeError, match="returned LineTask, not a LanguageModelTask"):
        TaskConfig(name="l", kind="line")
    register_task("line", TaskSpec(config=LineConfig, task=lambda cfg: cfg), overwrite=True)
    with pytest.raises(TypeError, match="returned LineConfig, not a TrainableTask"):
        TaskConfig(name="l", kind="line")
