"""The results of a suite run: every metric of the finished parts, into ``results.json``.

:func:`collect_results` reads the finished parts (:mod:`mdpo.benchmarks.parts`) and computes
every metric under the comparison protocol of the conventions page: per task the true front,
the normalisation, each method's metrics per seed and their intervals, paired differences,
the capacity gap where the task knows π*_λ and the language-model section. The runner
(:mod:`mdpo.benchmarks.runner`) calls it after the runs.
"""

from __future__ import annotations

import dataclasses
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

import torch

from mdpo.benchmarks.config import SuiteConfig, TaskConfig
from mdpo.benchmarks.methods import get_method, is_language_model
from mdpo.benchmarks.parts import part_key, part_path, read_json
from mdpo.benchmarks.stats import paired_difference, t_interval
from mdpo.preferences import preference_grid

__all__ = ["DECODING", "collect_results"]

DECODING = (
    "n/a: bandit and synthetic objectives are computed exactly (enumeration over the "
    "candidate set, closed-form objectives); nothing is decoded or sampled at evaluation"
)
"""The decoding protocol recorded for the exact tasks."""

_HEADLINE = ("hv_ratio", "igd_plus", "hypervolume", "igd", "spacing", "controllability")


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
    out = Path(out_dir)
    tasks = {task_cfg.name: _task_results(out, suite, task_cfg) for task_cfg in suite.tasks}
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


def _read_parts(out: Path, suite: SuiteConfig, task_cfg: TaskConfig) -> dict[str, dict[int, Any]]:
    """The task's finished parts whose resume key matches, ``{method: {seed: part}}``."""
    parts: dict[str, dict[int, dict[str, Any]]] = {}
    for method in suite.methods:
        for seed in suite.seeds:
            part = read_json(part_path(out, task_cfg.name, method.name, seed))
            key = part_key(task_cfg, method, suite, seed)["key"]
            if part is not None and part.get("config_hash") == key:
                parts.setdefault(method.name, {})[seed] = part
    return parts


def _task_results(out: Path, suite: SuiteConfig, task_cfg: TaskConfig) -> dict[str, Any]:
    """One task's entry of ``results.json`` (see :func:`collect_results`)."""
    from mdpo.evaluation import Front
    from mdpo.metrics import hypervolume_method, normalize_fronts

    task = task_cfg.build()
    m = task.n_dims
    dense_parts, tf_parts = task_cfg.partitions(m)
    dense = preference_grid(m, dense_parts).double()
    truth = task.true_front(tf_parts)
    truth_np = None if truth is None else truth.numpy()
    dps_methods = suite.grid_methods()
    dps_grid = (
        preference_grid(m, dps_methods[0].grid_partitions(m)).double() if dps_methods else None
    )
    parts = _read_parts(out, suite, task_cfg)
    fronts = {
        (name, seed): Front.from_dict(p["front"])
        for name, by_seed in parts.items()
        for seed, p in by_seed.items()
    }
    nf = normalize_fronts(
        {f"{n}/{s}": f.points.numpy() for (n, s), f in fronts.items()} or {"-": truth_np},
        true_front=truth_np,
    )
    dps_names = {d.name for d in dps_methods}
    methods: dict[str, Any] = {}
    for name, by_seed in parts.items():
        seeds_out: dict[str, Any] = {}
        for seed, p in sorted(by_seed.items()):
            front = fronts[(name, seed)]
            # A grid method (DPS, MODPO) is scored on its own grid; the others on the
            # dense set.
            main = front if name in dps_names else front.subset(dense)
            entry = {key: p[key] for key in p if key not in ("front",)}
            entry["front"] = front.to_dict()
            entry["metrics"] = _metrics(main, nf, truth_np, hv_error=True)
            if dps_grid is not None:
                restricted = front.subset(dps_grid)
                if len(restricted):
                    entry["metrics_dps_grid"] = _metrics(restricted, nf, truth_np)
            seeds_out[str(seed)] = entry
        methods[name] = {
            "config": dataclasses.asdict(next(meth for meth in suite.methods if meth.name == name)),
            "seeds": seeds_out,
            "summary": _summary(seeds_out, "metrics", suite.confidence),
            "summary_dps_grid": _summary(seeds_out, "metrics_dps_grid", suite.confidence),
            "wall_time": t_interval([p["wall_time"] for p in by_seed.values()]),
            "steps": next(iter(by_seed.values()))["steps"],
        }
    out_task = {
        "kind": task_cfg.kind,
        "params": task_cfg.params,
        "dim_names": task.dim_names,
        "n_dims": m,
        "eval_partitions": dense_parts,
        "n_eval_preferences": int(dense.shape[0]),
        "dps_grid": None if dps_grid is None else dps_grid.tolist(),
        "true_front": None if truth is None else {"partitions": tf_parts, "points": truth.tolist()},
        "normalization": nf.to_dict(),
        "hypervolume_method": hypervolume_method(m),
        "methods": methods,
        "method_order": list(methods),
        "planned_methods": [
            meth.name for meth in suite.methods if meth.applies_to(task_cfg.name, task)
        ],
        "paired_differences": _paired_differences(methods, dps_names, suite.confidence),
        "capacity": _capacity(task, parts, suite, nf),
        "ceiling": _ceiling(task, dense_parts, nf, truth_np),
    }
    if is_language_model(task):
        out_task["llm"] = task.summarize_parts(parts, nf, suite.confidence)
    return out_task


def _paired_differences(
    methods: dict[str, Any], dps_names: set[str], confidence: float
) -> dict[str, Any]:
    """Per-seed differences ``a - b`` of every pair of methods, in method order."""
    paired: dict[str, Any] = {}
    names = list(methods)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            # A grid method's front has only its K grid points: compare on the DPS grid.
            which = "metrics_dps_grid" if {a, b} & dps_names else "metrics"
            paired[f"{a} - {b}"] = {
                key: paired_difference(
                    _per_seed(methods[a], key, which),
                    _per_seed(methods[b], key, which),
                    confidence,
                )
                for key in ("hv_ratio", "igd_plus", "hypervolume")
            }
            paired[f"{a} - {b}"]["on"] = "dps_grid" if which != "metrics" else "dense"
    return paired


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
