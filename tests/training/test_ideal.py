"""The tracked ideal point: running minimum of batch means minus a margin."""

from __future__ import annotations

import math

import pytest
import torch

from mdpo.training import IdealPointTracker


def test_rule_with_mask_and_unseen_dimension():
    z = IdealPointTracker(3, margin=0.5)
    losses = torch.tensor([[1.0, 10.0, 7.0], [3.0, 2.0, 7.0]])
    mask = torch.tensor([[True, False, False], [True, True, False]])
    out = z.update(losses, mask)
    # dimension 0: mean(1, 3) - 0.5; dimension 1: only the kept 2.0; dimension 2: never seen
    assert out[0].item() == pytest.approx(1.5)
    assert out[1].item() == pytest.approx(1.5)
    assert math.isinf(out[2].item())
    assert torch.equal(z.for_aggregator()[2], torch.tensor(0.0))
    # a worse batch does not move z, a better one lowers it
    z.update(torch.tensor([[9.0, 9.0, 4.0]]))
    assert z.value.tolist() == pytest.approx([1.5, 1.5, 3.5])
    z.update(torch.tensor([[0.0, 9.0, 4.0]]))
    assert z.value.tolist() == pytest.approx([-0.5, 1.5, 3.5])


def test_combine_takes_the_cross_rank_minimum():
    z = IdealPointTracker(2, margin=0.0)
    other_rank = torch.tensor([0.5, math.inf], dtype=torch.float64)
    z.update(torch.tensor([[1.0, 2.0]]), combine=lambda c: torch.minimum(c, other_rank))
    assert z.value.tolist() == [0.5, 2.0]


def test_state_roundtrip_and_refusals():
    z = IdealPointTracker(2, margin=0.1)
    z.update(torch.tensor([[1.0, 2.0]]))
    fresh = IdealPointTracker(2, margin=0.1)
    assert not torch.equal(fresh.value, z.value)
    fresh.load_state_dict(z.state_dict())
    assert torch.equal(fresh.value, z.value)
    with pytest.raises(ValueError, match="m=3"):
        IdealPointTracker(3).load_state_dict(z.state_dict())
    with pytest.raises(ValueError, match="margin"):
        IdealPointTracker(2, margin=-1.0)
    with pytest.raises(ValueError, match=r"\[B, 2\]"):
        z.update(torch.ones(3))
