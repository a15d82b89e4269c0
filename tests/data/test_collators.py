import logging

import pytest
import torch

from mdpo.data import (
    CompletionCollator,
    PairCollator,
    PromptCollator,
    encode_completion,
    encode_prompt,
    fit_lengths,
    pad_sequences,
)
from mdpo.testing import tiny_chat_tokenizer

# The tiny tokenizer is byte-level: one id per byte, ids 0-2 are the special tokens.
TOK = tiny_chat_tokenizer()
BOS, EOS = TOK.bos_token_id, TOK.eos_token_id


def ids(text: str) -> list[int]:
    return TOK(text, add_special_tokens=False)["input_ids"]


def test_pad_eq_eos_final_eos_in_mask_padding_not():
    assert TOK.pad_token_id == EOS  # the SmolLM2 trap this test is about
    batch = CompletionCollator(TOK)(
        [{"prompt": "ab", "completion": "c"}, {"prompt": "abc", "completion": "defg"}]
    )
    a, b, c, d, e, f, g = (ids(x)[0] for x in "abcdefg")
    assert batch["input_ids"].tolist() == [
        [a, b, c, EOS, EOS, EOS, EOS, EOS],
        [a, b, c, d, e, f, g, EOS],
    ]
    assert batch["attention_mask"].tolist() == [[1, 1, 1, 1, 0, 0, 0, 0], [1] * 8]
    assert batch["completion_mask"].tolist() == [
        [False, False, True, True, False, False, False, False],
        [False, False, False, True, True, True, True, True],
    ]
    assert batch["kept"].tolist() == [0, 1]


def test_left_padding_keeps_the_same_completion_tokens():
    examples = [{"prompt": "ab", "completion": "c"}, {"prompt": "abc", "completion": "defg"}]
    right = CompletionCollator(TOK)(examples)
    left = CompletionCollator(TOK, padding_side="left")(examples)
    assert not torch.equal(right["input_ids"], left["input_ids"])
    got_r = right["input_ids"][right["completion_mask"]].tolist()
    got_l = left["input_ids"][left["completion_mask"]].tolist()
    assert got_r == got_l
    assert left["completion_mask"][0].tolist() == [False] * 5 + [False, True, True]


def test_prompt_is_truncated_before_the_completion():
    coll = CompletionCollator(TOK, max_length=5)
    batch = coll([{"prompt": "abcdef", "completion": "xy"}])
    # Completion "xy" + EOS = 3 tokens; the prompt keeps its last 2 tokens.
    assert batch["input_ids"].tolist() == [ids("ef") + ids("xy") + [EOS]]
    assert batch["completion_mask"].tolist() == [[False, False, True, True, True]]


def test_max_prompt_length_applies_first_and_completion_cut_last():
    batch = CompletionCollator(TOK, max_length=None, max_prompt_length=2)(
        [{"prompt": "abcdef", "completion": "xy"}]
    )
    assert batch["input_ids"].tolist() == [ids("ef") + ids("xy") + [EOS]]
    # A completion longer than max_length keeps one prompt token and is cut at the end.
    batch = CompletionCollator(TOK, max_length=4)([{"prompt": "abc", "completion": "vwxyz"}])
    assert batch["input_ids"].tolist() == [ids("c") + ids("vwx")]


def test_fit_lengths_by_hand():
    assert fit_lengths([1, 2, 3, 4], [[7, 8], [9]], max_length=4) == ([3, 4], [[7, 8], [9]])
    assert fit_lengths([1, 2], [[7, 8, 9]], max_length=None) == ([1, 2], [[7, 8, 9]])


def test_empty_completions_are_dropped_counted_and_logged(caplog):
    coll = CompletionCollator(TOK, add_eos=False)
    examples = [
        {"prompt": "a", "completion": "b"},
        {"prompt": "a", "completion": ""},
        {"prompt": "a", "completion": "cd"},
    ]
    with caplog.at_level(logging.WARNING, logger="mdpo.data.collators"):
        batch = coll(examples)
    assert batch["kept"].tolist() == [0, 2]
    assert batch["input_ids"].shape[0] == 2
    assert coll.num_dropped == 1
    assert "dropped 1 of 3 examples" in caplog.text
    coll(examples)
    assert coll.num_dropped == 2  # cumulative
    # With EOS (the default) an empty completion is "stop at once": kept, EOS in the loss.
    batch = CompletionCollator(TOK)(examples)
    assert batch["kept"].tolist() == [0, 1, 2]
    assert batch["input_ids"][1][batch["completion_mask"][1]].tolist() == [EOS]


