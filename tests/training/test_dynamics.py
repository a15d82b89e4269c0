"""Learning dynamics: adapter norms, gradient norms and the λ-sensitivity probe."""

from __future__ import annotations

import pytest
import torch

from mdpo.conditioning import AdapterConditioning, NoConditioning
from mdpo.objectives import MultiObjective
from mdpo.training.dynamics import (
    adapter_statistics,
    gradient_norms,
    layer_group,
    preference_probe,
)


def _probe(model, tok, objective, pairs, *, dependent=True):
    multi = MultiObjective.single(objective, pairs)
    conditioning = AdapterConditioning() if dependent else NoConditioning()
    return preference_probe(
        model,
        multi,
        [0, 1, 2, 3],
        tokenizer=tok,
        conditioning=conditioning,
        preference_dependent=dependent,
    )


def _make_preference_part_matter(model, scale: float = 1.0) -> None:
    from mdpo.adapters.layer import PanaceaLinear

    torch.manual_seed(1)
    with torch.no_grad():
        for layer in model.modules():
            if isinstance(layer, PanaceaLinear):
                layer.lora_s.fill_(scale)
                layer.lora_A.normal_(0.0, 0.1)
                layer.lora_B.normal_(0.0, 0.1)


def test_layer_group():
    assert layer_group("model.layers.0.mlp.gate_proj") == "mlp"
    assert layer_group("transformer.h.1.mlp.c_fc") == "mlp"
    assert layer_group("model.layers.0.self_attn.o_proj") == "attn"


def test_probe_is_zero_when_s_is_zero_and_grows_when_lambda_matters(
    panacea, tok, ab_objective, pairs
):
    model = panacea()
    at_init = _probe(model, tok, ab_objective, pairs)
    assert at_init["probe/sensitivity"] == 0.0  # s = 0: λ cannot change the model
    _make_preference_part_matter(model, scale=0.1)
    small = _probe(model, tok, ab_objective, pairs)["probe/sensitivity"]
    _make_preference_part_matter(model, scale=0.5)
    large = _probe(model, tok, ab_objective, pairs)["probe/sensitivity"]
    assert 0.0 < small < large


def test_probe_reports_each_vertex_margin_and_accuracy(panacea, tok, ab_objective, pairs):
    model = panacea()
    _make_preference_part_matter(model)
    out = _probe(model, tok, ab_objective, pairs)
    for i in (0, 1):
        for dim in ("a", "b"):
            assert 0.0 <= out[f"probe/e{i}/{dim}/accuracy"] <= 1.0
    # The pairs prefer opposite answers, so each vertex's margins are opposite.
    assert out["probe/e0/a/margin"] == pytest.approx(-out["probe/e0/b/margin"])
    assert out["probe/e0/a/margin"] != pytest.approx(out["probe/e1/a/margin"])


def test_probe_of_a_lora_model_has_no_vertices_and_zero_sensitivity(tok, ab_objective, pairs):
    from peft import LoraConfig, get_peft_model

    from mdpo.testing import tiny_causal_lm

    model = get_peft_model(
        tiny_causal_lm("llama"), LoraConfig(r=2, target_modules=["q_proj", "v_proj"])
    )
    out = _probe(model, tok, ab_objective, pairs, dependent=False)
    assert set(out) == {
        "probe/a/margin",
        "probe/a/accuracy",
        "probe/b/margin",
        "probe/b/accuracy",
        "probe/sensitivity",
    }
    assert out["probe/sensitivity"] == 0.0
    stats = adapter_statistics(model)
    assert stats["lora_norm/attn"] == 0.0  # peft starts B at 0
    assert "lora_norm/mlp" not in stats


