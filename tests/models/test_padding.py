from __future__ import annotations

import pytest

from mdpo.models import ensure_pad_token, with_padding_side
from mdpo.testing import tiny_chat_tokenizer


def test_left_padding_copy_leaves_original():
    tok = tiny_chat_tokenizer()
    left = with_padding_side(tok, "left")
    assert left is not tok and tok.padding_side == "right"
    batch = left(["ab", "abcd"], padding=True)
    assert batch["attention_mask"][0] == [0, 0, 1, 1]
    assert batch["input_ids"][0][:2] == [tok.pad_token_id] * 2
    right = tok(["ab", "abcd"], padding=True)
    assert right["attention_mask"][0] == [1, 1, 0, 0]


def test_pad_equals_eos_so_mask_by_attention():
    # The EOS that ends a completion has the pad id: only the attention mask tells them apart.
    tok = tiny_chat_tokenizer()
    batch = tok(["ab<|im_end|>", "abcd<|im_end|>"], padding=True)
    ids, mask = batch["input_ids"][0], batch["attention_mask"][0]
    assert ids[2] == ids[3] == ids[4] == tok.pad_token_id
    assert mask[2:] == [1, 0, 0]


def test_ensure_pad_token_errors():
    tok = tiny_chat_tokenizer()
    tok.pad_token = None
    tok.eos_token = None
    with pytest.raises(ValueError, match="neither pad_token nor eos_token"):
        ensure_pad_token(tok)
    with pytest.raises(ValueError, match="side must be 'left' or 'right', got 'top'"):
        with_padding_side(tiny_chat_tokenizer(), "top")
