"""Rewarded Soups unmerged: per-row λ in one batch, equal to the merged soup."""

from __future__ import annotations

import pytest
import torch

from mdpo.adapters import unmerged_soup
from mdpo.policies import RSPolicy
from mdpo.testing import tiny_causal_lm

IDS = torch.tensor([[1, 5, 6, 9, 2], [1, 7, 3, 3, 8]])
LAMS = [[1.0, 0.0], [0.0, 1.0], [0.3, 0.7]]


def _expert(seed, rank=2, targets=("q_proj", "v_proj")):
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(seed)
    config = LoraConfig(
        r=rank, lora_alpha=2 * rank, target_modules=list(targets), init_lora_weights=False
    )
    model = get_peft_model(tiny_causal_lm(), config)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.normal_(0.0, 0.5)  # large enough that the experts disagree clearly
    return model


@pytest.fixture(scope="module")
def experts():
    return [_expert(1), _expert(2, rank=3)]  # different ranks: padded to the largest


def _logits(policy, lam, ids=IDS):
    policy.set_preference(torch.tensor(lam))
    with torch.no_grad():
        return policy(ids).logits


def test_unmerged_equals_the_merged_soup_and_lambda_matters(experts):
    merged = RSPolicy(tiny_causal_lm(), experts, mode="merged")
    unmerged = RSPolicy(tiny_causal_lm(), experts, mode="unmerged")
    assert unmerged.batched and not merged.batched
    outs = []
    for lam in LAMS:
        ref = _logits(merged, lam)
        got = _logits(unmerged, lam)
        torch.testing.assert_close(got, ref, atol=2e-5, rtol=1e-4)
        outs.append(got)
    assert not torch.allclose(outs[0], outs[1], atol=1e-3)  # λ changes the output
    # The base weights stay W0 (nothing is merged into them).
    base = tiny_causal_lm()
    layer = unmerged.model.base_model.get_submodule("model.layers.0.self_attn.q_proj")
    torch.testing.assert_close(
        layer.base_layer.weight, base.get_submodule("model.layers.0.self_attn.q_proj").weight
    )


def test_each_row_gets_its_own_soup(experts):
    policy = RSPolicy(tiny_causal_lm(), experts, mode="unmerged")
    ids = IDS[:1].expand(3, -1)
    batched = _logits(policy, LAMS, ids)
    for i, lam in enumerate(LAMS):
        torch.testing.assert_close(
            batched[i], _logits(policy, lam, ids[:1])[0], atol=1e-5, rtol=1e-5
        )


def test_generate_in_one_batch_matches_the_merged_soup_per_lambda(experts):
    merged = RSPolicy(tiny_causal_lm(), experts)
    unmerged = RSPolicy(tiny_causal_lm(), experts, mode="unmerged")
    ids = IDS[:1].expand(len(LAMS), -1)
    kwargs = {"max_new_tokens": 5, "do_sample": False, "pad_token_id": 0}
    unmerged.set_preference(torch.tensor(LAMS))
    together = unmerged.generate(ids, **kwargs)
    for i, lam in enumerate(LAMS):
        merged.set_preference(lam)
        assert torch.equal(merged.generate(ids[:1], **kwargs)[0], together[i])


def test_refusals(experts):
    with pytest.raises(ValueError, match="mode must be 'merged' or 'unmerged', got 'fused'"):
        RSPolicy(tiny_causal_lm(), experts, mode="fused")
    with pytest.raises(ValueError, match="experts must be a non-empty sequence"):
        unmerged_soup(tiny_causal_lm(), [])
    other = _expert(3, targets=("k_proj",))
    with pytest.raises(ValueError, match="expert 1 does not adapt the same modules"):
        unmerged_soup(tiny_causal_lm(), [experts[0], other])


def test_dps_unmerged_batches_grid_points_like_its_members(experts):
    from mdpo.policies import DPSPolicy

    grid = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    members = DPSPolicy(grid, list(experts))
    batched = DPSPolicy.unmerged(grid, tiny_causal_lm(), experts)
    assert batched.batched and not members.batched
    rows = grid[[0, 1, 1, 0]]
    ids = IDS[:1].expand(4, -1)
    together = _logits(batched, rows, ids)
    for i, lam in enumerate(rows):
        alone = _logits(members, lam, ids[:1])[0]  # the peft member itself
        torch.testing.assert_close(together[i], alone, atol=2e-5, rtol=1e-4)
    assert not torch.allclose(together[0], together[1], atol=1e-3)
    with pytest.raises(ValueError, match="is not supported by DPSPolicy"):
        batched.set_preference(torch.tensor([[0.5, 0.5]]))
    assert len(batched.modules()) == 1  # one soup model, not K copies
