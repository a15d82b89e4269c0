"""``MDPOConfig.precompute_ref_log_probs``: the reference scored once, the same training."""

from __future__ import annotations

from typing import Any

import pytest
import torch


class ReferencePasses:
    """Counts the reference forward passes DPO objectives make."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from mdpo.objectives import DPOObjective

        self.calls = 0
        original = DPOObjective._reference_logps

        def counting(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(DPOObjective, "_reference_logps", staticmethod(counting))


def _pairs() -> list[dict[str, Any]]:
    words = ["x", "yy", "z", "hi", "ok", "go"]
    answers = [("A", "B"), ("Sure thing.", "No"), ("ok", "B B B"), ("A A", "maybe so")]
    return [
        {"prompt": f"Say {w}", "response_0": a, "response_1": b, "a": i % 2, "b": 1 - i % 2}
        for i, (w, (a, b)) in enumerate(zip(words, answers * 2))
    ]


def _train(config: Any, tok: Any, data: Any, **kwargs: Any) -> tuple[Any, Any]:
    from mdpo.adapters import PanaceaConfig, get_panacea_model
    from mdpo.objectives import DPOObjective
    from mdpo.testing import tiny_causal_lm
    from mdpo.training import MDPOTrainer

    torch.manual_seed(0)
    model = get_panacea_model(tiny_causal_lm("llama", seed=0), PanaceaConfig(r=4, n_dims=2))
    objective = DPOObjective(label_columns={"a": "a", "b": "b"}, beta=0.5)
    args = config(max_steps=4, logging_steps=1, report_to=[], **kwargs)
    trainer = MDPOTrainer(model, args, objective, data, processing_class=tok)
    return trainer, model


def _adapter(model: Any) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items() if "lora_" in k}


def test_precomputed_reference_trains_like_the_reference_pass_without_making_it(
    monkeypatch, config, tok
):
    from mdpo.objectives import reference_column

    data = _pairs()
    passes = ReferencePasses(monkeypatch)
    plain, plain_model = _train(config, tok, data)
    plain.train()
    per_step = passes.calls
    assert per_step == 4  # one reference pass per step without precomputation

    passes.calls = 0
    pre, pre_model = _train(
        config, tok, data, precompute_ref_log_probs=True, precompute_ref_batch_size=4
    )
    assert passes.calls == 2  # six pairs scored in batches of four, before training
    rows = pre.objective.components[0].data
    columns = [reference_column("response_0"), reference_column("response_1")]
    values = [[row[c] for c in columns] for row in rows]
    assert all(v is not None and v < 0 for pair in values for v in pair)
    assert len({v for pair in values for v in pair}) == 12  # every response scored itself
    assert all(columns[0] not in row for row in data)  # the caller's rows are untouched
    passes.calls = 0
    pre.train()
    assert passes.calls == 0  # no reference pass during training

    losses = [h["loss"] for h in plain.state.log_history if "loss" in h]
    assert len(set(losses)) > 1
    assert [h["loss"] for h in pre.state.log_history if "loss" in h] == pytest.approx(
        losses, abs=1e-5
    )
    before, after = _adapter(plain_model), _adapter(pre_model)
    assert any(v.abs().sum() > 0 for k, v in before.items() if "lora_B" in k)
    for key, value in before.items():
        torch.testing.assert_close(after[key], value, atol=1e-5, rtol=1e-4)


def test_a_datasets_dataset_gets_the_columns_and_pairs_that_carry_them_keep_them(
    monkeypatch, config, tok
):
    from datasets import Dataset

    from mdpo.objectives import reference_column

    rows = _pairs()
    given = reference_column("response_0"), reference_column("response_1")
    for row in rows:
        row[given[0]] = row[given[1]] = None
    rows[0][given[0]], rows[0][given[1]] = -1.5, -2.5  # a pair scored already
    data = Dataset.from_list(rows)
    passes = ReferencePasses(monkeypatch)
    trainer, _ = _train(config, tok, data, precompute_ref_log_probs=True)
    assert passes.calls == 2  # five pairs left, in batches of four (the train batch)
    scored = trainer.objective.components[0].data
    assert isinstance(scored, Dataset) and len(scored) == len(rows)
    assert (scored[0][given[0]], scored[0][given[1]]) == (-1.5, -2.5)
    assert all(scored[i][c] is not None and scored[i][c] < 0 for i in range(1, 6) for c in given)
    assert data[1][given[0]] is None  # the caller's dataset is untouched


def test_a_pair_the_collator_drops_gets_no_reference(tok):
    from mdpo.objectives import DPOObjective

    objective = DPOObjective(label_columns={"a": "a", "b": "b"})
    objective.collator.add_eos = False  # an empty response then has no token: dropped
    empty = {"prompt": "Say x", "response_0": "A", "response_1": "", "a": 0, "b": 1}
    values = objective.reference_logps(_model(), [_pairs()[1], empty, _pairs()[2]], tok)
    assert values.shape == (2, 3)
    assert torch.isfinite(values[:, [0, 2]]).all() and torch.isnan(values[:, 1]).all()
    assert not torch.equal(values[0, [0, 2]], values[1, [0, 2]])  # each response its own


def _model() -> Any:
    from mdpo.adapters import PanaceaConfig, get_panacea_model
    from mdpo.testing import tiny_causal_lm

    model = get_panacea_model(tiny_causal_lm("llama", seed=0), PanaceaConfig(r=4, n_dims=2))
    model.set_preference([0.5, 0.5])
    return model


@pytest.mark.parametrize(
    ("field", "value", "error", "message"),
    [
        ("precompute_ref_log_probs", "yes", TypeError, "precompute_ref_log_probs must be a bool"),
        ("precompute_ref_batch_size", 0, ValueError, "precompute_ref_batch_size must be None"),
        ("precompute_ref_batch_size", True, ValueError, "got True"),
    ],
)
def test_bad_precompute_settings_are_refused(config, field, value, error, message):
    with pytest.raises(error, match=message):
        config(**{field: value})
