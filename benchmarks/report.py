"""``report.md``: metric tables with intervals over seeds, paired differences and plots."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from mdpo.benchmarks.plots import ordered_methods

__all__ = ["check_result_names", "format_table", "write_report"]

_COLUMNS = (
    ("hv_ratio", "HV ratio"),
    ("igd_plus", "IGD+"),
    ("hypervolume", "HV"),
    ("spacing", "spacing"),
    ("controllability", "ctrl ρ"),
)


def _fmt(stat: dict[str, Any] | None) -> str:
    if not stat or stat.get("mean") is None or not math.isfinite(stat["mean"]):
        return "n/a"
    half = stat.get("half_width")
    if half is None or not math.isfinite(half):
        return f"{stat['mean']:.4f}"
    return f"{stat['mean']:.4f} ± {half:.4f}"


def format_table(task: dict[str, Any], which: str = "summary") -> str:
    """A markdown table: one row per method, mean ± half-width per headline metric.

    Args:
        task: A task entry of ``results.json``.
        which: ``"summary"`` (dense preferences) or ``"summary_dps_grid"``.

    Returns:
        Markdown text.
    """
    head = "| method | " + " | ".join(label for _, label in _COLUMNS) + " | steps | wall s |"
    lines = [head, "|" + "---|" * (len(_COLUMNS) + 3)]
    for name, method in ordered_methods(task):
        cells = [_fmt(method[which].get(key)) for key, _ in _COLUMNS]
        wall = method["wall_time"]["mean"]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {method['steps']} | {wall:.1f} |")
    ceiling = task.get("ceiling")
    if which == "summary" and ceiling:
        cells = [_fmt({"mean": ceiling["metrics"].get(key)}) for key, _ in _COLUMNS]
        label = f"*true front, {ceiling['n_points']} points (ceiling)*"
        lines.append(f"| {label} | " + " | ".join(cells) + " | - | - |")
    return "\n".join(lines)


def _paired_table(task: dict[str, Any]) -> str:
    lines = ["| a - b | on | Δ HV ratio | Δ IGD+ | Δ HV |", "|---|---|---|---|---|"]
    order = [name for name, _ in ordered_methods(task)]
    pairs = task["paired_differences"]
    for i, a in enumerate(order):
        for b in order[i + 1 :]:
            stats = pairs.get(f"{a} - {b}")
            if stats is None:
                continue
            cells = [_fmt(stats[k]) for k in ("hv_ratio", "igd_plus", "hypervolume")]
            lines.append(f"| {a} - {b} | {stats.get('on', 'dense')} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _vertex_table(task: dict[str, Any], confidence: float) -> str:
    """Mean diagonal of each method's controllability heatmap, with its interval over seeds."""
    from mdpo.benchmarks.stats import t_interval
    from mdpo.metrics import vertex_controllability

    lines = [
        "| method | mean diagonal | defined per seed |",
        "|---|---|---|",
    ]
    for name, method in ordered_methods(task):
        diags, defined = [], []
        for seed in sorted(method["seeds"], key=int):
            front = method["seeds"][seed]["front"]
            control = vertex_controllability(front["points"], front["preferences"])
            diags.append(control.diagonal_mean)
            defined.append(f"{control.n_defined}/{task['n_dims']}")
        finite = [d for d in diags if math.isfinite(d)]
        cell = _fmt(t_interval(finite, confidence)) if finite else "n/a"
        lines.append(f"| {name} | {cell} | {', '.join(defined)} |")
    return "\n".join(lines)


