"""What every benchmark figure shares: matplotlib set-up, PNG saving, method order and styles.

The figures of :mod:`mdpo.benchmarks.plots` (fronts, training curves, learning dynamics) and
:mod:`mdpo.benchmarks.plots_many` (heatmap, radar, parallel coordinates) draw a task's entry
of ``results.json``: its methods in the suite's order (:func:`ordered_methods`), the first
seed of each (:func:`first_seed`), one colour and marker per method, the same in every
figure of a suite (:func:`method_styles`), saved atomically as PNG (:func:`save_png`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = [
    "first_seed",
    "method_styles",
    "ordered_methods",
    "pyplot",
    "save_png",
    "style_positions",
]


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg backend unless a backend was chosen already."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def save_png(fig: Any, path: Path) -> Path:
    """Save ``fig`` as a PNG at ``path`` atomically (:func:`mdpo._io.atomic_replace`), close it.

    Args:
        fig: A ``matplotlib.figure.Figure``.
        path: The PNG's path; its folder is created if needed.

    Returns:
        ``path``.
    """
    from mdpo._io import atomic_replace

    plt = pyplot()
    atomic_replace(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight"))
    plt.close(fig)
    return path


def ordered_methods(task: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """``(name, entry)`` of a task's methods in the suite's order (JSON sorts keys)."""
    methods = task["methods"]
    order = task.get("method_order") or sorted(methods)
    return [(name, methods[name]) for name in order if name in methods]


def first_seed(method: dict[str, Any]) -> dict[str, Any]:
    """The entry of a method's first seed (the smallest) in ``results.json``."""
    return method["seeds"][sorted(method["seeds"], key=int)[0]]


_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "h")
"""One marker per method (in the suite's order), so coinciding fronts stay distinguishable."""


def style_positions(task: dict[str, Any]) -> dict[str, int]:
    """The position that picks each method's colour, marker and size.

    A method's position in its suite's method list (``task["suite_methods"]``, which
    :func:`mdpo.benchmarks.plots.plot_task` adds), so a method keeps its colour in every
    figure of a suite even where a task runs only some of the methods; without that list, the
    position among the task's own methods. Methods the list lacks come after it.

    Args:
        task: The task's entry of ``results.json``.

    Returns:
        ``{method: position}`` for the task's methods, in the task's order.
    """
    palette = [n for n in task.get("suite_methods") or () if isinstance(n, str)]
    names = [name for name, _ in ordered_methods(task)]
    rank = {n: i for i, n in enumerate(dict.fromkeys(palette))}
    extra = iter(range(len(rank), len(rank) + len(names)))
    return {n: rank[n] if n in rank else next(extra) for n in names}


def method_styles(task: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Colour, marker, marker size, line width and drawing order of each method.

    Earlier methods get larger hollow markers and wider lines, drawn first: a later method at
    the same points (Tchebycheff with the tracked and with the exact ideal, MOD and RS at a
    vertex) is drawn inside them and both stay visible.

    Args:
        task: The task's entry of ``results.json``.

    Returns:
        ``{method: {"color", "marker", "ms", "lw", "zorder"}}``.
    """
    plt = pyplot()
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    out = {}
    for name, i in style_positions(task).items():
        out[name] = {
            "color": colors[i % len(colors)],
            "marker": _MARKERS[i % len(_MARKERS)],
            "ms": max(3.0, 7.5 - 0.8 * i),
            "lw": max(0.8, 1.8 - 0.2 * i),
            "zorder": 3 + i,
        }
    return out
