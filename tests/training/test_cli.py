"""``mdpo train CONFIG`` on a tiny saved model and tiny JSONL datasets."""

from __future__ import annotations

import json

import pytest
import torch
import yaml

from mdpo.cli.main import main


def _write(tmp_path, config, name="run.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(config))
    return path


def test_mdpo_train_writes_a_run_folder(tiny_run, capsys):
    from mdpo.adapters import PanaceaModel
    from mdpo.testing import tiny_causal_lm

    tmp_path, config = tiny_run
    assert main(["train", str(_write(tmp_path, config))]) == 0
    run_dir = tmp_path / "runs" / "tiny"
    assert f"wrote {run_dir}" in capsys.readouterr().out
    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["base_model"] == str(tmp_path / "base")
    assert manifest["method"] == "panacea"
    assert manifest["dimension_names"] == ["a", "b", "concise", "formal"]
    assert manifest["adapter_paths"] == {"adapter": "adapter"}
    assert manifest["global_step"] == 2
    assert manifest["package_versions"]["torch"].startswith(torch.__version__.split("+")[0])
    assert {"mdpo", "transformers", "peft"} <= set(manifest["package_versions"])
    assert json.loads((run_dir / "config.json").read_text())["aggregator"] == "tche"
    # the adapter loads back onto the base and is not the identity any more
    loaded = PanaceaModel.from_pretrained(tiny_causal_lm("llama"), run_dir / "adapter", n_dims=4)
    assert any(v.abs().sum() > 0 for k, v in loaded.adapter_state_dict().items() if "lora_s" in k)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"run_name": "../escape"}, "escapes output_dir"),
        ({"run_name": "/abs"}, "relative"),
        ({"modle": "x"}, "unknown key 'modle'"),
        ({"method": "full"}, "method must be one of"),
        ({"dimensions": []}, "at least one dimension"),
        ({"dimensions": [{"name": "a", "objective": "ppo", "data": "x"}]}, "objective must be"),
        ({"dimensions": [{"name": "a", "objective": "sft"}]}, "data is required"),
        (
            {"dimensions": [{"name": "a", "objective": "rlhf", "data": "data/prompts.jsonl"}]},
            "scorer",
        ),
        (
            {"dimensions": [{"name": "a", "objective": "sft", "data": "x", "colour": 1}]},
            "unknown key 'colour' in dimensions[0]",
        ),
        ({"adapter": {"rank": 4}}, "unknown key 'rank' in adapter"),
        ({"training": {"seed": 3}}, "training.seed"),
        ({"training": {"max_steps": 1, "learning_rat": 0.1}}, "learning_rat"),
        (
            {"dimensions": [{"name": "a", "objective": "sft", "data": "data/missing.jsonl"}]},
            "does not exist",
        ),
        (
            {"dimensions": [{"name": "a", "objective": "sft", "data": "data/pairs.jsonl"}]},
            "completion",
        ),
    ],
)
def test_mdpo_train_refuses_bad_configs(tiny_run, capsys, change, words):
    tmp_path, config = tiny_run
    assert main(["train", str(_write(tmp_path, {**config, **change}))]) == 2
    err = capsys.readouterr().err
    assert "mdpo train: error:" in err
    assert words in err
    assert not (tmp_path / "escape").exists()


def test_mdpo_train_refuses_an_existing_run_folder(tiny_run, capsys):
    tmp_path, config = tiny_run
    existing = tmp_path / "runs" / "tiny"
    existing.mkdir(parents=True)
    (existing / "keep.txt").write_text("x")
    assert main(["train", str(_write(tmp_path, config))]) == 2
    assert "exists and is not empty" in capsys.readouterr().err
    assert (existing / "keep.txt").read_text() == "x"


def test_mdpo_train_lora_method_at_a_fixed_preference(tiny_run):
    tmp_path, config = tiny_run
    config = {
        **config,
        "method": "lora",
        "run_name": "expert",
        "dimensions": config["dimensions"][:1],
        "training": {**config["training"], "fixed_preference": [1.0, 0.0]},
    }
    assert main(["train", str(_write(tmp_path, config))]) == 0
    run_dir = tmp_path / "runs" / "expert"
    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["method"] == "lora"
    assert manifest["fixed_preference"] == [1.0, 0.0]  # load_policy needs no config.json
    adapter_config = json.loads((run_dir / "adapter" / "adapter_config.json").read_text())
    assert adapter_config["peft_type"] == "LORA"
    assert (run_dir / "adapter" / "adapter_model.safetensors").is_file()
    assert not (run_dir / "adapter" / "model.safetensors").exists()
