"""Fixtures for the Panacea adapter tests: tiny models, inputs and randomised adapters."""

from __future__ import annotations

import pytest
import torch

from mdpo.adapters import PanaceaConfig, PanaceaModel, get_panacea_model
from mdpo.testing import tiny_causal_lm

ARCHS = ("llama", "qwen2", "gpt2")


def _randomize(model: PanaceaModel, seed: int = 1, std: float = 0.3) -> PanaceaModel:
    """Give every adapter parameter (σ and s included) non-zero random values."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.adapter_parameters():
            p.copy_(torch.randn(p.shape, generator=g) * std)
    return model


def _make(arch: str = "llama", *, random: bool = True, **config) -> PanaceaModel:
    """A Panacea model on a tiny base, optionally randomised.

    Unless overridden: k=4, m=2, the paper's form (one column per dimension) and the "svd"
    init, whose σ = s = 0 the identity and gradient tests below pin down; the library's
    defaults (``PanaceaConfig()``) are tested on their own.
    """
    config.setdefault("r", 4)
    config.setdefault("n_dims", 2)
    config.setdefault("pref_rank", 1)
    config.setdefault("init", "svd")
    model = get_panacea_model(tiny_causal_lm(arch), PanaceaConfig(**config))
    return _randomize(model) if random else model


@pytest.fixture
def ids() -> torch.Tensor:
    """A batch of two 6-token sequences from the tiny vocabulary."""
    return torch.tensor([[1, 40, 41, 42, 43, 44], [1, 60, 61, 62, 63, 64]])


@pytest.fixture(params=ARCHS)
def arch(request) -> str:
    """Each tiny architecture in turn."""
    return request.param


@pytest.fixture
def make():
    """Factory ``make(arch="llama", *, random=True, **config) -> PanaceaModel`` (k=4, m=2)."""
    return _make


@pytest.fixture
def randomize():
    """Function ``randomize(model, seed=1, std=0.3)`` setting every adapter parameter."""
    return _randomize