def test_pair_collator_drops_a_pair_when_either_response_is_empty():
    coll = PairCollator(TOK, add_eos=False)
    batch = coll(
        [
            {"prompt": "p", "chosen": "a", "rejected": ""},
            {"prompt": "p", "chosen": "ab", "rejected": "c"},
        ]
    )
    assert batch["kept"].tolist() == [1]
    assert coll.num_dropped == 1
    assert batch["input_ids"].tolist() == [ids("pab"), [*ids("pc"), EOS]]
    assert batch["completion_mask"].tolist() == [[False, True, True], [False, True, False]]


def test_pair_collator_rows_are_first_responses_then_second():
    batch = PairCollator(TOK, response_columns=("response_0", "response_1"))(
        [
            {"prompt": "p", "response_0": "a", "response_1": "bb"},
            {"prompt": "q", "response_0": "c", "response_1": "d"},
        ]
    )
    rows = [r[m].tolist() for r, m in zip(batch["input_ids"], batch["completion_mask"])]
    assert rows == [[*ids("a"), EOS], [*ids("c"), EOS], [*ids("bb"), EOS], [*ids("d"), EOS]]


def test_pair_collator_names_missing_columns():
    with pytest.raises(ValueError, match=r"examples\[0\] is missing column\(s\) \['rejected'\]"):
        PairCollator(TOK)([{"prompt": "p", "chosen": "a"}])


@pytest.mark.parametrize("add_bos", [False, True])
def test_chat_template_never_doubles_bos(add_bos):
    tok = tiny_chat_tokenizer(add_bos_token=add_bos)
    chat = [{"role": "user", "content": "Hi"}]
    prompt = encode_prompt(tok, chat)
    assert prompt[0] == BOS and prompt[1] != BOS
    text = tok.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
    assert prompt == tok(text, add_special_tokens=False)["input_ids"]
    assert text.endswith("<|im_start|>assistant\n")  # the generation prompt is there
    batch = CompletionCollator(tok)([{"prompt": chat, "completion": "Yo"}])
    assert batch["input_ids"][0].tolist() == prompt + ids("Yo") + [EOS]
    assert batch["input_ids"][0].tolist().count(BOS) == text.count("<|im_start|>")


def test_plain_prompt_gets_bos_only_when_the_tokenizer_adds_one():
    assert encode_prompt(TOK, "ab") == ids("ab")
    bos_tok = tiny_chat_tokenizer(add_bos_token=True)
    assert encode_prompt(bos_tok, "ab") == [BOS, *ids("ab")]
    assert encode_prompt(bos_tok, "<|im_start|>ab") == [BOS, *ids("ab")]  # not doubled
    assert encode_prompt(TOK, "") == [BOS]  # a position to predict the first token from


def test_chat_template_true_wraps_string_prompts_and_false_refuses_chats():
    wrapped = encode_prompt(TOK, "Hi", chat_template=True)
    assert wrapped == encode_prompt(TOK, [{"role": "user", "content": "Hi"}])
    with pytest.raises(TypeError, match="prompt is a conversation but chat_template=False"):
        encode_prompt(TOK, [{"role": "user", "content": "Hi"}], chat_template=False)
    with pytest.raises(TypeError, match="prompt must be a str or a list of"):
        encode_prompt(TOK, 3)


def test_messages_rows_use_the_last_assistant_turn_as_completion():
    chat = [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "Yes"}]
    batch = CompletionCollator(TOK)([{"messages": chat}])
    row = batch["input_ids"][0]
    assert row[batch["completion_mask"][0]].tolist() == [*ids("Yes"), EOS]
    assert row[: len(row) - 4].tolist() == encode_prompt(TOK, chat[:1])
    with pytest.raises(ValueError, match="an SFT example needs 'prompt' and 'completion'"):
        CompletionCollator(TOK)([{"messages": chat[:1]}])


def test_encode_completion_forms():
    assert encode_completion(TOK, "ab") == [*ids("ab"), EOS]
    assert encode_completion(TOK, {"role": "assistant", "content": "ab"}) == [*ids("ab"), EOS]
    assert encode_completion(TOK, "ab", add_eos=False) == ids("ab")
    with pytest.raises(TypeError, match="completion must be a str or assistant message"):
        encode_completion(TOK, 5)


def test_prompt_collator_left_pads():
    batch = PromptCollator(TOK)(["ab", "c"])
    assert batch["input_ids"].tolist() == [ids("ab"), [EOS, *ids("c")]]
    assert batch["attention_mask"].tolist() == [[1, 1], [0, 1]]


def test_collator_refusals():
    with pytest.raises(ValueError, match="max_length must be None or an int >= 2, got 1"):
        CompletionCollator(TOK, max_length=1)
    with pytest.raises(ValueError, match="padding_side must be 'left' or 'right', got 'up'"):
        CompletionCollator(TOK, padding_side="up")
    with pytest.raises(ValueError, match="response_columns must name exactly two columns"):
        PairCollator(TOK, response_columns=("a",))
    with pytest.raises(ValueError, match="side must be 'left' or 'right'"):
        pad_sequences([[1]], pad_id=0, side="middle")
