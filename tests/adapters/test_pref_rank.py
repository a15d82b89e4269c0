"""``pref_rank``: p singular vectors per preference dimension, all scaled by s·λ_i."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from mdpo.adapters import PanaceaConfig, PanaceaModel
from mdpo.adapters.holder import PreferenceHolder
from mdpo.adapters.layer import PanaceaLinear
from mdpo.testing import tiny_causal_lm


def test_config_counts_the_extra_columns_and_refuses_bad_values():
    cfg = PanaceaConfig(r=4, n_dims=2, pref_rank=3)
    assert cfg.total_rank == 10 and cfg.scaling == 1.0
    assert PanaceaConfig(r=4, n_dims=2, pref_rank=3, lora_alpha=5.0).scaling == 0.5
    assert PanaceaConfig.from_json(cfg.to_json()) == cfg
    # Older files predate pref_rank and init: they load in the form they were trained in.
    old = PanaceaConfig.from_dict({"r": 4, "n_dims": 2})
    assert (old.pref_rank, old.init) == (1, "svd")
    assert (PanaceaConfig().pref_rank, PanaceaConfig().init) == (4, "lora")
    with pytest.raises(ValueError, match="pref_rank must be an int >= 1, got 0"):
        PanaceaConfig(pref_rank=0)
    with pytest.raises(TypeError, match="pref_rank must be an int >= 1, got float 2.0"):
        PanaceaConfig(pref_rank=2.0)


def test_layer_formula_repeats_each_lambda_p_times():
    torch.manual_seed(3)
    holder = PreferenceHolder(2)
    lam = torch.tensor([0.25, 0.75])
    holder.set(lam)
    base = nn.Linear(6, 4)
    kw = {"r": 3, "n_dims": 2, "lora_dropout": 0.0, "init_scale": 0.1, "holder": holder}
    layer = PanaceaLinear(base, scaling=0.5, pref_rank=2, **kw)
    assert layer.lora_A.shape == (7, 6) and layer.lora_B.shape == (4, 7)
    with torch.no_grad():
        layer.lora_E.copy_(torch.tensor([1.0, -2.0, 0.5]))
        layer.lora_s.fill_(3.0)
    x = torch.randn(3, 5, 6)
    diag = torch.cat([layer.lora_E, 3.0 * torch.tensor([0.25, 0.25, 0.75, 0.75])])
    expected = x @ (base.weight + 0.5 * layer.lora_B @ torch.diag(diag) @ layer.lora_A).T
    expected = expected + base.bias
    assert not torch.allclose(layer(x), base(x), atol=1e-3)
    torch.testing.assert_close(layer(x), expected, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(layer.diagonal(lam), 0.5 * diag)
    # Per-row λ: row b uses its own repeated diagonal.
    rows = torch.tensor([[1.0, 0.0], [0.25, 0.75], [0.0, 1.0]])
    holder.set(rows)
    batched = layer(x)
    for b in range(3):
        holder.set(rows[b])
        torch.testing.assert_close(batched[b], layer(x[b : b + 1])[0], atol=1e-5, rtol=1e-5)
    with pytest.raises(ValueError, match="pref_rank must be an int >= 1, got 0"):
        PanaceaLinear(base, scaling=1.0, pref_rank=0, **kw)


def test_model_with_pref_rank_merges_saves_and_reloads(tmp_path, make, ids):
    model = make("llama", pref_rank=3)
    layer = next(iter(model.panacea_layers().values()))
    assert layer.lora_A.shape[0] == 4 + 2 * 3
    model.set_preference([1.0, 0.0])
    a = model(ids).logits.detach()
    model.set_preference([0.0, 1.0])
    b = model(ids).logits.detach()
    assert not torch.allclose(a, b, atol=1e-4)
    model.merge([0.0, 1.0])
    torch.testing.assert_close(model(ids).logits.detach(), b, atol=1e-4, rtol=1e-4)
    model.unmerge()
    model.save_pretrained(tmp_path / "ad")
    again = PanaceaModel.from_pretrained(tiny_causal_lm("llama"), tmp_path / "ad")
    assert again.panacea_config.pref_rank == 3
    again.set_preference([0.0, 1.0])
    torch.testing.assert_close(again(ids).logits.detach(), b, atol=1e-5, rtol=1e-5)
