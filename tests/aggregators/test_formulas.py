"""Every built-in aggregator against its formula, on random batched and broadcast inputs."""

from __future__ import annotations

import pytest
import torch

from mdpo.aggregators import (
    COSMOS,
    PBI,
    AugmentedTchebycheff,
    LinearScalarization,
    ModifiedTchebycheff,
    SmoothTchebycheff,
    Tchebycheff,
    get_aggregator,
    importance_direction,
)
from mdpo.preferences import sample_preferences


def _random_case(batch: tuple[int, ...], m: int, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    losses = torch.rand(*batch, m, generator=g, dtype=torch.float64) * 3 + 0.1
    n = 1
    for b in batch:
        n *= b
    lam = sample_preferences(n, m, generator=g).to(torch.float64).view(*batch, m)
    ideal = -torch.rand(m, generator=g, dtype=torch.float64) * 0.5
    return losses, lam, ideal


def _expected(reference, name, losses, lam, ideal, mask=None):
    shape = torch.broadcast_shapes(losses.shape, lam.shape, ideal.shape)
    L, W, Z = (t.expand(shape).reshape(-1, shape[-1]).tolist() for t in (losses, lam, ideal))
    M = None if mask is None else mask.expand(shape).reshape(-1, shape[-1]).tolist()
    out = [reference(name, L[r], W[r], Z[r], None if M is None else M[r]) for r in range(len(L))]
    return torch.tensor(out, dtype=torch.float64).view(shape[:-1])


@pytest.mark.parametrize("m", [1, 2, 3, 5])
def test_matches_formula_on_batched_inputs(builtin_name, m, make_builtin, reference):
    losses, lam, ideal = _random_case((4, 3), m)
    agg = make_builtin()
    out = agg(losses, lam, ideal=ideal)
    assert out.shape == (4, 3)
    assert out.dtype == torch.float64
    torch.testing.assert_close(out, _expected(reference, builtin_name, losses, lam, ideal))


def test_different_preferences_give_different_values(make_builtin):
    losses = torch.tensor([0.4, 1.7, 0.9], dtype=torch.float64)
    ideal = torch.zeros(3, dtype=torch.float64)
    agg = make_builtin()
    a = agg(losses, [0.6, 0.3, 0.1], ideal=ideal)
    b = agg(losses, [0.1, 0.3, 0.6], ideal=ideal)
    assert not torch.isclose(a, b)


@pytest.mark.parametrize(
    ("loss_shape", "lam_shape", "ideal_shape", "out_shape"),
    [
        ((4, 3, 3), (3,), (3,), (4, 3)),  # one λ for every row
        ((4, 3, 3), (3, 3), (3,), (4, 3)),  # λ per column of the batch
        ((3,), (5, 3), (3,), (5,)),  # one loss vector, many λ
        ((4, 1, 3), (5, 3), (4, 1, 3), (4, 5)),  # outer product of rows and λs
    ],
)
def test_broadcasting(
    builtin_name, loss_shape, lam_shape, ideal_shape, out_shape, make_builtin, reference
):
    g = torch.Generator().manual_seed(3)
    losses = torch.rand(loss_shape, generator=g, dtype=torch.float64) + 0.5
    n = 1
    for s in lam_shape[:-1]:
        n *= s
    lam = sample_preferences(n, 3, generator=g).to(torch.float64).view(lam_shape)
    ideal = -torch.rand(ideal_shape, generator=g, dtype=torch.float64)
    agg = make_builtin()
    out = agg(losses, lam, ideal=ideal)
    assert out.shape == out_shape
    torch.testing.assert_close(out, _expected(reference, builtin_name, losses, lam, ideal))


def test_gradcheck(make_builtin):
    losses, lam, ideal = _random_case((5,), 3, seed=7)
    losses.requires_grad_(True)
    ideal.requires_grad_(True)
    agg = make_builtin()
    assert torch.autograd.gradcheck(lambda x, z: agg(x, lam, ideal=z), (losses, ideal))


def test_gradcheck_with_mask(make_builtin):
    losses, lam, ideal = _random_case((5,), 3, seed=8)
    mask = torch.tensor(
        [[True, True, True], [True, False, True], [False, True, False], [False] * 3, [True] * 3]
    )
    losses.requires_grad_(True)
    agg = make_builtin()
    assert torch.autograd.gradcheck(lambda x: agg(x, lam, ideal=ideal, mask=mask), (losses,))


def test_output_follows_losses_dtype(builtin_name):
    agg = get_aggregator(builtin_name)
    for dtype in (torch.float32, torch.float64, torch.bfloat16):
        losses = torch.tensor([[0.5, 1.0], [2.0, 0.25]], dtype=dtype)
        out = agg(losses, [0.3, 0.7], ideal=torch.zeros(2, dtype=torch.float64))
        assert out.dtype == dtype
        assert torch.isfinite(out).all()


def test_linear_scalarization_ideal_is_optional_and_only_shifts():
    losses = torch.tensor([[1.0, 3.0], [0.5, 0.5]], requires_grad=True)
    lam = [0.25, 0.75]
    plain = LinearScalarization()(losses, lam)
    torch.testing.assert_close(plain, torch.tensor([2.5, 0.5]))
    shifted = LinearScalarization()(losses, lam, ideal=[1.0, 2.0])
    torch.testing.assert_close(plain - shifted, torch.tensor([1.75, 1.75]))
    (g1,) = torch.autograd.grad(plain.sum(), losses)
    (g2,) = torch.autograd.grad(shifted.sum(), losses)
    torch.testing.assert_close(g1, g2)


def test_modified_tchebycheff_is_tchebycheff_with_floored_preference():
    losses, lam, ideal = _random_case((6,), 3, seed=11)
    lam[0] = torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64)
    lam[1] = torch.tensor([0.35, 0.3, 0.35], dtype=torch.float64)
    losses[0] = torch.tensor([0.1, 3.0, 3.0], dtype=torch.float64)
    eps = 0.3
    mtche = ModifiedTchebycheff(eps=eps)(losses, lam, ideal=ideal)
    tche = Tchebycheff()(losses, lam, ideal=ideal)
    assert not torch.isclose(mtche[0], tche[0])  # the floor matters on the vertex row ...
    torch.testing.assert_close(mtche, ((losses - ideal) * lam.clamp_min(eps)).amax(-1))
    unfloored = (lam >= eps).all(-1)  # ... and rows that never hit it agree with Tche
    assert unfloored.any()
    torch.testing.assert_close(mtche[unfloored], tche[unfloored])


