"""Contract matrix: for every registered aggregator, raising λ_i never raises the optimal l_i.

The problem is convex: l_i(x) = ‖x − a_i‖² with distinct anchors a_i in R², so the ideal
point z = 0 is a valid lower bound. Many independent problems (one per λ and start) are
solved at once with Adam and a learning rate decaying geometrically to ~1e-5, which also
converges on the kinks of the max-based aggregators; the best start per λ is kept.
"""

from __future__ import annotations

import pytest
import torch

from mdpo.aggregators import PBI, available_aggregators, get_aggregator

ANCHORS = {
    2: torch.tensor([[0.0, 0.0], [1.0, 0.5]], dtype=torch.float64),
    3: torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.3, 1.0]], dtype=torch.float64),
}
STEPS = 800
TOL = 2e-3  # optimiser error allowed per comparison (losses are of order 0.1 to 1)


def _losses(x: torch.Tensor, anchors: torch.Tensor) -> torch.Tensor:
    """x [P, 2] -> l [P, m] with l_i = ‖x − a_i‖²."""
    return (x.unsqueeze(1) - anchors).square().sum(dim=-1)


def _solve(agg, lam: torch.Tensor, anchors: torch.Tensor, starts: int = 4) -> torch.Tensor:
    """The optimal losses [n, m] for each preference in lam [n, m] (best of several starts)."""
    n, m = lam.shape
    gen = torch.Generator().manual_seed(1234)
    lo, hi = anchors.min(0).values - 0.5, anchors.max(0).values + 0.5
    x0 = lo + (hi - lo) * torch.rand(starts * n, 2, generator=gen, dtype=torch.float64)
    x = x0.clone().requires_grad_(True)
    lam_rep = lam.repeat(starts, 1)
    ideal = torch.zeros(m, dtype=torch.float64)
    opt = torch.optim.Adam([x], lr=0.05)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=(2e-4) ** (1 / STEPS))
    for _ in range(STEPS):
        opt.zero_grad()
        agg(_losses(x, anchors), lam_rep, ideal=ideal).sum().backward()
        opt.step()
        sched.step()
    with torch.no_grad():
        losses = _losses(x, anchors)
        values = agg(losses, lam_rep, ideal=ideal).view(starts, n)
        best = values.argmin(dim=0)
        return losses.view(starts, n, m)[best, torch.arange(n)]


def _paths(m: int, interior: bool) -> tuple[torch.Tensor, list[tuple[int, slice]]]:
    """Preferences along paths λ(t) = (1 − t) base + t e_i, and which rows form each path."""
    if m == 2:
        grid = (
            [0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95]
            if interior
            else [0.0, 0.1, 0.25, 0.4, 0.5, 0.6, 0.75, 0.9, 1.0]
        )
        lam1 = torch.tensor(grid, dtype=torch.float64)
        lam = torch.stack([lam1, 1 - lam1], dim=-1)
        return lam, [(0, slice(0, len(grid)))]
    bases = torch.tensor(
        [[1 / 3, 1 / 3, 1 / 3], [0.6, 0.3, 0.1], [0.1, 0.2, 0.7]], dtype=torch.float64
    )
    ts = [0.0, 0.25, 0.5, 0.75] if interior else [0.0, 0.25, 0.5, 0.75, 1.0]
    rows, paths = [], []
    for base in bases:
        for i in range(m):
            start = len(rows)
            e = torch.nn.functional.one_hot(torch.tensor(i), m).to(torch.float64)
            rows += [(1 - t) * base + t * e for t in ts]
            paths.append((i, slice(start, len(rows))))
    return torch.stack(rows), paths


def _check_monotone(name: str, agg, m: int, interior: bool) -> None:
    lam, paths = _paths(m, interior)
    opt_losses = _solve(agg, lam, ANCHORS[m])
    for i, rows in paths:
        li = opt_losses[rows, i]
        # Not a no-op: along the path the optimal l_i must actually move down.
        assert li[0] - li[-1] > 0.02, f"{name}: l_{i} did not respond to λ_{i}: {li.tolist()}"
        steps = li[1:] - li[:-1]
        assert (steps <= TOL).all(), (
            f"{name}, m={m}: raising λ_{i} raised the optimal l_{i}: {li.tolist()} "
            f"along λ = {lam[rows].tolist()}"
        )
    if m == 2:
        # Raising λ_1 lowers λ_2, so l_2 must not fall.
        l2 = opt_losses[:, 1]
        assert (l2[:-1] - l2[1:] <= TOL).all(), f"{name}: l_2 fell as λ_2 fell: {l2.tolist()}"


@pytest.mark.parametrize("m", [2, 3])
@pytest.mark.parametrize("name", [k for k in available_aggregators() if k != "pbi"])
def test_raising_importance_never_raises_optimal_loss(name: str, m: int) -> None:
    _check_monotone(name, get_aggregator(name), m, interior=False)


@pytest.mark.parametrize("m", [2, 3])
def test_pbi_monotone_at_interior_preferences_with_large_theta(m: int) -> None:
    _check_monotone("pbi", PBI(theta=50.0), m, interior=True)


def test_solver_reaches_known_optima() -> None:
    """The harness itself: LS and (non-smooth) Tche optima are known in closed form."""
    anchors = ANCHORS[2]
    lam, _ = _paths(2, interior=False)
    dist2 = (anchors[1] - anchors[0]).square().sum()
    # LS: x* = Σ λ_i a_i.
    x_ls = lam @ anchors
    torch.testing.assert_close(
        _solve(get_aggregator("ls"), lam, anchors), _losses(x_ls, anchors), atol=1e-4, rtol=0
    )
    # Tche on a segment: λ_1 s² = λ_2 (1 − s)², so s = √λ_2 / (√λ_1 + √λ_2).
    s = lam[:, 1].sqrt() / (lam[:, 0].sqrt() + lam[:, 1].sqrt())
    expected = torch.stack([s.square() * dist2, (1 - s).square() * dist2], dim=-1)
    torch.testing.assert_close(
        _solve(get_aggregator("tche"), lam, anchors), expected, atol=1e-4, rtol=0
    )


def test_every_registered_aggregator_is_in_the_matrix() -> None:
    # PBI has its own, weaker test above; everything else goes through the full matrix.
    assert {"ls", "tche", "stche", "atche", "mtche", "cosmos", "pbi"} <= set(
        available_aggregators()
    )
