from __future__ import annotations

import pytest

from mdpo.models import tied_module_names, tied_parameter_names
from mdpo.testing import tiny_causal_lm


@pytest.mark.parametrize("arch", ["llama", "qwen2", "gpt2"])
def test_tied_lm_head_is_found(arch):
    model = tiny_causal_lm(arch)
    names = tied_parameter_names(model)
    assert "lm_head.weight" in names and len(names) == 2
    assert "lm_head" in tied_module_names(model)
    untied = tiny_causal_lm(arch, tie_word_embeddings=False)
    assert tied_parameter_names(untied) == set()


def test_tied_after_reload(tiny_lm_dir):
    from mdpo.models import load_causal_lm

    model, _ = load_causal_lm(tiny_lm_dir)
    assert tied_module_names(model) == {"lm_head", "model.embed_tokens"}
