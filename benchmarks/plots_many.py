"""Pictures that stay readable at many dimensions: vertex heatmap, radar, parallel coordinates.

A front of m = 10 objectives cannot be drawn as a front. These plots show what a reader
needs instead: does λ steer every dimension (the **controllability heatmap**: the score of
dimension j at the vertex e_i, normalised per column, one panel per method), what do the
methods reach at a few chosen λ (the **radar**: one panel per λ, one polygon per method, on
the task's normalised axes), and the whole fronts as **parallel coordinates**, one panel per
method. The report draws the first two for tasks with m ≥ 4 and the third as the front plot
for m > 3. :func:`plot_conflicts` draws a dimension study's correlation matrix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from mdpo.benchmarks.plot_style import (
    first_seed,
    ordered_methods,
    pyplot,
    save_png,
    style_positions,
)

__all__ = [
    "RADAR_MIN_DIMS",
    "plot_conflicts",
    "plot_parallel",
    "plot_radar",
    "plot_vertex_heatmap",
    "radar_preferences",
]

RADAR_MIN_DIMS = 4
"""Smallest m for which the report draws the heatmap and the radar."""


def _vertex_fronts(task: dict[str, Any]) -> list[tuple[str, Any]]:
    """``(method, VertexControl)`` of the first seed of every method that has ≥ 2 vertices."""
    from mdpo.metrics import vertex_controllability

    out = []
    for name, method in ordered_methods(task):
        front = first_seed(method)["front"]
        control = vertex_controllability(front["points"], front["preferences"])
        if np.isfinite(control.scores[:, 0]).sum() >= 2:
            out.append((name, control))
    return out


def plot_vertex_heatmap(task_name: str, task: dict[str, Any], out_dir: Path) -> Path | None:
    """The controllability heatmap of every method (first seed) as a PNG.

    Panel per method: row i is the policy at the vertex e_i (all importance on dimension i),
    column j its score on dimension j, min-max normalised per column over the vertices
    (:func:`mdpo.metrics.vertex_controllability`). A controllable method shows a bright
    diagonal; the panel title gives the mean of the diagonal. Grey cells are undefined (a
    vertex not evaluated, or a dimension no vertex changes).

    Args:
        task_name: Task name (file name ``heatmap_<task>.png``).
        task: The task's entry of ``results.json``.
        out_dir: Folder of the PNG.

    Returns:
        The PNG's path, or None when no method was evaluated at two or more vertices.
    """
    panels = _vertex_fronts(task)
    if not panels:
        return None
    plt = pyplot()
    names = task["dim_names"]
    m = len(names)
    cols = min(len(panels), 3)
    rows = -(-len(panels) // cols)
    side = 1.8 + 0.5 * m
    fig, axes = plt.subplots(
        rows, cols, figsize=(side * cols + 1.2, side * rows + 0.6), squeeze=False
    )
    cmap = plt.get_cmap("viridis").with_extremes(bad="0.85")
    image = None
    for k, (name, control) in enumerate(panels):
        ax = axes[k // cols][k % cols]
        image = ax.imshow(np.ma.masked_invalid(control.normalized), cmap=cmap, vmin=0.0, vmax=1.0)
        for i in range(m):
            for j in range(m):
                value = control.normalized[i, j]
                if np.isfinite(value):
                    ax.text(
                        j,
                        i,
                        f"{value:.2f}"[1:] if 0 <= value < 1 else f"{value:.0f}",
                        ha="center",
                        va="center",
                        fontsize=7 if m > 6 else 9,
                        color="black" if value > 0.6 else "white",
                    )
        ax.set_xticks(range(m), names, rotation=60, ha="right", fontsize=7)
        ax.set_yticks(range(m), [f"e: {n}" for n in names], fontsize=7)
        ax.set_xlabel("score on dimension", fontsize=8)
        diag = control.diagonal_mean
        shown = "n/a" if not np.isfinite(diag) else f"{diag:.2f}"
        ax.set_title(f"{name}: mean diagonal {shown} ({control.n_defined}/{m} defined)", fontsize=9)
    for k in range(len(panels), rows * cols):
        axes[k // cols][k % cols].axis("off")
    fig.suptitle(
        f"{task_name}: controllability heatmap (first seed) — row = policy at the vertex "
        "e_i, column = its score on dimension j, normalised per column (1 = best vertex)",
        fontsize=11,
    )
    fig.tight_layout(rect=(0, 0, 0.93, 0.95))
    cbar = fig.add_axes((0.945, 0.15, 0.012, 0.7))
    fig.colorbar(image, cax=cbar)
    return save_png(fig, Path(out_dir) / f"heatmap_{task_name}.png")


def radar_preferences(preferences: Any, k: int = 4) -> list[int]:
    """Indices of up to ``k`` telling preferences: the most balanced, then vertices and a mix.

    Order: the preference of highest entropy (the most balanced one evaluated; among ties
    the one leaning on the lowest dimension indices), the vertex e_0, the even mix of e_0
    and e_1 when evaluated, the vertex e_1, then further vertices.

    Args:
        preferences: ``[n, m]`` evaluated preferences.
        k: How many to pick.

    Returns:
        Row indices into ``preferences``, without repeats.

    Raises:
        ValueError: If ``k`` is not a positive int or ``preferences`` is not ``[n, m]``.

    Example:
        >>> from mdpo.benchmarks.plots_many import radar_preferences
        >>> radar_preferences([[1, 0, 0], [0.5, 0.5, 0], [1/3, 1/3, 1/3], [0, 1, 0]])
        [2, 0, 1, 3]
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive int, got {k!r}")
    lam = np.asarray(preferences, dtype=float)
    if lam.ndim != 2 or lam.shape[0] == 0:
        raise ValueError(f"preferences must be a non-empty [n, m] array, got shape {lam.shape}")
    m = lam.shape[1]
    safe = np.where(lam > 0, lam, 1.0)
    entropy = -(lam * np.log(safe)).sum(axis=1)

    def find(target: np.ndarray) -> int | None:
        hit = np.flatnonzero(np.abs(lam - target).max(axis=1) < 1e-6)
        return int(hit[0]) if hit.size else None

    eye = np.eye(m)
    ties = np.flatnonzero(entropy >= entropy.max() - 1e-9)
    balanced = int(ties[np.argmin(lam[ties] @ np.arange(m))])  # ties: the lowest dimensions
    wanted = [balanced, find(eye[0])]
    if m > 1:
        wanted += [find((eye[0] + eye[1]) / 2), find(eye[1])]
    wanted += [find(eye[i]) for i in range(2, m)]
    out: list[int] = []
    for idx in wanted:
        if idx is not None and idx not in out:
            out.append(idx)
    return out[:k]


