"""Run a suite: train every (task, method, seed), evaluate its front, collect results.

Each finished (task, method, seed) is written atomically to
``DIR/parts/<task>/<method>/seed<k>.json`` (:mod:`mdpo.benchmarks.parts`); a re-run skips
the parts whose configuration hash matches, so an interrupted suite loses nothing it had
finished. After the runs, :func:`collect_results` (:mod:`mdpo.benchmarks.results`) computes
every metric under the comparison protocol of the conventions page into
``DIR/results.json`` and :func:`mdpo.benchmarks.report.write_report` writes ``report.md``
and the PNG plots.
"""

from __future__ import annotations

import dataclasses
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

import torch

from mdpo.benchmarks.config import MethodConfig, SuiteConfig, TaskConfig
from mdpo.benchmarks.methods import is_language_model
from mdpo.benchmarks.methods.builders import build_method
from mdpo.benchmarks.parts import part_key, part_path
from mdpo.benchmarks.parts import read_json as _read_json
from mdpo.benchmarks.parts import write_json as _write_json
from mdpo.benchmarks.results import collect_results
from mdpo.benchmarks.resume_key import stale_reason
from mdpo.preferences import preference_grid

__all__ = ["RunSummary", "collect_results", "part_path", "run_suite"]


@dataclasses.dataclass
class RunSummary:
    """Outcome of :func:`run_suite`."""

    computed: int
    resumed: int
    failed: list[str]
    wall_time: float
    out_dir: Path
    skipped: list[str] = dataclasses.field(default_factory=list)
    stale: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether every run finished (none failed, none left for lack of time)."""
        return not self.failed and not self.skipped

    def line(self, name: str) -> str:
        """The one-line summary printed at the end."""
        total = self.computed + self.resumed + len(self.failed) + len(self.skipped)
        left = f", {len(self.skipped)} not started (time budget)" if self.skipped else ""
        stale = f" of which {len(self.stale)} stale" if self.stale else ""
        return (
            f"{name}: {total} runs ({self.computed} computed{stale}, {self.resumed} resumed, "
            f"{len(self.failed)} failed{left}) in {self.wall_time:.1f} s -> "
            f"{self.out_dir / 'results.json'}"
        )


def _elapsed(start: float) -> float:
    """Seconds since ``start`` (a ``time.perf_counter()`` reading)."""
    return time.perf_counter() - start


def _eval_preferences(task_cfg: TaskConfig, suite: SuiteConfig, m: int) -> torch.Tensor:
    """The dense Das–Dennis set plus every grid method's grid (for restricted metrics)."""
    dense, _ = task_cfg.partitions(m)
    grids = [preference_grid(m, dense)]
    for method in suite.grid_methods():
        grids.append(preference_grid(m, method.grid_partitions(m)))
    return torch.unique(torch.cat(grids).double().round(decimals=10), dim=0).float()


def _run_one(
    task_cfg: TaskConfig,
    task: Any,
    method: MethodConfig,
    suite: SuiteConfig,
    seed: int,
    out_dir: Path | None = None,
) -> dict[str, Any]:
    from mdpo.evaluation import evaluate_front

    start = time.perf_counter()
    training = task_cfg.apply_training(suite.training)
    if is_language_model(task):
        from mdpo.benchmarks.methods.llm import run_llm_method

        prefs = _eval_preferences(task_cfg, suite, task.n_dims)
        return run_llm_method(
            method, task, task_cfg.name, task_cfg.params, training, seed, prefs, out_dir
        )
    run = build_method(method, task, training, seed)
    trained = time.perf_counter() - start
    front = evaluate_front(run.policy, task, _eval_preferences(task_cfg, suite, task.n_dims))
    return {
        "task": task_cfg.name,
        "method": method.name,
        "seed": seed,
        "front": front.to_dict(),
        "steps": run.steps,
        "rows": run.rows,
        "tokens": None,
        "train_wall_time": trained,
        "wall_time": time.perf_counter() - start,
        "ideal": [log.ideal for log in run.logs],
        "logs": [log.to_dict() for log in run.logs],
    }


def run_job(job: Any, task: Any) -> dict[str, Any]:
    """Compute one run of a suite: its result part (what ``DIR/parts`` holds, without keys).

    Args:
        job: A :class:`mdpo.benchmarks.executors.Job`.
        task: The built task of ``job.task_cfg``.

    Returns:
        The part.
    """
    return _run_one(job.task_cfg, task, job.method, job.suite, job.seed, job.out)


