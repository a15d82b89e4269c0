import math

import pytest
import torch

from mdpo.conditioning import AdapterConditioning, NoConditioning, PromptConditioning
from mdpo.data import PairCollator, sequence_logps
from mdpo.objectives import DPOObjective, dpo_loss, reference_column
from mdpo.testing import tiny_causal_lm

PAIRS = [
    {"prompt": "Hi", "response_0": "yes", "response_1": "no", "better": 0, "safer": 1},
    {"prompt": "Go", "response_0": "ok!", "response_1": "nah", "better": 1, "safer": -1},
    {"prompt": "Q?", "response_0": "a", "response_1": "bcd", "better": None, "safer": 0},
]
LAM = torch.tensor([[0.5, 0.5], [1.0, 0.0], [0.2, 0.8]])
COND = AdapterConditioning()


def paired_objective(**kw):
    return DPOObjective(label_columns={"helpful": "better", "harmless": "safer"}, beta=0.5, **kw)


def test_paired_dpo_is_ln2_at_identity_adapter_and_masks_labels(tok, make_panacea):
    model = make_panacea(2, perturb=False)  # the adapter starts as the identity
    out = paired_objective()(model, PAIRS, LAM, tokenizer=tok, conditioning=COND)
    assert out.losses.shape == out.mask.shape == (3, 2)
    assert out.mask.tolist() == [[True, True], [True, False], [False, True]]
    torch.testing.assert_close(out.losses[out.mask], torch.full((4,), math.log(2)))
    assert out.losses[~out.mask].tolist() == [0.0, 0.0]
    assert set(out.metrics) >= {"dpo/helpful/margin", "dpo/harmless/accuracy", "J/helpful"}


@pytest.mark.parametrize("m", [2, 3])
def test_each_response_is_computed_once_whatever_m(tok, m, make_panacea, forward_counter):
    names = ["helpful", "harmless", "honest"][:m]
    rows = [dict(p, honest=0) for p in PAIRS]
    lam = torch.full((3, m), 1.0 / m)
    model = make_panacea(m)
    obj = DPOObjective(label_columns=dict(zip(names, ["better", "safer", "honest"])))
    counter = forward_counter(model)
    try:
        obj(model, rows, lam, tokenizer=tok, conditioning=COND)
    finally:
        counter.close()
    # One policy forward and one reference forward, each over both responses of all pairs.
    assert counter.batch_sizes == [6, 6]


def test_paired_dpo_matches_per_response_computation(tok, make_panacea):
    model = make_panacea(2)
    out = paired_objective()(model, PAIRS, LAM, tokenizer=tok, conditioning=COND)
    assert not torch.allclose(out.losses[out.mask], torch.full((4,), math.log(2)))
    coll = PairCollator(tok, response_columns=("response_0", "response_1"))
    keys = ("input_ids", "attention_mask", "completion_mask")
    for b, row in enumerate(PAIRS):
        batch = coll([row])  # this pair alone: no padding interactions
        with model.preference(LAM[b]):
            pol, _ = sequence_logps(model, *(batch[k] for k in keys))
        with model.disable_adapter(), torch.no_grad():
            ref, _ = sequence_logps(model, *(batch[k] for k in keys))
        for i, col in enumerate(("better", "safer")):
            label = row[col]
            if label not in (0, 1):
                continue
            c, r = (0, 1) if label == 0 else (1, 0)
            expected = dpo_loss(pol[c], pol[r], ref[c], ref[r], beta=0.5)
            torch.testing.assert_close(out.losses[b, i], expected, atol=1e-5, rtol=1e-5)


def test_gradients_reach_only_adapter_parameters_and_skip_masked(tok, make_panacea):
    model = make_panacea(2)
    out = paired_objective()(model, PAIRS, LAM, tokenizer=tok, conditioning=COND)
    out.losses[:, 1].sum().backward()
    adapter = {id(p) for p in model.adapter_parameters()}
    grads = [(id(p) in adapter, p.grad) for p in model.parameters()]
    assert all(g is None for is_adapter, g in grads if not is_adapter)
    assert any(g is not None and g.abs().sum() > 0 for is_adapter, g in grads if is_adapter)
    # A fully masked column has no gradient path.
    model.zero_grad()
    lone = DPOObjective(label_columns={"helpful": "better", "harmless": "safer"})
    out = lone(model, PAIRS[1:2], LAM[1:2], tokenizer=tok, conditioning=COND)
    assert not out.mask[0, 1] and out.losses[0, 1] == 0
    out.losses[:, 1].sum().backward()
    assert all(p.grad is None or p.grad.abs().sum() == 0 for p in model.adapter_parameters())


