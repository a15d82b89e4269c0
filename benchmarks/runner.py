"""Run a suite: train every (task, method, seed), evaluate its front, collect results.

Each finished (task, method, seed) is written atomically to
``DIR/parts/<task>/<method>/seed<k>.json``; a re-run skips the parts whose configuration
hash matches, so an interrupted suite loses nothing it had finished. After the runs,
:func:`collect_results` computes every metric under the comparison protocol of the conventions page
into
``DIR/results.json`` and :func:`mdpo.benchmarks.report.write_report` writes ``report.md``
and the PNG plots.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import platform
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import torch

from mdpo.benchmarks.config import (
    MethodConfig,
    SuiteConfig,
    TaskConfig,
    check_run_name,
    output_path,
)
from mdpo.benchmarks.methods import get_method, is_language_model
from mdpo.benchmarks.methods.builders import build_method
from mdpo.benchmarks.resume_key import resume_key, stale_reason
from mdpo.benchmarks.stats import paired_difference, t_interval
from mdpo.preferences import preference_grid

__all__ = ["RunSummary", "collect_results", "part_path", "run_suite"]

DECODING = (
    "n/a: bandit and synthetic objectives are computed exactly (enumeration over the "
    "candidate set, closed-form objectives); nothing is decoded or sampled at evaluation"
)
"""The decoding protocol recorded for the exact tasks."""

_HEADLINE = ("hv_ratio", "igd_plus", "hypervolume", "igd", "spacing", "controllability")


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


def part_path(out_dir: Path, task: str, method: str, seed: int) -> Path:
    """Where one (task, method, seed) result lives; refuses names that escape ``out_dir``.

    Raises:
        ValueError: If a name is not a safe file name.
    """
    check_run_name(task, "task name")
    check_run_name(method, "method name")
    return output_path(out_dir, "parts", task, method, f"seed{int(seed)}.json")


def _part_key(task_cfg: TaskConfig, method: MethodConfig, suite: SuiteConfig, seed: int) -> Any:
    """The :func:`~mdpo.benchmarks.resume_key.resume_key` of one (task, method, seed)."""
    return resume_key(task_cfg, method, suite.training, seed)


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, torch.Tensor):
        return _jsonable(obj.tolist())
    if hasattr(obj, "item") and callable(obj.item):
        return _jsonable(obj.item())
    return obj


def _write_json(path: Path, data: Any) -> None:
    from mdpo._io import atomic_write_json

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(path, _jsonable(data))


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def _grid_methods(suite: SuiteConfig) -> list[MethodConfig]:
    """The suite's grid methods (DPS, MODPO): evaluated only at their grid points."""
    return [method for method in suite.methods if get_method(method.kind).grid]


