import torch

LAMS = torch.tensor([[0.3, 0.7], [1.0, 0.0]])


def _prompts():
    return torch.tensor([[1, 40, 41, 42], [1, 60, 61, 62]])


def test_generate_sampling_expands_per_row_lambda(arch, make):
    model = make(arch)
    ids = _prompts()
    model.set_preference(LAMS)
    out = model.generate(
        input_ids=ids,
        attention_mask=torch.ones_like(ids),
        do_sample=True,
        num_return_sequences=3,
        max_new_tokens=3,
        output_logits=True,
        return_dict_in_generate=True,
    )
    assert out.sequences.shape == (6, 7)
    first = out.logits[0]  # [6, vocab]: row 3b + j is prompt b's j-th sample
    alone = []
    for b in range(2):
        with model.preference(LAMS[b]):
            alone.append(model(ids[b : b + 1]).logits[0, -1])
    assert not torch.allclose(alone[0], alone[1], atol=1e-3)
    for row in range(6):
        assert torch.allclose(first[row], alone[row // 3], atol=1e-4)
    # The per-row λ is restored after generate.
    assert torch.equal(model.get_preference(), LAMS)


def test_generate_beam_search_matches_per_row_runs(make):
    model = make("llama")
    ids = _prompts()
    kwargs = {"do_sample": False, "num_beams": 2, "num_return_sequences": 2, "max_new_tokens": 4}
    model.set_preference(LAMS)
    mixed = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), **kwargs)
    for b in range(2):
        with model.preference(LAMS[b]):
            one = model.generate(
                input_ids=ids[b : b + 1], attention_mask=torch.ones_like(ids[b : b + 1]), **kwargs
            )
        assert torch.equal(mixed[2 * b : 2 * b + 2], one)


def test_generate_greedy_with_per_row_lambda(make):
    model = make("gpt2")
    ids = _prompts()
    model.set_preference(LAMS)
    mixed = model.generate(
        input_ids=ids, attention_mask=torch.ones_like(ids), do_sample=False, max_new_tokens=4
    )
    for b in range(2):
        with model.preference(LAMS[b]):
            one = model.generate(
                input_ids=ids[b : b + 1],
                attention_mask=torch.ones_like(ids[b : b + 1]),
                do_sample=False,
                max_new_tokens=4,
            )
        assert torch.equal(mixed[b : b + 1], one)
