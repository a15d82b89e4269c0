"""Every refusal of MDPOTrainer, each with a message naming the problem."""

from __future__ import annotations

import pytest
from transformers import TrainingArguments

from mdpo.conditioning import AdapterConditioning, PromptConditioning
from mdpo.objectives import DPOObjective, MultiObjective
from mdpo.training import MDPOTrainer


@pytest.fixture
def lora_model():
    from peft import LoraConfig, get_peft_model

    from mdpo.testing import tiny_causal_lm

    return get_peft_model(
        tiny_causal_lm("llama"), LoraConfig(r=4, lora_alpha=4, target_modules=["q_proj", "v_proj"])
    )


def test_sampling_lambda_without_adapter_or_prompt_conditioning(
    lora_model, ab_objective, pairs, tok, config
):
    with pytest.raises(ValueError, match="cannot sample preferences") as info:
        MDPOTrainer(lora_model, config(), ab_objective, pairs, processing_class=tok)
    assert "PromptConditioning" in str(info.value)
    assert "fixed_preference" in str(info.value)


def test_adapter_conditioning_on_a_model_without_panacea(
    lora_model, ab_objective, pairs, tok, config
):
    with pytest.raises(ValueError, match="AdapterConditioning"):
        MDPOTrainer(
            lora_model,
            config(),
            ab_objective,
            pairs,
            processing_class=tok,
            conditioning=AdapterConditioning(),
        )


def test_panacea_with_a_conditioning_that_skips_the_adapter(
    panacea, ab_objective, pairs, tok, config
):
    with pytest.raises(ValueError, match="needs λ written into its adapter"):
        MDPOTrainer(
            panacea(),
            config(),
            ab_objective,
            pairs,
            processing_class=tok,
            conditioning=PromptConditioning(["a", "b"]),
        )


def test_m_mismatching_the_adapter(panacea, ab_objective, pairs, tok, config):
    with pytest.raises(ValueError, match=r"m=2 .* n_dims=3"):
        MDPOTrainer(panacea(n_dims=3), config(), ab_objective, pairs, processing_class=tok)


def test_dataset_without_needed_columns(panacea, ab_objective, pairs, tok, config):
    broken = [{k: v for k, v in p.items() if k != "response_1"} for p in pairs]
    with pytest.raises(ValueError, match="response_1"):
        MDPOTrainer(panacea(), config(), ab_objective, broken, processing_class=tok)
    unlabeled = [{k: v for k, v in p.items() if k != "b"} for p in pairs]
    with pytest.raises(ValueError, match="'b'"):
        MDPOTrainer(panacea(), config(), ab_objective, unlabeled, processing_class=tok)


def test_remove_unused_columns_is_refused(panacea, ab_objective, pairs, tok, config, tmp_path):
    with pytest.raises(ValueError, match="remove_unused_columns"):
        config(remove_unused_columns=True)
    plain = TrainingArguments(output_dir=str(tmp_path), remove_unused_columns=True)
    with pytest.raises(TypeError, match="MDPOConfig"):
        MDPOTrainer(panacea(), plain, ab_objective, pairs, processing_class=tok)


def test_model_without_any_adapter(ab_objective, pairs, tok, config):
    from mdpo.testing import tiny_causal_lm

    with pytest.raises(TypeError, match="adapters only"):
        MDPOTrainer(tiny_causal_lm("llama"), config(), ab_objective, pairs, processing_class=tok)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"dim_names": ["x", "y"]}, "dim_names"),
        ({"fixed_preference": [0.2, 0.3, 0.5]}, "fixed_preference has 3 entries"),
        ({"ideal": [0.0, 0.0, 0.0]}, "ideal has 3 entries"),
        ({"max_steps": -1}, "max_steps"),
        ({"aggregator": "nope"}, "nope"),
    ],
)
def test_argument_mismatches(panacea, ab_objective, pairs, tok, config, kwargs, words):
    with pytest.raises(ValueError, match=words):
        MDPOTrainer(panacea(), config(**kwargs), ab_objective, pairs, processing_class=tok)


def test_objective_and_data_combinations(panacea, ab_objective, pairs, tok, config):
    with pytest.raises(ValueError, match="train_dataset is required"):
        MDPOTrainer(panacea(), config(), ab_objective, processing_class=tok)
    multi = MultiObjective.single(ab_objective, pairs)
    with pytest.raises(ValueError, match="train_dataset must be None"):
        MDPOTrainer(panacea(), config(), multi, pairs, processing_class=tok)
    with pytest.raises(TypeError, match="objective must be"):
        MDPOTrainer(panacea(), config(), "dpo", pairs, processing_class=tok)
    with pytest.raises(ValueError, match="processing_class"):
        MDPOTrainer(panacea(), config(), multi, processing_class=tok, tokenizer=object())
    unnamed = DPOObjective()
    # An unnamed objective is named "dpo"; paired rows then need label_columns.
    with pytest.raises(ValueError, match="matches no preference format.*label_columns"):
        MDPOTrainer(panacea(n_dims=1), config(), unnamed, pairs, processing_class=tok)
