import pytest
import torch

from mdpo.data import CompletionCollator, sequence_logps
from mdpo.testing import tiny_causal_lm, tiny_chat_tokenizer

EXAMPLES = [{"prompt": "ab", "completion": "c"}, {"prompt": "abcd", "completion": "efgh"}]


@pytest.fixture(scope="module")
def model():
    return tiny_causal_lm("llama")


def test_matches_a_manual_log_softmax(model):
    batch = CompletionCollator(tiny_chat_tokenizer())(EXAMPLES)
    total, per_token = sequence_logps(
        model, batch["input_ids"], batch["attention_mask"], batch["completion_mask"]
    )
    for i, ex in enumerate(EXAMPLES):
        n = int(batch["attention_mask"][i].sum())
        ids = batch["input_ids"][i, :n]
        with torch.no_grad():
            logp = torch.log_softmax(model(ids[None]).logits[0], -1)
        target = batch["completion_mask"][i, :n]
        expected = torch.zeros(n)
        for t in range(1, n):
            if target[t]:
                expected[t] = logp[t - 1, ids[t]]
        assert (expected != 0).sum() == len(ex["completion"]) + 1  # + EOS
        torch.testing.assert_close(per_token[i, :n].detach(), expected, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(total[i].detach(), expected.sum(), atol=1e-5, rtol=1e-5)
        assert per_token[i, n:].abs().sum() == 0


@pytest.mark.parametrize("arch", ["llama", "gpt2"])
def test_left_and_right_padding_agree(arch):
    model = tiny_causal_lm(arch)
    tok = tiny_chat_tokenizer()
    right = CompletionCollator(tok)(EXAMPLES)
    left = CompletionCollator(tok, padding_side="left")(EXAMPLES)
    assert not torch.equal(right["input_ids"], left["input_ids"])
    r, _ = sequence_logps(
        model, right["input_ids"], right["attention_mask"], right["completion_mask"]
    )
    l_, _ = sequence_logps(
        model, left["input_ids"], left["attention_mask"], left["completion_mask"]
    )
    torch.testing.assert_close(r, l_, atol=1e-5, rtol=1e-5)


def test_gradient_reaches_parameters(model):
    batch = CompletionCollator(tiny_chat_tokenizer())(EXAMPLES)
    total, _ = sequence_logps(
        model, batch["input_ids"], batch["attention_mask"], batch["completion_mask"]
    )
    model.zero_grad()
    total.sum().backward()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert grads and any(g.abs().sum() > 0 for g in grads)
    model.zero_grad()


def test_shape_mismatch_is_refused(model):
    ids = torch.ones(1, 3, dtype=torch.long)
    with pytest.raises(ValueError, match="must share one"):
        sequence_logps(model, ids, torch.ones(1, 2), torch.ones(1, 3, dtype=torch.bool))
