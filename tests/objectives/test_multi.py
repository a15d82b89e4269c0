import datasets
import pytest
import torch

from mdpo.conditioning import AdapterConditioning
from mdpo.objectives import DPOObjective, MultiObjective, RLHFObjective, SFTObjective
from mdpo.scorers import LengthScorer

PAIRS = [
    {"prompt": f"P{i}", "response_0": "yes", "response_1": "no", "better": lab}
    for i, lab in enumerate([0, -1, 1, None, 0, 1])
]
PROMPTS = [{"prompt": f"Q{i}"} for i in range(5)]
STYLE = [{"prompt": f"S{i}", "completion": "Dear sir" + "." * i} for i in range(7)]
COND = AdapterConditioning()


def three(normalize=None, seed=0):
    return MultiObjective(
        [
            ("helpful", DPOObjective(label_columns={"helpful": "better"}), PAIRS),
            (
                "concise",
                RLHFObjective(prompts=datasets.Dataset.from_list(PROMPTS), k=2, max_new_tokens=4),
                LengthScorer(unit="chars"),
            ),
            ("formal", SFTObjective(), STYLE),
        ],
        normalize=normalize,
        seed=seed,
    )


def test_three_components_fill_their_columns_with_correct_masks(tok, make_panacea):
    multi = three()
    assert multi.dim_names == ["helpful", "concise", "formal"] and multi.n_dims == 3
    model = make_panacea(3)
    rows = torch.tensor([4, 9, 17, 30])
    lam = torch.tensor([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0], [0.0, 0.5, 0.5], [1 / 3] * 3])
    out = multi(model, rows, 3, lam, tokenizer=tok, conditioning=COND)
    assert out.losses.shape == out.mask.shape == (4, 3)
    drawn = multi.draw_indices(0, rows.tolist(), 3)
    expected = [PAIRS[i]["better"] in (0, 1) for i in drawn]
    assert out.mask[:, 0].tolist() == expected
    assert out.mask[:, 1:].all()
    torch.testing.assert_close(out.preferences, lam)
    for key in ("J/helpful", "rlhf/concise/reward", "sft/formal/nll", "dpo/helpful/margin"):
        assert key in out.metrics
    out.losses[out.mask].sum().backward()
    assert all(p.grad is not None for p in model.adapter_parameters())


def test_draws_are_pure_functions_of_seed_step_component_row():
    multi = three()
    rows = list(range(40))
    a = multi.draw_indices(2, rows, step=5)
    assert a == multi.draw_indices(2, rows, step=5)
    assert a != multi.draw_indices(2, rows, step=6)
    assert a != three(seed=1).draw_indices(2, rows, step=5)
    # A row's draw does not depend on which other rows share its batch (DDP sharding).
    assert multi.draw_indices(2, [7], step=5) == [a[7]]
    assert all(0 <= i < len(STYLE) for i in a)
    # Components draw independently.
    assert multi.draw_indices(0, rows, 5) != multi.draw_indices(2, rows, 5)


def test_same_step_and_rows_give_identical_losses(tok, make_panacea):
    model = make_panacea(3)
    rows, lam = torch.tensor([1, 2]), torch.tensor([[0.2, 0.3, 0.5], [0.6, 0.2, 0.2]])
    a = three()(model, rows, 0, lam, tokenizer=tok, conditioning=COND)
    b = three()(model, rows, 0, lam, tokenizer=tok, conditioning=COND)
    c = three()(model, rows, 1, lam, tokenizer=tok, conditioning=COND)
    assert not torch.allclose(a.losses, c.losses)
    torch.testing.assert_close(a.losses, b.losses)


