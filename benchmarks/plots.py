"""PNG plots of a run: fronts against the true front, training curves and learning dynamics.

``python -m mdpo.benchmarks.plots RESULTS.json OUTDIR`` redraws every plot of a
``results.json`` (:func:`plot_results`) without rerunning anything or touching its report;
:func:`plot_task` draws one task's. The figures live in one module per concept, whose
public names this module re-exports: the fronts (:mod:`mdpo.benchmarks.plot_fronts`), the
training curves and learning dynamics (:mod:`mdpo.benchmarks.plot_training`), what they
share (:mod:`mdpo.benchmarks.plot_style`), and the pictures for many dimensions
(:mod:`mdpo.benchmarks.plots_many`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mdpo.benchmarks import plot_fronts as _fronts
from mdpo.benchmarks.plot_fronts import draw_fronts, front_intervals, is_collapsed, plot_fronts
from mdpo.benchmarks.plot_style import ordered_methods
from mdpo.benchmarks.plot_training import (
    draw_training_curves,
    loss_kind,
    plot_dynamics,
    plot_training_curves,
)

__all__ = [
    "COLLAPSE_TOLERANCE",
    "draw_fronts",
    "draw_training_curves",
    "front_intervals",
    "is_collapsed",
    "loss_kind",
    "main",
    "ordered_methods",
    "plot_dynamics",
    "plot_fronts",
    "plot_results",
    "plot_task",
    "plot_training_curves",
    "suite_method_names",
]

COLLAPSE_TOLERANCE = _fronts.COLLAPSE_TOLERANCE
"""A front whose points span less than this share of the plotted range in every dimension
is drawn (and reported) as one point: λ does not move it."""


def plot_task(
    task_name: str,
    task: dict[str, Any],
    out_dir: Path,
    suite_methods: Sequence[str] | None = None,
) -> dict[str, Path | None]:
    """Every plot of one task: fronts, curves, dynamics, and for m ≥ 4 the heatmap and radar.

    Args:
        task_name: Task name (the PNGs are ``<kind>_<task>.png``).
        task: The task's entry of ``results.json``.
        out_dir: Folder of the PNGs.
        suite_methods: The suite's method names in order; a method then has the same colour
            and marker in every task's figures (by default, its position in this task).

    Returns:
        ``{kind: path}`` for ``front``, ``curves``, ``dynamics`` and, for m ≥ 4,
        ``heatmap`` and ``radar``; None for a plot with nothing to show.
    """
    from mdpo.benchmarks.plots_many import RADAR_MIN_DIMS, plot_radar, plot_vertex_heatmap

    if suite_methods is not None:
        task = {**task, "suite_methods": list(suite_methods)}
    out: dict[str, Path | None] = {
        "front": plot_fronts(task_name, task, out_dir),
        "curves": plot_training_curves(task_name, task, out_dir),
        "dynamics": plot_dynamics(task_name, task, out_dir),
    }
    if task["n_dims"] >= RADAR_MIN_DIMS:
        out["heatmap"] = plot_vertex_heatmap(task_name, task, out_dir)
        out["radar"] = plot_radar(task_name, task, out_dir)
    return out


def suite_method_names(results: dict[str, Any]) -> list[str] | None:
    """The suite's method names in order, from a ``results.json`` (None if it has none)."""
    methods = (results.get("suite") or {}).get("methods")
    if not isinstance(methods, list):
        return None
    return [m["name"] for m in methods if isinstance(m, dict) and isinstance(m.get("name"), str)]


def plot_results(results: str | Path, out_dir: str | Path) -> list[Path]:
    """Redraw every plot of a ``results.json`` into a folder (nothing is rerun).

    Args:
        results: A ``results.json`` written by ``mdpo bench run``.
        out_dir: Folder of the PNGs (created if missing).

    Returns:
        The PNGs written, in task order.

    Raises:
        ValueError: If ``results`` is missing, unreadable or malformed, or names a task or
            method that is not a safe file name.
    """
    import json

    from mdpo.benchmarks.report import check_result_names

    path = Path(results)
    try:
        parsed = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ValueError(f"results={str(path)!r} is not a readable results.json: {err}") from err
    check_result_names(parsed, path)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    try:
        order = suite_method_names(parsed)
        for name, task in parsed["tasks"].items():
            if task.get("methods"):
                pngs = plot_task(name, task, out, order)
                written += [p for p in pngs.values() if p is not None]
    except (KeyError, TypeError, AttributeError, IndexError) as err:
        raise ValueError(
            f"{path} is malformed ({type(err).__name__}: {err}); re-run the suite to rewrite it"
        ) from err
    return written


def main(argv: list[str] | None = None) -> int:
    """``python -m mdpo.benchmarks.plots RESULTS.json OUTDIR``: redraw a run's plots.

    Args:
        argv: Command-line arguments (default: ``sys.argv[1:]``).

    Returns:
        0 on success, 2 on a bad ``results.json``.
    """
    import argparse
    import sys

    parser = argparse.ArgumentParser(
        prog="python -m mdpo.benchmarks.plots",
        description="Redraw the PNG plots of a benchmark results.json (report.md untouched).",
    )
    parser.add_argument("results", help="a results.json written by `mdpo bench run`")
    parser.add_argument("out_dir", help="folder of the PNGs")
    args = parser.parse_args(argv)
    try:
        written = plot_results(args.results, args.out_dir)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
