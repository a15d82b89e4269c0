import pytest
import torch

from mdpo.conditioning import AdapterConditioning, NoConditioning
from mdpo.data import CompletionCollator, sequence_logps
from mdpo.objectives import SFTObjective
from mdpo.testing import tiny_causal_lm

ROWS = [
    {"prompt": "Q", "completion": "Dear sir."},
    {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]},
]


def test_sft_loss_is_the_mean_completion_nll(tok):
    model = tiny_causal_lm()
    out = SFTObjective("formal")(
        model, ROWS, torch.tensor([[1.0], [1.0]]), tokenizer=tok, conditioning=NoConditioning()
    )
    assert out.losses.shape == (2, 1) and out.mask.all()
    batch = CompletionCollator(tok)(
        [
            {"prompt": "Q", "completion": "Dear sir."},
            {"prompt": ROWS[1]["messages"][:1], "completion": "Hello"},
        ]
    )
    with torch.no_grad():
        _, lp = sequence_logps(
            model, batch["input_ids"], batch["attention_mask"], batch["completion_mask"]
        )
    counts = batch["completion_mask"].sum(-1)
    assert counts.tolist() == [10, 6]  # text + EOS
    expected = -lp.sum(-1) / counts
    torch.testing.assert_close(out.losses[:, 0].detach(), expected, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out.metrics["J/formal"], -expected.mean(), atol=1e-5, rtol=1e-5)
    out.losses.sum().backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())


def test_sft_on_panacea_depends_on_lambda(tok, make_panacea):
    model = make_panacea(2)
    rows = [ROWS[0], ROWS[0]]
    lam = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    out = SFTObjective("formal", reduction="sum")(
        model, rows, lam, tokenizer=tok, conditioning=AdapterConditioning()
    )
    assert not torch.isclose(out.losses[0, 0], out.losses[1, 0])


def test_sft_refusals(tok):
    with pytest.raises(ValueError, match="reduction must be 'mean' or 'sum', got 'max'"):
        SFTObjective("x", reduction="max")
    with pytest.raises(ValueError, match="dim_names must be one name"):
        SFTObjective(["a", "b"])
    with pytest.raises(ValueError, match="missing column 'completion' required for SFT data"):
        SFTObjective("x").validate_data([{"prompt": "Q"}])
    with pytest.raises(ValueError, match="an SFT example needs 'prompt' and 'completion'"):
        SFTObjective("x")(
            tiny_causal_lm(),
            [{"text": "a"}],
            torch.ones(1, 1),
            tokenizer=tok,
            conditioning=NoConditioning(),
        )


def test_empty_batch_gives_an_all_masked_output(tok):
    out = SFTObjective("x")(
        tiny_causal_lm(), [], torch.ones(0, 1), tokenizer=tok, conditioning=NoConditioning()
    )
    assert out.losses.shape == (0, 1) and out.metrics["sft/x/dropped"] == 0
