from __future__ import annotations

import pytest
import torch

from mdpo.models import load_causal_lm
from mdpo.testing import tiny_causal_lm


def test_loads_local_path_with_pad_token_and_right_padding(tiny_lm_dir):
    model, tok = load_causal_lm(tiny_lm_dir)
    reference = tiny_causal_lm("llama")
    ids = torch.tensor([[1, 40, 41, 42]])
    assert not model.training
    torch.testing.assert_close(model(ids).logits, reference(ids).logits)
    assert tok.pad_token == tok.eos_token == "<|im_end|>"
    assert tok.padding_side == "right"
    assert model.config.pad_token_id == tok.pad_token_id


def test_dtype_is_applied(tiny_lm_dir):
    model, _ = load_causal_lm(tiny_lm_dir, dtype=torch.bfloat16)
    assert {p.dtype for p in model.parameters()} == {torch.bfloat16}


def test_missing_pad_token_is_set_to_eos(tmp_path):
    from mdpo.testing import tiny_chat_tokenizer

    model = tiny_causal_lm("gpt2")
    model.config.pad_token_id = None
    model.generation_config.pad_token_id = None
    model.save_pretrained(tmp_path)
    tok = tiny_chat_tokenizer()
    tok.pad_token = None
    tok.save_pretrained(tmp_path)
    model, tok = load_causal_lm(tmp_path)
    assert tok.pad_token == "<|im_end|>"
    assert model.config.pad_token_id == tok.pad_token_id == 2


@pytest.mark.parametrize("dtype", ["float32", torch.int64, None])
def test_bad_dtype_is_refused(tiny_lm_dir, dtype):
    with pytest.raises(TypeError, match="dtype must be a floating torch.dtype"):
        load_causal_lm(tiny_lm_dir, dtype=dtype)


def test_bad_name_or_path_type_is_refused():
    with pytest.raises(TypeError, match="name_or_path must be a str or path, got int"):
        load_causal_lm(3)


def test_trust_remote_code_passed_only_when_asked(tiny_lm_dir, monkeypatch):
    import transformers

    seen = []
    real = transformers.AutoModelForCausalLM.from_pretrained

    def spy(*args, **kwargs):
        seen.append(kwargs.get("trust_remote_code", "absent"))
        return real(*args, **kwargs)

    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", spy)
    load_causal_lm(tiny_lm_dir)
    load_causal_lm(tiny_lm_dir, trust_remote_code=True)
    assert seen == ["absent", True]
    with pytest.raises(TypeError, match="trust_remote_code must be a bool"):
        load_causal_lm(tiny_lm_dir, trust_remote_code="yes")


def test_local_folder_named_like_an_alias_is_a_path(tmp_path, monkeypatch):
    from mdpo.models import is_smollm2_name

    assert is_smollm2_name("SmolLM2")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "smollm2").mkdir()
    assert not is_smollm2_name("smollm2")
