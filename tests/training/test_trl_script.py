"""The TRL user's script of docs/guide/trl.md, run exactly as printed there (tiny model)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import torch

PAGE = Path(__file__).resolve().parents[2] / "docs" / "guide" / "trl.md"


def _script() -> str:
    blocks = re.findall(r"^```python\n(.*?)^```$", PAGE.read_text(encoding="utf-8"), re.M | re.S)
    assert len(blocks) == 1, "docs/guide/trl.md must hold exactly one python block: the script"
    return blocks[0]


def test_the_trl_script_trains_a_steerable_model_and_writes_a_hub_folder(
    tmp_path, monkeypatch, capsys, logp
):
    source = _script()
    assert "train_dataset=train_dataset" in source and "eval_dataset=eval_dataset" in source
    assert len(source.strip().splitlines()) <= 80
    monkeypatch.chdir(tmp_path)
    ns: dict = {}
    exec(compile(source, str(PAGE), "exec"), ns)

    data, trainer, model, tok = ns["train_dataset"], ns["trainer"], ns["model"], ns["tok"]
    assert isinstance(data, ns["datasets"].Dataset)
    assert data.column_names == ["prompt", "chosen", "rejected", "helpful", "concise"]
    assert isinstance(data[0]["chosen"], list) and data[0]["chosen"][0]["role"] == "assistant"
    assert trainer.state.global_step == 20 and trainer.dim_names == ["helpful", "concise"]

    # λ steers the model on the held-out pairs: each dimension wins at its own vertex.
    metrics = ns["metrics"]
    assert metrics["eval_dpo/helpful/accuracy@1.00,0.00"] == 1.0
    assert metrics["eval_dpo/concise/accuracy@0.00,1.00"] == 1.0
    assert metrics["eval_loss/helpful@1.00,0.00"] < metrics["eval_loss/helpful@0.00,1.00"]
    question = "Hi!"
    detailed, short = "Hi: a long, detailed answer.", "Yes."

    def margin(lam):
        return logp(model, tok, question, detailed, lam) - logp(model, tok, question, short, lam)

    assert margin([1.0, 0.0]) > margin([0.0, 1.0])
    printed = capsys.readouterr().out
    assert "[1.0, 0.0] {'helpful': 1.0" in printed and "[0.0, 1.0] {'helpful':" in printed

    # The Hub-ready folder: adapter, config and card, and it loads back to the same model.
    folder = tmp_path / "hub-ready"
    assert sorted(p.name for p in folder.iterdir()) == [
        "README.md",
        "adapter_config.json",
        "adapter_model.safetensors",
    ]
    card = (folder / "README.md").read_text(encoding="utf-8")
    assert "library_name: peft" in card and "`helpful`, `concise`" in card
    assert "| dpo/helpful/accuracy@1.00,0.00 | 1.0 |" in card
    assert json.loads((folder / "adapter_config.json").read_text())["n_dims"] == 2

    from mdpo.adapters import PanaceaModel
    from mdpo.testing import tiny_causal_lm

    loaded = PanaceaModel.from_pretrained(tiny_causal_lm("llama"), folder)
    ids = tok("Why is the sky blue?", return_tensors="pt").input_ids
    with torch.no_grad(), model.preference([0.3, 0.7]), loaded.preference([0.3, 0.7]):
        model.eval()
        assert torch.allclose(model(input_ids=ids).logits, loaded(input_ids=ids).logits, atol=1e-5)
