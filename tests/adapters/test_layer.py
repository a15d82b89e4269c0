import numpy as np
import pytest
import torch
from torch import nn

from mdpo.adapters import PanaceaLinear, PreferenceHolder

LAM_A = (0.3, 0.7)
LAM_B = (0.9, 0.1)


def test_identity_at_init(arch, ids, make):
    model = make(arch, random=False)
    with model.disable_adapter():
        ref = model(ids).logits
    for layer in model.panacea_layers().values():
        assert torch.equal(layer.lora_E, torch.zeros_like(layer.lora_E))
        assert torch.equal(layer.lora_s, torch.zeros(1))
        assert layer.lora_A.abs().sum() > 0 and layer.lora_B.abs().sum() > 0
    for lam in (LAM_A, LAM_B, [[0.2, 0.8], [1.0, 0.0]]):
        model.set_preference(lam)
        assert torch.equal(model(ids).logits, ref)


def test_two_preferences_differ_and_switching_back_reproduces(arch, ids, make):
    model = make(arch)
    model.set_preference(LAM_A)
    first = model(ids).logits
    model.set_preference(LAM_B)
    second = model(ids).logits
    assert not torch.allclose(first, second, atol=1e-3)
    model.set_preference(LAM_A)
    assert torch.allclose(model(ids).logits, first, atol=1e-6)


def test_mixed_batch_matches_per_row_runs(arch, ids, make):
    model = make(arch)
    lam = torch.tensor([LAM_A, LAM_B])
    model.set_preference(lam)
    mixed = model(ids).logits
    rows = []
    for b in range(2):
        model.set_preference(lam[b])
        rows.append(model(ids[b : b + 1]).logits[0])
    assert not torch.allclose(rows[0], rows[1], atol=1e-3)
    assert torch.allclose(mixed[0], rows[0], atol=1e-4)
    assert torch.allclose(mixed[1], rows[1], atol=1e-4)


def test_all_layers_share_one_holder(make):
    model = make()
    assert all(layer.holder is model.holder for layer in model.panacea_layers().values())
    model.set_preference(LAM_B)
    assert torch.equal(model.holder.value, torch.tensor(LAM_B))
    # λ is never part of the state dict.
    assert not any("holder" in k for k in model.state_dict())


def test_forward_without_preference_raises(ids, make):
    model = make()
    with pytest.raises(RuntimeError, match="no preference is set"):
        model(ids)
    model.set_preference(LAM_A)
    model.clear_preference()
    with pytest.raises(RuntimeError, match="no preference is set"):
        model(ids)


def test_row_count_mismatch_raises(ids, make):
    model = make()
    model.set_preference([LAM_A, LAM_B, LAM_A])
    with pytest.raises(RuntimeError, match="3 rows but the batch has 2"):
        model(ids)


@pytest.mark.parametrize(
    ("lam", "needle"),
    [
        ([0.5, 0.6], "sum to 1"),
        ([1.2, -0.2], "non-negative"),
        ([0.2, 0.3, 0.5], "length m=2"),
        ([[[0.5, 0.5]]], r"\[m\] or \[batch, m\]"),
        ([float("nan"), 1.0], "finite"),
    ],
)
def test_bad_preference_is_refused(lam, needle, make):
    model = make()
    with pytest.raises(ValueError, match=needle):
        model.set_preference(lam)


def test_preference_context_restores_previous(ids, make):
    model = make()
    with model.preference(LAM_A):
        assert torch.equal(model.get_preference(), torch.tensor(LAM_A))
    assert model.get_preference() is None
    model.set_preference(LAM_B)
    with model.preference([LAM_A, LAM_A]):
        assert model.get_preference().shape == (2, 2)
    assert torch.equal(model.get_preference(), torch.tensor(LAM_B))


def test_backward_after_switching_uses_the_forward_lambda(ids, make):
    model = make()
    with model.preference(LAM_A):
        loss = model(ids).logits.square().mean()
    loss.backward()
    grads = [p.grad.clone() for p in model.adapter_parameters()]
    model.zero_grad()
    model.set_preference(LAM_A)
    model(ids).logits.square().mean().backward()
    for g, p in zip(grads, model.adapter_parameters()):
        assert torch.allclose(g, p.grad, atol=1e-6)


