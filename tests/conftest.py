"""Shared test setup: offline hubs, deterministic torch, and tiny models built from configs."""

from __future__ import annotations

import os

# Set before transformers or datasets are imported anywhere, so an accidental download
# fails fast instead of hanging.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

import pytest
import torch


@pytest.fixture(autouse=True)
def _deterministic_torch():
    """Seed torch for every test and keep thread counts small on the 2-core CI machine."""
    torch.manual_seed(0)
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    yield


# The mdpo CLI in a child process whose os.replace (the last step of every atomic write)
# sends SIGKILL to the process at its KILL_AT_REPLACE-th call, and sleeps SLOW_PARTS seconds
# before moving a benchmark part into place: kill -9 at a chosen point, or a slow writer.
_FAULTY_CLI = """
import os, signal, sys, time
real, calls = os.replace, [0]
def replace(src, dst):
    calls[0] += 1
    if calls[0] == int(os.environ.get("KILL_AT_REPLACE", "0")):
        os.kill(os.getpid(), signal.SIGKILL)
    if "parts" in str(dst):
        time.sleep(float(os.environ.get("SLOW_PARTS", "0")))
    return real(src, dst)
os.replace = replace
import torch
torch.set_num_threads(1)
from mdpo.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.fixture(scope="session")
def faulty_cli():
    """Factory: ``faulty_cli(args, kill_at=k, slow_parts=s, wait=True)`` runs ``mdpo ARGS``
    in a child process (see ``_FAULTY_CLI``); returns the finished process, or the running
    ``Popen`` when ``wait`` is False."""
    import subprocess
    import sys

    def run(args, *, kill_at=0, slow_parts=0.0, wait=True):
        env = {**os.environ, "KILL_AT_REPLACE": str(kill_at), "SLOW_PARTS": str(slow_parts)}
        cmd = [sys.executable, "-c", _FAULTY_CLI, *map(str, args)]
        if wait:
            return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        pipe = subprocess.PIPE
        return subprocess.Popen(cmd, env=env, stdout=pipe, stderr=pipe, text=True)

    return run