def _label(lam: np.ndarray, names: list[str]) -> str:
    parts = [f"{n}={v:.2g}" for n, v in zip(names, lam) if v > 1e-9]
    if len(parts) > 3:
        return f"λ balanced over {len(parts)} dimensions"
    return "λ: " + ", ".join(parts)


def plot_radar(task_name: str, task: dict[str, Any], out_dir: Path, k: int = 4) -> Path | None:
    """Radar panels of a few λ (first seed): one panel per λ, one polygon per method.

    The λ are chosen by :func:`radar_preferences` among the preferences of the method that
    evaluated the most; each method is drawn where it evaluated that λ (DPS only on its grid). The
    axes are the task's normalised objectives (0 = nadir, 1 = ideal of the normalisation,
    clipped to [-0.1, 1.1]); the dashed grey polygon is λ itself, scaled to a maximum of 1,
    the direction a controllable method should lean.

    Args:
        task_name: Task name (file name ``radar_<task>.png``).
        task: The task's entry of ``results.json``.
        out_dir: Folder of the PNG.
        k: Number of λ panels.

    Returns:
        The PNG's path, or None when no method has a front.
    """
    norm = task["normalization"]
    nadir, scale = np.asarray(norm["nadir"], float), np.asarray(norm["scale"], float)
    fronts = []
    for name, method in ordered_methods(task):
        front = first_seed(method)["front"]
        fronts.append((name, np.asarray(front["preferences"], float), front["points"]))
    if not fronts:
        return None
    plt = pyplot()
    names = task["dim_names"]
    m = len(names)
    base = max(fronts, key=lambda f: len(f[1]))[1]
    picks = [base[i] for i in radar_preferences(base, k)]
    angles = np.linspace(0, 2 * np.pi, m, endpoint=False)
    closed = np.append(angles, angles[0])
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    positions = style_positions(task)
    fig, axes = plt.subplots(
        1, len(picks), figsize=(4.3 * len(picks), 4.9), subplot_kw={"projection": "polar"}
    )
    axes = np.atleast_1d(axes)
    for ax, lam in zip(axes, picks):
        shape = lam / lam.max()
        ax.plot(closed, np.append(shape, shape[0]), "--", color="0.5", lw=1.0, label="λ (scaled)")
        for name, prefs, points in fronts:
            i = positions[name]
            hit = np.flatnonzero(np.abs(prefs - lam).max(axis=1) < 1e-6)
            if not hit.size:
                continue
            value = np.clip((np.asarray(points[hit[0]], float) - nadir) / scale, -0.1, 1.1)
            color = colors[i % len(colors)]
            # Earlier methods wider: a later method with the same point (MOD at a vertex is
            # RS's expert there) is drawn inside it, and both stay visible.
            width = max(0.9, 3.4 - 0.7 * i)
            ax.plot(closed, np.append(value, value[0]), "-", color=color, lw=width, label=name)
            ax.fill(closed, np.append(value, value[0]), color=color, alpha=0.06)
        ax.set_xticks(angles, names, fontsize=7)
        ax.set_ylim(-0.1, 1.1)
        ax.set_yticks([0.0, 0.5, 1.0], ["0", ".5", "1"], fontsize=6, color="0.4")
        ax.set_title(_label(lam, names), fontsize=8, pad=14)
    legend: dict[str, Any] = {}
    for ax in axes:  # a method missing from one panel (DPS off its grid) is still listed
        for handle, label in zip(*ax.get_legend_handles_labels()):
            legend.setdefault(label, handle)
    fig.legend(
        list(legend.values()),
        list(legend),
        loc="lower center",
        ncol=min(len(legend), 7),
        fontsize=8,
    )
    fig.suptitle(
        f"{task_name}: normalised objectives at a few λ (first seed; 0 = nadir, 1 = ideal)",
        fontsize=10,
    )
    fig.tight_layout(rect=(0, 0.07, 1, 0.95))
    return save_png(fig, Path(out_dir) / f"radar_{task_name}.png")


