"""Bad input gets a ValueError or TypeError naming the parameter and the value."""

from __future__ import annotations

import math

import pytest
import torch

from mdpo.aggregators import (
    COSMOS,
    PBI,
    Aggregator,
    AugmentedTchebycheff,
    LinearScalarization,
    ModifiedTchebycheff,
    SmoothTchebycheff,
    Tchebycheff,
    available_aggregators,
    get_aggregator,
)

LOSSES = torch.tensor([[0.5, 1.0, 1.5], [2.0, 0.3, 0.1]])
LAM = [0.2, 0.3, 0.5]
IDEAL = [0.0, 0.0, 0.0]


@pytest.mark.parametrize(
    ("losses", "error", "match"),
    [
        ([0.5, 1.0, 1.5], TypeError, "losses must be a torch.Tensor"),
        (torch.tensor([1, 2, 3]), TypeError, "floating-point.*int64"),
        (torch.tensor(1.0), ValueError, r"losses must have shape \[..., m\].*\(\)"),
        (torch.zeros(2, 0), ValueError, r"m >= 1.*\(2, 0\)"),
        (torch.tensor([0.5, float("nan"), 1.5]), ValueError, "losses must be finite.*1 NaN"),
        (torch.tensor([0.5, float("inf"), 1.5]), ValueError, "losses must be finite"),
    ],
)
def test_bad_losses(builtin_name, losses, error, match):
    with pytest.raises(error, match=match):
        get_aggregator(builtin_name)(losses, LAM, ideal=IDEAL)


@pytest.mark.parametrize(
    ("lam", "match"),
    [
        ([0.5, 0.5], "length m=3"),
        ([0.5, 0.6, -0.1], "non-negative"),
        ([0.2, 0.2, 0.2], "sum to 1"),
        ([0.5, float("nan"), 0.5], "finite"),
    ],
)
def test_bad_preference(builtin_name, lam, match):
    with pytest.raises(ValueError, match=f"preference.*{match}|{match}.*preference"):
        get_aggregator(builtin_name)(LOSSES, lam, ideal=IDEAL)


@pytest.mark.parametrize("name", [k for k in available_aggregators() if k != "ls"])
def test_missing_ideal_explains_how_to_get_one(name):
    agg = get_aggregator(name)
    assert agg.requires_ideal
    with pytest.raises(ValueError, match="needs an ideal point") as info:
        agg(LOSSES, LAM)
    message = str(info.value)
    assert "ideal=" in message and "MDPOTrainer" in message and "lower bound" in message


def test_linear_scalarization_needs_no_ideal():
    assert not LinearScalarization.requires_ideal
    torch.testing.assert_close(
        LinearScalarization()(LOSSES, LAM), (LOSSES * torch.tensor(LAM)).sum(-1)
    )


@pytest.mark.parametrize(
    ("ideal", "error", "match"),
    [
        ([0.0, 0.0], ValueError, r"ideal must have shape.*m=3.*\(2,\)"),
        (0.0, TypeError, "ideal must be a torch.Tensor"),
        ("0,0,0", TypeError, "ideal must be"),
        ([0.0, float("nan"), 0.0], ValueError, "ideal must be finite"),
        (torch.tensor([True, False, True]), TypeError, "ideal must hold real numbers"),
    ],
)
def test_bad_ideal(builtin_name, ideal, error, match):
    with pytest.raises(error, match=match):
        get_aggregator(builtin_name)(LOSSES, LAM, ideal=ideal)


@pytest.mark.parametrize(
    ("mask", "error", "match"),
    [
        (torch.ones(2, 3), TypeError, "mask must be a bool torch.Tensor.*float32"),
        ([[True] * 3] * 2, TypeError, "mask must be a bool torch.Tensor.*list"),
        (torch.ones(2, 2, dtype=torch.bool), ValueError, r"mask must have shape.*\(2, 2\)"),
        (torch.ones(4, 3, dtype=torch.bool), ValueError, "broadcast"),
    ],
)
def test_bad_mask(builtin_name, mask, error, match):
    with pytest.raises(error, match=match):
        get_aggregator(builtin_name)(LOSSES, LAM, ideal=IDEAL, mask=mask)


def test_shapes_that_do_not_broadcast(builtin_name):
    lam = torch.tensor([LAM, LAM, LAM])
    with pytest.raises(ValueError, match=r"broadcast.*losses \(2, 3\), preference \(3, 3\)"):
        get_aggregator(builtin_name)(LOSSES, lam, ideal=IDEAL)


def test_nan_is_allowed_only_where_masked(builtin_name):
    losses = LOSSES.clone()
    losses[1, 2] = float("nan")
    agg = get_aggregator(builtin_name)
    with pytest.raises(ValueError, match="losses must be finite"):
        agg(losses, LAM, ideal=IDEAL)
    mask = torch.tensor([[True, True, True], [True, True, False]])
    assert torch.isfinite(agg(losses, LAM, ideal=IDEAL, mask=mask)).all()


@pytest.mark.parametrize(
    ("cls", "kwargs", "error", "match"),
    [
        (SmoothTchebycheff, {"mu": 0.0}, ValueError, r"mu must be a real number > 0, got 0.0"),
        (SmoothTchebycheff, {"mu": -1}, ValueError, "mu must be .* > 0, got -1"),
        (SmoothTchebycheff, {"mu": math.nan}, ValueError, "mu must .* got nan"),
        (SmoothTchebycheff, {"mu": "0.1"}, TypeError, "mu must be a real number .* str '0.1'"),
        (SmoothTchebycheff, {"mu": True}, TypeError, "mu must be a real number .* bool"),
        (AugmentedTchebycheff, {"rho": -0.1}, ValueError, "rho must be .* >= 0, got -0.1"),
        (PBI, {"theta": -1.0}, ValueError, "theta must be .* >= 0, got -1.0"),
        (PBI, {"eps": 0.0}, ValueError, r"eps must be a real number in \(0, 1\), got 0.0"),
        (ModifiedTchebycheff, {"eps": 1.0}, ValueError, r"eps .* in \(0, 1\), got 1.0"),
        (COSMOS, {"eps": 1.5}, ValueError, "eps .* got 1.5"),
        (COSMOS, {"mu": -0.5}, ValueError, "mu must be .* >= 0, got -0.5"),
        (COSMOS, {"mu": math.inf}, ValueError, "mu must .* got inf"),
    ],
)
def test_bad_constructor_parameters(cls, kwargs, error, match):
    with pytest.raises(error, match=match):
        cls(**kwargs)


def test_boundary_parameters_are_accepted():
    assert AugmentedTchebycheff(rho=0).rho == 0.0
    assert PBI(theta=0).theta == 0.0
    assert COSMOS(mu=0).mu == 0.0
    assert isinstance(SmoothTchebycheff(mu=1).mu, float)


def test_base_class_is_abstract():
    with pytest.raises(TypeError, match="abstract"):
        Aggregator()


def test_repr_and_params():
    agg = PBI(theta=3.0, eps=0.01)
    assert agg.get_params() == {"theta": 3.0, "eps": 0.01}
    assert repr(agg) == "PBI(theta=3.0, eps=0.01)"
    assert repr(Tchebycheff()) == "Tchebycheff()"


def test_preference_is_a_constant_and_follows_losses_device_and_dtype():
    losses = LOSSES.to(torch.float64).requires_grad_(True)
    lam = torch.tensor(LAM, requires_grad=True)
    out = Tchebycheff()(losses, lam, ideal=torch.tensor(IDEAL))
    assert out.dtype == torch.float64
    out.sum().backward()
    assert lam.grad is None
    assert losses.grad is not None
