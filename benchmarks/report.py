"""``report.md``: metric tables with intervals over seeds, paired differences and plots.

The language-model tasks' section (:func:`format_llm_section`) is written by
:mod:`mdpo.benchmarks.report_llm`.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from mdpo.benchmarks.plots import ordered_methods
from mdpo.benchmarks.report_llm import format_llm_section

__all__ = ["check_result_names", "format_llm_section", "format_table", "write_report"]

_COLUMNS = (
    ("hv_ratio", "HV ratio"),
    ("igd_plus", "IGD+"),
    ("hypervolume", "HV"),
    ("spacing", "spacing"),
    ("controllability", "ctrl ρ"),
)


_BOUNDS = {"controllability": (-1.0, 1.0)}
"""Metrics with a range (a Spearman ρ lies in [−1, 1]): see :func:`_fmt`."""

_RANGE_NOTE = (
    "ctrl ρ is a Spearman ρ, in [−1, 1]: where mean ± its Student-t half-width over the seeds "
    "would leave that range (few seeds, values near a bound), the cell gives the mean and the "
    "lowest and highest seed instead."
)


def _fmt(stat: dict[str, Any] | None, bounds: tuple[float, float] | None = None) -> str:
    """``mean ± half-width``; for a bounded metric whose interval leaves its range, the seeds.

    A Student-t interval over three seeds can reach beyond what the metric can take (a
    Spearman ρ of 0.43 ± 0.82); such a cell shows the mean and the observed range over the
    seeds, ``0.4281 (seeds 0.1939 to 0.8073)``, or the interval clipped to the bounds when
    the seeds' values are not stored.
    """
    if not stat or stat.get("mean") is None or not math.isfinite(stat["mean"]):
        return "n/a"
    mean = stat["mean"]
    half = stat.get("half_width")
    if half is None or not math.isfinite(half):
        return f"{mean:.4f}"
    slack = 5e-5  # beyond the bounds by less than the printed precision: not worth a range
    if bounds is not None and (mean - half < bounds[0] - slack or mean + half > bounds[1] + slack):
        seen = [v for v in stat.get("values") or [] if v is not None and math.isfinite(v)]
        if len(seen) >= 2:
            return f"{mean:.4f} (seeds {min(seen):.4f} to {max(seen):.4f})"
        low, high = max(mean - half, bounds[0]), min(mean + half, bounds[1])
        return f"{mean:.4f} [{low:.4f}, {high:.4f}]"
    return f"{mean:.4f} ± {half:.4f}"


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
    ranges = False
    for name, method in ordered_methods(task):
        cells = [_fmt(method[which].get(key), _BOUNDS.get(key)) for key, _ in _COLUMNS]
        ranges = ranges or any("(seeds " in cell for cell in cells)
        wall = method["wall_time"]["mean"]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {method['steps']} | {wall:.1f} |")
    ceiling = task.get("ceiling")
    if which == "summary" and ceiling:
        cells = [_fmt({"mean": ceiling["metrics"].get(key)}) for key, _ in _COLUMNS]
        label = f"*true front, {ceiling['n_points']} points (ceiling)*"
        lines.append(f"| {label} | " + " | ".join(cells) + " | - | - |")
    if ranges:
        lines += ["", _RANGE_NOTE]
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


def _many_dims_section(task: dict[str, Any], pngs: dict[str, Any], confidence: float) -> list[str]:
    """Markdown for m >= 4: the vertex table, the controllability heatmap and the radar."""
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
    if pngs.get("heatmap") is not None:
        lines.append(f"![controllability heatmap]({pngs['heatmap'].name})")
    if pngs.get("radar") is not None:
        lines.append(f"![radar at a few λ]({pngs['radar'].name})")
    return lines


_CONCAVE = {"zdt2": "f1 = 1 − f0²", "dtlz2": "Σ f_i² = 1"}
"""Synthetic problems with a concave front, and its shape."""


def _collapse_notes(task: dict[str, Any]) -> list[str]:
    """Sentences on fronts that λ does not move, and why LS fails on a concave front.

    A method is collapsed on a seed when its points span less than
    :data:`~mdpo.benchmarks.plots.COLLAPSE_TOLERANCE` of the normalisation's range in every
    dimension; its controllability then ranks noise. On a synthetic task with a concave
    front the report says why linear scalarisation reaches only the extreme points and what
    Tchebycheff (tracked or exact ideal) did on this run.
    """
    from mdpo.benchmarks.plots import COLLAPSE_TOLERANCE, is_collapsed

    m = task["n_dims"]
    scale = (task.get("normalization") or {}).get("scale") or [1.0] * m
    notes = []
    status: dict[str, list[str]] = {}
    for name, method in ordered_methods(task):
        seeds = sorted(method["seeds"], key=int)
        hit = [s for s in seeds if is_collapsed(method["seeds"][s]["front"]["points"], scale)]
        status[name] = hit
        if not hit:
            continue
        front = method["seeds"][hit[0]]["front"]
        point = ", ".join(f"{round(v, 3) + 0.0:.3f}" for v in front["points"][0])
        where = (
            "every seed" if hit == seeds else f"seed{'s' if len(hit) > 1 else ''} " + ", ".join(hit)
        )
        notes.append(
            f"**Collapsed front:** {name} maps all {len(front['points'])} evaluated λ to one "
            f"point on {where} (({', '.join(task['dim_names'])}) = ({point}) on seed {hit[0]}); "
            f"its points differ by less than {COLLAPSE_TOLERANCE:.1%} of the range, so its ctrl "
            "ρ ranks noise, not steering."
        )
    problem = str((task.get("params") or {}).get("problem", ""))
    if task.get("kind") != "synthetic" or problem not in _CONCAVE:
        return notes
    why = (
        f"**Why LS collapses on {problem.upper()}:** its front is concave ({_CONCAVE[problem]}). "
        "Linear scalarisation minimises λ·f, a linear function, whose minimum over a concave "
        "front is an end point for every λ: LS reaches only the extreme points, never the "
        "interior. Tchebycheff minimises max_i λ_i (f_i − z_i), whose minimiser is the front "
        "point on the ray from the ideal point z, so it can reach every point."
    )
    if problem == "zdt2":
        why += (
            " On ZDT2 the end point f = (0, 1) (x_1 = 0, g = 1; the point (0, −1) of the plot) "
            "is moreover a local minimum of λ·f for every λ with λ_0 > 0 (there "
            "∂(λ·f)/∂x_1 = λ_0 − 2λ_1·x_1/g = λ_0 > 0), so gradient descent can settle there "
            "for all λ at once."
        )
    seen = []
    for name, method in ordered_methods(task):
        config = method.get("config") or {}
        agg = config.get("aggregator")
        if config.get("kind") != "panacea" or agg not in ("ls", "tche"):
            continue
        ideal = {"given": "exact"}.get(config.get("ideal"), config.get("ideal") or "tracked")
        kind = "LS" if agg == "ls" else f"Tchebycheff, {ideal} ideal"
        ratio = _fmt(method["summary"].get("hv_ratio"))
        state = "collapsed" if status[name] else "did not collapse"
        seen.append(f"{name} ({kind}) {state} (HV ratio {ratio})")
    if seen:
        why += " On this run: " + "; ".join(seen) + "."
    return [*notes, why]


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
    from mdpo.benchmarks.plots import plot_task, suite_method_names
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
        pngs = plot_task(name, task, out, suite_method_names(results))
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
        for note in _collapse_notes(task):
            text += [note, ""]
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
            text += ["", format_llm_section(task)]
        text += ["", f"![fronts]({pngs['front'].name})", f"![curves]({pngs['curves'].name})"]
        if pngs["dynamics"] is not None:
            text.append(f"![learning dynamics]({pngs['dynamics'].name})")
        if task["n_dims"] >= RADAR_MIN_DIMS:
            text += _many_dims_section(task, pngs, suite.get("confidence", 0.95))
        text.append("")
    path = out / "report.md"
    body = "\n".join(text) + "\n"

    def write(tmp: str) -> None:
        Path(tmp).write_text(body, encoding="utf-8")

    _atomic(path, write)
    return path
