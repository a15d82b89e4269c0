"""MDPOTrainer end to end on a tiny Panacea model: loss, parameters, base, behaviour, logs."""

from __future__ import annotations

import math

import pytest
import torch

from mdpo.aggregators import get_aggregator
from mdpo.conditioning import AdapterConditioning
from mdpo.training import MDPOTrainer, training_preferences


def _aggregate_at_fixed_rows(trainer, model, tok, ab_objective, pairs):
    """The LS-aggregated loss of a fixed set of rows and λ (the training draws of step 0)."""
    from mdpo.objectives import MultiObjective

    multi = MultiObjective.single(ab_objective, pairs)
    rows = torch.arange(16)
    lam = training_preferences(rows, 0, 2, seed=0, vertex_prob=0.5)
    with torch.no_grad():
        out = multi(model, rows, 0, lam, tokenizer=tok, conditioning=AdapterConditioning())
    return float(get_aggregator("ls").reduce(out.losses, lam, mask=out.mask))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Train the A/B task for 20 steps once; keep what the tests compare."""
    from mdpo.adapters import PanaceaConfig, get_panacea_model
    from mdpo.objectives import DPOObjective
    from mdpo.testing import tiny_causal_lm, tiny_chat_tokenizer
    from mdpo.training import MDPOConfig

    torch.manual_seed(0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # module-scoped: set up before the autouse one-thread fixture
    tok = tiny_chat_tokenizer()
    model = get_panacea_model(tiny_causal_lm("llama"), PanaceaConfig(r=4, n_dims=2))
    pairs = [
        {"prompt": f"Say {w}", "response_0": "A", "response_1": "B", "a": 0, "b": 1}
        for w in ["x", "yy", "z", "hi"]
    ]
    objective = DPOObjective(label_columns={"a": "a", "b": "b"}, beta=0.5)
    args = MDPOConfig(
        output_dir=str(tmp_path_factory.mktemp("trained")),
        max_steps=20,
        per_device_train_batch_size=4,
        learning_rate=3e-2,
        logging_steps=5,
        save_strategy="no",
        use_cpu=True,
        disable_tqdm=True,
        seed=0,
        vertex_prob=0.5,
        dataloader_pin_memory=False,
    )
    trainer = MDPOTrainer(model, args, objective, pairs, processing_class=tok)
    adapter_before = {k: v.clone() for k, v in model.adapter_state_dict().items()}
    adapter_keys = {f"base_model.{k}" for k in adapter_before}
    base_before = {k: v.clone() for k, v in model.state_dict().items() if k not in adapter_keys}
    loss_before = _aggregate_at_fixed_rows(trainer, model, tok, objective, pairs)
    trainer.train()
    model.eval()
    loss_after = _aggregate_at_fixed_rows(trainer, model, tok, objective, pairs)
    torch.set_num_threads(threads)
    return {
        "trainer": trainer,
        "model": model,
        "tok": tok,
        "adapter_before": adapter_before,
        "base_before": base_before,
        "adapter_keys": adapter_keys,
        "loss_before": loss_before,
        "loss_after": loss_after,
    }


def test_twenty_steps_lower_the_aggregated_loss(trained):
    assert trained["trainer"].state.global_step == 20
    assert trained["loss_before"] == pytest.approx(math.log(2), abs=1e-5)  # identity at init
    assert trained["loss_after"] < trained["loss_before"] - 0.05


def test_every_adapter_parameter_changes_and_the_base_stays_bit_identical(trained):
    model = trained["model"]
    after = model.adapter_state_dict()
    assert set(after) == set(trained["adapter_before"])
    for key, before in trained["adapter_before"].items():
        assert not torch.equal(after[key], before), f"adapter parameter {key} did not change"
    base_after = {k: v for k, v in model.state_dict().items() if k not in trained["adapter_keys"]}
    assert set(base_after) == set(trained["base_before"])
    for key, before in trained["base_before"].items():
        assert torch.equal(base_after[key], before), f"base parameter {key} changed"


def test_behaviour_follows_lambda(trained, logp):
    model, tok = trained["model"], trained["tok"]
    for prompt in ["Say x", "Say hi"]:
        a_at_a = logp(model, tok, prompt, "A", [1.0, 0.0])
        a_at_b = logp(model, tok, prompt, "A", [0.0, 1.0])
        b_at_a = logp(model, tok, prompt, "B", [1.0, 0.0])
        b_at_b = logp(model, tok, prompt, "B", [0.0, 1.0])
        assert a_at_a > a_at_b + 0.5, (a_at_a, a_at_b)
        assert b_at_b > b_at_a + 0.5, (b_at_b, b_at_a)
        assert a_at_a > b_at_a and b_at_b > a_at_b


def test_logs_every_dimension_lambda_statistics_and_dpo_metrics(trained):
    logs = [h for h in trained["trainer"].state.log_history if "loss" in h]
    assert [h["step"] for h in logs] == [5, 10, 15, 20]
    for h in logs:
        for dim in ("a", "b"):
            for key in (
                f"loss/{dim}",
                f"J/{dim}",
                f"lambda/{dim}/mean",
                f"lambda/{dim}/min",
                f"lambda/{dim}/max",
                f"ideal/{dim}",
                f"dpo/{dim}/margin",
                f"dpo/{dim}/accuracy",
            ):
                assert key in h, key
                assert math.isfinite(h[key])
            assert 0.0 <= h[f"lambda/{dim}/min"] <= h[f"lambda/{dim}/mean"] <= 1.0
            # the tracked ideal is below the losses it was built from
            assert h[f"ideal/{dim}"] < h[f"loss/{dim}"]
    # the logged λ statistics are those of the rows drawn: vertices at vertex_prob 0.5
    assert any(h["lambda/a/max"] == 1.0 for h in logs)


def test_ideal_is_the_running_minimum_minus_margin(trained):
    trainer = trained["trainer"]
    z = trainer.ideal_tracker.value
    assert torch.isfinite(z).all()
    logged = [h for h in trainer.state.log_history if "ideal/a" in h]
    assert logged[-1]["ideal/a"] == pytest.approx(float(z[0]))
    # z only ever decreases
    series = [h["ideal/a"] for h in logged]
    assert series == sorted(series, reverse=True)