def test_precomputed_reference_skips_the_reference_forward(tok, make_panacea, forward_counter):
    model = make_panacea(2)
    obj = paired_objective()
    first = obj(model, PAIRS, LAM, tokenizer=tok, conditioning=COND)
    coll = PairCollator(tok, response_columns=("response_0", "response_1"))
    with model.disable_adapter(), torch.no_grad():
        batch = coll(PAIRS)
        ref, _ = sequence_logps(
            model, batch["input_ids"], batch["attention_mask"], batch["completion_mask"]
        )
    rows = [
        dict(
            p,
            **{
                reference_column("response_0"): float(ref[i]),
                reference_column("response_1"): float(ref[3 + i]),
            },
        )
        for i, p in enumerate(PAIRS)
    ]
    counter = forward_counter(model)
    try:
        second = obj(model, rows, LAM, tokenizer=tok, conditioning=COND)
    finally:
        counter.close()
    assert counter.batch_sizes == [6]
    torch.testing.assert_close(second.losses, first.losses, atol=1e-5, rtol=1e-5)


def test_per_dimension_chosen_rejected_data(tok, make_panacea):
    model = make_panacea(2)
    rows = [{"prompt": "Hi", "chosen": "yes", "rejected": "no"}] * 2
    obj = DPOObjective("helpful", beta=0.5)
    assert not obj.paired
    out = obj(model, rows, LAM[:2], tokenizer=tok, conditioning=COND)
    assert out.losses.shape == (2, 1) and out.mask.all()
    # λ matters: the same pair at two different λ gives two different losses.
    assert not torch.isclose(out.losses[0, 0], out.losses[1, 0])


def test_plain_model_with_explicit_reference_and_prompt_conditioning(tok, make_panacea):
    policy, ref = tiny_causal_lm(seed=1), tiny_causal_lm(seed=2)
    rows = [{"prompt": "Hi", "chosen": "yes", "rejected": "no"}] * 2
    obj = DPOObjective("helpful", ref_model=ref)
    lam = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    out = obj(policy, rows, lam, tokenizer=tok, conditioning=PromptConditioning(["a", "b"]))
    # The λ text differs, so the two identical pairs get different losses.
    assert not torch.isclose(out.losses[0, 0], out.losses[1, 0])
    same = obj(policy, rows, lam, tokenizer=tok, conditioning=NoConditioning())
    torch.testing.assert_close(same.losses[0], same.losses[1])


def test_dpo_refusals(tok, make_panacea):
    with pytest.raises(ValueError, match=r"dim_names \['x'\] must equal the label_columns keys"):
        DPOObjective("x", label_columns={"helpful": "better"})
    with pytest.raises(ValueError, match="beta must be a finite float > 0"):
        DPOObjective("x", beta=-1.0)
    with pytest.raises(ValueError, match="label_smoothing must be a float in"):
        DPOObjective("x", label_smoothing=0.7)
    with pytest.raises(ValueError, match="DPOObjective has no dimension name"):
        DPOObjective()(
            make_panacea(1), PAIRS[:1], LAM[:1, :1] * 0 + 1, tokenizer=tok, conditioning=COND
        )
    obj = paired_objective()
    with pytest.raises(TypeError, match="has no disable_adapter"):
        obj(tiny_causal_lm(), PAIRS, LAM, tokenizer=tok, conditioning=NoConditioning())
    with pytest.raises(ValueError, match="preferences has 2 rows but there are 3 examples"):
        obj(make_panacea(2), PAIRS, LAM[:2], tokenizer=tok, conditioning=COND)
    with pytest.raises(TypeError, match="conditioning must be an mdpo.conditioning.Conditioning"):
        obj(make_panacea(2), PAIRS, LAM, tokenizer=tok, conditioning="adapter")
    bad = [dict(PAIRS[0], better=7)]
    with pytest.raises(ValueError, match=r"examples\[0\]: label must be 0, 1, -1 or None, got 7"):
        obj(make_panacea(2), bad, LAM[:1], tokenizer=tok, conditioning=COND)
    with pytest.raises(ValueError, match="missing column 'safer' required for paired DPO"):
        obj.validate_data([{k: v for k, v in PAIRS[0].items() if k != "safer"}])