def test_panacea_linear_formula_on_linear_and_conv1d():
    from transformers.pytorch_utils import Conv1D

    torch.manual_seed(3)
    holder = PreferenceHolder(2)
    lam = torch.tensor([0.25, 0.75])
    holder.set(lam)
    x = torch.randn(3, 5, 6)
    for base in (nn.Linear(6, 4), Conv1D(4, 6)):
        layer = PanaceaLinear(
            base, r=3, n_dims=2, scaling=0.5, lora_dropout=0.0, init_scale=0.1, holder=holder
        )
        with torch.no_grad():
            layer.lora_E.copy_(torch.tensor([1.0, -2.0, 0.5]))
            layer.lora_s.fill_(3.0)
        W0 = base.weight.T if isinstance(base, Conv1D) else base.weight
        diag = torch.cat([layer.lora_E, 3.0 * lam])
        W = W0 + 0.5 * layer.lora_B @ torch.diag(diag) @ layer.lora_A
        expected = x @ W.T + base.bias
        assert not torch.allclose(layer(x), base(x), atol=1e-3)
        assert torch.allclose(layer(x), expected, atol=1e-5)
        assert layer.weight is base.weight
        assert not base.weight.requires_grad


def test_panacea_linear_refuses_other_modules():
    with pytest.raises(TypeError, match="nn.Linear or a transformers Conv1D, got Embedding"):
        PanaceaLinear(
            nn.Embedding(3, 4),
            r=1,
            n_dims=2,
            scaling=1.0,
            lora_dropout=0.0,
            init_scale=0.1,
            holder=PreferenceHolder(2),
        )


def test_bf16_forward_backward_merge(ids, randomize):
    from mdpo.adapters import PanaceaConfig, get_panacea_model
    from mdpo.testing import tiny_causal_lm

    model = randomize(
        get_panacea_model(tiny_causal_lm("llama", dtype=torch.bfloat16), PanaceaConfig(r=4))
    )
    assert all(p.dtype == torch.float32 for p in model.adapter_parameters())
    model.set_preference(LAM_A)
    logits = model(ids).logits
    assert logits.dtype == torch.bfloat16 and torch.isfinite(logits).all()
    logits.float().square().mean().backward()
    assert all(
        p.grad is not None and p.grad.dtype == torch.float32 for p in model.adapter_parameters()
    )
    with torch.no_grad():
        model.merge(LAM_A)
        merged = model(ids).logits
    assert merged.dtype == torch.bfloat16
    # bf16 rounding of the merged weights: loose, but far tighter than the λ effect.
    assert (merged.float() - logits.float()).abs().max() < 0.1


@pytest.mark.parametrize(
    "lam",
    [
        [0.50004, 0.5],
        (0, 1),
        torch.tensor([0.25, 0.75]),
        torch.tensor([0.25, 0.75], dtype=torch.float64),
        np.array([0.6, 0.4]),
        [[0.2, 0.8], [0.5, 0.5]],
    ],
)
def test_set_preference_matches_check_preference(lam, make):
    from mdpo.preferences import check_preference

    model = make()
    model.set_preference(lam)
    expected = check_preference(lam, 2).to(torch.float32)
    got = model.get_preference()
    assert got.dtype == torch.float32
    assert torch.equal(got, expected)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_casting_the_model_keeps_adapter_and_lambda_float32(dtype, ids, make):
    model = make()
    model.set_preference(LAM_A)
    ref = model(ids).logits
    model.to(dtype)
    assert model.base_model.model.embed_tokens.weight.dtype == dtype
    assert all(p.dtype == torch.float32 for p in model.adapter_parameters())
    assert model.holder.value.dtype == torch.float32
    logits = model(ids).logits
    assert logits.dtype == dtype
    # Half-precision base: close to the float32 result, and the λ effect is still there.
    assert (logits.float() - ref).abs().max() < 0.1
    model.set_preference(LAM_B)
    assert not torch.allclose(model(ids).logits.float(), logits.float(), atol=1e-3)


def test_deepcopy_keeps_one_shared_holder(ids, make):
    import copy

    model = make()
    clone = copy.deepcopy(model)
    assert clone.holder is not model.holder
    assert all(layer.holder is clone.holder for layer in clone.panacea_layers().values())
    clone.set_preference(LAM_A)
    model.set_preference(LAM_B)
    assert not torch.allclose(clone(ids).logits, model(ids).logits, atol=1e-3)


