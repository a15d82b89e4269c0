"""Shared fixtures of the benchmark tests: a tiny chat model saved as a local model folder, and
a tiny language-model suite written for it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def tiny_lm_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random Llama + the byte-level chat tokenizer, ``save_pretrained`` into a folder."""
    import torch

    from mdpo.testing import tiny_causal_lm, tiny_chat_tokenizer

    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("tiny-lm")
    tiny_causal_lm("llama").save_pretrained(folder)
    tiny_chat_tokenizer().save_pretrained(folder)
    return folder


_TINY_LLM_PARAMS = {
    "dims": {
        "concise": {"scorer": "length", "kwargs": {"unit": "chars", "sign": -1}},
        "verbose": {"scorer": "length", "kwargs": {"unit": "chars", "sign": 1}},
    },
    "train_prompts": 4,
    "eval_prompts": 3,
    "n_samples": 3,
    "data_max_new_tokens": 10,
    "max_new_tokens": 6,
    "greedy": False,
    "gen_batch_size": 8,
    "bootstrap_samples": 50,
    "example_prompts": 2,
    "device": "cpu",
}


@pytest.fixture(scope="session")
def write_tiny_llm_suite() -> Callable[..., Path]:
    """Writes a tiny smollm suite file: task ``llm2``, concise against verbose, 6 steps of 2 pairs.

    Called as ``write(path, name, model_dir, methods, eval_partitions=4, **params)``: ``methods``
    the suite's method entries, ``params`` overriding the task's (``_TINY_LLM_PARAMS``).
    """

    def write(
        path: Path,
        name: str,
        model: Path,
        methods: list[dict[str, Any]],
        eval_partitions: int = 4,
        **params: Any,
    ) -> Path:
        import yaml

        task = {
            "name": "llm2",
            "kind": "smollm",
            "eval_partitions": eval_partitions,
            "params": {"model": str(model), **_TINY_LLM_PARAMS, **params},
        }
        suite = {
            "name": name,
            "seeds": [0],
            "training": {"steps": 6, "pref_batch": 2, "log_every": 2, "lr": 0.05, "rank": 2},
            "tasks": [task],
            "methods": methods,
        }
        path.write_text(yaml.safe_dump(suite, sort_keys=False), encoding="utf-8")
        return path

    return write