def test_adapter_statistics_match_the_dense_update(panacea):
    from mdpo.adapters.layer import PanaceaLinear

    model = panacea(r=2)
    assert adapter_statistics(model)["pref_norm/attn"] == 0.0
    _make_preference_part_matter(model, scale=0.7)
    stats = adapter_statistics(model)
    pref, shared = {}, {}
    for name, layer in model.named_modules():
        if not isinstance(layer, PanaceaLinear):
            continue
        g = layer_group(name)
        with torch.no_grad():
            layer.lora_E.normal_()
            sigma = layer.lora_E.clone()
            shared.setdefault(g, []).append(float(layer.delta_weight(torch.zeros(2)).norm()))
            layer.lora_E.zero_()
            for vertex in torch.eye(2):
                pref.setdefault(g, []).append(float(layer.delta_weight(vertex).norm()))
            layer.lora_E.copy_(sigma)
    stats = adapter_statistics(model)
    for g in ("attn", "mlp"):
        assert stats[f"s/{g}"] == pytest.approx(0.7)
        assert stats[f"shared_norm/{g}"] > 0.0
        assert stats[f"shared_norm/{g}"] == pytest.approx(sum(shared[g]) / len(shared[g]), 1e-4)
        assert stats[f"pref_norm/{g}"] == pytest.approx(sum(pref[g]) / len(pref[g]), 1e-4)


def test_gradient_norms_equal_the_manual_ones(panacea, tok, ab_objective, pairs):
    from mdpo.adapters import PanaceaConfig, get_panacea_model
    from mdpo.adapters.layer import PanaceaLinear
    from mdpo.testing import tiny_causal_lm

    model = get_panacea_model(tiny_causal_lm("llama"), PanaceaConfig(r=2, init="svd"))
    _make_preference_part_matter(model)
    multi = MultiObjective.single(ab_objective, pairs)
    lam = torch.tensor([[0.3, 0.7]] * 4)
    out = multi(model, [0, 1, 2, 3], 0, lam, tokenizer=tok, conditioning=AdapterConditioning())
    (out.losses * lam).sum().backward()
    norms = gradient_norms(model)
    layers = [m for m in model.modules() if isinstance(m, PanaceaLinear)]
    expected_u_pref = torch.sqrt(sum(layer.lora_B.grad[:, 2:].pow(2).sum() for layer in layers))
    expected_s = torch.sqrt(sum(layer.lora_s.grad.pow(2).sum() for layer in layers))
    assert norms["grad/U_pref"] == pytest.approx(float(expected_u_pref), rel=1e-5)
    assert norms["grad/s"] == pytest.approx(float(expected_s), rel=1e-5)
    assert norms["grad/U_pref"] > 0 and norms["grad/sigma"] > 0
    # σ = 0 at the "svd" init: the shared columns of U and V get no gradient yet.
    assert norms["grad/V_shared"] == 0.0 and norms["grad/U_shared"] == 0.0


def test_trainer_logs_dynamics_only_when_asked(panacea, tok, ab_objective, pairs, config):
    from mdpo.training import MDPOTrainer

    quiet = MDPOTrainer(
        panacea(), config(max_steps=4, logging_steps=2), ab_objective, pairs, processing_class=tok
    )
    quiet.train()
    logged = [e for e in quiet.state.log_history if "loss" in e]
    assert logged and not any(k.startswith("probe/") for e in logged for k in e)

    trainer = MDPOTrainer(
        panacea(),
        config(max_steps=6, logging_steps=2, log_dynamics=True, probe_rows=4),
        ab_objective,
        pairs,
        processing_class=tok,
    )
    trainer.train()
    logged = [e for e in trainer.state.log_history if "loss" in e]
    assert len(logged) == 3
    for key in ("probe/sensitivity", "grad/s", "grad/U_pref", "s/attn", "pref_norm/mlp"):
        assert all(key in e for e in logged), key
    # s starts at 0 and the preference part learns: the probe sees λ matter more over time.
    sensitivity = [e["probe/sensitivity"] for e in logged]
    assert sensitivity[-1] > sensitivity[0] > 0.0
    assert trainer._grad_norms == []
    trainer.model.train()
    trainer.dynamics()
    assert trainer.model.training  # the probe runs in eval mode and restores the mode


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"probe_rows": 0}, ValueError, "probe_rows must be an int >= 1, got 0"),
        ({"probe_rows": 2.5}, TypeError, "probe_rows must be an int >= 1"),
        ({"log_dynamics": "yes"}, TypeError, "log_dynamics must be a bool"),
    ],
)
def test_bad_dynamics_options(config, kwargs, error, match):
    with pytest.raises(error, match=match):
        config(**kwargs)
