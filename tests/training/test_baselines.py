"""Fixed λ (RS experts and DPS members) and prompt conditioning (RiC) on plain peft LoRA."""

from __future__ import annotations

import os

import pytest
import torch

from mdpo.conditioning import NoConditioning, PromptConditioning
from mdpo.data import sequence_logps
from mdpo.training import MDPOTrainer


def _lora():
    from peft import LoraConfig, get_peft_model

    from mdpo.testing import tiny_causal_lm

    return get_peft_model(
        tiny_causal_lm("llama"),
        LoraConfig(r=4, lora_alpha=4, target_modules=["q_proj", "v_proj", "o_proj"]),
    )


def _margin(model, tok, prompt="Say x"):
    """log π(A) − log π(B) after the chat prompt, with whatever conditioning is active."""
    text = tok.apply_chat_template(
        [{"role": "user", "content": prompt}], add_generation_prompt=True, tokenize=False
    )
    prefix = tok(text, add_special_tokens=False).input_ids
    out = []
    for completion in ("A", "B"):
        ids = torch.tensor([prefix + tok(completion, add_special_tokens=False).input_ids])
        mask = torch.zeros_like(ids, dtype=torch.bool)
        mask[:, len(prefix) :] = True
        with torch.no_grad():
            out.append(float(sequence_logps(model, ids, torch.ones_like(ids), mask)[0][0]))
    return out[0] - out[1]


@pytest.mark.parametrize(("fixed", "sign"), [([0.0, 1.0], -1.0)])
def test_fixed_preference_trains_a_plain_lora_expert(
    tmp_path, ab_objective, pairs, tok, config, fixed, sign
):
    model = _lora()
    trainer = MDPOTrainer(
        model,
        config(fixed_preference=fixed, max_steps=8, save_strategy="steps", save_steps=8),
        ab_objective,
        pairs,
        processing_class=tok,
    )
    assert isinstance(trainer.conditioning, NoConditioning)
    before = _margin(model, tok)
    trainer.train()
    after = _margin(model, tok)
    # the expert moves towards the response its one dimension prefers
    assert sign * (after - before) > 0.5
    logs = [h for h in trainer.state.log_history if "lambda/a/mean" in h]
    assert logs and all(h["lambda/a/mean"] == fixed[0] for h in logs)
    checkpoint = tmp_path / "out" / "checkpoint-8"
    files = set(os.listdir(checkpoint))
    assert {"adapter_config.json", "adapter_model.safetensors"} <= files
    assert not files & {"model.safetensors", "pytorch_model.bin"}


def test_fixed_preference_trains_panacea_at_one_lambda(panacea, ab_objective, pairs, tok, config):
    model = panacea()
    trainer = MDPOTrainer(
        model,
        config(fixed_preference=[1.0, 0.0], max_steps=8),
        ab_objective,
        pairs,
        processing_class=tok,
    )
    trainer.train()
    with model.preference([1.0, 0.0]):
        assert _margin(model, tok) > 0.5


def test_prompt_conditioning_trains_a_plain_lora_on_sampled_lambda(
    ab_objective, pairs, tok, config
):
    model = _lora()
    before = {k: v.clone() for k, v in model.named_parameters() if v.requires_grad}
    trainer = MDPOTrainer(
        model,
        config(max_steps=3, vertex_prob=1.0, logging_steps=1),
        ab_objective,
        pairs,
        processing_class=tok,
        conditioning=PromptConditioning(["a", "b"]),
    )
    trainer.train()
    after = dict(model.named_parameters())
    assert all(not torch.equal(after[k], v) for k, v in before.items())
    logs = [h for h in trainer.state.log_history if "lambda/a/mean" in h]
    # λ is sampled (vertices here), not fixed
    assert {h["lambda/a/mean"] for h in logs} != {logs[0]["lambda/a/mean"]} or any(
        0.0 < h["lambda/a/mean"] < 1.0 for h in logs
    )