def _eval_preferences(task_cfg: TaskConfig, suite: SuiteConfig, m: int) -> torch.Tensor:
    """The dense Das–Dennis set plus every grid method's grid (for restricted metrics)."""
    dense, _ = task_cfg.partitions(m)
    grids = [preference_grid(m, dense)]
    for method in _grid_methods(suite):
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
        key = _part_key(task_cfg, method, suite, seed)
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


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("mdpo", "torch", "numpy", "pymoo", "moocore", "peft", "scipy", "matplotlib"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def collect_results(out_dir: str | Path, suite: SuiteConfig) -> dict[str, Any]:
    """Assemble ``results.json`` from the finished parts, computing every metric.

    Per task: the dense true front, the normalisation of the comparison protocol, each method's
    fronts per
    seed with their metrics (against the dense true front; over the dense preference set
    and restricted to the DPS grid), intervals over seeds, paired differences and, for the
    bandit with a grid method that targets π*_λ (LS-trained DPS, MODPO), the capacity gaps.

    Args:
        out_dir: The run directory.
        suite: The suite that was run.

    Returns:
        The results as JSON-ready Python objects.
    """
    from mdpo.benchmarks.stats import t_interval
    from mdpo.evaluation import Front
    from mdpo.metrics import hypervolume_method, normalize_fronts

    out = Path(out_dir)
    tasks: dict[str, Any] = {}
    for task_cfg in suite.tasks:
        task = task_cfg.build()
        m = task.n_dims
        dense_parts, tf_parts = task_cfg.partitions(m)
        dense = preference_grid(m, dense_parts).double()
        truth = task.true_front(tf_parts)
        truth_np = None if truth is None else truth.numpy()
        dps_methods = _grid_methods(suite)
        dps_grid = (
            preference_grid(m, dps_methods[0].grid_partitions(m)).double() if dps_methods else None
        )
        parts: dict[str, dict[int, dict[str, Any]]] = {}
        for method in suite.methods:
            for seed in suite.seeds:
                part = _read_json(part_path(out, task_cfg.name, method.name, seed))
                key = _part_key(task_cfg, method, suite, seed)["key"]
                if part is not None and part.get("config_hash") == key:
                    parts.setdefault(method.name, {})[seed] = part
        fronts = {
            (name, seed): Front.from_dict(p["front"])
            for name, by_seed in parts.items()
            for seed, p in by_seed.items()
        }
        nf = normalize_fronts(
            {f"{n}/{s}": f.points.numpy() for (n, s), f in fronts.items()} or {"-": truth_np},
            true_front=truth_np,
        )
        methods: dict[str, Any] = {}
        for name, by_seed in parts.items():
            seeds_out: dict[str, Any] = {}
            for seed, p in sorted(by_seed.items()):
                front = fronts[(name, seed)]
                # A grid method (DPS, MODPO) is scored on its own grid; the others on the
                # dense set.
                main = front if name in {d.name for d in dps_methods} else front.subset(dense)
                entry = {key: p[key] for key in p if key not in ("front",)}
                entry["front"] = front.to_dict()
                entry["metrics"] = _metrics(main, nf, truth_np, hv_error=True)
                if dps_grid is not None:
                    restricted = front.subset(dps_grid)
                    if len(restricted):
                        entry["metrics_dps_grid"] = _metrics(restricted, nf, truth_np)
                seeds_out[str(seed)] = entry
            methods[name] = {
                "config": dataclasses.asdict(
                    next(meth for meth in suite.methods if meth.name == name)
                ),
                "seeds": seeds_out,
                "summary": _summary(seeds_out, "metrics", suite.confidence),
                "summary_dps_grid": _summary(seeds_out, "metrics_dps_grid", suite.confidence),
                "wall_time": t_interval([p["wall_time"] for p in by_seed.values()]),
                "steps": next(iter(by_seed.values()))["steps"],
            }
        paired: dict[str, Any] = {}
        names = list(methods)
        dps_names = {d.name for d in dps_methods}
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                # A grid method's front has only its K grid points: compare on the DPS grid.
                which = "metrics_dps_grid" if {a, b} & dps_names else "metrics"
                paired[f"{a} - {b}"] = {
                    key: paired_difference(
                        _per_seed(methods[a], key, which),
                        _per_seed(methods[b], key, which),
                        suite.confidence,
                    )
                    for key in ("hv_ratio", "igd_plus", "hypervolume")
                }
                paired[f"{a} - {b}"]["on"] = "dps_grid" if which != "metrics" else "dense"
        tasks[task_cfg.name] = {
            "kind": task_cfg.kind,
            "params": task_cfg.params,
            "dim_names": task.dim_names,
            "n_dims": m,
            "eval_partitions": dense_parts,
            "n_eval_preferences": int(dense.shape[0]),
            "dps_grid": None if dps_grid is None else dps_grid.tolist(),
            "true_front": None
            if truth is None
            else {"partitions": tf_parts, "points": truth.tolist()},
            "normalization": nf.to_dict(),
            "hypervolume_method": hypervolume_method(m),
            "methods": methods,
            "method_order": list(methods),
            "planned_methods": [
                meth.name for meth in suite.methods if meth.applies_to(task_cfg.name, task)
            ],
            "paired_differences": paired,
            "capacity": _capacity(task, parts, suite, nf),
            "ceiling": _ceiling(task, dense_parts, nf, truth_np),
        }
        if is_language_model(task):
            tasks[task_cfg.name]["llm"] = task.summarize_parts(parts, nf, suite.confidence)
    return {
        "suite": suite.to_dict(),
        "protocol": {
            "normalization": "min-max by the true front's ideal and nadir where known, else "
            "over the union of all compared points (docs: Conventions and comparison protocol)",
            "reference_point": "-0.1 in every normalised coordinate (nadir - 10% of range)",
            "headline": "IGD+ and HV ratio against the dense true front, methods evaluated at "
            "the dense Das-Dennis preference set (DPS at its own grid)",
            "dps_comparison": "metrics_dps_grid: every method restricted to the DPS grid",
            "intervals": f"mean ± Student-t {suite.confidence:.0%} interval over seeds "
            "(paired differences over shared seeds)",
            "equal_compute": "RS: steps // m per expert; DPS: steps // K per grid point; "
            "MODPO: as DPS on the bandit, and on the LLM tasks half the steps to its m margin "
            "experts and half to its K grid points",
        },
        "decoding": _decoding(tasks),
        "versions": _versions(),
        "tasks": tasks,
    }


def _decoding(tasks: dict[str, Any]) -> Any:
    """The decoding protocol: :data:`DECODING`, or per task where a task decodes (LLMs)."""
    llm = {name: t["llm"]["decoding"] for name, t in tasks.items() if "llm" in t}
    if not llm:
        return DECODING
    return {name: llm.get(name, DECODING) for name in tasks}


def _per_seed(method: dict[str, Any], key: str, which: str) -> dict[str, float]:
    return {s: v.get(which, {}).get(key, float("nan")) for s, v in method["seeds"].items()}


def _summary(seeds: dict[str, Any], which: str, confidence: float) -> dict[str, Any]:
    return {
        key: t_interval(
            [s.get(which, {}).get(key, float("nan")) for s in seeds.values()], confidence
        )
        for key in _HEADLINE
    }


def _metrics(front: Any, nf: Any, truth: Any, hv_error: bool = False) -> dict[str, float]:
    """:func:`~mdpo.metrics.front_metrics` of a front after the task's normalisation.

    With ``hv_error`` and beyond m = 5 also ``hypervolume_error``: the estimated error of
    the Monte-Carlo hypervolume (:func:`~mdpo.metrics.hypervolume_error`, about 0.4 s a
    front at m = 10, so only for the headline fronts).
    """
    from mdpo.metrics import EXACT_HV_MAX_M, front_metrics, hypervolume_error

    points = nf.normalize(front.points.numpy())
    out = front_metrics(
        points,
        front.preferences.numpy(),
        true_front=nf.true_front if truth is not None else None,
        ref_point=nf.ref_point,
        names=front.names,
    )
    if hv_error and points.shape[1] > EXACT_HV_MAX_M:
        out["hypervolume_error"] = hypervolume_error(points, nf.ref_point)
    return out


def _ceiling(task: Any, partitions: int, nf: Any, truth: Any) -> dict[str, Any] | None:
    """Metrics of the exact front sampled at the evaluation resolution.

    A finite set of front points covers less hypervolume than the dense true front, so this
    is the best HV ratio / IGD+ any method can reach at that many evaluation preferences.
    """
    from mdpo.metrics import front_metrics

    if truth is None:
        return None
    sampled = task.true_front(partitions)
    metrics = front_metrics(
        nf.normalize(sampled.numpy()), true_front=nf.true_front, ref_point=nf.ref_point
    )
    return {
        "partitions": partitions,
        "n_points": int(sampled.shape[0]),
        "metrics": metrics,
        "note": "the true front sampled at the evaluation resolution (bandit: J(pi*_lambda) at "
        "the evaluation preferences): the best score reachable at that many points",
    }


def _capacity(task: Any, parts: dict[str, Any], suite: SuiteConfig, nf: Any) -> dict[str, Any]:
    """The gap between each member of a grid method and π*_λ at its λ, where the task knows π*_λ.

    Only on a task that declares :attr:`~mdpo.benchmarks.tasks.base.TrainableTask.has_optimum`
    (the bandit), for the grid methods whose members target the linear scalarisation's optimum
    (:attr:`~mdpo.benchmarks.methods.registry.MethodSpec.grid_optimum`: DPS with ``ls``,
    MODPO).
    """
    from mdpo.benchmarks.tasks.base import TrainableTask

    if not (isinstance(task, TrainableTask) and task.has_optimum):
        return {}
    out: dict[str, Any] = {}
    for method in suite.methods:
        spec = get_method(method.kind)
        targets = spec.grid_optimum is not None and spec.grid_optimum(method)
        if not (spec.grid and targets) or method.name not in parts:
            continue
        gaps = []
        for part in parts[method.name].values():
            pts = torch.tensor(part["front"]["points"], dtype=torch.float64)
            prefs = torch.tensor(part["front"]["preferences"], dtype=torch.float64)
            best = torch.stack([task.optimal_values(lam) for lam in prefs])
            shortfall = (best - pts) / torch.as_tensor(nf.scale)
            gaps.append(float(shortfall.abs().max()))
        out[method.name] = {
            "max_normalised_gap_to_optimum": t_interval(gaps, suite.confidence),
            "note": f"max over grid points of |J({method.kind.upper()} member) - "
            "J(pi*_lambda)| / range, per seed",
        }
    return out
