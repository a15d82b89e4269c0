"""Mask semantics: masked-out dimensions are excluded; a row with nothing kept gives 0."""

from __future__ import annotations

import torch

from mdpo.preferences import sample_preferences

MASK = torch.tensor(
    [
        [True, True, True],
        [True, False, True],
        [False, True, False],
        [False, False, False],
        [False, True, True],
    ]
)


def _case(seed=0):
    g = torch.Generator().manual_seed(seed)
    losses = torch.rand(5, 3, generator=g, dtype=torch.float64) * 2 + 0.2
    lam = sample_preferences(5, 3, generator=g).to(torch.float64)
    ideal = torch.tensor([-0.1, -0.3, 0.0], dtype=torch.float64)
    return losses, lam, ideal


def test_mask_matches_formula_on_the_kept_dimensions(make_builtin, builtin_name, reference):
    losses, lam, ideal = _case()
    agg = make_builtin()
    masked = agg(losses, lam, ideal=ideal, mask=MASK)
    unmasked = agg(losses, lam, ideal=ideal)
    assert not torch.allclose(masked[1:], unmasked[1:])  # the mask does something ...
    torch.testing.assert_close(masked[0], unmasked[0])  # ... only where it drops a dimension
    rows = [
        reference(builtin_name, losses[r].tolist(), lam[r].tolist(), ideal.tolist(), MASK[r])
        for r in range(5)
    ]
    torch.testing.assert_close(masked, torch.tensor(rows, dtype=torch.float64))
    assert masked[3] == 0


def test_masked_entries_are_never_read_and_get_no_gradient(make_builtin):
    losses, lam, ideal = _case(1)
    agg = make_builtin()
    clean = losses.clone().requires_grad_(True)
    dirty = torch.where(MASK, losses, torch.tensor(float("nan"), dtype=torch.float64))
    dirty[0, 0] = losses[0, 0]
    dirty[4, 0] = float("inf")
    dirty.requires_grad_(True)
    out_clean = agg(clean, lam, ideal=ideal, mask=MASK)
    out_dirty = agg(dirty, lam, ideal=ideal, mask=MASK)
    torch.testing.assert_close(out_dirty, out_clean)
    (g_clean,) = torch.autograd.grad(out_clean.sum(), clean)
    (g_dirty,) = torch.autograd.grad(out_dirty.sum(), dirty)
    assert torch.isfinite(g_dirty).all()
    assert (g_dirty[~MASK] == 0).all()
    assert (g_dirty[3] == 0).all()  # the empty row
    assert g_dirty[MASK].abs().sum() > 0
    torch.testing.assert_close(g_dirty, g_clean)


def test_mask_broadcasts_against_losses(make_builtin):
    losses, lam, ideal = _case(2)
    agg = make_builtin()
    column = torch.tensor([True, False, True])
    torch.testing.assert_close(
        agg(losses, lam, ideal=ideal, mask=column),
        agg(losses, lam, ideal=ideal, mask=column.expand(5, 3)),
    )


def test_all_true_mask_is_the_same_as_no_mask(make_builtin):
    losses, lam, ideal = _case(3)
    agg = make_builtin()
    torch.testing.assert_close(
        agg(losses, lam, ideal=ideal, mask=torch.ones(5, 3, dtype=torch.bool)),
        agg(losses, lam, ideal=ideal),
    )
