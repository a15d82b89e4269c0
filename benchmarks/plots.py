"""PNG plots of a run: fronts against the true front, and training curves per dimension."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["ordered_methods", "plot_dynamics", "plot_fronts", "plot_training_curves"]


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

    m = 2: each method's points joined in the order of λ_0 (its vertices labelled when at
    most six methods are shown), the true front as a black line. m = 3: a 3-D scatter.
    m > 3: parallel coordinates of the normalised points, one panel per method
    (:func:`mdpo.benchmarks.plots_many.plot_parallel`).

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
        methods = ordered_methods(task)
        for i, (name, method) in enumerate(methods):
            front = _first_seed(method)["front"]
            pts = np.asarray(front["points"], dtype=float)
            lam = np.asarray(front.get("preferences") or [[0.0, 0.0]] * len(pts), dtype=float)
            order = np.argsort(lam[:, 0], kind="stable")  # connected in λ order
            color = colors[i % len(colors)]
            ax.plot(*pts[order].T, "-o", ms=3.5, lw=1.0, color=color, label=name, alpha=0.85)
            if len(methods) <= 6 and len(pts) > 1:
                for j in (order[0], order[-1]):
                    ax.annotate(
                        f"λ=({lam[j, 0]:g},{lam[j, 1]:g})",
                        pts[j],
                        fontsize=6,
                        color=color,
                        xytext=(3, 3),
                        textcoords="offset points",
                    )
        ax.set_xlabel(f"{names[0]} (higher is better)")
        ax.set_ylabel(f"{names[1]} (higher is better)")
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
        from mdpo.benchmarks.plots_many import plot_parallel

        return plot_parallel(task_name, task, Path(out_dir) / f"front_{task_name}.png")
    ax.set_title(f"{task_name}: fronts (first seed)")
    if len(ordered_methods(task)) > 8:
        ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    else:
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


def _unit_vertex(label: str, dim_names: list[str]) -> int | None:
    """The vertex index a preference-independent unit was trained at, or None.

    Read from the log label: an RS/MOD expert (``expert:<dim>``) or a DPS member at a vertex.
    """
    if label.startswith("expert:") and label[7:] in dim_names:
        return dim_names.index(label[7:])
    if label.startswith("member:"):
        lam = [float(v) for v in label[7:].split(",")]
        if len(lam) == len(dim_names) and sorted(lam)[-1] == 1.0:
            return lam.index(1.0)
    return None


def _series(logs: list[dict[str, Any]], key: str) -> tuple[np.ndarray, np.ndarray] | None:
    """Mean over units of a dynamics series, aligned by step; None if no unit has it."""
    have = [log for log in logs if key in (log.get("dynamics") or {})]
    if not have:
        return None
    length = min(len(log["dynamics"][key]) for log in have)
    values = np.nanmean([np.asarray(log["dynamics"][key][:length], float) for log in have], 0)
    return np.asarray(have[0]["curve_steps"][:length]), values


def plot_dynamics(task_name: str, task: dict[str, Any], out_dir: Path) -> Path | None:
    """Learning dynamics of every method (first seed), if they were recorded.

    Top row: the λ-sensitivity probe (mean |log π(y|x, e_i) − log π(y|x, e_j)| on a fixed
    probe batch; 0 for a model λ cannot change), the update norms (Panacea's preference
    part ‖s·U_i V_iᵀ‖ and shared part ‖U_k diag(σ) V_kᵀ‖; a LoRA's ‖B A‖) and the gradient
    norms of U's preference and shared columns (LoRA: B). Bottom row, one panel per
    dimension d: the DPO reward margin of d on the probe batch at the policy for the vertex
    e_d (Panacea at λ = e_d, the RS/MOD expert of d, the DPS member at e_d).

    Args:
        task_name: Task name (file name ``dynamics_<task>.png``).
        task: The task's entry of ``results.json``.
        out_dir: Folder of the PNG.

    Returns:
        The PNG's path, or None when no run recorded dynamics.
    """
    methods: list[tuple[str, list[dict[str, Any]]]] = []
    for name, method in ordered_methods(task):
        logs = _first_seed(method)["logs"]
        if not any(log.get("dynamics") for log in logs):
            continue
        same = [i for i, (_, seen) in enumerate(methods) if seen == logs]
        if same:  # MOD mixes RS's experts: one line, both names
            methods[same[0]] = (f"{methods[same[0]][0]} = {name}", logs)
        else:
            methods.append((name, logs))
    if not methods:
        return None
    plt = _pyplot()
    names = task["dim_names"]
    m = len(names)
    cols = max(3, m)
    fig, axes = plt.subplots(2, cols, figsize=(3.6 * cols, 5.8), squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (name, logs) in enumerate(methods):
        color = colors[i % len(colors)]
        top = [
            (0, "probe/sensitivity", "-", name),
            (1, "pref_norm/attn", "-", f"{name}: preference part"),
            (1, "shared_norm/attn", "--", f"{name}: shared part"),
            (1, "lora_norm/attn", ":", f"{name}: LoRA B A"),
            (2, "grad/U_pref", "-", f"{name}: U preference columns"),
            (2, "grad/U_shared", "--", f"{name}: U shared columns"),
            (2, "grad/lora_B", ":", f"{name}: LoRA B"),
        ]
        for col, key, style, label in top:
            found = _series(logs, key)
            if found is not None:
                axes[0][col].plot(*found, style, color=color, lw=1.2, label=label)
        for d, dim in enumerate(names):
            own = _series(logs, f"probe/e{d}/{dim}/margin")
            if own is None:
                units = [log for log in logs if _unit_vertex(log.get("label", ""), names) == d]
                own = _series(units, f"probe/{dim}/margin")
            if own is not None:
                axes[1][d].plot(*own, color=color, lw=1.2, label=name)
    titles = [
        "λ-sensitivity (nats per answer)",
        "update norm (attention layers)",
        "gradient norm of U",
    ]
    ylabels = ["mean |log π(y|e_i) − log π(y|e_j)|", "Frobenius norm", "gradient norm"]
    for col in range(cols):
        ax = axes[0][col]
        if col >= len(titles):
            ax.axis("off")
            continue
        ax.set_title(titles[col], fontsize=9)
        ax.set_ylabel(ylabels[col], fontsize=8)
        ax.set_xlabel("step (per trained unit)", fontsize=8)
        ax.legend(fontsize=5.5)
    for d in range(cols):
        ax = axes[1][d]
        if d >= m:
            ax.axis("off")
            continue
        ax.axhline(0.0, color="0.7", lw=0.8)
        ax.set_title(f"{names[d]}: DPO margin at the vertex e_{d}", fontsize=9)
        ax.set_ylabel("β-scaled reward margin (probe batch)", fontsize=8)
        ax.set_xlabel("step (per trained unit)", fontsize=8)
        ax.legend(fontsize=6)
    fig.suptitle(f"{task_name}: learning dynamics (first seed)")
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    return _save(fig, Path(out_dir) / f"dynamics_{task_name}.png")
