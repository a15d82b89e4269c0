"""MDPOTrainer the way a TRL user calls it: train_dataset/eval_dataset, unnamed objectives."""

from __future__ import annotations

import datasets
import pytest
import torch

from mdpo.conditioning import AdapterConditioning
from mdpo.objectives import DPOObjective, MultiObjective, SFTObjective
from mdpo.training import MDPOTrainer

USER = {"role": "user", "content": "Say A"}


def _conv_implicit(n: int) -> datasets.Dataset:
    rows = [
        {
            "chosen": [{**USER, "content": f"Say {w}"}, {"role": "assistant", "content": "A"}],
            "rejected": [{**USER, "content": f"Say {w}"}, {"role": "assistant", "content": "B"}],
        }
        for w in ["x", "yy", "z", "hi", "ok", "go"][:n]
    ]
    return datasets.Dataset.from_list(rows)


def test_unnamed_single_objective_trains_on_a_trl_dataset(panacea, tok, config):
    trainer = MDPOTrainer(
        panacea(n_dims=1),
        config(max_steps=3, logging_steps=1),
        DPOObjective(),
        train_dataset=_conv_implicit(4),
        processing_class=tok,
    )
    assert trainer.dim_names == ["dpo"]
    trainer.train()
    logged = [h for h in trainer.state.log_history if "dpo/dpo/accuracy" in h]
    assert len(logged) == 3


def test_dim_names_of_the_config_name_an_unnamed_objective(panacea, tok, config):
    trainer = MDPOTrainer(
        panacea(n_dims=1),
        config(dim_names=["helpful"]),
        DPOObjective(),
        _conv_implicit(2),
        processing_class=tok,
    )
    assert trainer.dim_names == ["helpful"]


def test_train_data_is_a_deprecated_alias(panacea, tok, config, pairs, ab_objective):
    with pytest.warns(FutureWarning, match="train_data=.*deprecated.*train_dataset"):
        trainer = MDPOTrainer(
            panacea(), config(), ab_objective, train_data=pairs, processing_class=tok
        )
    assert trainer.objective.components[0].data == pairs
    with pytest.raises(ValueError, match="pass the dataset once"):
        MDPOTrainer(
            panacea(), config(), ab_objective, pairs, train_data=pairs, processing_class=tok
        )


def test_sft_dim_name_alias():
    assert SFTObjective(dim_name="formal").dim_names == ["formal"]
    assert SFTObjective(dim_names="formal").dim_names == ["formal"]
    with pytest.raises(ValueError, match="pass the dimension name once"):
        SFTObjective("a", dim_name="b")


def test_evaluate_reports_every_lambda_of_the_grid(panacea, tok, config, pairs, ab_objective):
    model = panacea()
    eval_rows = pairs[:3]
    trainer = MDPOTrainer(
        model,
        config(per_device_eval_batch_size=2, max_steps=5),
        ab_objective,
        pairs,
        eval_dataset=eval_rows,
        processing_class=tok,
    )
    trainer.train()  # an untrained Panacea adapter is the identity at every λ
    metrics = trainer.evaluate()
    tags = ["0.00,1.00", "0.50,0.50", "1.00,0.00"]
    for tag in tags:
        for dim in ("a", "b"):
            for key in (f"loss/{dim}", f"dpo/{dim}/margin", f"dpo/{dim}/accuracy"):
                assert f"eval_{key}@{tag}" in metrics, (key, tag)
    # The numbers are the objective's own on every eval row at that λ.
    lam = torch.tensor([[1.0, 0.0]]).expand(3, 2).clone()
    with torch.no_grad():
        model.eval()
        direct = (
            MultiObjective.single(ab_objective, eval_rows)
            .components[0]
            .objective(model, eval_rows, lam, tokenizer=tok, conditioning=AdapterConditioning())
        )
    assert metrics["eval_loss/a@1.00,0.00"] == pytest.approx(float(direct.losses[:, 0].mean()))
    assert metrics["eval_loss/b@1.00,0.00"] == pytest.approx(float(direct.losses[:, 1].mean()))
    weighted = [
        metrics[f"eval_loss/a@{t}"] * float(t.split(",")[0])
        + metrics[f"eval_loss/b@{t}"] * float(t.split(",")[1])
        for t in tags
    ]
    assert metrics["eval_loss"] == pytest.approx(sum(weighted) / 3)
    # The trained adapter follows λ: dimension a is best at its own vertex.
    assert metrics["eval_loss/a@1.00,0.00"] < metrics["eval_loss/a@0.00,1.00"]
    assert metrics["eval_dpo/a/accuracy@1.00,0.00"] == 1.0


def test_evaluation_during_training_is_logged(panacea, tok, config, pairs, ab_objective):
    trainer = MDPOTrainer(
        panacea(),
        config(max_steps=4, eval_strategy="steps", eval_steps=2, eval_preference_partitions=1),
        ab_objective,
        pairs,
        eval_dataset={"a+b": pairs[:2]},
        processing_class=tok,
    )
    trainer.train()
    evals = [h for h in trainer.state.log_history if "eval_loss" in h]
    assert [h["step"] for h in evals] == [2, 4]
    assert {"eval_dpo/a/accuracy@1.00,0.00", "eval_dpo/b/margin@0.00,1.00"} <= set(evals[-1])


def test_eval_dataset_refusals(panacea, tok, config, pairs, ab_objective):
    with pytest.raises(ValueError, match=r"eval_dataset\['a\+b'\]: .*missing column"):
        MDPOTrainer(
            panacea(), config(), ab_objective, pairs, eval_dataset=[{"x": 1}], processing_class=tok
        )
    trainer = MDPOTrainer(panacea(), config(), ab_objective, pairs, processing_class=tok)
    with pytest.raises(ValueError, match="evaluate\\(\\) has no data"):
        trainer.evaluate()
    with pytest.raises(ValueError, match="eval_preference_partitions must be an int >= 1"):
        config(eval_preference_partitions=0)
