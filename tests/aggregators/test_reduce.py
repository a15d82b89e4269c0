"""Aggregator.reduce: per-dimension means over the rows sharing a λ, then aggregate."""

from __future__ import annotations

import pytest
import torch

from mdpo.aggregators import LinearScalarization, Tchebycheff
from mdpo.preferences import sample_preferences


def _batch(seed=0, B=12, m=3):
    g = torch.Generator().manual_seed(seed)
    losses = torch.rand(B, m, generator=g, dtype=torch.float64) * 2 + 0.1
    table = sample_preferences(4, m, generator=g).to(torch.float64)
    groups = torch.tensor([0, 1, 2, 0, 3, 1, 1, 2, 0, 3, 3, 1])[:B]
    mask = torch.rand(B, m, generator=g) > 0.3
    # In group 2 (rows 2 and 7) dimension 0 has no kept row at all.
    mask[groups == 2, 0] = False
    ideal = torch.tensor([-0.2, 0.0, -0.1], dtype=torch.float64)[:m]
    return losses, table[groups], mask, ideal


def _loop_reduce(agg, losses, lam, mask, ideal):
    """The grouped reduction written out with Python loops, via the public __call__."""
    total = 0.0
    seen = []
    for r in range(losses.shape[0]):
        if any(torch.equal(lam[r], s) for s in seen):
            continue
        seen.append(lam[r])
        rows = [i for i in range(losses.shape[0]) if torch.equal(lam[i], lam[r])]
        means, kept = [], []
        for j in range(losses.shape[1]):
            vals = [losses[i, j] for i in rows if mask is None or mask[i, j]]
            kept.append(bool(vals))
            means.append(torch.stack(vals).mean() if vals else losses.new_zeros(()))
        group_mask = torch.tensor(kept)
        value = agg(torch.stack(means), lam[r], ideal=ideal, mask=group_mask)
        total = total + len(rows) * value
    return total / losses.shape[0]


def test_matches_a_hand_written_loop(make_builtin):
    losses, lam, mask, ideal = _batch()
    agg = make_builtin()
    x = losses.clone().requires_grad_(True)
    y = losses.clone().requires_grad_(True)
    fast = agg.reduce(x, lam, ideal=ideal, mask=mask)
    slow = _loop_reduce(agg, y, lam, mask, ideal)
    assert fast.shape == ()
    torch.testing.assert_close(fast, slow)
    (gx,) = torch.autograd.grad(fast, x)
    (gy,) = torch.autograd.grad(slow, y)
    assert gx.abs().sum() > 0
    torch.testing.assert_close(gx, gy)
    assert (gx[~mask] == 0).all()


def test_matches_a_hand_written_loop_without_mask(make_builtin):
    losses, lam, _, ideal = _batch(1)
    agg = make_builtin()
    torch.testing.assert_close(
        agg.reduce(losses, lam, ideal=ideal), _loop_reduce(agg, losses, lam, None, ideal)
    )


def test_linear_scalarization_equals_the_flat_mean_without_mask():
    losses, lam, _, _ = _batch(2)
    flat = (lam * losses).sum(-1).mean()
    torch.testing.assert_close(LinearScalarization().reduce(losses, lam), flat)


def test_tchebycheff_takes_the_max_of_means_not_the_mean_of_maxima():
    losses, lam, _, ideal = _batch(3)
    agg = Tchebycheff()
    grouped = agg.reduce(losses, lam, ideal=ideal)
    mean_of_maxima = agg(losses, lam, ideal=ideal).mean()
    assert grouped < mean_of_maxima - 1e-3  # Jensen: max of means <= mean of maxima
    one_group = agg.reduce(losses, lam[0], ideal=ideal)
    expected = (lam[0] * (losses.mean(0) - ideal)).max()
    torch.testing.assert_close(one_group, expected)


def test_a_shared_preference_equals_the_repeated_one(make_builtin):
    losses, lam, mask, ideal = _batch(4)
    agg = make_builtin()
    torch.testing.assert_close(
        agg.reduce(losses, lam[0], ideal=ideal, mask=mask),
        agg.reduce(losses, lam[0].expand_as(lam), ideal=ideal, mask=mask),
    )


def test_an_empty_group_counts_its_rows_with_zero_value(make_builtin):
    losses, lam, mask, ideal = _batch(5)
    agg = make_builtin()
    empty = torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64)
    lam2 = torch.cat([lam, empty.expand(4, 3)])
    losses2 = torch.cat([losses, torch.full((4, 3), 7.0, dtype=torch.float64)])
    mask2 = torch.cat([mask, torch.zeros(4, 3, dtype=torch.bool)])
    base = agg.reduce(losses, lam, ideal=ideal, mask=mask)
    with_empty = agg.reduce(losses2, lam2, ideal=ideal, mask=mask2)
    torch.testing.assert_close(with_empty, base * 12 / 16)


@pytest.mark.parametrize(
    ("losses", "lam", "ideal", "match"),
    [
        (torch.ones(3), [0.5, 0.25, 0.25], None, r"shape \[B, m\].*\(3,\)"),
        (torch.ones(2, 2, 3), [0.5, 0.25, 0.25], None, r"shape \[B, m\].*\(2, 2, 3\)"),
        (torch.ones(0, 3), [0.5, 0.25, 0.25], None, r"B >= 1.*\(0, 3\)"),
        (torch.ones(2, 3), torch.full((4, 2, 3), 1 / 3), None, "broadcast to losses' shape"),
        (torch.ones(2, 3), [0.5, 0.25, 0.25], torch.zeros(2, 3), r"ideal must have shape \[m\]"),
    ],
)
def test_reduce_shape_errors(losses, lam, ideal, match):
    with pytest.raises(ValueError, match=match):
        LinearScalarization().reduce(losses, lam, ideal=ideal)
