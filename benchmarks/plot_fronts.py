"""The fronts of a task against its true front: one PNG per task, ``front_<task>.png``.

m = 2: each method's points joined in the order of λ_1, λ written at the vertices and the
most balanced λ, the true front as a grey band; m = 3: the three 2-D projections; m > 3:
parallel coordinates (:func:`mdpo.benchmarks.plots_many.plot_parallel`). LLM tasks draw each
point's bootstrap interval as error bars (:func:`front_intervals`); a front that λ does not
move is drawn as one star (:func:`is_collapsed`). The public names are re-exported by
:mod:`mdpo.benchmarks.plots`.
"""

from __future__ import annotations

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

__all__ = [
    "COLLAPSE_TOLERANCE",
    "draw_fronts",
    "front_intervals",
    "is_collapsed",
    "plot_fronts",
]

COLLAPSE_TOLERANCE = 1e-3
"""The default tolerance of :func:`is_collapsed` (documented in :mod:`mdpo.benchmarks.plots`)."""


def _front_arrays(method: dict[str, Any], m: int) -> tuple[np.ndarray, np.ndarray]:
    """``(points [n, m], preferences [n, m])`` of the first seed's front."""
    front = first_seed(method)["front"]
    pts = np.asarray(front["points"], dtype=float).reshape(-1, m)
    prefs = front.get("preferences")
    lam = np.asarray(prefs, dtype=float) if prefs else np.full_like(pts, 1.0 / m)
    return pts, lam


