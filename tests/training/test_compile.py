"""``torch.compile`` through ``TrainingArguments.torch_compile``: the CPU-testable path.

Trainer hands the model to accelerate, which wraps it in ``torch.compile``; the Panacea
layers keep λ in a holder the compiled graph reads as an input, so a new λ every step must
neither change the numbers nor recompile the graph. ``aot_eager`` runs the captured graph
through the same kernels as eager mode, so its losses and weights must equal eager's
exactly; a graph break or a recompile per λ would show in dynamo's counters.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch

pytest.importorskip("torch._dynamo")


def _train(config: Any, tok: Any, pairs: Any, objective: Any, **kwargs: Any) -> tuple[Any, Any]:
    from mdpo.adapters import PanaceaConfig, get_panacea_model
    from mdpo.testing import tiny_causal_lm
    from mdpo.training import MDPOTrainer

    torch.manual_seed(0)  # the adapter's own initialisation draws from the global generator
    model = get_panacea_model(tiny_causal_lm("llama", seed=0), PanaceaConfig(r=4, n_dims=2))
    args = config(max_steps=5, logging_steps=1, report_to=[], **kwargs)
    trainer = MDPOTrainer(model, args, objective, pairs, processing_class=tok)
    trainer.train()
    return trainer, model


def _logged(trainer: Any, key: str) -> list[float]:
    return [float(h[key]) for h in trainer.state.log_history if key in h and "loss" in h]


def test_compiled_training_equals_eager_and_never_recompiles_for_a_new_lambda(
    config, tok, pairs, ab_objective
):
    from torch._dynamo.utils import counters

    eager, eager_model = _train(config, tok, pairs, ab_objective)
    torch._dynamo.reset()
    counters.clear()
    compiled, compiled_model = _train(
        config, tok, pairs, ab_objective, torch_compile=True, torch_compile_backend="aot_eager"
    )

    # The compiled run really ran compiled, and with a different λ at every step.
    assert isinstance(compiled.model_wrapped, torch._dynamo.eval_frame.OptimizedModule)
    means = _logged(compiled, "lambda/a/mean")
    assert len(means) == 5 and len(set(means)) == 5
    losses = _logged(eager, "loss")
    assert len(set(losses)) > 1  # training moved the loss

    assert _logged(compiled, "loss") == losses
    assert _logged(compiled, "grad_norm") == _logged(eager, "grad_norm")
    eager_state = {k: v for k, v in eager_model.state_dict().items() if "lora_" in k}
    compiled_state = {k: v for k, v in compiled_model.state_dict().items() if "lora_" in k}
    assert eager_state.keys() == compiled_state.keys() and eager_state
    moved = [k for k in eager_state if "lora_B" in k and eager_state[k].abs().sum() > 0]
    assert moved  # B starts at zero: the adapter trained
    for key, value in eager_state.items():
        assert torch.equal(value, compiled_state[key]), key

    # One graph for the policy and one for the reference (adapter disabled); five λ, no
    # recompile for any of them and no graph break.
    assert counters["stats"]["unique_graphs"] <= 2
    assert not counters["graph_break"]


def test_compiled_model_follows_a_per_row_lambda_without_recompiling():
    from torch._dynamo.utils import counters

    from mdpo.adapters import PanaceaConfig, get_panacea_model
    from mdpo.testing import tiny_causal_lm

    torch.manual_seed(0)
    model = get_panacea_model(tiny_causal_lm("llama", seed=0), PanaceaConfig(r=4, n_dims=2))
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.normal_()  # a trained-looking adapter, so λ matters
    torch._dynamo.reset()
    counters.clear()
    compiled = torch.compile(model, backend="aot_eager")
    ids = torch.randint(0, 50, (2, 7), generator=torch.Generator().manual_seed(0))
    seen = []
    for lam in ([[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [1.0, 0.0]], [[0.5, 0.5], [0.2, 0.8]]):
        model.set_preference(torch.tensor(lam))
        with torch.no_grad():
            expected = model(input_ids=ids).logits
            got = compiled(input_ids=ids).logits
        assert torch.equal(got, expected)
        seen.append(got)
    assert not torch.allclose(seen[0], seen[1]) and not torch.allclose(seen[1], seen[2])
    assert counters["stats"]["unique_graphs"] == 1