def plot_parallel(task_name: str, task: dict[str, Any], path: Path) -> Path:
    """Parallel coordinates of the fronts (first seed), one panel per method, as a PNG.

    Each evaluated λ is one line over the m normalised objectives (0 = nadir, 1 = ideal),
    coloured by the dimension with the largest λ_i (its vertex drawn bold), so a controllable
    method shows each colour peaking on its own axis. The true front's points, where known,
    are the grey band behind.

    Args:
        task_name: Task name (the title).
        task: The task's entry of ``results.json`` (m > 3).
        path: The PNG to write.

    Returns:
        ``path``.
    """
    plt = pyplot()
    names = task["dim_names"]
    m = len(names)
    norm = task["normalization"]
    nadir, scale = np.asarray(norm["nadir"], float), np.asarray(norm["scale"], float)
    methods = ordered_methods(task)
    cols = min(max(len(methods), 1), 3)
    rows = max(-(-len(methods) // cols), 1)
    fig, axes = plt.subplots(
        rows,
        cols,
        figsize=(max(4.5, 0.55 * m + 1.5) * cols, 3.6 * rows + 0.8),
        squeeze=False,
        sharey=True,
    )
    cmap = plt.get_cmap("tab10" if m <= 10 else "tab20")
    xs = np.arange(m)
    truth = task.get("true_front")
    for k, (name, method) in enumerate(methods):
        ax = axes[k // cols][k % cols]
        if truth is not None:
            pts = (np.asarray(truth["points"], float) - nadir) / scale
            ax.fill_between(xs, pts.min(0), pts.max(0), color="0.9", lw=0, label="true front")
        front = first_seed(method)["front"]
        lam = np.asarray(front["preferences"], float)
        pts = (np.asarray(front["points"], float) - nadir) / scale
        for row, weights in zip(pts, lam):
            vertex = weights.max() > 1 - 1e-9
            ax.plot(
                xs,
                row,
                color=cmap(int(weights.argmax()) % cmap.N),
                alpha=0.95 if vertex else 0.3,
                lw=1.8 if vertex else 0.7,
                zorder=3 if vertex else 2,
            )
        ax.set_xticks(xs, names, rotation=60, ha="right", fontsize=7)
        ax.set_title(f"{name} ({len(pts)} λ)", fontsize=9)
        ax.grid(axis="y", color="0.85", lw=0.5)
    for k in range(len(methods), rows * cols):
        axes[k // cols][k % cols].axis("off")
    for r in range(rows):
        axes[r][0].set_ylabel("normalised objective", fontsize=8)
    handles = [
        plt.Line2D([], [], color=cmap(d % cmap.N), lw=1.8, label=f"largest λ: {names[d]}")
        for d in range(m)
    ]
    fig.legend(handles=handles, loc="lower center", ncol=min(m, 5), fontsize=7)
    fig.suptitle(
        f"{task_name}: fronts as parallel coordinates (first seed; 0 = nadir, 1 = ideal; "
        "bold: the vertices)",
        fontsize=10,
    )
    legend_rows = -(-m // 5)
    fig.tight_layout(rect=(0, 0.04 + 0.035 * legend_rows / rows, 1, 0.95))
    return save_png(fig, path)


def plot_conflicts(names: list[str], matrix: np.ndarray, path: str | Path, title: str = "") -> Path:
    """A correlation matrix of dimensions as a heatmap PNG (red: conflict, blue: agreement).

    The diagonal (1 by definition) and undefined entries are grey.

    Args:
        names: The m dimension names.
        matrix: ``[m, m]`` correlations in [-1, 1].
        path: The PNG to write.
        title: Figure title (default: Spearman within prompt).

    Returns:
        The PNG's path.

    Raises:
        ValueError: If ``matrix`` is not ``[m, m]`` for the m names.
    """
    values = np.asarray(matrix, dtype=float)
    m = len(names)
    if values.shape != (m, m):
        raise ValueError(f"matrix must have shape [{m}, {m}] for {m} names, got {values.shape}")
    plt = pyplot()
    side = 2.0 + 0.55 * m
    fig, ax = plt.subplots(figsize=(side + 1.0, side))
    cmap = plt.get_cmap("RdBu").with_extremes(bad="0.85")
    shown = values.copy()
    np.fill_diagonal(shown, np.nan)  # 1 by definition: grey, so the conflicts stand out
    image = ax.imshow(np.ma.masked_invalid(shown), cmap=cmap, vmin=-1.0, vmax=1.0)
    for i in range(m):
        for j in range(m):
            if i != j and np.isfinite(values[i, j]):
                ax.text(
                    j,
                    i,
                    f"{values[i, j]:+.2f}",
                    ha="center",
                    va="center",
                    fontsize=7 if m > 6 else 9,
                    color="white" if abs(values[i, j]) > 0.6 else "black",
                )
    ax.set_xticks(range(m), names, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(m), names, fontsize=8)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="Spearman ρ")
    ax.set_title(
        title or "Spearman ρ within prompt (negative: the dimensions conflict)", fontsize=9
    )
    fig.tight_layout()
    return save_png(fig, Path(path))
