"""PNG plots of a run: fronts against the true front, training curves and learning dynamics.

``python -m mdpo.benchmarks.plots RESULTS.json OUTDIR`` redraws every plot of a
``results.json`` (:func:`plot_results`) without rerunning anything or touching its report.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np

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
]


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


_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "h")
"""One marker per method (in the suite's order), so coinciding fronts stay distinguishable."""

COLLAPSE_TOLERANCE = 1e-3
"""A front whose points span less than this share of the plotted range in every dimension
is drawn (and reported) as one point: λ does not move it."""


def _styles(task: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Colour, marker, marker size, line width and drawing order of each method.

    Earlier methods get larger hollow markers and wider lines, drawn first: a later method at
    the same points (Tchebycheff with the tracked and with the exact ideal, MOD and RS at a
    vertex) is drawn inside them and both stay visible.
    """
    plt = _pyplot()
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    out = {}
    for i, (name, _) in enumerate(ordered_methods(task)):
        out[name] = {
            "color": colors[i % len(colors)],
            "marker": _MARKERS[i % len(_MARKERS)],
            "ms": max(3.0, 7.5 - 0.8 * i),
            "lw": max(0.8, 1.8 - 0.2 * i),
            "zorder": 3 + i,
        }
    return out


def _front_arrays(method: dict[str, Any], m: int) -> tuple[np.ndarray, np.ndarray]:
    """``(points [n, m], preferences [n, m])`` of the first seed's front."""
    front = _first_seed(method)["front"]
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
    seed = _first_seed(method)
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
    styles = _styles(task)
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
    return _save(draw_fronts(task_name, task), Path(out_dir) / f"front_{task_name}.png")


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
    plt = _pyplot()
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
    return _save(draw_training_curves(task_name, task), Path(out_dir) / f"curves_{task_name}.png")


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
    plt = _pyplot()
    m = task["n_dims"]
    dims = task["dim_names"]
    styles = _styles(task)
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
            logs = [log for log in _first_seed(method)["logs"] if log.get("curve")]
            if not logs:
                continue
            length = min(len(log["curve"]) for log in logs)
            steps = np.asarray(logs[0]["curve_steps"][:length])
            stacked = [np.asarray(log["curve"][:length], dtype=float) for log in logs]
            with warnings.catch_warnings():  # a dimension no unit logged stays NaN
                warnings.simplefilter("ignore", RuntimeWarning)
                curve = np.nanmean(stacked, axis=0).reshape(length, m)
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
    have = [log for log in logs if key in (log.get("dynamics") or {})]
    if not have:
        return None
    length = min(len(log["dynamics"][key]) for log in have)
    with warnings.catch_warnings():  # a step no unit logged stays NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        values = np.nanmean([np.asarray(log["dynamics"][key][:length], float) for log in have], 0)
    return np.asarray(have[0]["curve_steps"][:length]), values


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


def plot_task(task_name: str, task: dict[str, Any], out_dir: Path) -> dict[str, Path | None]:
    """Every plot of one task: fronts, curves, dynamics, and for m ≥ 4 the heatmap and radar.

    Args:
        task_name: Task name (the PNGs are ``<kind>_<task>.png``).
        task: The task's entry of ``results.json``.
        out_dir: Folder of the PNGs.

    Returns:
        ``{kind: path}`` for ``front``, ``curves``, ``dynamics`` and, for m ≥ 4,
        ``heatmap`` and ``radar``; None for a plot with nothing to show.
    """
    from mdpo.benchmarks.plots_many import RADAR_MIN_DIMS, plot_radar, plot_vertex_heatmap

    out: dict[str, Path | None] = {
        "front": plot_fronts(task_name, task, out_dir),
        "curves": plot_training_curves(task_name, task, out_dir),
        "dynamics": plot_dynamics(task_name, task, out_dir),
    }
    if task["n_dims"] >= RADAR_MIN_DIMS:
        out["heatmap"] = plot_vertex_heatmap(task_name, task, out_dir)
        out["radar"] = plot_radar(task_name, task, out_dir)
    return out


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
        for name, task in parsed["tasks"].items():
            if task.get("methods"):
                written += [p for p in plot_task(name, task, out).values() if p is not None]
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
