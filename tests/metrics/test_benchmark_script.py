"""Smoke test of ``python -m mdpo.benchmarks.perf.metrics`` (timings are not asserted)."""

import json

import numpy as np
import pytest

from mdpo.benchmarks.perf.metrics import main, sphere_points
from mdpo.metrics import hypervolume, non_dominated


def test_sphere_points_are_unit_and_non_dominated():
    pts = sphere_points(20, 4, seed=1)
    assert np.allclose(np.linalg.norm(pts, axis=1), 1.0)
    assert (pts >= 0).all()
    assert non_dominated(pts).all()


def test_main_prints_and_writes_json(tmp_path, capsys):
    out = tmp_path / "sub" / "hv.json"
    rows = main(["--m", "2", "6", "--n", "12", "--repeats", "1", "--out", str(out)])
    printed = capsys.readouterr().out
    assert "exact" in printed
    assert "Rphi-FWE+" in printed
    data = json.loads(out.read_text())
    assert [r["m"] for r in data["rows"]] == [2, 6]
    assert [r["method"] for r in data["rows"]] == ["exact", "monte-carlo"]
    assert data["rows"][0]["hypervolume"] == pytest.approx(
        hypervolume(sphere_points(12, 2), [-0.1, -0.1])
    )
    assert all(r["median_s"] > 0 and r["backend_median_s"] > 0 for r in rows)
    assert not list(out.parent.glob(".*.tmp"))  # the atomic write left no temp file


def test_main_rejects_bad_arguments():
    with pytest.raises(SystemExit):
        main(["--repeats", "0"])
