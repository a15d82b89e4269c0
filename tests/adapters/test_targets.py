import pytest
import torch
from torch import nn

from mdpo.adapters import (
    PanaceaConfig,
    PanaceaLinear,
    default_target_modules,
    get_panacea_model,
    resolve_target_modules,
)
from mdpo.testing import tiny_causal_lm


def test_llama_and_qwen2_defaults_are_attention_and_mlp():
    for arch in ("llama", "qwen2"):
        names = default_target_modules(tiny_causal_lm(arch))
        leaves = {n.rsplit(".", 1)[-1] for n in names}
        assert leaves == {
            "q_proj",
            "k_proj",
            "v_proj",
            "o_proj",
            "gate_proj",
            "up_proj",
            "down_proj",
        }
        assert len(names) == 14
        assert "lm_head" not in names


def test_gpt2_defaults_cover_conv1d():
    names = default_target_modules(tiny_causal_lm("gpt2"))
    assert len(names) == 8
    assert {n.rsplit(".", 1)[-1] for n in names} == {"c_attn", "c_proj", "c_fc"}


def test_suffix_list_and_regex():
    model = tiny_causal_lm("llama")
    assert resolve_target_modules(model, ["q_proj", "v_proj"]) == [
        "model.layers.0.self_attn.q_proj",
        "model.layers.0.self_attn.v_proj",
        "model.layers.1.self_attn.q_proj",
        "model.layers.1.self_attn.v_proj",
    ]
    # A regex must match the whole path: "q_proj" alone matches nothing.
    assert resolve_target_modules(model, r".*layers\.1\.mlp\.down_proj") == [
        "model.layers.1.mlp.down_proj"
    ]
    with pytest.raises(ValueError, match="matches no module"):
        resolve_target_modules(model, "q_proj")


class _Generic(nn.Module):
    """A non-transformers model: embedding, two linears, and a linear tied to the embedding."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(10, 8)
        self.inner = nn.Linear(8, 8)
        self.other = nn.Linear(8, 8)
        self.tied = nn.Linear(8, 10, bias=False)
        self.tied.weight = self.emb.weight

    def forward(self, ids):
        return self.tied(self.other(self.inner(self.emb(ids))))


def test_generic_fallback_skips_tied_weights():
    model = _Generic()
    assert default_target_modules(model) == ["inner", "other"]
    pm = get_panacea_model(model, PanaceaConfig(r=2, n_dims=2))
    assert isinstance(model.inner, PanaceaLinear)
    assert not isinstance(model.tied, PanaceaLinear)
    with pm.preference([0.5, 0.5]):
        assert pm(torch.tensor([[1, 2]])).shape == (1, 2, 10)


def test_refuses_tied_weight():
    with pytest.raises(ValueError, match="'tied'.*tied to the embeddings"):
        get_panacea_model(_Generic(), PanaceaConfig(r=2, target_modules=["tied"]))


@pytest.mark.parametrize("targets", [["lm_head"], r"lm_head", ["q_proj", "lm_head"]])
def test_refuses_lm_head(targets):
    base = tiny_causal_lm("llama")
    with pytest.raises(ValueError, match="lm_head"):
        get_panacea_model(base, PanaceaConfig(r=2, target_modules=targets))
    # Nothing was injected by the failed call.
    assert not any(isinstance(m, PanaceaLinear) for m in base.modules())


def test_refuses_untied_lm_head_too():
    base = tiny_causal_lm("llama", tie_word_embeddings=False)
    with pytest.raises(ValueError, match="output embedding"):
        get_panacea_model(base, PanaceaConfig(r=2, target_modules=["lm_head"]))


def test_refuses_non_linear_match_and_double_injection():
    base = tiny_causal_lm("llama")
    with pytest.raises(ValueError, match="LlamaMLP"):
        get_panacea_model(base, PanaceaConfig(r=2, target_modules=["mlp"]))
    get_panacea_model(base, PanaceaConfig(r=2))
    with pytest.raises(ValueError, match="already contains Panacea layers"):
        get_panacea_model(base, PanaceaConfig(r=2))
