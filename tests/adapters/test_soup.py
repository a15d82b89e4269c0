import copy

import pytest
import torch

from mdpo.adapters import apply_delta, load_lora_expert, soup
from mdpo.testing import tiny_causal_lm

TARGETS = {"llama": ["q_proj", "v_proj", "down_proj"], "gpt2": ["c_attn", "c_fc"]}


def _expert(arch, seed, r=3, alpha=6, rslora=False):
    import peft

    base = tiny_causal_lm(arch)
    cfg = peft.LoraConfig(
        r=r,
        lora_alpha=alpha,
        target_modules=TARGETS[arch],
        fan_in_fan_out=arch == "gpt2",
        use_rslora=rslora,
    )
    model = peft.get_peft_model(base, cfg)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_" in name:
                p.copy_(torch.randn(p.shape, generator=g) * 0.2)
    return model


def _merged_weights(expert):
    merged = copy.deepcopy(expert).merge_and_unload()
    return {n: p.detach().clone() for n, p in merged.named_parameters()}


@pytest.mark.parametrize("arch", ["llama", "gpt2"])
def test_delta_space_is_exact_against_hand_merged_weights(arch):
    experts = [_expert(arch, 1), _expert(arch, 2, r=2, alpha=3, rslora=True)]
    w = [0.3, 0.7]
    thetas = [_merged_weights(e) for e in experts]
    expected = {n: w[0] * thetas[0][n] + w[1] * thetas[1][n] for n in thetas[0]}
    model = tiny_causal_lm(arch)
    deltas = soup(experts, w)
    assert len(deltas) == 2 * len(TARGETS[arch])
    assert all(d.dim() == 2 for d in deltas.values())
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    apply_delta(model, deltas)
    changed = 0
    for n, p in model.named_parameters():
        changed += not torch.allclose(p, before[n], atol=1e-4)
        assert torch.allclose(p, expected[n], atol=1e-6), n
    assert changed == len(deltas)
    # Removing the soup restores the base.
    apply_delta(model, deltas, alpha=-1.0)
    for n, p in model.named_parameters():
        assert torch.allclose(p, before[n], atol=1e-6), n


def test_all_expert_forms_agree(tmp_path):
    from peft import get_peft_model_state_dict

    e1, e2 = _expert("llama", 1), _expert("llama", 2)
    e2.save_pretrained(tmp_path)
    sd1 = get_peft_model_state_dict(e1)
    w = [0.6, 0.4]
    ref = soup([e1, e2], w)
    # Bare state dicts do not record alpha / r, so pass the scaling.
    from_dir_and_sd = soup([sd1, str(tmp_path)], w, scalings=[2.0, 1.0])
    assert set(ref) == set(from_dir_and_sd)
    for name in ref:
        assert torch.allclose(ref[name], from_dir_and_sd[name], atol=1e-6)
    assert not torch.allclose(soup([e1, e2], [1.0, 0.0])[name], ref[name], atol=1e-3)
    expert = load_lora_expert(tmp_path)
    assert set(expert.scalings.values()) == {2.0}


def test_factors_space_formula():
    e1, e2 = _expert("llama", 1), _expert("llama", 2)
    w = [0.25, 0.75]
    out = soup([e1, e2], w, space="factors")
    delta = soup([e1, e2], w)
    x1, x2 = load_lora_expert(e1), load_lora_expert(e2)
    for name, (A1, B1) in x1.factors.items():
        A2, B2 = x2.factors[name]
        expected = 2.0 * (w[0] * B1 + w[1] * B2) @ (w[0] * A1 + w[1] * A2)
        assert torch.allclose(out[name], expected, atol=1e-6)
        assert not torch.allclose(out[name], delta[name], atol=1e-4)
    with pytest.raises(ValueError, match="equal factor shapes"):
        soup([e1, _expert("llama", 3, r=2)], w, space="factors")


def test_weights_are_validated_like_a_preference():
    e1, e2 = _expert("llama", 1), _expert("llama", 2)
    with pytest.raises(ValueError, match="weights must sum to 1"):
        soup([e1, e2], [1.0, 1.0])
    with pytest.raises(ValueError, match="weights must be non-negative"):
        soup([e1, e2], [1.5, -0.5])
    with pytest.raises(ValueError, match="length m=2"):
        soup([e1, e2], [1.0])
    halves = soup([e1, e2], [1.0, 1.0], normalize=True)
    ref = soup([e1, e2], [0.5, 0.5])
    assert all(torch.equal(halves[n], ref[n]) for n in ref)
    with pytest.raises(ValueError, match="space must be"):
        soup([e1, e2], [0.5, 0.5], space="weights")


def test_refusals(tmp_path, make):
    e1 = _expert("llama", 1)
    other = _expert("gpt2", 1)
    with pytest.raises(ValueError, match="same modules"):
        soup([e1, other], [0.5, 0.5])
    with pytest.raises(TypeError, match="an expert must be"):
        soup([e1, 3], [0.5, 0.5])
    with pytest.raises(ValueError, match="not a LoRA state dict"):
        soup([{"x.weight": torch.zeros(2, 2)}], [1.0])
    make().save_pretrained(tmp_path)
    with pytest.raises(ValueError, match="not a plain LoRA adapter"):
        soup([str(tmp_path)], [1.0])
    model = tiny_causal_lm("llama")
    before = model.model.layers[0].self_attn.q_proj.weight.clone()
    deltas = soup([e1], [1.0])
    bad = {**deltas, "model.layers.1.mlp.down_proj": torch.full((64, 128), float("nan"))}
    with pytest.raises(ValueError, match="NaN"):
        apply_delta(model, bad)
    assert torch.equal(model.model.layers[0].self_attn.q_proj.weight, before)
    with pytest.raises(ValueError, match="not a module"):
        apply_delta(model, {"model.nope": torch.zeros(2, 2)})
    with pytest.raises(ValueError, match="expected the"):
        apply_delta(model, {"model.layers.0.self_attn.q_proj": torch.zeros(3, 3)})
