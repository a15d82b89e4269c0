"""Issue 15 through ``mdpo train``: --overwrite, --resume, remote code, locks, clean errors."""

from __future__ import annotations

import json
import math
import shutil

import pytest
import yaml

from mdpo._lock import folder_lock
from mdpo.cli.main import main
from mdpo.training.resume import last_complete_checkpoint


def _dpo_only(tmp_path, config, **training):
    """The tiny config with its paired DPO component only, saving every step."""
    return {
        **config,
        "dimensions": config["dimensions"][:1],
        "training": {**config["training"], "save_strategy": "steps", "save_steps": 1, **training},
    }


def _write(tmp_path, config, name="run.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(config))
    return path


def _train(args, capsys):
    code = main(["train", *map(str, args)])
    return code, capsys.readouterr().err


def test_overwrite_removes_the_killed_runs_checkpoints(tiny_run, capsys):
    """Case 2: stale checkpoint-N folders of an older, longer run do not survive --overwrite."""
    tmp_path, config = tiny_run
    path = _write(tmp_path, _dpo_only(tmp_path, config, max_steps=3))
    assert main(["train", str(path)]) == 0
    checkpoints = tmp_path / "runs" / "tiny" / "checkpoints"
    assert (checkpoints / "checkpoint-3").is_dir()
    path = _write(tmp_path, _dpo_only(tmp_path, config, max_steps=2))
    assert main(["train", str(path), "--overwrite"]) == 0
    names = sorted(p.name for p in checkpoints.iterdir())
    assert names == ["checkpoint-1", "checkpoint-2"]
    assert last_complete_checkpoint(checkpoints).name == "checkpoint-2"
    manifest = json.loads((tmp_path / "runs" / "tiny" / "run.json").read_text())
    assert manifest["global_step"] == 2


def test_resume_skips_a_half_written_checkpoint_with_a_warning(tiny_run, capsys):
    """Case 2: --resume uses the newest complete checkpoint; a torn newer one is skipped."""
    tmp_path, config = tiny_run
    path = _write(tmp_path, _dpo_only(tmp_path, config, max_steps=2))
    assert main(["train", str(path)]) == 0
    checkpoints = tmp_path / "runs" / "tiny" / "checkpoints"
    # a kill while saving step 3: its trainer_state.json (written last) is torn
    torn = checkpoints / "checkpoint-3"
    shutil.copytree(checkpoints / "checkpoint-2", torn)
    (torn / "trainer_state.json").write_text('{"global_step": 3, "log_hist')
    # and step 4 lost its weights
    shutil.copytree(checkpoints / "checkpoint-2", checkpoints / "checkpoint-4")
    (checkpoints / "checkpoint-4" / "adapter_model.safetensors").unlink()
    with pytest.warns(UserWarning, match="skipping the incomplete checkpoint") as record:
        assert last_complete_checkpoint(checkpoints).name == "checkpoint-2"
    assert any("checkpoint-3" in str(w.message) for w in record)
    shutil.rmtree(tmp_path / "runs" / "tiny" / "adapter")
    path = _write(tmp_path, _dpo_only(tmp_path, config, max_steps=3, save_strategy="no"))
    with pytest.warns(UserWarning, match="checkpoint-4"):
        assert main(["train", str(path), "--resume"]) == 0
    manifest = json.loads((tmp_path / "runs" / "tiny" / "run.json").read_text())
    assert manifest["global_step"] == 3  # resumed at 2, one more step


def test_overwrite_and_resume_exclude_each_other(tiny_run, capsys):
    tmp_path, config = tiny_run
    path = _write(tmp_path, config)
    with pytest.raises(SystemExit) as exc:
        main(["train", str(path), "--overwrite", "--resume"])
    assert exc.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_trust_remote_code_in_scorer_kwargs_is_refused_without_the_flag(tiny_run, capsys):
    """Case 5: a config cannot switch on remote code by itself."""
    tmp_path, config = tiny_run
    dims = [dict(d) for d in config["dimensions"]]
    dims[1]["scorer_kwargs"] = {"unit": "chars", "trust_remote_code": True}
    code, err = _train([_write(tmp_path, {**config, "dimensions": dims})], capsys)
    assert code == 2
    assert "mdpo train: error: the run config sets trust_remote_code at " in err
    assert "dimensions[1].scorer_kwargs.trust_remote_code" in err and "--trust-remote-code" in err
    assert not (tmp_path / "runs" / "tiny").exists()


def test_trust_remote_code_flag_lets_the_key_through(tiny_run, monkeypatch, capsys):
    tmp_path, config = tiny_run
    seen = {}

    def fake_get_scorer(name, **kwargs):
        seen.update(kwargs)
        raise ValueError("stop here")

    monkeypatch.setattr("mdpo.scorers.get_scorer", fake_get_scorer)
    dims = [dict(d) for d in config["dimensions"]]
    dims[1]["scorer_kwargs"] = {"trust_remote_code": True}
    path = _write(tmp_path, {**config, "dimensions": dims})
    code, err = _train([path, "--trust-remote-code"], capsys)
    assert code == 2 and "stop here" in err
    assert seen == {"trust_remote_code": True}


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("model: [unclosed\n", "is not valid YAML"),
        ("model: {name_or_path: x}\ndimensions: 3\n", "dimensions must be a list"),
        ("- a\n- b\n", "must hold a YAML mapping"),
    ],
)
def test_malformed_yaml_is_one_error_line(tmp_path, capsys, text, needle):
    """Case 8: no traceback for a malformed config."""
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    code, err = _train([path], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mdpo train: error:") and needle in lines[0]


def test_a_missing_config_file_is_one_error_line(tmp_path, capsys):
    code, err = _train([tmp_path / "nope.yaml"], capsys)
    assert code == 2 and err.startswith("mdpo train: error: run config") and "does not exist" in err


def test_a_missing_model_folder_is_one_error_line(tiny_run, capsys):
    """Case 8: model.name_or_path naming a folder that is not there."""
    tmp_path, config = tiny_run
    missing = str(tmp_path / "no" / "such-model")
    code, err = _train([_write(tmp_path, {**config, "model": {"name_or_path": missing}})], capsys)
    assert code == 2
    assert err.strip() == (
        f"mdpo train: error: model.name_or_path {missing!r} is not a model folder (it does not "
        "exist or is not a folder); give a folder written by save_pretrained, or 'smollm2'"
    )


@pytest.mark.parametrize("where", ["file", "below"])
def test_an_output_dir_that_is_a_file_is_one_error_line(tiny_run, capsys, where):
    """Case 8: --output-dir that is a file, or lies below one."""
    tmp_path, config = tiny_run
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    out = blocker if where == "file" else blocker / "sub"
    code, err = _train([_write(tmp_path, config), "--output-dir", out], capsys)
    assert code == 2 and err.startswith("mdpo train: error: --output-dir")
    assert ("is an existing file" if where == "file" else "lies below") in err
    assert blocker.read_text() == "x"


def test_empty_output_dir_is_refused(tiny_run, capsys):
    """Case 6 for train: '' would mean the current folder."""
    tmp_path, config = tiny_run
    code, err = _train([_write(tmp_path, config), "--output-dir", ""], capsys)
    assert code == 2 and "--output-dir must name a folder, got ''" in err


@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_non_finite_learning_rate_is_refused_at_load(tiny_run, capsys, value):
    """Case 7 for train: refused before any model is loaded."""
    tmp_path, config = tiny_run
    config = {**config, "training": {**config["training"], "learning_rate": value}}
    code, err = _train([_write(tmp_path, config)], capsys)
    assert code == 2
    assert "mdpo train: error: training.learning_rate must be a finite number" in err


def test_a_second_writer_of_the_run_folder_is_refused(tiny_run, capsys):
    """Case 1 for train: the run folder's lock names its holder."""
    tmp_path, config = tiny_run
    run_dir = tmp_path / "runs" / "tiny"
    with folder_lock(run_dir, "mdpo train other"):
        code, err = _train([_write(tmp_path, config)], capsys)
    assert code == 2
    assert f"output folder {str(run_dir)!r} is in use by pid " in err
    assert "(mdpo train other, since" in err
    assert not (run_dir / "run.json").exists()


def test_a_missing_reporting_integration_is_one_error_line(tiny_run, capsys):
    """report_to: tensorboard without tensorboard installed: refused before training."""
    from transformers.integrations import get_available_reporting_integrations

    if "tensorboard" in get_available_reporting_integrations():
        pytest.skip("tensorboard is installed here")
    tmp_path, config = tiny_run
    path = _write(tmp_path, _dpo_only(tmp_path, config, report_to="tensorboard"))
    code, err = _train([path], capsys)
    assert code == 2
    last = err.strip().splitlines()[-1]  # after the datasets' progress bars
    assert last.startswith("mdpo train: error: ")
    assert "report_to names 'tensorboard'" in last and "pip install tensorboard" in last
    assert "Traceback" not in err
