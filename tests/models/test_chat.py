from __future__ import annotations

import pytest

from mdpo.models import (
    apply_chat,
    encode_chat,
    encode_chats,
    template_adds_bos,
    tokenizer_adds_bos,
)
from mdpo.testing import DEFAULT_SYSTEM_PROMPT, tiny_chat_tokenizer

LLAMA3_LIKE = (
    "{{ bos_token }}{% for m in messages %}<|start_header_id|>{{ m['role'] }}<|end_header_id|>"
    "{{ m['content'] }}<|eot_id|>{% endfor %}"
    "{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>{% endif %}"
)


@pytest.fixture
def tok():
    return tiny_chat_tokenizer()


def test_default_system_prompt_is_kept_replaced_or_dropped(tok):
    default = apply_chat(tok, "Hi")
    replaced = apply_chat(tok, "Hi", system="Be brief.")
    dropped = apply_chat(tok, "Hi", system=False)
    assert len({default, replaced, dropped}) == 3
    assert default.startswith(f"<|im_start|>system\n{DEFAULT_SYSTEM_PROMPT}<|im_end|>\n")
    assert replaced.startswith("<|im_start|>system\nBe brief.<|im_end|>\n")
    assert DEFAULT_SYSTEM_PROMPT not in replaced
    assert dropped == "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    assert all(
        t.endswith("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
        for t in (default, replaced)
    )


def test_conversation_and_generation_prompt(tok):
    conv = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]
    text = apply_chat(tok, conv, system=False, add_generation_prompt=False)
    assert text == "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello<|im_end|>\n"


def test_drop_keeps_a_global_bos(tok):
    tok.bos_token = "<|endoftext|>"
    tok.chat_template = LLAMA3_LIKE
    text = apply_chat(tok, "Hi", system=False)
    assert text == (
        "<|endoftext|><|start_header_id|>user<|end_header_id|>Hi<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>"
    )


def test_bos_detection_and_single_bos(tok):
    bos_tok = tiny_chat_tokenizer(add_bos_token=True)
    assert template_adds_bos(tok) and template_adds_bos(bos_tok)
    assert not tokenizer_adds_bos(tok) and tokenizer_adds_bos(bos_tok)
    # A naive tokenization of the rendered text doubles the BOS with this tokenizer...
    text = apply_chat(bos_tok, "Hi")
    naive = bos_tok(text).input_ids
    assert naive[:2] == [bos_tok.bos_token_id, bos_tok.bos_token_id]
    # ...encode_chat does not.
    ids = encode_chat(bos_tok, "Hi")
    assert ids[0] == bos_tok.bos_token_id and ids[1] != bos_tok.bos_token_id
    assert ids == naive[1:]
    assert bos_tok.decode(ids) == text


def test_bos_prepended_once_when_template_lacks_it():
    tok = tiny_chat_tokenizer(add_bos_token=True)
    tok.chat_template = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
    assert not template_adds_bos(tok)
    ids = encode_chat(tok, "Hi", add_generation_prompt=False)
    assert ids[0] == tok.bos_token_id and ids.count(tok.bos_token_id) == 1
    assert tok.decode(ids[1:]) == "user: Hi\n"


def test_encode_chats_matches_encode_chat(tok):
    prompts = ["a", "longer prompt", [{"role": "user", "content": "x"}]]
    assert encode_chats(tok, prompts, system=False) == [
        encode_chat(tok, p, system=False) for p in prompts
    ]
    assert encode_chats(tok, []) == []


def test_errors(tok):
    with pytest.raises(TypeError, match="system must be None"):
        apply_chat(tok, "Hi", system=1)
    with pytest.raises(TypeError, match="prompt must be a str or a sequence"):
        apply_chat(tok, 42)
    with pytest.raises(ValueError, match="already starts with a system message"):
        apply_chat(
            tok, [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}], system="t"
        )
    tok.chat_template = None
    with pytest.raises(ValueError, match="has no chat_template"):
        apply_chat(tok, "Hi")


def test_inseparable_system_turn_is_refused(tok):
    # A template that prints the system prompt after the user turn cannot drop it by prefix.
    tok.chat_template = (
        "{% for m in messages if m['role'] != 'system' %}{{ m['content'] }}{% endfor %}"
        "{% for m in messages if m['role'] == 'system' %}[{{ m['content'] }}]{% endfor %}"
    )
    with pytest.raises(ValueError, match="system=False is not supported"):
        apply_chat(tok, "Hi", system=False)
