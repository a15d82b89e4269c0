"""``mdpo train`` with TRL-format data files and eval data, launchers, and ``mdpo bench list``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from mdpo.cli.main import main


def _trl_config(tmp_path, tiny_run_factory):
    config = tiny_run_factory(tmp_path)
    data = tmp_path / "data"
    user = {"role": "user", "content": "Say A"}
    pairs = [
        {
            "chosen": [user, {"role": "assistant", "content": "A"}],
            "rejected": [user, {"role": "assistant", "content": "B"}],
        }
    ] * 3
    (data / "conv.jsonl").write_text("".join(json.dumps(r) + "\n" for r in pairs))
    pd.DataFrame([{"text": "Dear sir."}, {"text": "Madam."}]).to_parquet(data / "text.parquet")
    pd.DataFrame([{"chosen": "Q: A", "rejected": "Q: B"}]).to_csv(data / "eval.csv", index=False)
    config["dimensions"] = [
        {
            "name": "helpful",
            "objective": "dpo",
            "data": "data/conv.jsonl",
            "eval_data": "data/eval.csv",
        },
        {"name": "formal", "objective": "sft", "data": "data/text.parquet"},
    ]
    config["normalize"] = None
    config["training"].update(
        {"eval_strategy": "steps", "eval_steps": 2, "save_strategy": "steps", "save_steps": 2}
    )
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_mdpo_train_reads_trl_formats_and_evaluates(tmp_path, tiny_run_factory, capsys):
    path = _trl_config(tmp_path, tiny_run_factory)
    assert main(["train", str(path)]) == 0
    run_dir = tmp_path / "runs" / "tiny"
    assert json.loads((run_dir / "run.json").read_text())["dimension_names"] == [
        "helpful",
        "formal",
    ]
    state = json.loads(
        (run_dir / "checkpoints" / "checkpoint-2" / "trainer_state.json").read_text()
    )
    evals = [h for h in state["log_history"] if "eval_loss" in h]
    assert evals and "eval_dpo/helpful/accuracy@1.00,0.00" in evals[0]
    assert "eval_loss/formal@0.50,0.50" not in evals[0]  # formal has no eval_data


def test_mdpo_train_refuses_to_run_as_several_processes(
    tmp_path, tiny_run_factory, capsys, monkeypatch
):
    path = _trl_config(tmp_path, tiny_run_factory)
    capsys.readouterr()  # the tiny model's setup output
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    assert main(["train", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(
        "mdpo train: error: mdpo train runs as one process, but it was "
        "started as process 1 of WORLD_SIZE=2 (torchrun"
    )
    assert not (tmp_path / "runs").exists()


@pytest.mark.slow
def test_torchrun_with_two_processes_is_refused(tmp_path, tiny_run_factory):
    """A real 2-process gloo launch: both processes refuse, nothing is written."""
    path = _trl_config(tmp_path, tiny_run_factory)
    torchrun = shutil.which("torchrun", path=os.path.dirname(sys.executable))
    mdpo = shutil.which("mdpo", path=os.path.dirname(sys.executable))
    if torchrun is None or mdpo is None:
        pytest.skip("torchrun or the mdpo script is not installed next to this Python")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MDPO_TRACEBACK": ""}
    proc = subprocess.run(
        [torchrun, "--standalone", "--nproc_per_node=2", "--no-python", mdpo, "train", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode != 0
    assert proc.stderr.count("mdpo train: error: mdpo train runs as one process") == 2
    assert not (tmp_path / "runs").exists()


def test_bench_list(capsys):
    assert main(["bench", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    names = [line.split()[0] for line in lines]
    assert {"quick", "smollm", "bandit10"} <= set(names)
    quick = next(line for line in lines if line.startswith("quick "))
    assert "CPU smoke benchmark" in quick and len(quick) < 120