def front_intervals(method: dict[str, Any], m: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The bootstrap interval of every front point of the first seed, where the run holds one.

    LLM tasks store, per evaluated λ, ``llm.points[i].bootstrap`` with per-dimension
    ``low``/``high`` (over the evaluation prompts); they are matched to the front's points
    by λ.

    Args:
        method: A method's entry of ``results.json``.
        m: Number of dimensions.

    Returns:
        ``(low [n, m], high [n, m])`` in the order of the front's points, or None when some
        point has no interval (bandit and synthetic tasks are exact).
    """
    seed = first_seed(method)
    points = (seed.get("llm") or {}).get("points") or []
    by_lam = {}
    for point in points:
        boot = point.get("bootstrap") or {}
        if "low" in boot and "high" in boot and "preference" in point:
            key = tuple(np.round(np.asarray(point["preference"], float), 6))
            by_lam[key] = (boot["low"], boot["high"])
    _, lam = _front_arrays(method, m)
    keys = [tuple(np.round(row, 6)) for row in lam]
    if not keys or any(key not in by_lam for key in keys):
        return None
    low = np.asarray([by_lam[key][0] for key in keys], dtype=float).reshape(-1, m)
    high = np.asarray([by_lam[key][1] for key in keys], dtype=float).reshape(-1, m)
    return low, high


def is_collapsed(points: Any, span: Any, tolerance: float = COLLAPSE_TOLERANCE) -> bool:
    """Whether a front is one point: its extent is below ``tolerance · span`` in every dimension.

    Args:
        points: ``[n, m]`` front points.
        span: ``[m]`` the range the front is judged against (the plotted range, or the
            normalisation's scale).
        tolerance: Share of ``span``.

    Returns:
        True for a front of two or more points that λ does not move.

    Example:
        >>> from mdpo.benchmarks.plots import is_collapsed
        >>> is_collapsed([[0.0, -1.0], [1e-6, -1.0]], [1.0, 1.0])
        True
        >>> is_collapsed([[0.0, -1.0], [0.5, -0.75]], [1.0, 1.0])
        False
    """
    pts = np.asarray(points, dtype=float)
    if pts.ndim != 2 or len(pts) < 2:
        return False
    scale = np.maximum(np.asarray(span, dtype=float), 1e-12)
    return bool((np.ptp(pts, axis=0) < tolerance * scale).all())


def _lam_text(lam: np.ndarray) -> str:
    return "λ=(" + ",".join(f"{v:.2g}" for v in lam) + ")"


def _label_points(m: int, lam: np.ndarray) -> list[int]:
    """Indices of the points to annotate with λ: the vertices, then the most balanced λ."""
    picks = []
    for d in range(m):
        hit = np.flatnonzero(lam[:, d] > 1 - 1e-9)
        if hit.size:
            picks.append(int(hit[0]))
    middle = int(np.argmin(np.abs(lam - 1.0 / m).sum(axis=1)))
    if middle not in picks:
        picks.append(middle)
    return picks


def _place_labels(ax: Any, labels: list[tuple[str, np.ndarray, str, bool]], size: float) -> None:
    """Annotate points with small texts, each where it overlaps the texts placed before least.

    Equal texts at points closer than about two text heights (several methods at the same
    vertex) become one dark-grey label.

    Args:
        ax: The axes (its limits final).
        labels: ``(text, xy, colour, required)``; a label that is not required is left out
            when every candidate position overlaps one placed before; a point outside the
            view limits gets none.
        size: Font size in points.
    """
    (x_lo, x_hi), (y_lo, y_hi) = sorted(ax.get_xlim()), sorted(ax.get_ylim())  # final limits
    scale = ax.figure.dpi / 72.0
    merged: list[list[Any]] = []  # [text, xy, display xy, colour, required]
    for text, xy, color, required in labels:
        if not (x_lo <= xy[0] <= x_hi and y_lo <= xy[1] <= y_hi):
            continue
        at = ax.transData.transform(xy)
        for other in merged:
            if other[0] == text and np.hypot(*(other[2] - at)) < 2.5 * size * scale:
                other[3] = "0.2" if other[3] != color else color
                other[4] = other[4] or required
                break
        else:
            merged.append([text, xy, at, color, required])
    box = ax.get_window_extent()
    placed: list[tuple[float, float, float, float]] = []
    for text, xy, (x, y), color, required in merged:
        w, h = 0.6 * size * len(text), 1.25 * size  # text extent in points, estimated
        best: tuple[float, float, float, tuple[float, float, float, float]] | None = None
        candidates = (
            (4, 3),
            (4, -3 - h),
            (-4 - w, 3),
            (-4 - w, -3 - h),
            (4, 3 + h),
            (-4 - w, 3 + h),
            (4, -3 - 2 * h),
            (-4 - w, -3 - 2 * h),
        )
        for dx, dy in candidates:
            x0, y0 = x + dx * scale, y + dy * scale
            rect = (x0, y0, x0 + w * scale, y0 + h * scale)
            hit = sum(
                max(0.0, min(rect[2], r[2]) - max(rect[0], r[0]))
                * max(0.0, min(rect[3], r[3]) - max(rect[1], r[1]))
                for r in placed
            )
            outside = rect[0] < box.x0 or rect[2] > box.x1 or rect[1] < box.y0 or rect[3] > box.y1
            score = hit + (1e6 if outside else 0.0)
            if best is None or score < best[0]:
                best = (score, dx, dy, rect)
            if score == 0:
                break
        if best is None or (best[0] > 0 and not required):
            continue
        placed.append(best[3])
        ax.annotate(
            text,
            xy,
            xytext=(best[1], best[2]),
            textcoords="offset points",
            fontsize=size,
            color=color,
            ha="left",
            va="bottom",
            zorder=40,
            bbox={"boxstyle": "round,pad=0.08", "fc": "white", "ec": "none", "alpha": 0.7},
        )


def _draw_method(
    ax: Any,
    xy: np.ndarray,
    bars: tuple[np.ndarray, np.ndarray] | None,
    style: dict[str, Any],
    label: str,
) -> None:
    """One method's λ-ordered points ``[n, 2]`` as a line with markers, and their error bars."""
    n = len(xy)
    every = max(1, n // 14)  # at most ~15 markers: dense fronts stay a line
    ax.plot(
        xy[:, 0],
        xy[:, 1],
        ls="-",
        marker=style["marker"],
        markevery=sorted({*range(0, n, every), n - 1}),
        ms=style["ms"],
        mfc="none",
        mew=1.0,
        lw=style["lw"],
        color=style["color"],
        alpha=0.9,
        label=label,
        zorder=style["zorder"],
    )
    if bars is not None:
        low, high = bars
        ax.errorbar(
            xy[:, 0],
            xy[:, 1],
            xerr=np.abs(np.stack([xy[:, 0] - low[:, 0], high[:, 0] - xy[:, 0]])),
            yerr=np.abs(np.stack([xy[:, 1] - low[:, 1], high[:, 1] - xy[:, 1]])),
            fmt="none",
            label=f"_bootstrap {label}",
            ecolor=style["color"],
            elinewidth=0.7,
            capsize=1.5,
            alpha=0.45,
            zorder=style["zorder"] - 0.5,
        )


def _draw_truth(ax: Any, truth: np.ndarray) -> None:
    """The true front of a panel ``[n, 2]``, drawn so that the methods never hide it.

    Its non-dominated points are a grey band with a thin dashed line on top; dominated points
    (in a projection of m = 3) a light cloud.
    """
    order = np.lexsort((-truth[:, 1], -truth[:, 0]))  # x descending, then y descending
    keep, best = [], -np.inf
    for i in order:
        if truth[i, 1] > best:
            keep.append(i)
            best = truth[i, 1]
    edge = truth[keep][np.argsort(truth[keep][:, 0], kind="stable")]
    if len(keep) < len(truth):
        ax.scatter(*truth.T, s=3, color="0.85", lw=0, zorder=0.5, rasterized=True)
    ax.plot(*edge.T, "-", color="0.72", lw=7, solid_capstyle="round", zorder=1)
    ax.plot(*edge.T, "--", color="black", lw=0.8, zorder=25, label="true front")


def _mark_collapsed(ax: Any, point: np.ndarray, style: dict[str, Any]) -> None:
    """A collapsed front (every λ at one point): a large star drawn on top of everything."""
    ax.plot(*point, marker="*", ms=15, color=style["color"], mec="black", mew=0.8, zorder=30)


def _zoom_box(task: dict[str, Any]) -> tuple[np.ndarray, np.ndarray] | None:
    """Limits of a zoom on the true front when the methods' points reach far beyond it.

    Returns:
        ``(low [m], high [m])``: the true front's box widened by 12% of its range on each
        side, when some method's points lie more than one range beyond that box in some
        dimension; else None.
    """
    truth = task.get("true_front")
    if truth is None:
        return None
    m = task["n_dims"]
    ref = np.asarray(truth["points"], dtype=float).reshape(-1, m)
    spread = np.maximum(np.ptp(ref, axis=0), 1e-12)
    low, high = ref.min(axis=0), ref.max(axis=0)
    reach = np.concatenate([_front_arrays(meth, m)[0] for _, meth in ordered_methods(task)])
    if not len(reach) or ((reach >= low - spread) & (reach <= high + spread)).all():
        return None
    return low - 0.12 * spread, high + 0.12 * spread


def _front_panels(
    task: dict[str, Any],
    panels: list[tuple[int, int]],
    axes: list[Any],
    zoom: tuple[np.ndarray, np.ndarray] | None = None,
) -> bool:
    """Draw every method's front into 2-D panels (pairs of dimensions); True if bars drawn.

    In the panel of dimensions (a, b), a method's line joins its points on the edge of the
    simplex where every other λ_c is 0, in the order of λ_a (m = 2: all points, by λ_1);
    its other points (m = 3) are faint dots. With ``zoom`` (m = 2), the last panel repeats
    the first within those limits.
    """
    m = task["n_dims"]
    names = task["dim_names"]
    truth = task.get("true_front")
    truth_pts = None if truth is None else np.asarray(truth["points"], dtype=float).reshape(-1, m)
    styles = method_styles(task)
    fronts = []
    for name, method in ordered_methods(task):
        pts, lam = _front_arrays(method, m)
        if len(pts):
            fronts.append((name, pts, lam, front_intervals(method, m)))
    every = [pts for _, pts, _, _ in fronts] + ([] if truth_pts is None else [truth_pts])
    span = np.ptp(np.concatenate(every), axis=0) if every else np.ones(m)
    bars_drawn = False
    for k, (ax, (a, b)) in enumerate(zip(axes, panels)):
        zoomed = zoom is not None and k == len(panels) - 1
        if zoomed:
            ax.set_xlim(zoom[0][a], zoom[1][a])
            ax.set_ylim(zoom[0][b], zoom[1][b])
            ax.set_title("zoom on the true front", fontsize=9)
        elif zoom is not None:
            ax.set_title("all points", fontsize=9)
        if truth_pts is not None:
            _draw_truth(ax, truth_pts[:, [a, b]])
        labels = []
        for name, pts, lam, bars in fronts:
            style = styles[name]
            if is_collapsed(pts, span):
                label = f"{name} (all {len(pts)} λ at one point)"
                _draw_method(ax, pts[:1][:, [a, b]], None, style, label)
                _mark_collapsed(ax, pts[0][[a, b]], style)
                labels.append(("every λ", pts[0][[a, b]], style["color"], True))
                continue
            others = [c for c in range(m) if c not in (a, b)]
            edge = np.flatnonzero((lam[:, others] < 1e-9).all(axis=1))
            edge = edge[np.argsort(lam[edge, a], kind="stable")]  # joined in λ order
            rest = np.setdiff1d(np.arange(len(pts)), edge)
            if rest.size:
                ax.plot(*pts[rest][:, [a, b]].T, ".", ms=2.5, color=style["color"], alpha=0.3)
            picked = None if bars is None else (bars[0][edge][:, [a, b]], bars[1][edge][:, [a, b]])
            _draw_method(ax, pts[edge][:, [a, b]], picked, style, name)
            bars_drawn = bars_drawn or picked is not None
            for j in _label_points(2, lam[edge][:, [a, b]]):
                vertex = lam[edge[j]].max() > 1 - 1e-9
                labels.append(
                    (_lam_text(lam[edge[j]]), pts[edge[j]][[a, b]], style["color"], vertex)
                )
        ax.set_xlabel(f"{names[a]} (higher is better)", fontsize=9)
        ax.set_ylabel(f"{names[b]} (higher is better)", fontsize=9)
        ax.tick_params(labelsize=8)
        ax.grid(color="0.92", lw=0.6, zorder=0)
        if m > 2:
            ax.set_title(f"{names[a]} – {names[b]}", fontsize=9)
        _place_labels(ax, labels, 6.0 if m == 2 else 5.5)
    return bars_drawn


def _front_caption(task: dict[str, Any], bars: bool) -> str:
    if task["n_dims"] == 2:
        text = (
            "Each method's points joined in the order of λ_1 (a line, not a hull); λ written "
            "at the vertices and the most balanced λ."
        )
    else:
        text = (
            "Each panel a pair of dimensions: a method's line joins its points whose λ puts "
            "no weight on the third dimension, in λ order; faint dots: its other points."
        )
        if task.get("true_front") is not None:
            text += " Grey: the true front's projection, the band its two-dimensional front."
    if bars:
        intervals = (task.get("llm") or {}).get("intervals") or "bootstrap intervals"
        text += f" Bars: {intervals}."
    return text


def plot_fronts(task_name: str, task: dict[str, Any], out_dir: Path) -> Path:
    """The fronts of one task (first seed of each method) as a PNG: :func:`draw_fronts`.

    m = 2: each method's points joined in the order of λ_1 (a line through the evaluation
    points, not a hull), λ written at the vertices and the most balanced λ, the true front as
    a grey band with a dashed line on top; a front that λ does not move is a large star (and
    says so in the legend); when some method reaches far beyond the true front, a second
    panel zooms on it. m = 3: the three 2-D projections (dims 1–2, 1–3, 2–3), the true
    front's points as a grey cloud. LLM tasks draw each point's bootstrap interval as error
    bars. Markers differ per method, earlier methods larger, so coinciding fronts stay
    visible. m > 3:
    parallel coordinates of the normalised points, one panel per method
    (:func:`mdpo.benchmarks.plots_many.plot_parallel`).

    Args:
        task_name: Task name (file name ``front_<task>.png``).
        task: The task's entry of ``results.json``.
        out_dir: Folder of the PNG.

    Returns:
        The PNG's path.
    """
    if task["n_dims"] > 3:
        from mdpo.benchmarks.plots_many import plot_parallel

        return plot_parallel(task_name, task, Path(out_dir) / f"front_{task_name}.png")
    return save_png(draw_fronts(task_name, task), Path(out_dir) / f"front_{task_name}.png")


def draw_fronts(task_name: str, task: dict[str, Any]) -> Any:
    """The figure of :func:`plot_fronts` for m = 2 or 3, not saved (to inspect or restyle).

    One axes per panel (m = 2: the front, and a zoom on the true front when some method
    reaches far beyond it; m = 3: the projections on dimensions (0, 1), (0, 2), (1, 2)).
    Each method's λ-ordered points are the ``Line2D`` labelled with its name; its bootstrap
    intervals an errorbar container labelled ``_bootstrap <name>``; the true front the line
    labelled ``true front``.

    Args:
        task_name: Task name (the title).
        task: The task's entry of ``results.json``.

    Returns:
        A ``matplotlib.figure.Figure``.

    Raises:
        ValueError: If the task does not have 2 or 3 dimensions.
    """
    plt = pyplot()
    m = task["n_dims"]
    if m not in (2, 3):
        raise ValueError(f"draw_fronts draws m = 2 or 3 dimensions, got n_dims={m!r}")
    zoom = _zoom_box(task) if m == 2 else None
    panels = [(0, 1)] if m == 2 else [(0, 1), (0, 2), (1, 2)]
    if zoom is not None:
        panels.append((0, 1))
    size = {1: (6.6, 5.0), 2: (12.0, 5.0), 3: (14.5, 4.6)}[len(panels)]
    fig, axes = plt.subplots(1, len(panels), figsize=size, squeeze=False)
    axes = list(axes[0])
    bars = _front_panels(task, panels, axes, zoom)
    fig.suptitle(f"{task_name}: fronts (first seed)", fontsize=11)
    fig.text(0.5, 0.0, _front_caption(task, bars), ha="center", va="top", fontsize=7.5, wrap=True)
    handles, labels = axes[0].get_legend_handles_labels()
    axes[-1].legend(
        handles,
        labels,
        fontsize=7.5,
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        borderaxespad=0.0,
        markerscale=0.9,
    )
    if len(panels) > 1:
        fig.subplots_adjust(wspace=0.28 if m == 3 else 0.22)
    return fig
