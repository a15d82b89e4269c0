"""λ is validated once where it enters (a public boundary), then passed on trusted.

Every λ check of mdpo goes through :func:`mdpo.preferences.check_preference`, or, for a
Panacea model's own API, :meth:`mdpo.adapters.PreferenceHolder.validate`. These tests count
both while λ crosses one boundary: one training step of MDPOTrainer (the objective's public
call), an objective called directly, a policy's ``set_preference``, a model's
``set_preference``. Before λ was trusted inside, one DPO training step checked it five times
(objective, prompt formatting, conditioning, model, aggregator).
"""

from __future__ import annotations

import sys
from typing import Any

import pytest
import torch

from mdpo import preferences
from mdpo.adapters import PreferenceHolder


class Validations:
    """Counts the calls of every λ check of mdpo while installed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.checks: list[str] = []
        self.model_checks = 0
        original = preferences.check_preference

        def counting(*args: Any, **kwargs: Any) -> torch.Tensor:
            self.checks.append(kwargs.get("name", "preference"))
            return original(*args, **kwargs)

        for name, module in list(sys.modules.items()):
            in_mdpo = name == "mdpo" or name.startswith("mdpo.")
            if in_mdpo and getattr(module, "check_preference", None) is original:
                monkeypatch.setattr(module, "check_preference", counting)
        holder_validate = PreferenceHolder.validate

        def counting_holder(holder: PreferenceHolder, *args: Any, **kwargs: Any) -> torch.Tensor:
            self.model_checks += 1
            return holder_validate(holder, *args, **kwargs)

        monkeypatch.setattr(PreferenceHolder, "validate", counting_holder)


@pytest.mark.parametrize(("accumulation", "fixed"), [(1, None), (2, None), (1, [0.25, 0.75])])
def test_one_validation_per_micro_batch_of_a_training_step(
    monkeypatch, panacea, tok, pairs, ab_objective, config, accumulation, fixed
):
    from mdpo.training import MDPOTrainer

    args = config(max_steps=1, gradient_accumulation_steps=accumulation, fixed_preference=fixed)
    trainer = MDPOTrainer(panacea(), args, ab_objective, pairs, processing_class=tok)
    counted = Validations(monkeypatch)
    trainer.train()
    assert trainer.state.global_step == 1
    # One check per micro-batch, where λ enters the objective; none by the conditioning,
    # the model or the aggregator.
    assert counted.checks == ["preferences"] * accumulation
    assert counted.model_checks == 0


def test_one_validation_for_a_composition_with_sampling(monkeypatch, panacea, tok, pairs):
    from mdpo.conditioning import AdapterConditioning
    from mdpo.objectives import DPOObjective, MultiObjective, RLHFObjective, SFTObjective
    from mdpo.scorers import LengthScorer

    model = panacea(n_dims=3)
    style = [{"prompt": "Say hi", "completion": "Dear sir."}]
    prompts = [{"prompt": "Hi"}]
    multi = MultiObjective(
        [
            ("a", DPOObjective(label_columns={"a": "a"}), pairs),
            ("formal", SFTObjective(), style),
            ("short", RLHFObjective(scorers=LengthScorer(), k=2, max_new_tokens=2), prompts),
        ]
    )
    lam = torch.tensor([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]])
    counted = Validations(monkeypatch)
    out = multi(model, [0, 1], 0, lam, tokenizer=tok, conditioning=AdapterConditioning())
    assert out.losses.shape == (2, 3)
    assert counted.checks == ["preferences"] and counted.model_checks == 0


def test_an_objective_called_directly_validates_once(monkeypatch, panacea, tok, pairs):
    from mdpo.conditioning import AdapterConditioning, PromptConditioning
    from mdpo.objectives import DPOObjective
    from mdpo.testing import tiny_causal_lm

    objective = DPOObjective(label_columns={"a": "a", "b": "b"})
    lam = torch.tensor([[0.25, 0.75]] * 4)
    counted = Validations(monkeypatch)
    objective(panacea(), pairs, lam, tokenizer=tok, conditioning=AdapterConditioning())
    assert counted.checks == ["preferences"] and counted.model_checks == 0
    counted.checks.clear()
    text_side = DPOObjective(label_columns={"a": "a", "b": "b"}, ref_model=tiny_causal_lm())
    prompt = PromptConditioning(["a", "b"])
    text_side(tiny_causal_lm(), pairs, lam, tokenizer=tok, conditioning=prompt)
    assert counted.checks == ["preferences"]


def test_a_policy_and_a_model_validate_once_and_keep_one_copy(monkeypatch, panacea):
    from mdpo.policies import PanaceaPolicy

    model = panacea()
    policy = PanaceaPolicy(model, dim_names=["a", "b"])
    counted = Validations(monkeypatch)
    policy.set_preference([0.25, 0.75])
    assert counted.checks == ["preference"] and counted.model_checks == 0
    model.set_preference(torch.tensor([[0.5, 0.5], [1.0, 0.0]]))
    with model.preference([0.75, 0.25]):
        pass
    # The model's own API validates once per call: a [B, m] λ through check_preference, a
    # short [m] one in plain Python.
    assert counted.model_checks == 2 and len(counted.checks) == 2
    # The policy reads λ from the model: one copy, which the model's own API changes too.
    assert not hasattr(policy, "_preference") or policy._preference is None
    torch.testing.assert_close(policy.preference, torch.tensor([[0.5, 0.5], [1.0, 0.0]]))
