"""get_aggregator, register_aggregator, unregister_aggregator and available_aggregators."""

from __future__ import annotations

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
    register_aggregator,
    unregister_aggregator,
)

BUILTIN = {
    "ls": LinearScalarization,
    "tche": Tchebycheff,
    "stche": SmoothTchebycheff,
    "atche": AugmentedTchebycheff,
    "mtche": ModifiedTchebycheff,
    "pbi": PBI,
    "cosmos": COSMOS,
}


class PowerMean(Aggregator):
    """A user aggregator: (Σ λ_i (l_i − z_i)^p)^(1/p)."""

    def __init__(self, p: float = 2.0) -> None:
        self.p = p

    def _aggregate(self, losses, preference, ideal, mask):
        terms = preference * (losses - ideal).clamp_min(0) ** self.p
        if mask is not None:
            terms = torch.where(mask, terms, 0.0)
        return terms.sum(-1) ** (1 / self.p)


@pytest.fixture
def clean_registry():
    before = available_aggregators()
    yield
    for key in available_aggregators():
        if key not in before:
            unregister_aggregator(key)
    assert available_aggregators() == before


def test_builtin_keys_and_classes():
    assert available_aggregators()[: len(BUILTIN)] == list(BUILTIN)
    for key, cls in BUILTIN.items():
        assert type(get_aggregator(key)) is cls
        assert type(get_aggregator(f" {key.upper()} ")) is cls


def test_kwargs_reach_the_constructor():
    agg = get_aggregator("pbi", theta=9.0, eps=0.02)
    assert (agg.theta, agg.eps) == (9.0, 0.02)
    with pytest.raises(ValueError, match="theta"):
        get_aggregator("pbi", theta=-1.0)


def test_unknown_key_lists_the_valid_ones():
    with pytest.raises(ValueError, match="unknown aggregator name='tchebychev'") as info:
        get_aggregator("tchebychev")
    for key in BUILTIN:
        assert key in str(info.value)


def test_bad_kwargs_are_named():
    with pytest.raises(TypeError, match=r"unexpected keyword argument\(s\) rho.*accepts: mu"):
        get_aggregator("stche", rho=0.1)
    with pytest.raises(TypeError, match=r"unexpected keyword.*mu; Tchebycheff accepts: no"):
        get_aggregator("tche", mu=1.0)


def test_name_must_be_a_string():
    with pytest.raises(TypeError, match="aggregator name must be a str, got int 3"):
        get_aggregator(3)


def test_register_round_trip(clean_registry):
    returned = register_aggregator("PowerMean", PowerMean)
    assert returned is PowerMean
    assert "powermean" in available_aggregators()
    agg = get_aggregator("powermean", p=3.0)
    assert isinstance(agg, PowerMean) and agg.p == 3.0
    out = agg(torch.tensor([1.0, 2.0]), [0.5, 0.5], ideal=[0.0, 0.0])
    torch.testing.assert_close(out, torch.tensor(4.5 ** (1 / 3)))
    with pytest.raises(ValueError, match="already registered as 'powermean'.*overwrite=True"):
        register_aggregator("powermean", Tchebycheff)
    register_aggregator("powermean", PowerMean)  # re-registering the same class is harmless
    register_aggregator("powermean", Tchebycheff, overwrite=True)
    assert type(get_aggregator("powermean")) is Tchebycheff
    assert unregister_aggregator("powermean") is Tchebycheff
    with pytest.raises(ValueError, match="unknown aggregator"):
        get_aggregator("powermean")


def test_register_as_decorator(clean_registry):
    @register_aggregator("pm2")
    class PM2(PowerMean):
        pass

    assert type(get_aggregator("pm2")) is PM2


def test_builtins_are_protected(clean_registry):
    with pytest.raises(ValueError, match="already registered as 'tche'"):
        register_aggregator("tche", PowerMean)
    with pytest.raises(ValueError, match="built-in aggregator name='ls' cannot be unregistered"):
        unregister_aggregator("ls")
    with pytest.raises(ValueError, match="no aggregator is registered as name='nope'"):
        unregister_aggregator("nope")


@pytest.mark.parametrize(
    ("name", "cls", "error", "match"),
    [
        ("x", object, TypeError, "cls must be a subclass of mdpo.aggregators.Aggregator"),
        ("x", PowerMean(), TypeError, "cls must be a subclass"),
        ("x", Aggregator, TypeError, "Aggregator is abstract"),
        ("", PowerMean, ValueError, "non-empty"),
        ("a b", PowerMean, ValueError, "got 'a b'"),
        (None, PowerMean, TypeError, "must be a str"),
    ],
)
def test_register_refuses_bad_input(clean_registry, name, cls, error, match):
    with pytest.raises(error, match=match):
        register_aggregator(name, cls)


class InputsPowerMean(Aggregator):
    """PowerMean written against the one-argument protocol: ``_aggregate(self, x)``."""

    def __init__(self, p: float = 2.0) -> None:
        self.p = p

    def _aggregate(self, x):
        terms = x.preference * x.offset().clamp_min(0) ** self.p
        if x.mask is not None:
            terms = torch.where(x.mask, terms, 0.0)
        return terms.sum(-1) ** (1 / self.p)


def test_one_argument_and_legacy_four_argument_aggregate_agree():
    losses = torch.tensor([[1.0, 2.0], [3.0, 0.5]], requires_grad=True)
    lam = torch.tensor([[0.25, 0.75], [0.5, 0.5]])
    mask = torch.tensor([[True, False], [True, True]])
    for kwargs in ({"ideal": [0.0, 0.0]}, {"ideal": [0.5, 0.1], "mask": mask}):
        new = InputsPowerMean(3.0)(losses, lam, **kwargs)
        legacy = PowerMean(3.0)(losses, lam, **kwargs)
        torch.testing.assert_close(new, legacy, rtol=0, atol=0)
        assert InputsPowerMean(3.0).reduce(losses, lam, **kwargs) == PowerMean(3.0).reduce(
            losses, lam, **kwargs
        )
