"""Fault injection for ``mdpo train`` (issue 15): kill -9 at seeded points, a full disk.

The child process (the ``faulty_cli`` fixture of ``tests/conftest.py``) is the real CLI with
``os.replace`` sending SIGKILL to itself at its k-th call (k seeded), so that the kill lands
inside a checkpoint's save. ``--resume`` then skips the torn checkpoint and must end where
an uninterrupted run ends.
"""

from __future__ import annotations

import errno
import json
import os
import random
import signal
from pathlib import Path

import pytest
import torch
import yaml
from safetensors.torch import load_file

from mdpo.cli.main import main

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

SEED = 15


@pytest.fixture(scope="module")
def train_config(tmp_path_factory, tiny_run_factory) -> Path:
    """The tiny paired-DPO run, 4 steps with a checkpoint at each; trained once whole."""
    root = tmp_path_factory.mktemp("train-faults")
    config = tiny_run_factory(root)
    config["run_name"] = "whole"
    config["dimensions"] = config["dimensions"][:1]
    config["training"].update(max_steps=4, save_strategy="steps", save_steps=1, report_to="none")
    path = root / "run.yaml"
    path.write_text(yaml.safe_dump(config))
    torch.set_num_threads(1)
    assert main(["train", str(path)]) == 0
    return path


def _adapter(run_dir: Path) -> dict[str, torch.Tensor]:
    return load_file(run_dir / "adapter" / "adapter_model.safetensors")


# os.replace calls of this run: 1 lock note, then 4 per checkpoint (adapter weights and
# config, MDPO state, trainer args), then the final adapter, config.json and run.json.
@pytest.mark.parametrize("kill_at", random.Random(SEED).sample(range(2, 18), 2))
def test_train_killed_resumes_to_the_uninterrupted_adapter(train_config, kill_at, faulty_cli):
    runs = train_config.parent / "runs"
    name = f"killed{kill_at}"
    args = ["train", str(train_config), "--run-name", name]
    proc = faulty_cli(args, kill_at=kill_at)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert not (runs / name / "run.json").exists()
    torch.set_num_threads(1)
    assert main([*args, "--resume"]) == 0
    whole, resumed = _adapter(runs / "whole"), _adapter(runs / name)
    assert whole.keys() == resumed.keys()
    for key, value in whole.items():
        torch.testing.assert_close(resumed[key], value, atol=1e-6, rtol=0)
    assert json.loads((runs / name / "run.json").read_text())["global_step"] == 4


def test_train_on_a_full_disk_fails_with_one_line_and_keeps_checkpoints(
    train_config, monkeypatch, capsys
):
    import mdpo.training.run as run_module

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "run.json")

    monkeypatch.setattr(run_module, "write_run_manifest", full)
    args = ["train", str(train_config), "--run-name", "full"]
    assert main(args) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("mdpo train: error: no space left on the device writing 'run.json'")
    checkpoints = train_config.parent / "runs" / "full" / "checkpoints"
    assert (checkpoints / "checkpoint-4" / "trainer_state.json").is_file()