def _many_dims_section(name: str, task: dict[str, Any], out: Path, confidence: float) -> list[str]:
    """Markdown and PNGs for m >= 4: the controllability heatmap and the radar of a few λ."""
    from mdpo.benchmarks.plots_many import plot_radar, plot_vertex_heatmap

    lines = [
        "",
        "Controllability at the vertices: the score of dimension j at the vertex e_i, "
        "min-max normalised per column over the vertices; the mean of the diagonal is 1 when "
        "every dimension is best served at its own vertex (mean over seeds, Student-t "
        "interval; a diagonal entry is undefined where a vertex was not evaluated or no "
        "vertex changes that dimension):",
        "",
        _vertex_table(task, confidence),
        "",
    ]
    heatmap = plot_vertex_heatmap(name, task, out)
    if heatmap is not None:
        lines.append(f"![controllability heatmap]({heatmap.name})")
    radar = plot_radar(name, task, out)
    if radar is not None:
        lines.append(f"![radar at a few λ]({radar.name})")
    return lines


def _hv_error_line(task: dict[str, Any]) -> str:
    """The estimated Monte-Carlo error of each method's HV (largest over seeds), or ""."""
    cells = []
    for name, method in ordered_methods(task):
        errors = [
            (entry["metrics"]["hypervolume_error"], entry["metrics"].get("hypervolume", 0.0))
            for entry in method["seeds"].values()
            if "hypervolume_error" in entry.get("metrics", {})
        ]
        if errors:
            err, hv = max(errors)
            share = f" ({err / hv:.1%} of its HV)" if hv > 0 else ""
            cells.append(f"{name} ± {err:.2g}{share}")
    if not cells:
        return ""
    return (
        "Estimated error of the Monte-Carlo HV (standard deviation of 8 random-direction "
        "estimates of the same size, largest over seeds; conservative for the deterministic "
        "rule reported): " + ", ".join(cells) + "."
    )


def _missing_runs(task: dict[str, Any], suite: dict[str, Any]) -> str:
    """Which of the suite's (method, seed) runs a task lacks, as one sentence ("" if none)."""
    seeds = [str(s) for s in suite["seeds"]]
    applicable = task.get("planned_methods") or task.get("method_order", [])
    notes = []
    for name in applicable:
        have = set(task["methods"].get(name, {}).get("seeds", {}))
        lacking = [s for s in seeds if s not in have]
        if lacking:
            notes.append(f"{name} lacks seed{'s' if len(lacking) > 1 else ''} {', '.join(lacking)}")
    if not notes:
        return ""
    return (
        "; ".join(notes)
        + " (not run, e.g. left by `--time-budget`; intervals use the seeds present)."
    )


def write_report(out_dir: str | Path) -> Path:
    """Write ``report.md`` and the PNG plots from ``DIR/results.json``.

    Args:
        out_dir: A run directory holding ``results.json``.

    Returns:
        The path of ``report.md``.

    Raises:
        ValueError: If ``results.json`` is missing, unreadable or malformed, or names a task
            or method that is not a safe file name.
    """
    out = Path(out_dir)
    try:
        results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ValueError(f"{out} holds no readable results.json: {err}") from err
    check_result_names(results, out / "results.json")
    try:
        return _write_report(out, results)
    except (KeyError, TypeError, AttributeError, IndexError) as err:
        raise ValueError(
            f"{out / 'results.json'} is malformed ({type(err).__name__}: {err}); "
            "re-run the suite to rewrite it"
        ) from err


def check_result_names(results: Any, where: str | Path) -> None:
    """Check the names in a ``results.json`` that become file names, like a suite's names.

    Task names become PNG names (``front_<task>.png``) and method names labels of files, so a
    crafted ``results.json`` must not be able to write outside the run folder.

    Args:
        results: The parsed ``results.json``.
        where: The file, for error messages.

    Raises:
        ValueError: If the layout is not a mapping of tasks, or a task, method or dimension
            name is not a safe name (:func:`mdpo.benchmarks.config.check_run_name`).
    """
    from mdpo.benchmarks.config import check_run_name

    tasks = results.get("tasks") if isinstance(results, dict) else None
    if not isinstance(tasks, dict):
        raise ValueError(f"{where} is malformed: it has no 'tasks' mapping")
    for name, task in tasks.items():
        check_run_name(name, f"{where}: task name")
        if not isinstance(task, dict):
            raise ValueError(f"{where} is malformed: task {name!r} is not a mapping")
        for method in (*(task.get("methods") or {}), *(task.get("method_order") or [])):
            check_run_name(method, f"{where}: method name of task {name!r}")
        dims = task.get("dim_names")
        if not isinstance(dims, list) or not all(
            isinstance(d, str) and d and d.isprintable() and "/" not in d and "\\" not in d
            for d in dims
        ):
            raise ValueError(
                f"{where}: task {name!r} dim_names must be a list of non-empty printable "
                f"names without path separators, got {dims!r}"
            )


