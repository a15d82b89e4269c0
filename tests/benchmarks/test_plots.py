"""Fronts and training curves inspected as matplotlib objects (Agg backend: tests/conftest.py)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from matplotlib.container import ErrorbarContainer

from mdpo.benchmarks.plots import (
    draw_fronts,
    draw_training_curves,
    is_collapsed,
    loss_kind,
    main,
    plot_results,
)
from mdpo.benchmarks.report import write_report
from mdpo.preferences import preference_grid

PNG = b"\x89PNG\r\n\x1a\n"


def _log(m: int, level: float, n: int = 4) -> dict:
    curve = [[level + 1.0 / (i + 1)] * m for i in range(n)]
    return {"label": "all", "curve": curve, "curve_steps": list(range(0, 2 * n, 2))}


def _method(points, lam, *, objective="exact", bootstrap=None, seeds=1, level=0.0) -> dict:
    m = len(lam[0])
    seed = {
        "front": {"points": [list(p) for p in points], "preferences": [list(v) for v in lam]},
        "logs": [_log(m, level)],
        "metrics": {},
    }
    if bootstrap is not None:
        low, high = bootstrap
        seed["llm"] = {
            "points": [
                {"preference": list(v), "bootstrap": {"low": list(lo), "high": list(hi)}}
                for v, lo, hi in zip(lam, low, high)
            ]
        }
    stat = {"mean": 0.9, "half_width": 0.01, "values": [0.9] * seeds}
    return {
        "config": {"objective": objective, "kind": "panacea", "aggregator": "ls"},
        "seeds": {str(s): seed for s in range(seeds)},
        "summary": {"hv_ratio": stat, "controllability": stat},
        "summary_dps_grid": {},
        "wall_time": {"mean": 1.0},
        "steps": 10,
    }


def _task(m: int, methods: dict, *, truth=None, kind="bandit") -> dict:
    return {
        "kind": kind,
        "params": {},
        "dim_names": [f"d{i}" for i in range(m)],
        "n_dims": m,
        "eval_partitions": 4,
        "n_eval_preferences": 5,
        "dps_grid": None,
        "true_front": None if truth is None else {"partitions": 20, "points": truth},
        "normalization": {"nadir": [-1.0] * m, "scale": [1.0] * m},
        "hypervolume_method": {"method": "exact", "backend": "pymoo"},
        "methods": methods,
        "method_order": list(methods),
        "paired_differences": {},
    }


def _quarter_circle(lam: np.ndarray, radius: float) -> np.ndarray:
    angle = lam[:, 0] * np.pi / 2
    return radius * np.stack([np.sin(angle), np.cos(angle)], axis=1)


def _two_dim_task() -> tuple[dict, np.ndarray, tuple[np.ndarray, np.ndarray]]:
    lam = preference_grid(2, 4).numpy().astype(float)
    shuffled = lam[[3, 0, 4, 2, 1]]  # stored out of λ order
    points = _quarter_circle(shuffled, 0.9)
    bars = (points - 0.05, points + 0.08)
    truth = _quarter_circle(preference_grid(2, 40).numpy().astype(float), 1.0).tolist()
    methods = {
        "steer": _method(points, shuffled, bootstrap=bars),
        "other": _method(_quarter_circle(shuffled, 0.8), shuffled, objective="dpo", level=2.0),
    }
    return _task(2, methods, truth=truth), shuffled, bars


def _line(ax, label: str):
    return next(line for line in ax.get_lines() if line.get_label() == label)


def test_front_lines_join_the_points_in_lambda_order():
    task, lam, _ = _two_dim_task()
    fig = draw_fronts("t", task)
    ax = fig.axes[0]
    line = _line(ax, "steer")
    expected = _quarter_circle(lam[np.argsort(lam[:, 0])], 0.9)
    assert np.allclose(line.get_xdata(), expected[:, 0])
    assert np.allclose(line.get_ydata(), expected[:, 1])
    assert line.get_linestyle() == "-"


def test_front_has_bootstrap_error_bars_with_the_stored_numbers():
    task, lam, (low, high) = _two_dim_task()
    ax = draw_fronts("t", task).axes[0]
    bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert [c.get_label() for c in bars] == ["_bootstrap steer"]  # "other" has no bootstrap
    xbars, ybars = bars[0].lines[2]
    order = np.argsort(lam[:, 0])
    xs = np.array([seg[:, 0] for seg in xbars.get_segments()])  # [n, 2]: low, high of dim 0
    ys = np.array([seg[:, 1] for seg in ybars.get_segments()])
    assert np.allclose(np.sort(xs, axis=1), np.stack([low[order, 0], high[order, 0]], axis=1))
    assert np.allclose(np.sort(ys, axis=1), np.stack([low[order, 1], high[order, 1]], axis=1))


def test_front_writes_lambda_at_the_vertices_and_the_middle_and_keeps_the_true_front():
    task, _, _ = _two_dim_task()
    ax = draw_fronts("t", task).axes[0]
    texts = {t.get_text() for t in ax.texts}
    assert {"λ=(1,0)", "λ=(0,1)", "λ=(0.5,0.5)"} <= texts
    truth = _line(ax, "true front")
    methods = [_line(ax, name) for name in ("steer", "other")]
    assert len(truth.get_xdata()) == 41
    assert truth.get_zorder() > max(line.get_zorder() for line in methods)  # drawn on top
    legend = ax.figure.axes[-1].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["true front", "steer", "other"]


def test_a_collapsed_front_is_a_star_and_says_so():
    task, lam, _ = _two_dim_task()
    same = np.tile([[0.0, -1.0]], (len(lam), 1)) + 1e-7 * np.arange(len(lam))[:, None]
    task["methods"]["flat"] = _method(same, lam)
    task["method_order"].append("flat")
    ax = draw_fronts("t", task).axes[0]
    labels = [line.get_label() for line in ax.get_lines()]
    assert "flat (all 5 λ at one point)" in labels
    stars = [line for line in ax.get_lines() if line.get_marker() == "*"]
    assert len(stars) == 1 and stars[0].get_zorder() >= 30
    assert "every λ" in {t.get_text() for t in ax.texts}
    assert is_collapsed(same, [1.0, 1.0]) and not is_collapsed(same, [1e-7, 1e-7])


def test_far_reaching_fronts_get_a_zoom_on_the_true_front():
    task, lam, _ = _two_dim_task()
    far = _quarter_circle(lam, 0.9)
    far[0] = [0.0, -5.0]
    task["methods"]["far"] = _method(far, lam)
    task["method_order"].append("far")
    fig = draw_fronts("t", task)
    assert len(fig.axes) == 2
    low, high = fig.axes[1].get_ylim()
    assert -0.2 < low < 0.0 and 1.0 < high < 1.2  # the true front spans [0, 1]
    assert fig.axes[0].get_ylim()[0] < -5.0


def _three_dim_task() -> tuple[dict, np.ndarray]:
    lam = preference_grid(3, 4).numpy().astype(float)
    points = np.sqrt(lam) * 0.9
    truth = np.sqrt(preference_grid(3, 10).numpy().astype(float)).tolist()
    low, high = points - 0.02, points + 0.03
    methods = {
        "p": _method(points, lam, bootstrap=(low, high)),
        "q": _method(points * 0.8, lam),
    }
    return _task(3, methods, truth=truth), lam


def test_three_dimensions_make_three_projection_panels():
    task, lam = _three_dim_task()
    fig = draw_fronts("t", task)
    axes = [ax for ax in fig.axes if ax.get_xlabel()]
    assert len(axes) == 3 and all(ax.name == "rectilinear" for ax in axes)
    pairs = [(ax.get_xlabel().split()[0], ax.get_ylabel().split()[0]) for ax in axes]
    assert pairs == [("d0", "d1"), ("d0", "d2"), ("d1", "d2")]
    for ax, (a, b) in zip(axes, [(0, 1), (0, 2), (1, 2)]):
        c = 3 - a - b
        edge = lam[lam[:, c] == 0]
        edge = edge[np.argsort(edge[:, a])]
        line = _line(ax, "p")  # the edge λ_c = 0, joined in λ order
        assert np.allclose(line.get_xdata(), 0.9 * np.sqrt(edge[:, a]))
        assert np.allclose(line.get_ydata(), 0.9 * np.sqrt(edge[:, b]))
        assert _line(ax, "true front").get_zorder() > line.get_zorder()
        assert any(isinstance(c, ErrorbarContainer) for c in ax.containers)
        assert {f"λ=({','.join('1' if i == d else '0' for i in range(3))})" for d in (a, b)} <= {
            t.get_text() for t in ax.texts
        }


def test_curves_have_a_y_label_everywhere_and_one_loss_kind_per_axis():
    task, _, _ = _two_dim_task()
    task["methods"]["rs"] = _method([[0, 1], [1, 0]], [[0, 1], [1, 0]], level=1.0)
    task["method_order"].append("rs")
    kinds = {name: loss_kind(task, meth) for name, meth in task["methods"].items()}
    assert kinds["steer"] == kinds["rs"] != kinds["other"]
    fig = draw_training_curves("t", task)
    shown = [ax for ax in fig.axes if ax.axison]
    assert len(shown) == 4  # 2 loss kinds × 2 dimensions
    seen = set()
    for ax in shown:
        assert ax.get_ylabel().strip()
        names = {line.get_label() for line in ax.get_lines()}
        assert len({kinds[n] for n in names}) == 1, names
        assert ax.get_ylabel() == kinds[next(iter(names))]
        seen |= names
    assert seen == set(kinds)
    assert loss_kind({"kind": "synthetic"}, {}) == "objective f (minimised)"


def test_curves_of_several_units_are_their_mean_by_step_cut_to_the_shortest():
    """RS experts, DPS members: one line per method, NaN (a dimension a unit left out) skipped."""
    task, _, _ = _two_dim_task()
    long = {"label": "expert:d0", "curve": [[1.0, math.nan], [3.0, 5.0], [5.0, 7.0]]}
    short = {"label": "expert:d1", "curve": [[3.0, 2.0], [5.0, 7.0]], "curve_steps": [0, 2]}
    task["methods"]["steer"]["seeds"]["0"]["logs"] = [{**long, "curve_steps": [0, 2, 4]}, short]
    fig = draw_training_curves("t", task)
    for d, expected in enumerate(([2.0, 4.0], [2.0, 6.0])):
        line = _line(fig.axes[d], "steer")
        assert list(line.get_xdata()) == [0, 2]
        assert list(line.get_ydata()) == pytest.approx(expected)


def test_curves_of_many_dimensions_wrap_and_keep_their_labels():
    lam = np.eye(6)
    task = _task(6, {"a": _method(lam, lam), "b": _method(lam, lam, objective="dpo")})
    fig = draw_training_curves("t", task)
    shown = [ax for ax in fig.axes if ax.axison]
    assert len(shown) == 12 and all(ax.get_ylabel() for ax in shown)
    assert [ax.get_title() for ax in shown[:6]] == [f"d{i}" for i in range(6)]


def test_plots_are_redrawn_from_a_results_json(tmp_path, capsys):
    task, _, _ = _two_dim_task()
    three, _ = _three_dim_task()
    results = {"tasks": {"two": task, "three": three, "empty": {**task, "methods": {}}}}
    path = tmp_path / "results.json"
    path.write_text(json.dumps(results))
    written = plot_results(path, tmp_path / "png")
    assert sorted(p.name for p in written) == [
        "curves_three.png",
        "curves_two.png",
        "front_three.png",
        "front_two.png",
    ]
    assert all(p.read_bytes().startswith(PNG) for p in written)
    assert main([str(path), str(tmp_path / "again")]) == 0
    assert "front_two.png" in capsys.readouterr().out
    assert main([str(tmp_path / "missing.json"), str(tmp_path)]) == 2
    assert "missing.json" in capsys.readouterr().err
    with pytest.raises(ValueError, match="results="):
        plot_results(tmp_path / "missing.json", tmp_path)


def _zdt2_results(tmp_path):
    lam = preference_grid(2, 4).numpy().astype(float)
    x = lam[:, 1]
    front = np.stack([-x, -(1 - x**2)], axis=1)
    stuck = np.tile([[0.0, -1.0]], (len(lam), 1))
    methods = {
        "p-ls": _method(stuck, lam, seeds=3),
        "p-tche": _method(front, lam, seeds=3),
    }
    methods["p-tche"]["config"]["aggregator"] = "tche"
    methods["p-tche"]["config"]["ideal"] = "tracked"
    wide = {"mean": 0.43, "half_width": 0.82, "values": [0.81, 0.28, 0.19]}
    methods["p-ls"]["summary"]["controllability"] = wide
    truth = np.stack([-np.linspace(0, 1, 21), -(1 - np.linspace(0, 1, 21) ** 2)], 1)
    task = _task(2, methods, truth=truth.tolist(), kind="synthetic")
    task["params"] = {"problem": "zdt2"}
    results = {
        "suite": {"name": "s", "seeds": [0, 1, 2], "confidence": 0.95},
        "protocol": dict.fromkeys(
            ("intervals", "normalization", "reference_point", "headline", "equal_compute"), "-"
        ),
        "decoding": "n/a",
        "tasks": {"z": task},
    }
    (tmp_path / "results.json").write_text(json.dumps(results))
    return tmp_path


def test_report_clips_controllability_and_explains_the_collapse(tmp_path):
    report = write_report(_zdt2_results(tmp_path)).read_text()
    row = next(line for line in report.splitlines() if line.startswith("| p-ls |"))
    assert "0.4300 (seeds 0.1900 to 0.8100)" in row and "± 0.8200" not in row
    assert "Spearman ρ, in [−1, 1]" in report
    assert "**Collapsed front:** p-ls maps all 5 evaluated λ to one point on every seed" in report
    assert "**Why LS collapses on ZDT2:** its front is concave" in report
    assert "p-ls (LS) collapsed" in report
    assert "p-tche (Tchebycheff, tracked ideal) did not collapse" in report
    for line in report.splitlines():  # no ctrl ρ interval beyond [−1, 1]
        if line.startswith("| p-"):
            cell = line.split(" | ")[5]
            if "±" in cell:
                mean, half = (float(v) for v in cell.split(" ± "))
                assert mean - half >= -1 and mean + half <= 1, line
    assert math.isfinite(float(row.split(" | ")[5].split()[0]))


def test_a_method_keeps_its_colour_in_every_task_of_a_suite(tmp_path, monkeypatch):
    from mdpo.benchmarks.plot_style import method_styles
    from mdpo.benchmarks.plots import suite_method_names

    task, _, _ = _two_dim_task()  # runs "steer" and "other"
    only_other = {**task, "methods": {"other": task["methods"]["other"]}, "method_order": ["other"]}
    # Without the suite's list, a task's first method takes the first colour: "other" would
    # change colour between the two tasks' figures.
    assert method_styles(only_other)["other"]["color"] != method_styles(task)["other"]["color"]
    suite = ["steer", "other"]
    with_suite = [{**t, "suite_methods": suite} for t in (task, only_other)]
    styles = [method_styles(t)["other"] for t in with_suite]
    assert styles[0] == styles[1]
    assert method_styles(with_suite[0])["steer"]["color"] != styles[0]["color"]
    # A method the list lacks comes after the suite's methods.
    extra = {**task, "suite_methods": ["other"]}
    assert method_styles(extra)["steer"] == method_styles(with_suite[0])["other"]

    # plot_results passes the suite's list: the drawn line of "other" has the same colour in
    # both tasks' front figures.
    results = {
        "suite": {"methods": [{"name": n} for n in suite]},
        "tasks": {"both": task, "one": only_other},
    }
    assert suite_method_names(results) == suite and suite_method_names({"tasks": {}}) is None
    fronts = {}
    for name, t in results["tasks"].items():
        fig = draw_fronts(name, {**t, "suite_methods": suite_method_names(results)})
        fronts[name] = _line(fig.axes[0], "other").get_color()
    assert fronts["both"] == fronts["one"] == styles[0]["color"]

    # ... and plot_results hands the suite's list to every task's figures.
    from mdpo.benchmarks import plots

    seen = []
    monkeypatch.setattr(plots, "plot_fronts", lambda n, t, out: seen.append(t["suite_methods"]))
    path = tmp_path / "results.json"
    path.write_text(json.dumps(results))
    plot_results(path, tmp_path / "png")
    assert seen == [suite, suite]
