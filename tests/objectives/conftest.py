"""Fixtures for objective tests: the tiny tokenizer and tiny Panacea models."""

from __future__ import annotations

import pytest
import torch

from mdpo.testing import tiny_causal_lm, tiny_chat_tokenizer


@pytest.fixture(scope="module")
def tok():
    return tiny_chat_tokenizer()


def make_panacea(n_dims: int, *, perturb: bool = True, seed: int = 0):
    """A tiny Llama wrapped with Panacea; ``perturb`` makes the adapter non-identity."""
    from mdpo.adapters import PanaceaConfig, get_panacea_model

    model = get_panacea_model(
        tiny_causal_lm("llama", seed=seed),
        PanaceaConfig(r=2, n_dims=n_dims, init="svd", pref_rank=1, init_scale=0.2),
    )
    if perturb:
        gen = torch.Generator().manual_seed(seed + 1)
        with torch.no_grad():
            for layer in model.panacea_layers().values():
                layer.lora_E.copy_(torch.randn(layer.lora_E.shape, generator=gen))
                layer.lora_s.fill_(2.0)
    return model


class ForwardCounter:
    """Counts forward calls of a module and records each call's batch size."""

    def __init__(self, module: torch.nn.Module) -> None:
        self.batch_sizes: list[int] = []
        self.handle = module.register_forward_hook(self._hook, with_kwargs=True)

    def _hook(self, module, args, kwargs, output):
        ids = args[0] if args else kwargs["input_ids"]
        self.batch_sizes.append(int(ids.shape[0]))

    def close(self) -> None:
        self.handle.remove()


@pytest.fixture(name="make_panacea")
def _make_panacea_fixture():
    """The :func:`make_panacea` factory (test modules cannot import conftest)."""
    return make_panacea


@pytest.fixture(name="forward_counter")
def _forward_counter_fixture():
    """The :class:`ForwardCounter` class."""
    return ForwardCounter
