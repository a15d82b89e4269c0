from __future__ import annotations

import pytest
import torch
import transformers

from mdpo.scorers import RewardModelScorer, get_scorer
from mdpo.testing import tiny_chat_tokenizer

PROMPTS = ["Hi", "Tell me a joke", "Why is the sky blue?", "Hi", "ok"]
COMPLETIONS = [
    "Hello! How can I help?",
    "No.",
    "Rayleigh scattering makes short wavelengths scatter more.",
    "",
    "Sure thing, here is a rather long answer that goes on and on.",
]


def _llama_rm(num_labels=1, pad_token_id=2):
    cfg = transformers.LlamaConfig(
        vocab_size=259,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        num_labels=num_labels,
        pad_token_id=pad_token_id,
    )
    torch.manual_seed(0)
    return transformers.LlamaForSequenceClassification(cfg).eval()


@pytest.fixture(scope="module")
def rm_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny_rm")
    _llama_rm().save_pretrained(path)
    tiny_chat_tokenizer().save_pretrained(path)
    return path


def test_loads_by_path_and_batched_equals_unbatched(rm_dir):
    batched = RewardModelScorer(rm_dir, batch_size=2)
    one = RewardModelScorer(rm_dir, batch_size=1)
    a = batched(PROMPTS, COMPLETIONS)
    b = one(PROMPTS, COMPLETIONS)
    singles = torch.cat([one([p], [c]) for p, c in zip(PROMPTS, COMPLETIONS)])
    assert a.shape == (5,) and a.dtype == torch.float32
    assert a.std() > 0  # different inputs get different rewards: not a constant
    torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(a, singles, atol=1e-5, rtol=1e-5)
    assert get_scorer("reward_model", model_or_path=rm_dir)(PROMPTS, COMPLETIONS).allclose(
        a, atol=1e-5
    )


def test_scores_are_the_model_logits_on_the_chat_text(rm_dir):
    from mdpo.models import encode_chat

    scorer = RewardModelScorer(rm_dir, system=False)
    tok = tiny_chat_tokenizer()
    conv = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]
    ids = torch.tensor([encode_chat(tok, conv, system=False, add_generation_prompt=False)])
    assert ids[0, 0] == tok.bos_token_id and ids[0, 1] != tok.bos_token_id
    expected = scorer.model(input_ids=ids).logits[0, 0]
    assert scorer(["Hi"], ["Hello!"]).item() == pytest.approx(expected.item(), abs=1e-5)
    with_default_system = RewardModelScorer(rm_dir)(["Hi"], ["Hello!"]).item()
    assert with_default_system != pytest.approx(expected.item(), abs=1e-5)


def test_model_object_label_index_and_missing_pad(rm_dir):
    model = _llama_rm(num_labels=2, pad_token_id=None)
    tok = tiny_chat_tokenizer()
    tok.pad_token = None
    s0 = RewardModelScorer(model, tok, label_index=0, batch_size=3)(PROMPTS, COMPLETIONS)
    s1 = RewardModelScorer(model, tok, label_index=1, batch_size=3)(PROMPTS, COMPLETIONS)
    assert not torch.allclose(s0, s1)
    assert model.config.pad_token_id == 2 and tok.pad_token is None  # caller's tokenizer untouched
    assert not model.training


def test_truncation_keeps_the_end_of_the_answer(rm_dir):
    scorer = RewardModelScorer(rm_dir, max_length=16)
    end = " and this is the same ending"  # 28 bytes: the last 16 tokens lie inside it
    long_a = "x" * 200 + end
    long_b = "y" * 200 + end
    a, b = scorer(["p", "p"], [long_a, long_b])
    assert a == pytest.approx(b.item(), abs=1e-6)  # only the shared last 16 tokens are seen
    full = RewardModelScorer(rm_dir, max_length=1024)(["p", "p"], [long_a, long_b])
    assert full[0] != pytest.approx(full[1].item(), abs=1e-6)


def test_text_pair_mode_for_tokenizers_without_template(tmp_path):
    cfg = transformers.BertConfig(
        vocab_size=259,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        num_labels=1,
        pad_token_id=2,
    )
    torch.manual_seed(0)
    model = transformers.BertForSequenceClassification(cfg).eval()
    tok = tiny_chat_tokenizer(add_bos_token=True)
    tok.chat_template = None
    scorer = RewardModelScorer(model, tok, batch_size=2, max_length=12)
    assert scorer.use_chat_template is False
    batched = scorer(PROMPTS, COMPLETIONS)
    singles = torch.cat([scorer([p], [c]) for p, c in zip(PROMPTS, COMPLETIONS)])
    torch.testing.assert_close(batched, singles, atol=1e-5, rtol=1e-5)
    assert batched.std() > 0


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"batch_size": 0}, ValueError, "batch_size must be an int >= 1, got 0"),
        ({"max_length": -1}, ValueError, "max_length must be an int >= 1, got -1"),
        ({"batch_size": 2.0}, TypeError, "batch_size must be an int >= 1, got float 2.0"),
        ({"label_index": 1}, ValueError, r"label_index must be in \[0, 1\)"),
        ({"use_chat_template": "yes"}, ValueError, "use_chat_template must be"),
    ],
)
def test_bad_arguments(rm_dir, kwargs, error, match):
    with pytest.raises(error, match=match):
        RewardModelScorer(rm_dir, **kwargs)


def test_model_without_tokenizer_or_wrong_type():
    with pytest.raises(TypeError, match="tokenizer is required"):
        RewardModelScorer(_llama_rm())
    with pytest.raises(TypeError, match="model_or_path must be"):
        RewardModelScorer(42)
    tok = tiny_chat_tokenizer()
    tok.chat_template = None
    with pytest.raises(ValueError, match="use_chat_template=True but the tokenizer has no"):
        RewardModelScorer(_llama_rm(), tok, use_chat_template=True)
