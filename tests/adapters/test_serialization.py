import json

import pytest
import torch
from safetensors.torch import load_file, save_file

from mdpo._version import __version__
from mdpo.adapters import FORMAT_VERSION, PEFT_TYPE_FIELD, PanaceaModel
from mdpo.testing import tiny_causal_lm

LAM = (0.3, 0.7)


def test_save_writes_config_and_adapter_weights_only(tmp_path, make):
    model = make(r=3, n_dims=2, lora_alpha=10.0)
    model.set_preference(LAM)
    model.save_pretrained(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "adapter_config.json",
        "adapter_model.safetensors",
    ]
    meta = json.loads((tmp_path / "adapter_config.json").read_text())
    assert meta["peft_type"] == PEFT_TYPE_FIELD
    assert meta["format_version"] == FORMAT_VERSION
    assert meta["mdpo_version"] == __version__
    assert (meta["r"], meta["n_dims"], meta["lora_alpha"]) == (3, 2, 10.0)
    weights = load_file(tmp_path / "adapter_model.safetensors")
    assert set(weights) == set(model.adapter_state_dict())
    assert all(k.rsplit(".", 1)[-1] in {"lora_A", "lora_B", "lora_E", "lora_s"} for k in weights)


def test_roundtrip_after_reseeding(arch, ids, tmp_path, make):
    model = make(arch)
    model.set_preference(LAM)
    expected = model(ids).logits
    model.save_pretrained(tmp_path)
    torch.manual_seed(12345)  # a fresh adapter would be different random values
    fresh = make(arch, random=False)
    fresh.set_preference(LAM)
    assert not torch.allclose(fresh(ids).logits, expected, atol=1e-3)
    loaded = PanaceaModel.from_pretrained(tiny_causal_lm(arch), tmp_path)
    loaded.set_preference(LAM)
    assert torch.allclose(loaded(ids).logits, expected, atol=1e-5)
    assert not loaded.training
    assert not any(p.requires_grad for p in loaded.parameters())
    trainable = PanaceaModel.from_pretrained(tiny_causal_lm(arch), tmp_path, is_trainable=True)
    assert all(p.requires_grad for p in trainable.adapter_parameters())


def test_adapter_state_dict_roundtrip(ids, make):
    src, dst = make(), make(random=False)
    dst.load_adapter_state_dict(src.adapter_state_dict())
    src.set_preference(LAM)
    dst.set_preference(LAM)
    assert torch.equal(src(ids).logits, dst(ids).logits)


def test_refuses_peft_lora_dir(tmp_path):
    import peft

    lora = peft.get_peft_model(
        tiny_causal_lm("llama"), peft.LoraConfig(r=2, target_modules=["q_proj"])
    )
    lora.save_pretrained(tmp_path)
    with pytest.raises(
        ValueError, match="not a Panacea adapter.*'LORA'.*PeftModel.from_pretrained"
    ):
        PanaceaModel.from_pretrained(tiny_causal_lm("llama"), tmp_path)


def test_refuses_missing_or_empty_dir(tmp_path):
    with pytest.raises(ValueError, match="is not a directory"):
        PanaceaModel.from_pretrained(tiny_causal_lm("llama"), tmp_path / "nope")
    with pytest.raises(ValueError, match="adapter_config.json.*does not exist"):
        PanaceaModel.from_pretrained(tiny_causal_lm("llama"), tmp_path)


def test_refuses_mismatched_n_dims(tmp_path, make):
    make(n_dims=3).save_pretrained(tmp_path)
    with pytest.raises(ValueError, match="n_dims=3 .*but n_dims=2 was expected"):
        PanaceaModel.from_pretrained(tiny_causal_lm("llama"), tmp_path, n_dims=2)
    assert PanaceaModel.from_pretrained(tiny_causal_lm("llama"), tmp_path, n_dims=3).n_dims == 3


def test_refuses_missing_keys_and_leaves_base_clean(tmp_path, make):
    from mdpo.adapters import PanaceaLinear

    make().save_pretrained(tmp_path)
    path = tmp_path / "adapter_model.safetensors"
    weights = load_file(path)
    dropped = sorted(weights)[0]
    del weights[dropped]
    save_file(weights, path)
    base = tiny_causal_lm("llama")
    with pytest.raises(ValueError, match="1 missing keys"):
        PanaceaModel.from_pretrained(base, tmp_path)
    assert not any(isinstance(m, PanaceaLinear) for m in base.modules())


def test_refuses_wrong_shapes_and_unexpected_keys(tmp_path, make):
    make(r=4).save_pretrained(tmp_path)
    cfg_path = tmp_path / "adapter_config.json"
    meta = json.loads(cfg_path.read_text())
    cfg_path.write_text(json.dumps({**meta, "r": 5}))
    with pytest.raises(ValueError, match="shape"):
        PanaceaModel.from_pretrained(tiny_causal_lm("llama"), tmp_path)
    cfg_path.write_text(json.dumps({**meta, "target_modules": ["q_proj"]}))
    with pytest.raises(ValueError, match="unexpected keys"):
        PanaceaModel.from_pretrained(tiny_causal_lm("llama"), tmp_path)


def test_refuses_newer_format_and_missing_weights(tmp_path, make):
    make().save_pretrained(tmp_path)
    cfg_path = tmp_path / "adapter_config.json"
    meta = json.loads(cfg_path.read_text())
    cfg_path.write_text(json.dumps({**meta, "format_version": FORMAT_VERSION + 1}))
    with pytest.raises(ValueError, match="newer.*upgrade mdpo"):
        PanaceaModel.from_pretrained(tiny_causal_lm("llama"), tmp_path)
    cfg_path.write_text(json.dumps(meta))
    (tmp_path / "adapter_model.safetensors").unlink()
    with pytest.raises(ValueError, match="no adapter_model.safetensors"):
        PanaceaModel.from_pretrained(tiny_causal_lm("llama"), tmp_path)


def test_refuses_file_as_output_dir(tmp_path, make):
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(ValueError, match="must be a directory"):
        make().save_pretrained(target)
