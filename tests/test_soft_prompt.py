"""The λ-mixed soft prompt: what the hook writes, batching, saving, and refusals."""

from __future__ import annotations

import pytest
import torch

from mdpo.conditioning import SoftPromptConditioning
from mdpo.policies import SoftPromptPolicy
from mdpo.soft_prompt import SoftPrompt, pick_placeholder
from mdpo.testing import tiny_causal_lm, tiny_chat_tokenizer

RESERVED = "<|reserved_0|>"


@pytest.fixture
def tok():
    tok = tiny_chat_tokenizer()
    tok.add_tokens([RESERVED], special_tokens=True)
    return tok


@pytest.fixture
def model(tok):
    torch.manual_seed(0)
    return tiny_causal_lm("llama", vocab_size=len(tok)).eval()


@pytest.fixture
def soft(model, tok):
    torch.manual_seed(1)
    sp = SoftPrompt.for_model(model, tok, 2, 3)
    with torch.no_grad():
        sp.prompts.normal_(0.0, 1.0)  # far apart, so that λ matters
    return sp


def _ids(tok, texts):
    rows = [tok(t, add_special_tokens=False).input_ids for t in texts]
    width = max(map(len, rows))
    ids = torch.tensor([[0] * (width - len(r)) + r for r in rows])
    mask = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rows])
    return ids, mask


def test_placeholder_is_an_unused_special_token(tok):
    assert pick_placeholder(tok) == RESERVED
    # The template's own tokens (<|im_start|>, <|im_end|>, <|endoftext|>) are never picked.
    with pytest.raises(ValueError, match="no unused special token"):
        pick_placeholder(tiny_chat_tokenizer())


def test_hook_writes_the_lambda_mix_over_the_placeholders_only(model, tok, soft):
    text = SoftPromptConditioning(soft).format_prompts(["Hi"], torch.tensor([[0.3, 0.7]]))[0]
    assert text == RESERVED * 3 + "\n\nHi"
    ids, _ = _ids(tok, [text])
    plain = model.get_input_embeddings()(ids).detach()
    handle = soft.attach(model)
    try:
        with soft.preference(torch.tensor([[0.3, 0.7]])):
            written = model.get_input_embeddings()(ids).detach()
        # Outside a λ the placeholders keep their own embeddings (the reference's view).
        torch.testing.assert_close(model.get_input_embeddings()(ids).detach(), plain)
    finally:
        handle.remove()
    where = ids[0] == soft.placeholder_id
    assert int(where.sum()) == 3
    expected = 0.3 * soft.prompts[0] + 0.7 * soft.prompts[1]
    torch.testing.assert_close(written[0, where], expected.detach())
    torch.testing.assert_close(written[0, ~where], plain[0, ~where])


def test_lambda_changes_the_output_and_rows_are_independent(model, tok, soft):
    policy = SoftPromptPolicy(model, soft, ["a", "b"])
    lams = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    prompts = ["Hi there", "Hi there", "Hi there"]
    policy.set_preference(lams)
    ids, mask = _ids(tok, policy.condition(prompts))
    with torch.no_grad():
        batched = policy.model(input_ids=ids, attention_mask=mask).logits[:, -1]
    # Outputs differ across λ (the text is the same for every row) ...
    assert not torch.allclose(batched[0], batched[1], atol=1e-4)
    assert not torch.allclose(batched[2], batched[0], atol=1e-4)
    # ... and each row equals the same row run alone at its λ.
    for i, lam in enumerate(lams):
        policy.set_preference(lam)
        one_ids, one_mask = _ids(tok, policy.condition(prompts[:1]))
        with torch.no_grad():
            alone = policy.model(input_ids=one_ids, attention_mask=one_mask).logits[:, -1]
        torch.testing.assert_close(alone[0], batched[i], atol=1e-5, rtol=1e-5)


def test_generate_with_the_kv_cache_follows_per_row_lambda(model, tok, soft):
    policy = SoftPromptPolicy(model, soft, ["a", "b"])
    lams = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    kwargs = {
        "max_new_tokens": 4,
        "do_sample": False,
        "pad_token_id": 0,
        "output_scores": True,
        "return_dict_in_generate": True,
    }

    def scores(prompts):
        ids, mask = _ids(tok, policy.condition(prompts))
        return torch.stack(policy.model.generate(ids, attention_mask=mask, **kwargs).scores, 1)

    policy.set_preference(lams)
    both = scores(["Hello", "Hello"])  # [2, steps, vocab]
    # Every decoding step (past the prompt, through the KV cache) differs across λ ...
    assert all(not torch.allclose(both[0, t], both[1, t], atol=1e-4) for t in range(4))
    # ... and equals the row decoded alone at its λ.
    for i, lam in enumerate(lams):
        policy.set_preference(lam)
        torch.testing.assert_close(scores(["Hello"])[0], both[i], atol=1e-4, rtol=1e-4)


def test_save_and_load_round_trip(tmp_path, soft):
    path = tmp_path / "soft_prompt.safetensors"
    soft.save(path)
    back = SoftPrompt.load(path)
    torch.testing.assert_close(back.prompts, soft.prompts)
    assert (back.placeholder, back.placeholder_id, back.n_tokens) == (
        soft.placeholder,
        soft.placeholder_id,
        3,
    )
    from safetensors.torch import save_file

    save_file({"weights": torch.zeros(2)}, tmp_path / "other.safetensors")
    with pytest.raises(ValueError, match="not a soft prompt file"):
        SoftPrompt.load(tmp_path / "other.safetensors")


def test_init_from_text_starts_at_the_words_embeddings(model, tok):
    sp = SoftPrompt.for_model(model, tok, 2, 2, init_text=["a", "bc"])
    weight = model.get_input_embeddings().weight.detach()
    ids = tok("bc", add_special_tokens=False).input_ids
    torch.testing.assert_close(sp.prompts[1, 1].detach(), weight[ids].mean(dim=0))
    with pytest.raises(ValueError, match="init_text must be 2 non-empty strings"):
        SoftPrompt.for_model(model, tok, 2, 2, init_text=["a"])


def test_refusals(model, tok, soft):
    with pytest.raises(ValueError, match="n_tokens must be a positive int, got 0"):
        SoftPrompt(2, 0, 8, placeholder="<p>", placeholder_id=1)
    with pytest.raises(ValueError, match=r"init must have shape \[2, 1, 8\]"):
        SoftPrompt(2, 1, 8, placeholder="<p>", placeholder_id=1, init=torch.zeros(2, 8))
    with pytest.raises(ValueError, match="placeholder must be a string that the tokenizer"):
        SoftPrompt.for_model(model, tok, 2, placeholder="two words")
    with pytest.raises(ValueError, match="preferences"):
        soft.set_rows(torch.tensor([[0.5, 0.6]]))
    with pytest.raises(TypeError, match="soft_prompt must be a mdpo.soft_prompt.SoftPrompt"):
        SoftPromptConditioning("soft")
    # A batch whose rows do not carry exactly n placeholders, or too few λ rows, is refused.
    handle = soft.attach(model)
    try:
        ids, _ = _ids(tok, [RESERVED * 2 + " Hi", RESERVED * 2 + " Hi"])
        two = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
        with soft.preference(two), pytest.raises(RuntimeError, match=r"\[2, 2\] placeholders"):
            model(input_ids=ids)
        ids, _ = _ids(tok, [RESERVED * 3 + " Hi"] * 3)
        with soft.preference(two), pytest.raises(RuntimeError, match="expected 2 rows of λ"):
            model(input_ids=ids)
    finally:
        handle.remove()
