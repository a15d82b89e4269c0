"""The layout of the benchmark's modules: config, tasks, runner, statistics, report, methods,
plots and the performance benchmarks (perf).

Read from the sources (no import): each module stays short, imports no other module's
private names, the reporting modules import no task module, and the methods import only the
task contract (:mod:`mdpo.benchmarks.tasks.base`).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
MODULES = sorted(
    [
        *(BENCHMARKS / "config").rglob("*.py"),
        *(BENCHMARKS / "tasks").rglob("*.py"),
        *(BENCHMARKS / n for n in ("runner.py", "results.py", "parts.py", "stats.py", "kinds.py")),
        *(BENCHMARKS / name for name in ("report.py", "report_llm.py")),
        *(BENCHMARKS / "methods").rglob("*.py"),
        *BENCHMARKS.glob("plot*.py"),
        *(BENCHMARKS / n for n in ("executors.py", "tuning.py", "run_eval.py", "resume_key.py")),
        *(BENCHMARKS / "perf").rglob("*.py"),
    ]
)
REPORTING = ("report.py", "report_llm.py")
MAX_LINES = 500


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """``(module, names)`` of every import in the file (``names`` empty for ``import x``)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            out.append(("." * node.level + (node.module or ""), [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            out.extend((alias.name, []) for alias in node.names)
    return out


def _ids(paths: list[Path]) -> list[str]:
    return [p.relative_to(BENCHMARKS).as_posix() for p in paths]


def test_the_modules_are_found():
    names = _ids(MODULES)
    for expected in ("config/task.py", "tasks/registry.py", "tasks/llm/task.py", "runner.py"):
        assert expected in names
    for expected in ("methods/llm.py", "methods/context.py", "plots.py", "plot_fronts.py"):
        assert expected in names
    for expected in ("perf/metrics.py", "perf/_timing.py", "perf/trainer.py"):
        assert expected in names


@pytest.mark.parametrize("path", MODULES, ids=_ids(MODULES))
def test_no_module_is_longer_than_the_limit(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.name} has {lines} lines (limit {MAX_LINES}): split it"


@pytest.mark.parametrize("path", MODULES, ids=_ids(MODULES))
def test_no_module_imports_private_names(path):
    private = [
        f"{module}.{name}"
        for module, names in _imports(path)
        for name in names
        if name.startswith("_") and not name.startswith("__")
    ]
    assert not private, f"{path.name} imports private names {private}: make them public"


METHODS = sorted((BENCHMARKS / "methods").rglob("*.py"))
CONTRACT = "mdpo.benchmarks.tasks.base"


@pytest.mark.parametrize("path", METHODS, ids=_ids(METHODS))
def test_methods_import_no_task_module_but_the_contract(path):
    tasks = [
        m for m, _ in _imports(path) if m.startswith("mdpo.benchmarks.tasks") and m != CONTRACT
    ]
    assert not tasks, f"{path.name} imports task modules {tasks}: use {CONTRACT}'s contract"


@pytest.mark.parametrize("name", REPORTING)
def test_reporting_imports_no_task_module(name):
    tasks = [m for m, _ in _imports(BENCHMARKS / name) if m.startswith("mdpo.benchmarks.tasks")]
    assert not tasks, f"{name} imports task modules {tasks}"
