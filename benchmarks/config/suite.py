"""A whole suite: its validation, and loading one from YAML (built-in or a file)."""

from __future__ import annotations

import dataclasses
import textwrap
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from mdpo._grid import check_grid_size
from mdpo._numbers import check_finite_tree
from mdpo._remote_code import check_remote_code
from mdpo.benchmarks.config.checks import (
    build_section,
    check_float_setting,
    check_int_setting,
    check_run_name,
    check_section_keys,
)
from mdpo.benchmarks.config.method import MethodConfig
from mdpo.benchmarks.config.task import TaskConfig
from mdpo.benchmarks.config.training import TrainingConfig

__all__ = ["SuiteConfig", "builtin_suites", "load_suite", "suite_summaries"]


def _check_objective(method: MethodConfig, tasks: list[TaskConfig]) -> None:
    """Refuse an objective that a task the method names, or every task, does not train on."""
    if method.objective is None:
        return
    named = method.tasks is not None
    where = [t for t in tasks if not named or t.name in method.tasks]
    refused = [t for t in where if method.objective not in t.objectives]
    if refused and (named or len(refused) == len(where)):
        accepted = {t.name: list(t.objectives) for t in refused}
        raise ValueError(
            f"method {method.name!r} objective {method.objective!r} is not trained on by "
            f"tasks {sorted(accepted)} (their objectives: {accepted}); name another objective, "
            "leave it unset (each task's first) or restrict the method's tasks"
        )


@dataclasses.dataclass
class SuiteConfig:
    """A benchmark suite.

    Args:
        name: Suite name.
        tasks: The tasks.
        methods: The methods.
        seeds: Training seeds (>= 1 of them; claims need >= 3).
        training: Shared training settings.
        description: Free text.
        confidence: Confidence level of the reported intervals.
    """

    name: str
    tasks: list[TaskConfig]
    methods: list[MethodConfig]
    seeds: list[int] = dataclasses.field(default_factory=lambda: [0, 1, 2])
    training: TrainingConfig = dataclasses.field(default_factory=TrainingConfig)
    description: str = ""
    confidence: float = 0.95

    def __post_init__(self) -> None:
        check_run_name(self.name, "suite name")
        if not isinstance(self.seeds, list) or not self.seeds:
            raise ValueError(f"seeds must be a non-empty list of ints, got {self.seeds!r}")
        for s in self.seeds:
            check_int_setting("seeds entry", s, 0)
        if len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"seeds must be distinct, got {self.seeds!r}")
        check_float_setting("confidence", self.confidence, 0.5, 0.999)
        for what, items in (("task", self.tasks), ("method", self.methods)):
            names = [i.name for i in items]
            if not names:
                raise ValueError(f"a suite needs at least one {what}")
            if len(set(names)) != len(names):
                raise ValueError(f"{what} names must be unique, got {names}")
        from mdpo.benchmarks.methods import get_method

        task_names = {t.name for t in self.tasks}
        for method in self.methods:
            unknown = sorted(set(method.tasks or ()) - task_names)
            if unknown:
                raise ValueError(
                    f"method {method.name!r} names unknown tasks {unknown}; "
                    f"tasks: {sorted(task_names)}"
                )
            _check_objective(method, self.tasks)
            if get_method(method.kind).grid:
                for task in self.tasks:
                    m = task.n_dims
                    where = f"method {method.name!r} dps_partitions (task {task.name!r})"
                    check_grid_size(m, method.grid_partitions(m), name=where)

    @classmethod
    def from_dict(cls, data: Any, *, trust_remote_code: bool = False) -> SuiteConfig:
        """Validate a parsed YAML mapping.

        Args:
            data: The mapping.
            trust_remote_code: Accept ``trust_remote_code: true`` in the suite (the
                command line's ``--trust-remote-code``); refused by default.

        Raises:
            ValueError: On an unknown key (named, with the allowed ones) or a bad value.
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"a suite must be a mapping, got {type(data).__name__}")
        check_remote_code(data, "the suite", allowed=trust_remote_code)
        check_section_keys(cls, data, "suite")
        for key in ("name", "tasks", "methods"):
            if key not in data:
                raise ValueError(f"suite is missing the required key {key!r}")
        for key, value in data.items():
            check_finite_tree(value, str(key))
        out = dict(data)
        for key, klass in (("tasks", TaskConfig), ("methods", MethodConfig)):
            if not isinstance(out[key], list):
                raise ValueError(f"suite key {key!r} must be a list, got {out[key]!r}")
            out[key] = [
                build_section(klass, item, f"{key}[{i}]") for i, item in enumerate(out[key])
            ]
        out["training"] = build_section(TrainingConfig, out.get("training") or {}, "training")
        return cls(**out)

    def grid_methods(self) -> list[MethodConfig]:
        """The suite's grid methods (DPS, MODPO): evaluated only at their grid points.

        Returns:
            The methods whose kind's registered spec has ``grid`` set, in suite order.
        """
        from mdpo.benchmarks.methods import get_method

        return [method for method in self.methods if get_method(method.kind).grid]

    def to_dict(self) -> dict[str, Any]:
        """JSON/YAML-ready dict (round-trips through :meth:`from_dict`)."""
        return dataclasses.asdict(self)


def builtin_suites() -> list[str]:
    """Names of the suites shipped as package data (``mdpo.benchmarks.suites``)."""
    root = resources.files("mdpo.benchmarks.suites")
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".yaml"))


def suite_summaries() -> dict[str, str]:
    """The first sentence of each built-in suite's ``description``, by suite name.

    Returns:
        ``{name: one line}`` in name order (``"(no description)"`` for a suite without one).

    Example:
        >>> from mdpo.benchmarks.config import suite_summaries
        >>> suite_summaries()["quick"]
        'The CPU smoke benchmark: the exact bandit at m = 2 and m = 3 and the concave ZDT2 ...'
    """
    import yaml

    out = {}
    for name in builtin_suites():
        text = resources.files("mdpo.benchmarks.suites").joinpath(f"{name}.yaml").read_text()
        description = " ".join(str((yaml.safe_load(text) or {}).get("description") or "").split())
        first = description.split(". ")[0].rstrip(".")
        out[name] = textwrap.shorten(first, 92, placeholder=" ...") or "(no description)"
    return out


def load_suite(name_or_path: str | Path, *, trust_remote_code: bool = False) -> SuiteConfig:
    """Load a built-in suite by name (``"quick"``) or a YAML file by path.

    Args:
        name_or_path: A built-in suite name or a path to a YAML file.
        trust_remote_code: Accept ``trust_remote_code: true`` in the suite; refused by
            default (see :mod:`mdpo._remote_code`).

    Returns:
        The validated :class:`SuiteConfig`.

    Raises:
        ValueError: If the name is unknown (the built-ins are listed), or the file is not a
            valid suite.
    """
    import yaml

    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.is_file():
        if not path.is_file():
            raise ValueError(f"suite file {str(path)!r} does not exist")
        text = path.read_text(encoding="utf-8")
        where = str(path)
    else:
        name = str(name_or_path)
        if name not in builtin_suites():
            raise ValueError(
                f"unknown suite {name!r}: not a YAML file and not a built-in suite; "
                f"built-in suites: {builtin_suites()}"
            )
        text = resources.files("mdpo.benchmarks.suites").joinpath(f"{name}.yaml").read_text()
        where = f"built-in suite {name!r}"
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ValueError(f"{where} is not valid YAML: {err}") from err
    try:
        return SuiteConfig.from_dict(data, trust_remote_code=trust_remote_code)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{where}: {err}") from err
