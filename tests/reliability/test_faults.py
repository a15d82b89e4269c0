"""Fault injection (issue 15): kill -9 at seeded points, two writers, a full disk.

A child process runs the real CLI with ``os.replace`` (the last step of every atomic write)
wrapped so that it sends itself SIGKILL at its k-th call, k drawn from a seeded generator:
the kill lands between writing a file's content and moving it into place, the worst moment
for a torn write. The run is then resumed in this process and compared with an
uninterrupted one.
"""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import time
from pathlib import Path

import pytest
import yaml

import mdpo.benchmarks.runner as runner
from mdpo.benchmarks.config import load_suite
from mdpo.cli.main import main

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

SEED = 15


SUITE = {
    "name": "faults",
    "seeds": [0, 1],
    "training": {"steps": 3, "pref_batch": 2, "log_every": 1},
    "tasks": [
        {
            "name": "b",
            "kind": "bandit",
            "params": {"n_dims": 2, "n_contexts": 2, "n_actions": 3, "hidden": 4},
            "eval_partitions": 2,
            "true_front_partitions": 4,
        }
    ],
    "methods": [{"name": "p", "kind": "panacea"}, {"name": "rs", "kind": "rs"}],
}


@pytest.fixture(scope="module")
def suite_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("faults") / "faults.yaml"
    path.write_text(yaml.safe_dump(SUITE))
    return path


@pytest.fixture(scope="module")
def uninterrupted(suite_file, tmp_path_factory) -> dict[str, dict]:
    out = tmp_path_factory.mktemp("whole") / "run"
    assert runner.run_suite(load_suite(suite_file), out, progress=False).ok
    return _fronts(out)


def _fronts(out: Path) -> dict[str, dict]:
    return {
        p.relative_to(out).as_posix(): json.loads(p.read_text())["front"]
        for p in sorted((out / "parts").rglob("*.json"))
    }


# os.replace calls of a bench run: 1 lock note, 2 suite.json, 3-6 the four parts, then
# failures.json, results.json and the report.
@pytest.mark.parametrize("kill_at", random.Random(SEED).sample(range(3, 9), 2))
def test_bench_run_killed_resumes_to_the_uninterrupted_result(
    suite_file, uninterrupted, tmp_path, kill_at, faulty_cli
):
    out = tmp_path / "run"
    proc = faulty_cli(["bench", "run", suite_file, "--out", out, "--no-progress"], kill_at=kill_at)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    finished = _fronts(out)  # every part on disk is complete JSON (none is torn)
    assert len(finished) == min(max(kill_at - 3, 0), 4)
    summary = runner.run_suite(load_suite(suite_file), out, progress=False)
    assert summary.ok and summary.resumed == len(finished) and not summary.stale
    assert summary.computed == 4 - len(finished)
    assert _fronts(out) == uninterrupted
    assert json.loads((out / "results.json").read_text())["tasks"]["b"]["methods"]


def test_two_concurrent_writers_one_is_refused_the_other_finishes(
    suite_file, tmp_path, capsys, faulty_cli
):
    """The first writer (slowed to 0.5 s per part) holds the folder; the second is refused."""
    out = tmp_path / "run"
    first = faulty_cli(["bench", "run", suite_file, "--out", out], slow_parts=0.5, wait=False)
    try:
        note = out / ".mdpo.lock.holder"
        deadline = time.monotonic() + 60
        while not note.is_file() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert json.loads(note.read_text())["pid"] == first.pid
        code = main(["bench", "run", str(suite_file), "--out", str(out), "--no-progress"])
        err = capsys.readouterr().err
        assert first.poll() is None  # the first was still writing
        assert code == 2 and f"is in use by pid {first.pid}" in err
    finally:
        stdout, stderr = first.communicate(timeout=120)
    assert first.returncode == 0, stderr
    assert "4 runs (4 computed, 0 resumed, 0 failed)" in stdout
    assert len(_fronts(out)) == 4


def test_a_full_disk_keeps_finished_parts_and_says_so(suite_file, tmp_path, monkeypatch, capsys):
    out = tmp_path / "run"
    real = runner._write_json
    written: list[Path] = []

    def full_after_two_parts(path, data):
        if "parts" in path.parts and len(written) == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        real(path, data)
        if "parts" in path.parts:
            written.append(path)

    monkeypatch.setattr(runner, "_write_json", full_after_two_parts)
    code = main(["bench", "run", str(suite_file), "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert err[-1].startswith("mdpo bench run: error: no space left on the device writing")
    assert "finished results were kept" in err[-1]
    assert len(_fronts(out)) == 2 and not list(out.rglob("*.tmp"))
    monkeypatch.undo()
    summary = runner.run_suite(load_suite(suite_file), out, progress=False)
    assert summary.ok and summary.resumed == 2 and summary.computed == 2