def _write_report(out: Path, results: dict[str, Any]) -> Path:
    from mdpo._io import atomic_replace as _atomic
    from mdpo.benchmarks.plots import plot_dynamics, plot_fronts, plot_training_curves
    from mdpo.benchmarks.plots_many import RADAR_MIN_DIMS

    suite = results["suite"]
    proto = results["protocol"]
    text = [
        f"# Benchmark report: {suite['name']}",
        "",
        suite.get("description", "").strip(),
        "",
        f"Seeds: {suite['seeds']}. Intervals: {proto['intervals']}.",
        f"Normalisation: {proto['normalization']}; reference point {proto['reference_point']}.",
        f"Headline: {proto['headline']}. Equal compute: {proto['equal_compute']}.",
        f"Decoding: {results['decoding']}.",
        f"Total wall time: {results.get('wall_time', float('nan')):.1f} s.",
        "",
    ]
    for name, task in results["tasks"].items():
        if not task["methods"]:
            continue
        front_png = plot_fronts(name, task, out)
        curve_png = plot_training_curves(name, task, out)
        dynamics_png = plot_dynamics(name, task, out)
        hv = task["hypervolume_method"]
        text += [
            f"## {name} ({task['kind']}, m = {task['n_dims']}: {', '.join(task['dim_names'])})",
            "",
            f"{task['n_eval_preferences']} evaluation preferences (Das–Dennis, "
            f"{task['eval_partitions']} partitions); true front: "
            + (f"{len(task['true_front']['points'])} points" if task["true_front"] else "unknown")
            + f"; hypervolume: {hv['method']} ({hv['backend']}"
            + (f", {hv['n_samples']} samples" if "n_samples" in hv else "")
            + ").",
            "",
            format_table(task),
            "",
        ]
        hv_error = _hv_error_line(task)
        if hv_error:
            text += [hv_error, ""]
        missing = _missing_runs(task, suite)
        if missing:
            text += [f"**Incomplete:** {missing}", ""]
        if task.get("dps_grid"):
            text += [
                f"Restricted to the DPS grid ({len(task['dps_grid'])} preferences):",
                "",
                format_table(task, "summary_dps_grid"),
                "",
            ]
        text += [
            "Paired differences (per seed, a - b; on the DPS grid when DPS is involved):",
            "",
            _paired_table(task),
            "",
        ]
        for meth, cap in task.get("capacity", {}).items():
            text.append(
                f"Capacity ({meth}, LS-trained at each grid λ): max normalised gap to "
                f"J(π*_λ) = {_fmt(cap['max_normalised_gap_to_optimum'])}."
            )
        if task.get("llm"):
            from mdpo.benchmarks.tasks.smollm import format_llm_section

            text += ["", format_llm_section(task)]
        text += ["", f"![fronts]({front_png.name})", f"![curves]({curve_png.name})"]
        if dynamics_png is not None:
            text.append(f"![learning dynamics]({dynamics_png.name})")
        if task["n_dims"] >= RADAR_MIN_DIMS:
            text += _many_dims_section(name, task, out, suite.get("confidence", 0.95))
        text.append("")
    path = out / "report.md"
    body = "\n".join(text) + "\n"

    def write(tmp: str) -> None:
        Path(tmp).write_text(body, encoding="utf-8")

    _atomic(path, write)
    return path