def test_smooth_tchebycheff_tends_to_tchebycheff():
    losses, lam, ideal = _random_case((8,), 3, seed=12)
    tche = Tchebycheff()(losses, lam, ideal=ideal)
    for mu in (1.0, 0.1, 0.001):
        stche = SmoothTchebycheff(mu=mu)(losses, lam, ideal=ideal)
        gap = stche - tche
        assert (gap >= 0).all()
        assert (gap <= mu * torch.log(torch.tensor(3.0)) + 1e-12).all()
    assert (gap < 1e-2).all()


def test_augmented_tchebycheff_with_zero_rho_is_tchebycheff():
    losses, lam, ideal = _random_case((8,), 3, seed=13)
    aug = AugmentedTchebycheff(rho=0.5)(losses, lam, ideal=ideal)
    tche = Tchebycheff()(losses, lam, ideal=ideal)
    assert not torch.allclose(aug, tche)
    torch.testing.assert_close(AugmentedTchebycheff(rho=0.0)(losses, lam, ideal=ideal), tche)


def test_pbi_is_zero_penalty_on_the_ray_and_grows_off_it():
    lam = torch.tensor([0.2, 0.8], dtype=torch.float64)
    d = importance_direction(lam, 1e-3)
    on_ray = 0.7 * d
    off_ray = on_ray + torch.tensor([0.3, -0.3], dtype=torch.float64)
    ideal = torch.zeros(2, dtype=torch.float64)
    torch.testing.assert_close(PBI(theta=5.0)(on_ray, lam, ideal=ideal), 0.7 * d.norm())
    assert PBI(theta=5.0)(off_ray, lam, ideal=ideal) > PBI(theta=1.0)(off_ray, lam, ideal=ideal)


def test_cosmos_penalty_vanishes_when_aligned_with_the_direction():
    lam = torch.tensor([0.25, 0.75], dtype=torch.float64)
    ideal = torch.zeros(2, dtype=torch.float64)
    aligned = 0.3 * importance_direction(lam, 1e-3)
    linear = (lam * aligned).sum()
    torch.testing.assert_close(COSMOS(mu=2.0)(aligned, lam, ideal=ideal), linear)
    misaligned = aligned.flip(0)
    assert COSMOS(mu=2.0)(misaligned, lam, ideal=ideal) > (lam * misaligned).sum() + 0.1


def test_importance_direction_orders_dimensions():
    d = importance_direction(torch.tensor([0.7, 0.3, 0.0]), 0.01)
    torch.testing.assert_close(d, torch.tensor([1 / 0.7, 1 / 0.3, 100.0]))
