"""Fixtures for mdpo.models tests: a tiny causal LM saved to disk, loadable by path."""

from __future__ import annotations

import pytest

from mdpo.testing import tiny_causal_lm, tiny_chat_tokenizer


@pytest.fixture(scope="module")
def tiny_lm_dir(tmp_path_factory):
    """A folder with a tiny Llama and the SmolLM2-like byte tokenizer, as save_pretrained writes."""
    path = tmp_path_factory.mktemp("tiny_lm")
    tiny_causal_lm("llama").save_pretrained(path)
    tiny_chat_tokenizer().save_pretrained(path)
    return path
