import warnings

import pytest
import torch

from mdpo.adapters import PanaceaLinear

LAM_A = (0.3, 0.7)
LAM_B = (0.9, 0.1)


def _weights(model):
    return {
        n: layer.base_layer.weight.detach().clone() for n, layer in model.panacea_layers().items()
    }


def test_merge_matches_unmerged_and_unmerge_restores(arch, ids, make):
    model = make(arch)
    before = _weights(model)
    model.set_preference(LAM_A)
    unmerged = model(ids).logits
    model.merge(LAM_A)
    after = _weights(model)
    assert any(not torch.allclose(before[n], after[n], atol=1e-3) for n in before)
    assert torch.equal(model.merged_preference, torch.tensor(LAM_A))
    assert torch.allclose(model(ids).logits, unmerged, atol=1e-4)
    # Merged inference runs the base modules only; unmerge puts the wrappers back.
    assert not any(isinstance(m, PanaceaLinear) for m in model.base_model.modules())
    with pytest.raises(RuntimeError, match="merged"):
        model.load_adapter_state_dict(model.adapter_state_dict())
    model.unmerge()
    assert sum(isinstance(m, PanaceaLinear) for m in model.base_model.modules()) == len(before)
    assert model.merged_preference is None
    for n, w in _weights(model).items():
        assert torch.allclose(w, before[n], atol=1e-6)
    model.set_preference(LAM_B)
    assert not torch.allclose(model(ids).logits, unmerged, atol=1e-3)


def test_merge_twice_warns_and_changes_nothing(make):
    model = make()
    model.merge(LAM_A)
    merged = _weights(model)
    with pytest.warns(UserWarning, match="already merged"):
        model.merge(LAM_B)
    for n, w in _weights(model).items():
        assert torch.equal(w, merged[n])
    assert torch.equal(model.merged_preference, torch.tensor(LAM_A))
    with pytest.warns(UserWarning, match="not merged"):
        model.unmerge()
        model.unmerge()


def test_merged_model_refuses_set_preference(make):
    model = make()
    model.merge(LAM_A)
    with pytest.raises(RuntimeError, match="merged.*unmerge"):
        model.set_preference(LAM_B)
    assert torch.equal(model.get_preference(), torch.tensor(LAM_A))


def test_merge_refuses_batched_or_invalid_preference(make):
    model = make()
    with pytest.raises(ValueError, match="single preference"):
        model.merge([LAM_A, LAM_B])
    with pytest.raises(ValueError, match="sum to 1"):
        model.merge([0.4, 0.4])
    assert model.merged_preference is None


def test_nan_merge_leaves_base_untouched(make):
    model = make()
    before = _weights(model)
    last = list(model.panacea_layers().values())[-1]
    with torch.no_grad():
        last.lora_B[0, 0] = float("nan")
    with pytest.raises(ValueError, match="non-finite.*left unchanged"):
        model.merge(LAM_A)
    assert model.merged_preference is None
    for n, w in _weights(model).items():
        assert torch.equal(w, before[n])


def test_merge_and_unload_returns_plain_base(arch, ids, make):
    from mdpo.adapters import PanaceaLinear

    model = make(arch)
    model.set_preference(LAM_B)
    expected = model(ids).logits
    base = model.merge_and_unload(LAM_B)
    assert not any(isinstance(m, PanaceaLinear) for m in base.modules())
    assert torch.allclose(base(ids).logits, expected, atol=1e-4)
    with pytest.raises(RuntimeError, match="unloaded"):
        model(ids)


def test_disable_adapter_is_exactly_the_base(arch, ids, make):
    from mdpo.testing import tiny_causal_lm

    ref = tiny_causal_lm(arch)(ids).logits
    model = make(arch)
    model.set_preference(LAM_A)
    adapted = model(ids).logits
    assert not torch.allclose(adapted, ref, atol=1e-3)
    with model.disable_adapter():
        assert torch.equal(model(ids).logits, ref)
    assert torch.equal(model(ids).logits, adapted)
    # On a merged model the adapter is unmerged for the duration and merged back.
    model.merge(LAM_A)
    with model.disable_adapter():
        assert torch.allclose(model(ids).logits, ref, atol=1e-5)
    assert torch.equal(model.merged_preference, torch.tensor(LAM_A))
    assert torch.allclose(model(ids).logits, adapted, atol=1e-4)


def test_unload_restores_base_and_requires_grad(ids, make):
    from mdpo.adapters import PanaceaLinear

    model = make()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        base = model.unload()
    assert not any(isinstance(m, PanaceaLinear) for m in base.modules())
    assert all(p.requires_grad for p in base.parameters())
