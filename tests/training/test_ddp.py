"""Two CPU processes under torchrun (gloo) end with identical adapters and a min-combined z."""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_ranks_end_with_identical_adapters_and_min_combined_ideal(tmp_path, panacea):
    from safetensors.torch import load_file

    worker = Path(__file__).with_name("_ddp_worker.py")
    env = {
        **os.environ,
        "MASTER_ADDR": "127.0.0.1",
        "OMP_NUM_THREADS": "1",
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--nnodes",
        "1",
        "--master_addr",
        "127.0.0.1",
        "--master_port",
        str(_free_port()),
        str(worker),
        str(tmp_path),
    ]
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    except subprocess.TimeoutExpired as err:  # a hang must not eat CI
        pytest.fail(f"torchrun did not finish within {err.timeout} s:\n{err.stderr}")
    assert proc.returncode == 0, proc.stderr[-4000:]

    records = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    weights = [load_file(str(tmp_path / f"rank{r}.safetensors")) for r in (0, 1)]
    assert all(rec["world_size"] == 2 for rec in records)

    # accelerate sharded the global row stream: disjoint halves of 3 steps x 2 x 2 x 2 rows
    rows = [set(rec["rows"]) for rec in records]
    assert not rows[0] & rows[1]
    assert rows[0] | rows[1] == set(range(24))

    # training moved the adapter, and DDP kept both ranks identical
    init = panacea().adapter_state_dict()
    assert any(not torch.equal(weights[0][k], init[k]) for k in init)
    assert set(weights[0]) == set(weights[1]) == set(init)
    for key in init:
        assert torch.equal(weights[0][key], weights[1][key]), key

    # z is the minimum over both ranks' candidates, and the same on both ranks
    assert records[0]["candidates"] != records[1]["candidates"]
    everything = records[0]["candidates"] + records[1]["candidates"]
    expected = [min(c[i] for c in everything) for i in range(2)]
    for rec in records:
        assert rec["ideal"] == pytest.approx(expected, abs=1e-6)
        assert all(math.isfinite(v) for v in rec["ideal"])
    own_minima = [[min(c[i] for c in rec["candidates"]) for i in range(2)] for rec in records]
    assert any(own != pytest.approx(expected, abs=1e-6) for own in own_minima)
