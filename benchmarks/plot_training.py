"""What the training logs show: loss curves per dimension and learning dynamics.

:func:`draw_training_curves` puts each method's per-dimension training loss on panels of its
loss kind (:func:`loss_kind`); :func:`plot_dynamics` draws the learning dynamics the LLM runs
record (λ-sensitivity, update and gradient norms, the DPO margin at each vertex). Methods
with several trained units (RS experts, DPS members) show the mean over units, aligned by
step. The public names are re-exported by :mod:`mdpo.benchmarks.plots`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from mdpo.benchmarks.plot_style import (
    first_seed,
    method_styles,
    ordered_methods,
    pyplot,
    save_png,
)

__all__ = ["draw_training_curves", "loss_kind", "plot_dynamics", "plot_training_curves"]


def _unit_mean(
    logs: list[dict[str, Any]], read: Callable[[dict[str, Any]], list[Any] | None]
) -> tuple[np.ndarray, np.ndarray] | None:
    """Mean over trained units of one logged series, aligned by step.

    Args:
        logs: The units' logs (``curve_steps`` and the series).
        read: A log's series (``[T]`` or ``[T][m]``), or None where the unit has none.

    Returns:
        ``(steps [T], mean [T] or [T, m])`` cut to the shortest unit's length (NaN where no
        unit logged a value), or None when no unit has the series.
    """
    have = [log for log in logs if read(log) is not None]
    if not have:
        return None
    length = min(len(read(log)) for log in have)
    with warnings.catch_warnings():  # a step no unit logged stays NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean([np.asarray(read(log)[:length], dtype=float) for log in have], axis=0)
    return np.asarray(have[0]["curve_steps"][:length]), mean


_LOSS_LABELS = {
    "dpo": "DPO loss −log σ(β·margin)",
    ("bandit", "exact"): "exact RLHF loss −(E_π r − β·KL)",
    ("synthetic", "exact"): "objective f (minimised)",
}


def loss_kind(task: dict[str, Any], method: dict[str, Any]) -> str:
    """The y label of a method's training loss: what its curve measures.

    DPO losses, exact RLHF losses and a synthetic problem's objectives are different
    quantities; the curves put each kind on its own panels.

    Args:
        task: The task's entry of ``results.json``.
        method: A method's entry (its ``config.objective``; ``"exact"`` when absent).

    Returns:
        A label such as ``"DPO loss −log σ(β·margin)"``.

    Example:
        >>> from mdpo.benchmarks.plots import loss_kind
        >>> loss_kind({"kind": "bandit"}, {"config": {"objective": "dpo"}})
        'DPO loss −log σ(β·margin)'
        >>> loss_kind({"kind": "bandit"}, {})
        'exact RLHF loss −(E_π r − β·KL)'
    """
    objective = str((method.get("config") or {}).get("objective") or "exact")
    if objective in _LOSS_LABELS:
        return _LOSS_LABELS[objective]
    return _LOSS_LABELS.get((task.get("kind"), objective), f"{objective} loss")


def plot_training_curves(task_name: str, task: dict[str, Any], out_dir: Path) -> Path:
    """Save :func:`draw_training_curves` of ``task`` as ``out_dir/curves_<task_name>.png``.

    Returns the PNG's path.
    """
    path = Path(out_dir) / f"curves_{task_name}.png"
    return save_png(draw_training_curves(task_name, task), path)


def draw_training_curves(task_name: str, task: dict[str, Any]) -> Any:
    """Each method's per-dimension training loss (first seed): a row of panels per loss kind.

    A row holds one panel per dimension (wrapped after four), and only the methods trained
    on that loss (:func:`loss_kind`: a DPO loss and the exact RLHF loss are never on one
    axis); every panel's y label names the loss. Methods with several trained units (RS
    experts, DPS members) show the mean over units of the recorded curve, aligned by step;
    a curve of few points is drawn with markers.

    Args:
        task_name: Task name (the title).
        task: The task's entry of ``results.json``.

    Returns:
        A ``matplotlib.figure.Figure`` (not saved); each method's lines carry its name as label.
    """
    plt = pyplot()
    m = task["n_dims"]
    dims = task["dim_names"]
    styles = method_styles(task)
    kinds: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for name, method in ordered_methods(task):
        kinds.setdefault(loss_kind(task, method), []).append((name, method))
    cols = min(m, 4)
    block = -(-m // cols)  # rows per loss kind
    rows = max(len(kinds), 1) * block
    fig, axes = plt.subplots(
        rows,
        cols,
        figsize=(3.5 * cols + 1.6, 2.6 * rows + 0.4),
        squeeze=False,
        layout="constrained",
    )
    for k, (kind, members) in enumerate(kinds.items()):
        for name, method in members:
            found = _unit_mean(first_seed(method)["logs"], lambda log: log.get("curve") or None)
            if found is None:
                continue
            steps, curve = found
            length = len(steps)
            curve = curve.reshape(length, m)
            style = styles[name]
            for d in range(m):
                ax = axes[k * block + d // cols][d % cols]
                ax.plot(
                    steps,
                    curve[:, d],
                    color=style["color"],
                    lw=1.1,
                    marker=style["marker"] if length <= 5 else None,
                    ms=4,
                    label=name,
                )
        for d in range(block * cols):
            ax = axes[k * block + d // cols][d % cols]
            if d >= m:
                ax.axis("off")
                continue
            ax.set_title(dims[d], fontsize=9)
            ax.set_ylabel(kind, fontsize=7.5)
            ax.set_xlabel("step (per trained unit)", fontsize=8)
            ax.tick_params(labelsize=7.5)
        last = axes[k * block][min(m, cols) - 1]
        last.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.03, 1.0), borderaxespad=0)
    fig.suptitle(f"{task_name}: training curves (first seed), one row per loss", fontsize=11)
    return fig


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
    return _unit_mean(logs, lambda log: (log.get("dynamics") or {}).get(key))


def plot_dynamics(task_name: str, task: dict[str, Any], out_dir: Path) -> Path | None:
    """Learning dynamics of every method (first seed), if they were recorded.

    Top row: the λ-sensitivity probe (mean ``|log π(y|x, e_i) − log π(y|x, e_j)|`` on a fixed
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
        logs = first_seed(method)["logs"]
        if not any(log.get("dynamics") for log in logs):
            continue
        same = [i for i, (_, seen) in enumerate(methods) if seen == logs]
        if same:  # MOD mixes RS's experts: one line, both names
            methods[same[0]] = (f"{methods[same[0]][0]} = {name}", logs)
        else:
            methods.append((name, logs))
    if not methods:
        return None
    plt = pyplot()
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
    return save_png(fig, Path(out_dir) / f"dynamics_{task_name}.png")
