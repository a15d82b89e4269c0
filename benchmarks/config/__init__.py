"""Suite configuration: YAML read with ``yaml.safe_load`` and validated into dataclasses.

A suite names tasks, methods, training budgets, evaluation preferences and seeds::

    name: quick
    seeds: [0, 1, 2]
    training: {steps: 400, lr: 0.01, pref_batch: 16, vertex_prob: 0.3}
    tasks:
      - {name: bandit2, kind: bandit, params: {n_dims: 2}, eval_partitions: 50}

Methods:
      - {name: panacea-ls, kind: panacea, aggregator: ls}
      - {name: rs, kind: rs}

Every unknown key is refused with a message naming it and listing the allowed ones.

The package holds one module per concern: :mod:`~mdpo.benchmarks.config.checks` (safe names
and numbers), :mod:`~mdpo.benchmarks.config.training`, :mod:`~mdpo.benchmarks.config.task`,
:mod:`~mdpo.benchmarks.config.method` and :mod:`~mdpo.benchmarks.config.suite` (the whole
suite and its loading); every public name is importable from here.
"""

from __future__ import annotations

from typing import Any

from mdpo.benchmarks.config.checks import check_run_name, output_path
from mdpo.benchmarks.config.method import MethodConfig
from mdpo.benchmarks.config.suite import SuiteConfig, builtin_suites, load_suite, suite_summaries
from mdpo.benchmarks.config.task import TaskConfig
from mdpo.benchmarks.config.training import LR_SCHEDULES, TrainingConfig

__all__ = [
    "LR_SCHEDULES",
    "METHOD_KINDS",
    "TASK_KINDS",
    "MethodConfig",
    "SuiteConfig",
    "TaskConfig",
    "TrainingConfig",
    "builtin_suites",
    "check_run_name",
    "load_suite",
    "output_path",
    "suite_summaries",
]

TASK_KINDS: tuple[str, ...]
"""Task kinds a suite may name: the kinds registered in :mod:`mdpo.benchmarks.tasks`
(read from the registry on each access, so a kind registered later is included)."""

METHOD_KINDS: tuple[str, ...]
"""Method kinds a suite may name: the kinds registered in :mod:`mdpo.benchmarks.methods`
(read from the registry on each access, so a kind registered later is included)."""


def __getattr__(name: str) -> Any:
    """``TASK_KINDS`` and ``METHOD_KINDS``, read from their registries when asked.

    The task and method modules import this package, so the registries are read lazily, not
    at import.
    """
    if name == "TASK_KINDS":
        from mdpo.benchmarks.tasks import available_tasks

        return tuple(available_tasks())
    if name == "METHOD_KINDS":
        from mdpo.benchmarks.methods import available_methods

        return tuple(available_methods())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
