"""Shared fixtures of the trainer tests: tiny models, A/B preference pairs, configs."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread():
    """Tiny models run fastest on one thread; two threads spin against each other on a
    busy 2-core machine (measured: 20 steps took 1.5 s on one thread, 20 s on two)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def ab_pairs(n_prompts: int = 4) -> list[dict[str, Any]]:
    """Paired two-dimension DPO rows: dimension ``a`` prefers "A", dimension ``b`` "B"."""
    words = ["x", "yy", "z", "hi", "ok", "go"][:n_prompts]
    return [
        {"prompt": f"Say {w}", "response_0": "A", "response_1": "B", "a": 0, "b": 1} for w in words
    ]


@pytest.fixture
def tok() -> Any:
    from mdpo.testing import tiny_chat_tokenizer

    return tiny_chat_tokenizer()


@pytest.fixture
def panacea() -> Callable[..., Any]:
    """Factory: a tiny Llama wrapped with Panacea (k=4, m given)."""

    def make(n_dims: int = 2, r: int = 4, seed: int = 0) -> Any:
        from mdpo.adapters import PanaceaConfig, get_panacea_model
        from mdpo.testing import tiny_causal_lm

        return get_panacea_model(
            tiny_causal_lm("llama", seed=seed), PanaceaConfig(r=r, n_dims=n_dims)
        )

    return make


@pytest.fixture
def pairs() -> list[dict[str, Any]]:
    return ab_pairs()


@pytest.fixture
def ab_objective() -> Any:
    from mdpo.objectives import DPOObjective

    return DPOObjective(label_columns={"a": "a", "b": "b"}, beta=0.5)


@pytest.fixture
def config(tmp_path) -> Callable[..., Any]:
    """Factory: a small, quiet, CPU MDPOConfig writing under tmp_path."""

    def make(**kwargs: Any) -> Any:
        from mdpo.training import MDPOConfig

        defaults = {
            "output_dir": str(tmp_path / "out"),
            "max_steps": 20,
            "per_device_train_batch_size": 4,
            "learning_rate": 3e-2,
            "logging_steps": 5,
            "save_strategy": "no",
            "use_cpu": True,
            "disable_tqdm": True,
            "seed": 0,
            "vertex_prob": 0.5,
            "dataloader_pin_memory": False,
        }
        return MDPOConfig(**{**defaults, **kwargs})

    return make


def completion_logp(model: Any, tok: Any, prompt: str, completion: str, lam: list[float]) -> float:
    """log π(completion | chat(prompt)) at λ."""
    from mdpo.data import sequence_logps

    text = tok.apply_chat_template(
        [{"role": "user", "content": prompt}], add_generation_prompt=True, tokenize=False
    )
    prompt_ids = tok(text, add_special_tokens=False).input_ids
    ids = torch.tensor([prompt_ids + tok(completion, add_special_tokens=False).input_ids])
    completion_mask = torch.zeros_like(ids, dtype=torch.bool)
    completion_mask[:, len(prompt_ids) :] = True
    with torch.no_grad(), model.preference(torch.tensor(lam)):
        total, _ = sequence_logps(model, ids, torch.ones_like(ids), completion_mask)
    return float(total[0])


@pytest.fixture
def logp() -> Callable[..., float]:
    return completion_logp


@pytest.fixture
def tiny_run(tmp_path):
    """A tiny base model folder, three JSONL datasets and a config mapping pointing at them."""
    return tmp_path, make_tiny_run(tmp_path)


@pytest.fixture(scope="session")
def tiny_run_factory() -> Callable[[Any], dict[str, Any]]:
    """:func:`make_tiny_run` for fixtures of a wider scope than ``tiny_run``."""
    return make_tiny_run


def make_tiny_run(tmp_path: Any) -> dict[str, Any]:
    """Write the tiny base model and datasets under ``tmp_path``; return the config mapping."""
    from mdpo.testing import tiny_causal_lm, tiny_chat_tokenizer

    base = tmp_path / "base"
    tiny_causal_lm("llama").save_pretrained(base)
    tiny_chat_tokenizer().save_pretrained(base)
    data = tmp_path / "data"
    data.mkdir()
    rows = {
        "pairs.jsonl": [
            {"prompt": f"Say {w}", "response_0": "A", "response_1": "B", "a": 0, "b": 1}
            for w in ("x", "yy", "z")
        ],
        "prompts.jsonl": [{"prompt": p} for p in ("Hi", "Tell me", "Why")],
        "style.jsonl": [{"prompt": "Greet", "completion": "Dear sir."}],
    }
    for name, items in rows.items():
        (data / name).write_text("".join(json.dumps(r) + "\n" for r in items))
    config = {
        "model": {"name_or_path": str(base)},
        "output_dir": str(tmp_path / "runs"),
        "run_name": "tiny",
        "aggregator": "tche",
        "normalize": "running",
        "dimensions": [
            {
                "name": ["a", "b"],
                "objective": "dpo",
                "data": "data/pairs.jsonl",
                "label_columns": {"a": "a", "b": "b"},
                "kwargs": {"beta": 0.5},
            },
            {
                "name": "concise",
                "objective": "rlhf",
                "data": "data/prompts.jsonl",
                "scorer": "length",
                "scorer_kwargs": {"unit": "chars"},
                "kwargs": {"k": 2, "max_new_tokens": 3},
            },
            {"name": "formal", "objective": "sft", "data": "data/style.jsonl"},
        ],
        "adapter": {"r": 2},
        "training": {
            "max_steps": 2,
            "per_device_train_batch_size": 2,
            "learning_rate": 0.02,
            "use_cpu": True,
            "save_strategy": "no",
            "logging_steps": 1,
            "disable_tqdm": True,
            "dataloader_pin_memory": False,
        },
    }
    return config
