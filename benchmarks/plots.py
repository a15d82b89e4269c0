"""PNG plots of a run: fronts against the true front, and training curves per dimension."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["ordered_methods", "plot_fronts", "plot_training_curves"]


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path) -> Path:
    from mdpo._io import atomic_replace as _atomic

    plt = _pyplot()
    _atomic(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight"))
    plt.close(fig)
    return path


def ordered_methods(task: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """``(name, entry)`` of a task's methods in the suite's order (JSON sorts keys)."""
    methods = task["methods"]
    order = task.get("method_order") or sorted(methods)
    return [(name, methods[name]) for name in order if name in methods]


def _first_seed(method: dict[str, Any]) -> dict[str, Any]:
    return method["seeds"][sorted(method["seeds"], key=int)[0]]


def plot_fronts(task_name: str, task: dict[str, Any], out_dir: Path) -> Path:
    """The fronts of one task (first seed of each method) as a PNG.

    m = 2: a scatter per method with the true front as a line. m = 3: a 3-D scatter.
    m > 3: parallel coordinates of the normalised points.

    Args:
        task_name: Task name (file name ``front_<task>.png``).
        task: The task's entry of ``results.json``.
        out_dir: Folder of the PNG.

    Returns:
        The PNG's path.
    """
    plt = _pyplot()
    m = task["n_dims"]
    names = task["dim_names"]
    truth = task.get("true_front")
    truth_pts = None if truth is None else np.asarray(truth["points"], dtype=float)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    if m == 2:
        fig, ax = plt.subplots(figsize=(6, 4.5))
        if truth_pts is not None:
            order = np.argsort(truth_pts[:, 0])
            ax.plot(*truth_pts[order].T, "k-", lw=1.5, label="true front")
        for i, (name, method) in enumerate(ordered_methods(task)):
            pts = np.asarray(_first_seed(method)["front"]["points"], dtype=float)
            ax.scatter(*pts.T, s=14, color=colors[i % len(colors)], label=name, alpha=0.8)
        ax.set_xlabel(names[0])
        ax.set_ylabel(names[1])
    elif m == 3:
        fig = plt.figure(figsize=(6, 5))
        ax = fig.add_subplot(projection="3d")
        if truth_pts is not None:
            ax.scatter(*truth_pts.T, s=2, color="0.6", alpha=0.3, label="true front")
        for i, (name, method) in enumerate(ordered_methods(task)):
            pts = np.asarray(_first_seed(method)["front"]["points"], dtype=float)
            ax.scatter(*pts.T, s=10, color=colors[i % len(colors)], label=name)
        ax.set_xlabel(names[0])
        ax.set_ylabel(names[1])
        ax.set_zlabel(names[2])
    else:
        norm = task["normalization"]
        nadir, scale = np.asarray(norm["nadir"]), np.asarray(norm["scale"])
        fig, ax = plt.subplots(figsize=(max(6, m * 0.8), 4.5))
        xs = np.arange(m)
        for i, (name, method) in enumerate(ordered_methods(task)):
            pts = (np.asarray(_first_seed(method)["front"]["points"], dtype=float) - nadir) / scale
            for j, row in enumerate(pts):
                ax.plot(
                    xs,
                    row,
                    color=colors[i % len(colors)],
                    alpha=0.25,
                    lw=0.8,
                    label=name if j == 0 else None,
                )
        ax.set_xticks(xs, names, rotation=45)
        ax.set_ylabel("normalised objective (true front: 0 = nadir, 1 = ideal)")
    ax.set_title(f"{task_name}: fronts (first seed)")
    ax.legend(fontsize=7)
    return _save(fig, Path(out_dir) / f"front_{task_name}.png")


def plot_training_curves(task_name: str, task: dict[str, Any], out_dir: Path) -> Path:
    """One panel per dimension: each method's per-dimension training loss (first seed).

    Methods with several trained units (RS experts, DPS members) show the mean over units
    of the recorded curve, aligned by step.

    Args:
        task_name: Task name (file name ``curves_<task>.png``).
        task: The task's entry of ``results.json``.
        out_dir: Folder of the PNG.

    Returns:
        The PNG's path.
    """
    plt = _pyplot()
    m = task["n_dims"]
    cols = min(m, 4)
    rows = -(-m // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.4 * cols, 2.8 * rows), squeeze=False)
    for name, method in ordered_methods(task):
        logs = _first_seed(method)["logs"]
        length = min(len(log["curve"]) for log in logs)
        steps = np.asarray(logs[0]["curve_steps"][:length])
        curve = np.mean([np.asarray(log["curve"][:length], dtype=float) for log in logs], axis=0)
        for d in range(m):
            axes[d // cols][d % cols].plot(steps, curve[:, d], label=name, lw=1)
    for d in range(rows * cols):
        ax = axes[d // cols][d % cols]
        if d >= m:
            ax.axis("off")
            continue
        ax.set_title(f"{task['dim_names'][d]} loss", fontsize=9)
        ax.set_xlabel("step (per trained unit)", fontsize=8)
    axes[0][0].legend(fontsize=6)
    fig.suptitle(f"{task_name}: training curves (first seed)")
    fig.tight_layout(rect=(0, 0, 1, 0.94))
    return _save(fig, Path(out_dir) / f"curves_{task_name}.png")
