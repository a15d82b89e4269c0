import json

import pytest
import torch

from mdpo.testing import tiny_causal_lm

LAM = (0.2, 0.8)


def test_export_lora_loads_in_peft_and_matches(arch, ids, tmp_path, make):
    import peft

    model = make(arch, r=3, n_dims=2, lora_alpha=7.0)
    model.set_preference(LAM)
    expected = model(ids).logits
    model.export_lora(LAM, tmp_path)
    meta = json.loads((tmp_path / "adapter_config.json").read_text())
    assert meta["peft_type"] == "LORA"
    assert meta["r"] == meta["lora_alpha"] == 5
    base = tiny_causal_lm(arch)
    assert not torch.allclose(base(ids).logits, expected, atol=1e-3)
    lora = peft.PeftModel.from_pretrained(base, tmp_path)
    assert torch.allclose(lora(ids).logits, expected, atol=1e-4)


def test_export_records_base_name_and_refuses_batched(tmp_path, make):
    model = make()
    model.export_lora(LAM, tmp_path, base_model_name_or_path="HuggingFaceTB/SmolLM2-135M-Instruct")
    meta = json.loads((tmp_path / "adapter_config.json").read_text())
    assert meta["base_model_name_or_path"] == "HuggingFaceTB/SmolLM2-135M-Instruct"
    with pytest.raises(ValueError, match="single"):
        model.export_lora([LAM, LAM], tmp_path)
