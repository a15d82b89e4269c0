"""Issue 15 through ``mdpo generate``: damaged runs and bad flags end in one error line."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from safetensors.torch import load_file, save_file

from mdpo.cli.main import main
from mdpo.policies import read_run_manifest


def _generate(capsys, run_dir, *argv):
    try:
        code = main(["generate", "--model", str(run_dir), "--max-new-tokens", "2", *argv, "Hi"])
    except SystemExit as exit_:
        code = exit_.code
    return code, capsys.readouterr().err


def _one_line(err, start="mdpo generate: error:"):
    """The error line: the last line of stderr, the only one with "error:", no traceback.

    Loading a model may print transformers' progress bars above it.
    """
    lines = err.strip().splitlines()
    assert "Traceback" not in err, err
    assert lines[-1].startswith(start) and sum("error:" in line for line in lines) == 1, err
    return lines[-1]


@pytest.fixture
def copy_run(runs, tmp_path):
    def make(name):
        target = tmp_path / name
        shutil.copytree(runs[name], target)
        return target

    return make


@pytest.mark.parametrize("name", ["panacea", "lora"])
def test_a_corrupt_safetensors_file_is_one_error_line(copy_run, capsys, name):
    """Case 8: a truncated weights file."""
    run = copy_run(name)
    weights = run / "adapter" / "adapter_model.safetensors"
    weights.write_bytes(weights.read_bytes()[:40])
    code, err = _generate(capsys, run)
    line = _one_line(err)
    assert code == 2 and "is not a readable safetensors file (truncated or corrupt?)" in line


@pytest.mark.parametrize("name", ["panacea", "lora"])
def test_nan_adapter_weights_are_refused_at_load(copy_run, capsys, name):
    """Case 9: all-NaN weights would give NaN logits; they are refused, naming the file."""
    run = copy_run(name)
    weights = run / "adapter" / "adapter_model.safetensors"
    state = load_file(weights)
    save_file({k: torch.full_like(v, float("nan")) for k, v in state.items()}, weights)
    code, err = _generate(capsys, run)
    assert code == 2 and "holds NaN or infinite values" in _one_line(err)


@pytest.mark.parametrize(
    ("version", "needle"),
    [
        (99, "uses format_version 99, newer than the 1 this mdpo reads; upgrade mdpo"),
        ("abc", "format_version must be a positive int (this mdpo reads 1 to 1), got 'abc'"),
        (0, "format_version must be a positive int"),
    ],
)
def test_run_json_format_version_is_checked(copy_run, capsys, version, needle):
    """Case 9: run.json of an unknown format is refused with a clear message."""
    run = copy_run("panacea")
    manifest = json.loads((run / "run.json").read_text())
    (run / "run.json").write_text(json.dumps({**manifest, "format_version": version}))
    with pytest.raises(ValueError, match="format_version"):
        read_run_manifest(run)
    code, err = _generate(capsys, run)
    assert code == 2 and needle in _one_line(err)


def test_bogus_device_is_one_error_line(runs, capsys):
    """Case 8: --device bogus."""
    code, err = _generate(capsys, runs["panacea"], "--device", "bogus")
    line = _one_line(err, "mdpo generate: error: argument --device: invalid value 'bogus'")
    assert code == 2 and "not a torch device" in line


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_unavailable_device_is_one_error_line(runs, capsys):
    code, err = _generate(capsys, runs["panacea"], "--device", "cuda")
    assert code == 2 and "no cuda device is available here" in _one_line(err)


def test_overflowing_preference_is_one_error_line(runs, capsys):
    """Case 8: 1e308,1e308 sums to inf; it used to normalise to (0, 0)."""
    code, err = _generate(capsys, runs["panacea"], "--preference", "1e308,1e308")
    assert code == 2 and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("mdpo generate: error: argument --preference")
    assert "the weights are too large to add up" in err
