"""Plots and report sections for many dimensions, on synthetic results (no training)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mdpo.benchmarks.plots import plot_fronts
from mdpo.benchmarks.plots_many import (
    plot_radar,
    plot_vertex_heatmap,
    radar_preferences,
)
from mdpo.benchmarks.report import write_report
from mdpo.preferences import preference_grid

PNG = b"\x89PNG\r\n\x1a\n"
M = 10


def _front(lam: np.ndarray, steer: float, seed: int) -> dict:
    """Points that follow λ by ``steer`` (1: controllable, 0: λ does nothing)."""
    rng = np.random.default_rng(seed)
    points = steer * lam + 0.05 * rng.uniform(size=lam.shape) + 0.2
    return {"points": points.tolist(), "preferences": lam.tolist(), "names": _names()}


def _names() -> list[str]:
    return [f"style{i}" for i in range(M)]


def _log() -> dict:
    return {"label": "all", "curve": [[1.0] * M, [0.5] * M], "curve_steps": [0, 5]}


def _method(front: dict, hv: float) -> dict:
    metrics = {"hypervolume": hv, "hypervolume_error": 1e-4}
    stat = {"mean": hv, "half_width": float("nan")}
    return {
        "seeds": {"0": {"front": front, "metrics": metrics, "logs": [_log()]}},
        "summary": {"hypervolume": stat},
        "summary_dps_grid": {},
        "wall_time": {"mean": 1.0},
        "steps": 10,
    }


def _task() -> dict:
    dense = preference_grid(M, 2).numpy()
    vertices = np.eye(M)
    methods = {
        "panacea": _method(_front(dense, 1.0, 0), 0.05),
        "dps": _method(_front(vertices, 0.5, 1), 0.01),
        "flat": _method(_front(dense, 0.0, 2), 0.001),
    }
    return {
        "kind": "synthetic",
        "params": {},
        "dim_names": _names(),
        "n_dims": M,
        "eval_partitions": 2,
        "n_eval_preferences": len(dense),
        "dps_grid": None,
        "true_front": None,
        "normalization": {"nadir": [0.2] * M, "scale": [1.05] * M},
        "hypervolume_method": {"method": "monte-carlo", "backend": "moocore.hv_approx"},
        "methods": methods,
        "method_order": list(methods),
        "paired_differences": {},
    }


def test_radar_preferences_picks_balanced_then_vertices_and_a_mix():
    lam = preference_grid(M, 2).numpy()
    picks = radar_preferences(lam, 4)
    chosen = lam[picks]
    eye = np.eye(M)
    # Ties of the most balanced (every two-dimension mix) go to the first: e_0 / e_1.
    assert np.allclose(chosen[0], (eye[0] + eye[1]) / 2)
    assert np.allclose(chosen[1], eye[0]) and np.allclose(chosen[2], eye[1])
    assert np.allclose(chosen[3], eye[2])
    assert radar_preferences([[0.2, 0.3, 0.5]], 3) == [0]
    with pytest.raises(ValueError, match="k must be a positive int"):
        radar_preferences(lam, 0)
    with pytest.raises(ValueError, match="preferences"):
        radar_preferences([1.0, 0.0], 2)


def test_heatmap_radar_and_parallel_plots_are_written(tmp_path):
    task = _task()
    for plot in (plot_vertex_heatmap, plot_radar, plot_fronts):
        path = plot("t10", task, tmp_path)
        data = path.read_bytes()
        assert data.startswith(PNG) and len(data) > 20_000, path
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["front_t10.png", "heatmap_t10.png", "radar_t10.png"]


def test_heatmap_is_skipped_without_two_vertices(tmp_path):
    task = _task()
    lam = preference_grid(M, 2).numpy()
    mixes = lam[lam.max(axis=1) < 1]
    for name in task["methods"]:
        task["methods"][name] = _method(_front(mixes, 1.0, 0), 0.05)
    assert plot_vertex_heatmap("t10", task, tmp_path) is None


def test_report_of_a_ten_dimensional_task_has_heatmap_radar_and_hv_error(tmp_path):
    results = {
        "suite": {"name": "synthetic10", "seeds": [0], "confidence": 0.95},
        "protocol": {
            "intervals": "none",
            "normalization": "given",
            "reference_point": "-0.1",
            "headline": "HV",
            "equal_compute": "n/a",
        },
        "decoding": "n/a",
        "tasks": {"t10": _task()},
    }
    (tmp_path / "results.json").write_text(json.dumps(results))
    report = write_report(tmp_path).read_text()
    assert "![controllability heatmap](heatmap_t10.png)" in report
    assert "![radar at a few λ](radar_t10.png)" in report
    assert (tmp_path / "heatmap_t10.png").read_bytes().startswith(PNG)
    # The vertex table: Panacea steers every dimension, "flat" none (all columns constant
    # up to noise, so its normalised diagonal is noise around 0.5, not 1).
    lines = report.splitlines()
    table = lines[lines.index("| method | mean diagonal | defined per seed |") :]
    rows = {line.split(" | ")[0][2:]: line for line in table[2:5]}
    assert rows["panacea"] == "| panacea | 1.0000 | 10/10 |"
    assert rows["dps"] == "| dps | 1.0000 | 10/10 |"  # only its vertices, steered
    flat = float(rows["flat"].split(" | ")[1])
    assert 0.1 < flat < 0.9
    assert "Estimated error of the Monte-Carlo HV" in report
    assert "panacea ± 0.0001 (0.2% of its HV)" in report
