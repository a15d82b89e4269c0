"""Resuming from an adapter-only checkpoint ends in the uninterrupted run's weights."""

from __future__ import annotations

import json
import os

import pytest
import torch

from mdpo.adapters import PEFT_TYPE_FIELD
from mdpo.objectives import DPOObjective, MultiObjective
from mdpo.training import MDPO_STATE_FILE, MDPOTrainer, load_mdpo_state


def _objective(pairs, normalize):
    obj = DPOObjective(label_columns={"a": "a", "b": "b"}, beta=0.5)
    return MultiObjective.single(obj, pairs, normalize=normalize)


@pytest.mark.parametrize(
    ("aggregator", "normalize"), [("ls", None), ("tche", "running")], ids=["ls", "tche"]
)
def test_resume_matches_uninterrupted_run(
    tmp_path, panacea, pairs, tok, config, aggregator, normalize
):
    kwargs = {
        "max_steps": 6,
        "save_strategy": "steps",
        "save_steps": 3,
        "per_device_train_batch_size": 2,
        "gradient_accumulation_steps": 2,
        "aggregator": aggregator,
        "logging_steps": 3,
    }
    full_dir = tmp_path / "full"
    model = panacea()
    trainer = MDPOTrainer(
        model,
        config(output_dir=str(full_dir), **kwargs),
        _objective(pairs, normalize),
        processing_class=tok,
    )
    trainer.train()
    final = model.adapter_state_dict()
    checkpoint = full_dir / "checkpoint-3"

    # the checkpoint holds the adapter only, plus optimizer/scheduler/RNG/trainer state
    files = set(os.listdir(checkpoint))
    assert {"adapter_config.json", "adapter_model.safetensors", MDPO_STATE_FILE} <= files
    assert {"optimizer.pt", "scheduler.pt", "rng_state.pth", "trainer_state.json"} <= files
    assert not files & {"model.safetensors", "pytorch_model.bin"}
    adapter_config = json.loads((checkpoint / "adapter_config.json").read_text())
    assert adapter_config["peft_type"] == PEFT_TYPE_FIELD
    state = load_mdpo_state(checkpoint)
    assert torch.isfinite(state["ideal"]["ideal"]).all()
    if normalize:
        assert state["objective"]["normalizer"] is not None

    resumed_model = panacea()
    resumed = MDPOTrainer(
        resumed_model,
        config(output_dir=str(tmp_path / "resumed"), **kwargs),
        _objective(pairs, normalize),
        processing_class=tok,
    )
    resumed.train(resume_from_checkpoint=str(checkpoint))
    assert resumed.state.global_step == 6
    after = resumed_model.adapter_state_dict()
    # the run moved after the checkpoint (so equality below is not a no-op) ...
    from safetensors.torch import load_file

    at_three = load_file(str(checkpoint / "adapter_model.safetensors"))
    assert any(not torch.allclose(at_three[k], final[k]) for k in final)
    # ... and the resumed run ends exactly where the uninterrupted one did
    for key, value in final.items():
        torch.testing.assert_close(after[key], value, atol=1e-6, rtol=0)
    torch.testing.assert_close(resumed.ideal_tracker.value, trainer.ideal_tracker.value)


def test_resume_refuses_a_checkpoint_of_other_dimensions(tmp_path, panacea, pairs, tok, config):
    trainer = MDPOTrainer(
        panacea(),
        config(output_dir=str(tmp_path / "a"), max_steps=1, save_strategy="steps", save_steps=1),
        _objective(pairs, None),
        processing_class=tok,
    )
    trainer.train()
    renamed = [dict(p, c=p["a"]) for p in pairs]
    other = MultiObjective.single(
        DPOObjective(label_columns={"c": "c", "b": "b"}, beta=0.5), renamed
    )
    resumed = MDPOTrainer(
        panacea(), config(output_dir=str(tmp_path / "b"), max_steps=2), other, processing_class=tok
    )
    with pytest.raises(ValueError, match=r"dimensions \['a', 'b'\]"):
        resumed.train(resume_from_checkpoint=str(tmp_path / "a" / "checkpoint-1"))


def test_resume_of_a_fixed_preference_lora_expert(tmp_path, pairs, tok, config):
    from peft import LoraConfig, get_peft_model
    from peft.utils import get_peft_model_state_dict

    from mdpo.testing import tiny_causal_lm

    def lora():
        return get_peft_model(
            tiny_causal_lm("llama"), LoraConfig(r=4, lora_alpha=4, target_modules=["q_proj"])
        )

    kwargs = {
        "max_steps": 4,
        "save_strategy": "steps",
        "save_steps": 2,
        "fixed_preference": [0.3, 0.7],
        "aggregator": "tche",
    }
    model = lora()
    MDPOTrainer(
        model,
        config(output_dir=str(tmp_path / "full"), **kwargs),
        _objective(pairs, None),
        processing_class=tok,
    ).train()
    final = {k: v.clone() for k, v in get_peft_model_state_dict(model).items()}
    resumed_model = lora()
    MDPOTrainer(
        resumed_model,
        config(output_dir=str(tmp_path / "resumed"), **kwargs),
        _objective(pairs, None),
        processing_class=tok,
    ).train(resume_from_checkpoint=str(tmp_path / "full" / "checkpoint-2"))
    after = get_peft_model_state_dict(resumed_model)
    assert any(not torch.equal(v, get_peft_model_state_dict(lora())[k]) for k, v in final.items())
    for key, value in final.items():
        torch.testing.assert_close(after[key], value, atol=1e-6, rtol=0)