def run_suite(
    suite: SuiteConfig,
    out_dir: str | Path,
    *,
    progress: bool = True,
    threads: int | None = 1,
    time_budget: float | None = None,
    lock_timeout: float = 0.0,
    allow_suite_change: bool = False,
    executor: str = "sequential",
    address: str | None = None,
    gpus_per_run: float = 0.0,
) -> RunSummary:
    """Run (or resume) a suite into ``out_dir`` and write results, report and plots.

    The folder is locked for the whole run (:func:`mdpo._lock.folder_lock`): a second
    writer is refused, naming the holder. The folder remembers its suite (``suite.json``);
    another suite is refused unless ``allow_suite_change``. A part whose resume key
    (:mod:`mdpo.benchmarks.resume_key`) no longer matches is recomputed and listed in
    :attr:`RunSummary.stale`.

    Runs go seed by seed (every task and method of seed 0, then seed 1, ...), so a run cut
    short still compares every method on its first seeds.

    Args:
        suite: The validated suite.
        out_dir: Output directory (created).
        progress: Show a tqdm progress bar on stderr.
        threads: ``torch.set_num_threads`` for the run (1 is fastest for these tiny models
            on a shared CPU); None leaves it.
        time_budget: Seconds after which no new run is started; the finished ones are
            collected into the results as usual and a re-run resumes the rest. None: no limit.
        lock_timeout: Seconds to wait for a folder another process writes; 0 refuses at once.
        allow_suite_change: Run into a folder made by another suite (its results and report
            are replaced; parts of other configurations are ignored).
        executor: ``"sequential"`` (this process) or ``"ray"`` (one Ray task per run, see
            :mod:`mdpo.benchmarks.executors`; the results are the same).
        address: The Ray cluster address for ``executor="ray"`` (None: a local Ray).
        gpus_per_run: GPUs each run reserves on Ray.

    Returns:
        A :class:`RunSummary`; failed runs are listed there (and in ``DIR/failures.json``:
        ``{"<task>/<method>/seed<k>": "<Error>: <message>", ..., "tracebacks": {label: the
        full traceback}}``, the last key only when a run failed), runs left for lack of time
        in ``skipped``, the others are kept.

    Raises:
        ValueError: If ``time_budget`` is not a positive number, ``out_dir`` cannot be an
            output folder, or it was made by another suite.
        mdpo._lock.FolderBusyError: If another process writes into ``out_dir``.
    """
    if time_budget is not None and (
        isinstance(time_budget, bool)
        or not isinstance(time_budget, int | float)
        or not math.isfinite(time_budget)
        or time_budget <= 0
    ):
        raise ValueError(
            f"time_budget must be a positive number of seconds or None, got {time_budget!r}"
        )
    from mdpo._lock import folder_lock
    from mdpo._paths import check_output_dir
    from mdpo.benchmarks.executors import make_executor

    runner = make_executor(executor, address=address, threads=threads, gpus=gpus_per_run)
    out = check_output_dir(out_dir, "out_dir")
    with folder_lock(out, f"mdpo bench run {suite.name}", timeout=lock_timeout):
        _check_suite_owner(out, suite, allow_suite_change)
        _write_json(out / "suite.json", suite.to_dict())
        return _run_locked(suite, out, progress, threads, time_budget, runner)


def _check_suite_owner(out: Path, suite: SuiteConfig, allow_change: bool) -> None:
    """Refuse a folder that another suite made, unless asked to take it over."""
    previous = _read_json(out / "suite.json")
    if previous is None or allow_change:
        return
    name = previous.get("name")
    if name != suite.name:
        raise ValueError(
            f"output folder {os.fspath(out)!r} holds the results of suite {name!r}, not "
            f"{suite.name!r}; use another --out, or pass --allow-suite-change to replace "
            "its results and report with this suite's"
        )


def _run_locked(
    suite: SuiteConfig,
    out: Path,
    progress: bool,
    threads: int | None,
    time_budget: float | None,
    runner: Any,
) -> RunSummary:
    from tqdm.auto import tqdm

    from mdpo.benchmarks.executors import Job
    from mdpo.benchmarks.report import write_report

    if threads is not None:
        torch.set_num_threads(threads)
    start = time.perf_counter()
    built = {task_cfg.name: (task_cfg, task_cfg.build()) for task_cfg in suite.tasks}
    plan = [
        (task_cfg, task, method, seed)
        for seed in suite.seeds
        for task_cfg, task in built.values()
        for method in suite.methods
        if method.applies_to(task_cfg.name, task)
    ]
    computed, resumed, failed, skipped = 0, 0, [], []
    stale: dict[str, str] = {}
    errors: dict[str, Any] = {}
    tracebacks: dict[str, str] = {}
    keys: dict[str, Any] = {}
    jobs: list[Job] = []
    bar = tqdm(total=len(plan), disable=not progress, unit="run", file=sys.stderr)
    for task_cfg, _task, method, seed in plan:
        label = f"{task_cfg.name}/{method.name}/seed{seed}"
        path = part_path(out, task_cfg.name, method.name, seed)
        key = part_key(task_cfg, method, suite, seed)
        existing = _read_json(path)
        if existing is not None and existing.get("config_hash") == key["key"]:
            resumed += 1
            bar.update(1)
            continue
        if existing is not None:
            stale[label] = stale_reason(existing, key)
        keys[label] = key
        jobs.append(Job(label, task_cfg, method, suite, seed, out))
    tasks = {name: task for name, (_cfg, task) in built.items()}

    def over_budget() -> bool:
        return time_budget is not None and _elapsed(start) > time_budget

    for done in runner.run(jobs, tasks, over_budget):
        if isinstance(done, Job):
            skipped.append(done.label)
        elif done.part is None:
            failed.append(done.job.label)
            errors[done.job.label] = str(done.error)
            tracebacks[done.job.label] = str(done.traceback)
        else:
            part = done.part
            part["config_hash"] = keys[done.job.label]["key"]
            part["resume_key"] = keys[done.job.label]
            job = done.job
            _write_json(part_path(out, job.task_cfg.name, job.method.name, job.seed), part)
            computed += 1
        bar.set_description(done.label if isinstance(done, Job) else done.job.label)
        bar.update(1)
    bar.close()
    if tracebacks:
        errors["tracebacks"] = tracebacks
    _write_json(out / "failures.json", errors)
    results = collect_results(out, suite)
    results["wall_time"] = time.perf_counter() - start
    _write_json(out / "results.json", results)
    write_report(out)
    wall = time.perf_counter() - start
    return RunSummary(computed, resumed, failed, wall, out, skipped, stale)
