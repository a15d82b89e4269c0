"""``mdpo bench run --executor ray``: the same results as in-process, resume unchanged."""

from __future__ import annotations

import json
import textwrap

import pytest

from mdpo.benchmarks.config import load_suite
from mdpo.benchmarks.executors import Job, RayExecutor, make_executor
from mdpo.cli.main import main

ray = pytest.importorskip("ray", reason="the ray extra is not installed (pip install 'mdpo[ray]')")

SUITE = textwrap.dedent(
    """
    name: small
    seeds: [0, 1]
    training: {steps: 4, pref_batch: 2, log_every: 2}
    tasks:
      - {name: b, kind: bandit, params: {n_dims: 2, n_contexts: 2, n_actions: 3, hidden: 4},
         eval_partitions: 2, true_front_partitions: 10}
    methods:
      - {name: p, kind: panacea}
      - {name: rs, kind: rs}
      - {name: dps, kind: dps, dps_partitions: 1}
    """
)


def _fronts(out):
    results = json.loads((out / "results.json").read_text())
    return {
        (name, seed): entry["front"]
        for name, method in results["tasks"]["b"]["methods"].items()
        for seed, entry in method["seeds"].items()
    }


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_ray_runs_equal_the_sequential_runs_and_resume(tmp_path, local_ray, capsys):
    path = tmp_path / "small.yaml"
    path.write_text(SUITE)
    args = ["bench", "run", str(path), "--no-progress"]
    assert main([*args, "--out", str(tmp_path / "seq")]) == 0
    assert main([*args, "--out", str(tmp_path / "ray"), "--executor", "ray"]) == 0
    sequential, distributed = _fronts(tmp_path / "seq"), _fronts(tmp_path / "ray")
    assert len(sequential) == 6
    assert distributed == sequential  # bit for bit: every run seeds itself
    assert "6 runs (6 computed, 0 resumed, 0 failed)" in capsys.readouterr().out
    # Resume is the driver's: a re-run on Ray computes nothing.
    parts = sorted((tmp_path / "ray" / "parts").rglob("*.json"))
    stamps = [p.stat().st_mtime_ns for p in parts]
    assert main([*args, "--out", str(tmp_path / "ray"), "--executor", "ray"]) == 0
    assert "(0 computed, 6 resumed, 0 failed)" in capsys.readouterr().out
    assert [p.stat().st_mtime_ns for p in parts] == stamps


def test_a_failing_run_on_ray_is_reported_with_its_traceback(tmp_path, local_ray):
    suite = load_suite(_write(tmp_path))
    task_cfg = suite.tasks[0]
    job = Job("b/p/seed0", task_cfg, suite.methods[0], suite, 0, tmp_path)
    broken = Job("b/p/seed9", task_cfg, suite.methods[0], None, 0, tmp_path)  # no suite
    outcomes = list(RayExecutor().run([job, broken], {}, lambda: False))
    by_label = {o.job.label: o for o in outcomes}
    assert by_label["b/p/seed0"].part is not None and by_label["b/p/seed0"].error is None
    bad = by_label["b/p/seed9"]
    assert bad.part is None and bad.error.startswith("AttributeError")
    assert "Traceback" in bad.traceback
    # Over the time budget, no job is started: each comes back as itself.
    assert list(RayExecutor().run([job], {}, lambda: True)) == [job]


def _write(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(SUITE)
    return path


def test_executor_refusals(tmp_path, capsys):
    with pytest.raises(ValueError, match=r"executor must be one of \['sequential', 'ray'\]"):
        make_executor("dask")
    with pytest.raises(ValueError, match="address applies to the ray executor only"):
        make_executor("sequential", address="auto")
    with pytest.raises(ValueError, match="gpus applies to the ray executor only"):
        make_executor("sequential", gpus=1)
    with pytest.raises(ValueError, match="gpus must be a number >= 0 of GPUs per run, got -1"):
        RayExecutor(gpus=-1)
    path = _write(tmp_path)
    code = main(["bench", "run", str(path), "--out", str(tmp_path / "o"), "--ray-address", "x"])
    assert code == 2
    assert (
        "mdpo bench run: error: --ray-address applies to --executor ray" in capsys.readouterr().err
    )
