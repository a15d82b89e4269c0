"""λ draws are pure functions of (seed, step, row)."""

from __future__ import annotations

import pytest
import torch

from mdpo.training import training_preferences


def test_per_row_is_a_function_of_step_and_row():
    rows = torch.arange(8)
    lam = training_preferences(rows, 3, 3, seed=0)
    assert lam.shape == (8, 3)
    torch.testing.assert_close(lam.sum(-1), torch.ones(8))
    # rows differ from each other, and from the same rows at another step or seed
    assert not torch.allclose(lam[0], lam[1])
    assert not torch.allclose(lam, training_preferences(rows, 4, 3, seed=0))
    assert not torch.allclose(lam, training_preferences(rows, 3, 3, seed=1))
    # any split of the rows (DDP shards, accumulation micro-batches) draws the same λ
    parts = [training_preferences(rows[i : i + 3], 3, 3, seed=0) for i in (0, 3, 6)]
    assert torch.equal(torch.cat(parts), lam)
    assert torch.equal(training_preferences(rows.flip(0), 3, 3, seed=0), lam.flip(0))


def test_per_step_shares_one_draw():
    lam = training_preferences(torch.arange(5), 7, 2, seed=0, mode="per_step")
    assert torch.equal(lam, lam[:1].expand(5, 2))
    other = training_preferences(torch.tensor([100]), 7, 2, seed=0, mode="per_step")
    assert torch.equal(other[0], lam[0])
    later = training_preferences(torch.arange(5), 8, 2, seed=0, mode="per_step")
    assert not torch.equal(later, lam)


def test_vertex_prob_one_gives_vertices_and_zero_none():
    rows = torch.arange(64)
    vertices = training_preferences(rows, 0, 3, seed=0, vertex_prob=1.0)
    assert torch.equal(vertices.max(-1).values, torch.ones(64))
    interior = training_preferences(rows, 0, 3, seed=0, vertex_prob=0.0)
    assert (interior.max(-1).values < 1).all()


def test_fixed_preference_overrides_sampling():
    lam = training_preferences(torch.arange(4), 9, 2, seed=0, fixed=[0.3, 0.7])
    assert torch.equal(lam, torch.tensor([[0.3, 0.7]]).expand(4, 2))
    with pytest.raises(ValueError, match="fixed_preference"):
        training_preferences(torch.arange(4), 9, 2, seed=0, fixed=[0.3, 0.3])


def test_bad_mode_is_refused():
    with pytest.raises(ValueError, match="mode"):
        training_preferences(torch.arange(2), 0, 2, seed=0, mode="per_epoch")
