"""Shared fixtures of the benchmark tests: a tiny chat model saved as a local model folder."""

from __future__ import annotations

from pathlib import Path

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
