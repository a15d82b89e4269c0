import pytest
import torch

from mdpo.conditioning import (
    AdapterConditioning,
    Conditioning,
    NoConditioning,
    PromptConditioning,
)
from mdpo.testing import tiny_causal_lm


def panacea(n_dims=2):
    from mdpo.adapters import PanaceaConfig, get_panacea_model

    model = get_panacea_model(
        tiny_causal_lm(), PanaceaConfig(r=2, n_dims=n_dims, init="svd", pref_rank=1, init_scale=0.2)
    )
    with torch.no_grad():
        for layer in model.panacea_layers().values():
            layer.lora_s.fill_(3.0)
    return model


def test_attributes_let_the_trainer_refuse_mismatches():
    assert (AdapterConditioning.name, AdapterConditioning.requires_adapter) == ("adapter", True)
    assert (PromptConditioning.name, PromptConditioning.requires_adapter) == ("prompt", False)
    assert (NoConditioning.name, NoConditioning.requires_adapter) == ("none", False)
    assert all(
        issubclass(c, Conditioning)
        for c in (AdapterConditioning, PromptConditioning, NoConditioning)
    )


def test_adapter_conditioning_sets_rows_and_restores_previous():
    model = panacea()
    ids = torch.tensor([[5, 6, 7], [5, 6, 7]])
    rows = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    model.set_preference(torch.tensor([0.5, 0.5]))
    cond = AdapterConditioning()
    with cond.activate(model, rows) as active:
        assert active is model
        torch.testing.assert_close(model.get_preference(), rows)
        logits = model(ids).logits
    # Row 0 ran at λ=(1, 0) and row 1 at (0, 1): identical inputs, different outputs.
    assert not torch.allclose(logits[0], logits[1])
    with model.preference([1.0, 0.0]):
        torch.testing.assert_close(model(ids[:1]).logits[0], logits[0], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(model.get_preference(), torch.tensor([0.5, 0.5]))
    assert cond.format_prompts(["Hi", "Yo"], rows) == ["Hi", "Yo"]


def test_adapter_conditioning_refusals():
    cond = AdapterConditioning()
    with (
        pytest.raises(TypeError, match="needs a model with set_preference .* LlamaForCausalLM"),
        cond.activate(tiny_causal_lm(), torch.tensor([[1.0, 0.0]])),
    ):
        pass
    with (
        pytest.raises(ValueError, match="preferences must be non-negative"),
        cond.activate(panacea(), torch.tensor([[1.5, -0.5]])),
    ):
        pass
    with (
        pytest.raises(ValueError, match="must have length m=2"),
        cond.activate(panacea(), torch.tensor([[1.0, 0.0, 0.0]])),
    ):
        pass
    with (
        pytest.raises(ValueError, match=r"preferences must be a \[B, m\] tensor"),
        cond.activate(panacea(), torch.tensor([1.0, 0.0])),
    ):
        pass


def test_prompt_conditioning_writes_weights_into_the_system_prompt():
    cond = PromptConditioning(["helpful", "concise"])
    lam = torch.tensor([[0.7, 0.3], [0.0, 1.0], [0.5, 0.5]])
    chat = [{"role": "user", "content": "Hi"}]
    with_system = [{"role": "system", "content": "Be nice."}, *chat]
    out = cond.format_prompts(["Hi", chat, with_system], lam)
    assert out[0] == "Preference weights: helpful=0.70, concise=0.30.\n\nHi"
    assert out[1] == [
        {"role": "system", "content": "Preference weights: helpful=0.00, concise=1.00."},
        *chat,
    ]
    assert out[2][0]["content"] == "Be nice.\nPreference weights: helpful=0.50, concise=0.50."
    assert with_system[0]["content"] == "Be nice."  # inputs untouched
    # Model side: nothing happens.
    model = tiny_causal_lm()
    with cond.activate(model, lam) as active:
        assert active is model


def test_prompt_conditioning_custom_template_and_refusals():
    cond = PromptConditioning(
        ["a", "b"], template="W[{weights}]", weight_format="{name}:{value:.1f}"
    )
    assert cond.format_prompts(["x"], torch.tensor([[0.25, 0.75]])) == ["W[a:0.2, b:0.8]\n\nx"]
    with pytest.raises(ValueError, match="template must contain '{weights}'"):
        PromptConditioning(["a"], template="no field")
    with pytest.raises(ValueError, match="dim_names must be distinct non-empty strings"):
        PromptConditioning(["a", "a"])
    with pytest.raises(ValueError, match="must have length m=2"):
        cond.format_prompts(["x"], torch.tensor([[1.0]]))
    with pytest.raises(ValueError, match=r"one row per prompt \(2\), got 1"):
        cond.format_prompts(["x", "y"], torch.tensor([[0.5, 0.5]]))
    with pytest.raises(ValueError, match="must sum to 1"):
        cond.format_prompts(["x"], torch.tensor([[0.5, 0.6]]))
    with pytest.raises(TypeError, match="prompt must be a str or a list of messages, got int"):
        cond.format_prompts([3], torch.tensor([[0.5, 0.5]]))


def test_no_conditioning_validates_and_does_nothing():
    cond = NoConditioning()
    model = tiny_causal_lm()
    with cond.activate(model, torch.tensor([[0.5, 0.5]])) as active:
        assert active is model
    with (
        pytest.raises(ValueError, match="must be non-negative"),
        cond.activate(model, torch.tensor([[2.0, -1.0]])),
    ):
        pass