def test_running_normalisation_and_state(tok, make_panacea):
    model = make_panacea(3)
    multi = three(normalize="running")
    lam = torch.tensor([[0.2, 0.3, 0.5], [0.6, 0.2, 0.2]])
    out = multi(model, torch.tensor([0, 1]), 0, lam, tokenizer=tok, conditioning=COND)
    raw = torch.stack(
        [-out.metrics["J/helpful"], -out.metrics["J/concise"], -out.metrics["J/formal"]]
    )
    scales = torch.stack([out.metrics[f"scale/{d}"] for d in multi.dim_names])
    assert not torch.allclose(scales, torch.ones(3))
    means = out.dim_means().detach()
    torch.testing.assert_close(means[1:], raw[1:] / scales[1:], atol=1e-5, rtol=1e-5)
    state = multi.state_dict()
    fresh = three(normalize="running")
    fresh.load_state_dict(state)
    torch.testing.assert_close(fresh.normalizer.scales(), multi.normalizer.scales())
    with pytest.raises(ValueError, match="state is for dimensions"):
        MultiObjective.single(SFTObjective("x"), STYLE).load_state_dict(state)


def test_single_objective_special_case(tok, make_panacea):
    rows = [dict(p, safer=0) for p in PAIRS]
    obj = DPOObjective(label_columns={"helpful": "better", "harmless": "safer"})
    multi = MultiObjective.single(obj, rows)
    assert multi.dim_names == ["helpful", "harmless"]
    out = multi(
        make_panacea(2), [0, 1, 2], 0, torch.full((3, 2), 0.5), tokenizer=tok, conditioning=COND
    )
    assert out.losses.shape == (3, 2) and out.mask[:, 1].all()


def test_multi_refusals():
    sft = SFTObjective()
    with pytest.raises(ValueError, match=r"dimension names repeat across components: \['a'\]"):
        MultiObjective([("a", sft, STYLE), ("a", SFTObjective(), STYLE)])
    with pytest.raises(TypeError, match="gives a scorer to a SFTObjective"):
        MultiObjective([("a", sft, LengthScorer())])
    with pytest.raises(ValueError, match="gives a scorer but its RLHFObjective has no prompts="):
        MultiObjective([("a", RLHFObjective(), LengthScorer())])
    with pytest.raises(ValueError, match=r"components\[0\] \(a\): .*missing column 'completion'"):
        MultiObjective([("a", sft, PROMPTS)])
    with pytest.raises(ValueError, match=r"SFTObjective produces dimensions \['x'\]"):
        MultiObjective([("a", SFTObjective("x"), STYLE)])
    with pytest.raises(TypeError, match="use MultiObjective.single"):
        MultiObjective(sft)
    with pytest.raises(TypeError, match=r"components\[0\] must be a \(names, objective"):
        MultiObjective([("a", sft)])
    with pytest.raises(TypeError, match="objective must be an mdpo Objective"):
        MultiObjective([("a", "sft", STYLE)])
    with pytest.raises(ValueError, match="SFTObjective produces one dimension"):
        MultiObjective([(["a", "b"], sft, STYLE)])
    multi = MultiObjective([("a", sft, STYLE), ("b", SFTObjective(), STYLE)])
    with pytest.raises(ValueError, match=r"must have length m=2 along its last axis, got shape"):
        multi(None, [0, 1], 0, torch.ones(2, 3) / 3, tokenizer=None, conditioning=COND)
    with pytest.raises(ValueError, match="preferences must sum to 1"):
        multi(None, [0], 0, torch.ones(1, 2), tokenizer=None, conditioning=COND)
    with pytest.raises(TypeError, match="step must be an int >= 0, got int -1"):
        multi(None, [0], -1, torch.ones(1, 2) / 2, tokenizer=None, conditioning=COND)


def test_rlhf_component_with_a_scorer_mapping_binds_a_group():
    rlhf = RLHFObjective(prompts=PROMPTS)
    scorers = {"short": LengthScorer(), "long": LengthScorer(sign=1)}
    multi = MultiObjective([(["short", "long"], rlhf, scorers), ("f", SFTObjective(), STYLE)])
    assert multi.dim_names == ["short", "long", "f"]
    assert multi.components[0].objective.resolved_scorers() == scorers
    assert rlhf.scorers is None  # the caller's objective is not modified
    with pytest.raises(ValueError, match=r"RLHFObjective produces dimensions \['short', 'long'\]"):
        MultiObjective([(["long", "short"], rlhf, scorers)])