def test_lora_init_is_identity_with_peft_factors(arch, ids, make):
    model = make(arch, random=False, init="lora")
    with model.disable_adapter():
        ref = model(ids).logits
    for layer in model.panacea_layers().values():
        assert torch.equal(layer.lora_B, torch.zeros_like(layer.lora_B))
        assert torch.equal(layer.lora_E, torch.ones_like(layer.lora_E))
        assert torch.equal(layer.lora_s, torch.ones(1))
        bound = 1 / layer.in_features**0.5  # peft's kaiming_uniform(a=√5) bound
        assert 0 < layer.lora_A.abs().max() <= bound
    for lam in (LAM_A, [[0.2, 0.8], [1.0, 0.0]]):
        model.set_preference(lam)
        assert torch.equal(model(ids).logits, ref)


def _first_step_grads(model, ids):
    model.set_preference(LAM_A)
    model(ids).logits.square().mean().backward()
    layer = next(iter(model.panacea_layers().values()))
    return layer


def test_lora_init_gets_a_gradient_on_every_u_column_at_step_one(ids, make):
    # Under "svd" (σ = s = 0) U and V get no gradient at all on the first step; under
    # "lora" U gets one on every column, the λ columns scaled by λ_i.
    svd = _first_step_grads(make(random=False), ids)
    assert svd.lora_B.grad.abs().sum() == 0 and svd.lora_A.grad.abs().sum() == 0
    lora = _first_step_grads(make(random=False, init="lora"), ids)
    col = lora.lora_B.grad.abs().sum(dim=0)
    assert (col > 0).all()
    assert lora.lora_A.grad.abs().sum() == 0  # U = 0: V waits one step, as in LoRA


def test_lora_init_layer_matches_peft_lora_after_setting_u(ids):
    # With σ = s = 1 and λ = e_1, U diag(1, .., 1, λ) Vᵀ is a LoRA product B A whose last
    # column is masked: the forward equals peft's formula on the same factors.
    torch.manual_seed(0)
    base = nn.Linear(8, 5)
    holder = PreferenceHolder(2)
    layer = PanaceaLinear(
        base,
        r=3,
        n_dims=2,
        scaling=0.5,
        lora_dropout=0.0,
        init_scale=0.1,
        holder=holder,
        init="lora",
    )
    with torch.no_grad():
        layer.lora_B.normal_()
    holder.set(torch.tensor([1.0, 0.0]))
    x = torch.randn(4, 8)
    mask = torch.tensor([1.0, 1.0, 1.0, 1.0, 0.0])
    expected = base(x) + 0.5 * x @ (layer.lora_A.T * mask) @ layer.lora_B.T
    assert not torch.allclose(layer(x), base(x), atol=1e-4)
    assert torch.allclose(layer(x), expected, atol=1e-5)


@pytest.mark.parametrize("arch", ["llama", "gpt2"])
def test_library_defaults_start_as_the_base_and_train_u_first(arch, ids):
    from mdpo.adapters import PanaceaConfig, get_panacea_model
    from mdpo.testing import tiny_causal_lm

    model = get_panacea_model(tiny_causal_lm(arch), PanaceaConfig())  # "lora", k=2, p=4
    with model.disable_adapter():
        ref = model(ids).logits
    for layer in model.panacea_layers().values():
        assert layer.lora_A.shape[0] == 2 + 2 * 4
        assert torch.equal(layer.lora_B, torch.zeros_like(layer.lora_B))  # U = 0
        assert torch.equal(layer.lora_E, torch.ones(2)) and float(layer.lora_s.detach()) == 1.0
    for lam in ([1.0, 0.0], [0.3, 0.7], [[0.2, 0.8], [1.0, 0.0]]):
        model.set_preference(lam)
        assert torch.equal(model(ids).logits, ref)
    # One step: every preference column of U gets a gradient at an interior λ.
    model.set_preference([0.5, 0.5])
    model(ids).logits.sum().backward()
    layer = next(iter(model.panacea_layers().values()))
    assert (layer.lora_B.grad.abs().sum(dim=0) > 0).all()
