from __future__ import annotations

import json

import pytest
import torch

import mdpo.scorers.style as style_module
from mdpo.scorers import (
    STYLES,
    LengthScorer,
    StyleScorer,
    available_scorers,
    get_scorer,
    load_style_exemplars,
)
from mdpo.scorers.style_validation import (
    AUROC_TARGET,
    format_style_table,
    main,
    style_auroc,
    style_specificity,
    train_cv,
)

# What each scorer reached when it was built (docs/guide/evaluation.md), rounded down to two
# decimals (one hundredth lower where the value sits on that boundary): a change that makes
# a scorer worse on its held-out set fails. All but humorous meet the 0.85 target; humorous
# is held to what it reached (0.823).
VALIDATION_FLOOR = {
    "humorous": 0.82,
    "philosophical": 0.97,
    "sycophantic": 0.95,
    "helpful": 0.98,
    "concise": 1.0,
    "creative": 0.91,
    "formal": 0.96,
    "expert": 0.95,
    "pleasant": 0.98,
    "uplifting": 0.99,
}
# Validation AUROC between a style's positives and the other styles' positives.
SPECIFICITY_FLOOR = {
    "humorous": 0.73,
    "philosophical": 0.99,
    "sycophantic": 0.95,
    "helpful": 0.85,
    "concise": 1.0,
    "creative": 0.96,
    "formal": 0.96,
    "expert": 0.92,
    "pleasant": 0.95,
    "uplifting": 0.97,
}


def test_ten_styles_each_registered_through_one_key():
    assert "style" in available_scorers()
    assert len(STYLES) == 10 and set(VALIDATION_FLOOR) == set(STYLES)
    for style in STYLES:
        scorer = get_scorer("style", style=style)
        assert isinstance(scorer, StyleScorer)
        assert scorer.style == style and scorer.name == style
        assert repr(scorer) == f"StyleScorer(style={style!r})"
    assert repr(StyleScorer("formal", cross_style_weight=0)) == (
        "StyleScorer(style='formal', cross_style_weight=0)"
    )


def test_unknown_style_names_the_parameter_value_and_choices():
    with pytest.raises(ValueError, match=r"style must be one of \['humorous', .*got 'funny'"):
        get_scorer("style", style="funny")
    with pytest.raises(ValueError, match="got 'Formal'"):
        StyleScorer("Formal")
    with pytest.raises(TypeError, match="style must be a str"):
        StyleScorer(3)
    with pytest.raises(ValueError, match="split must be one of"):
        load_style_exemplars("test")


def test_bad_batch_size_and_cross_style_weight():
    with pytest.raises(ValueError, match="batch_size must be a positive int, got 0"):
        StyleScorer("formal", batch_size=0)
    for bad in (-0.1, float("nan"), "0.1", True):
        with pytest.raises(ValueError, match="cross_style_weight must be a finite number >= 0"):
            StyleScorer("formal", cross_style_weight=bad)


def test_construction_loads_no_model(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("the embedding model was loaded")

    monkeypatch.setattr(style_module, "_load", fail)
    StyleScorer("formal")
    with pytest.raises(AssertionError, match="model was loaded"):
        StyleScorer("formal")(["q"], ["An answer."])


def test_exemplar_sets_are_large_enough_and_disjoint():
    train, val = load_style_exemplars("train"), load_style_exemplars("validation")
    for style in STYLES:
        for rows, least in ((train, 30), (val, 20)):
            labels = [r["label"] for r in rows if r["style"] == style]
            assert labels.count(1) >= least and labels.count(0) >= least, style
    for key in ("prompt", "answer"):
        shared = {r[key] for r in train} & {r[key] for r in val}
        assert not shared, f"{key}s in both sets: {sorted(shared)[:3]}"
    assert len({r["answer"] for r in train + val}) == len(train) + len(val)


@pytest.mark.parametrize("style", STYLES)
def test_validation_auroc_and_specificity_stay_above_their_floors(style):
    result = style_auroc(style, "validation")
    assert result["positives"] >= 20 and result["negatives"] >= 20
    assert result["auroc"] >= VALIDATION_FLOOR[style]
    if style != "humorous":
        assert result["auroc"] >= AUROC_TARGET
    assert style_specificity(style) >= SPECIFICITY_FLOOR[style]


def test_cross_style_negatives_are_the_other_probed_styles_positives():
    rows = load_style_exemplars("train")
    own, labels, weights = style_module._design("formal", 0.0)
    assert {rows[i]["style"] for i in own} == {"formal"} and weights == [1.0] * len(own)
    assert labels == [rows[i]["label"] for i in own]
    index, labels, weights = style_module._design("formal", 0.25)
    others = index[len(own) :]
    assert index[: len(own)] == own
    assert {rows[i]["style"] for i in others} == set(STYLES) - {"formal", "concise"}
    assert all(rows[i]["label"] == 1 for i in others)
    assert labels[len(own) :] == [0] * len(others) and weights[len(own) :] == [0.25] * len(others)


def test_cross_style_negatives_make_the_weakest_probe_more_specific():
    plain = style_specificity("humorous", cross_style_weight=0.0)
    assert style_specificity("humorous") > plain + 0.1


def test_scores_are_deterministic_and_independent_of_batching_and_prompt():
    rows = load_style_exemplars("validation", "formal")[:6]
    answers = [r["answer"] for r in rows]
    scorer = StyleScorer("formal", batch_size=4)
    first = scorer(["q"] * 6, answers)
    assert first.dtype == torch.float32 and first.shape == (6,)
    assert torch.equal(first, scorer(["q"] * 6, answers))
    other_prompts = StyleScorer("formal")([r["prompt"] for r in rows], answers)
    single = [scorer(["q"], [a]).item() for a in answers]
    assert other_prompts.tolist() == pytest.approx(first.tolist(), abs=1e-5)
    assert single == pytest.approx(first.tolist(), abs=1e-5)


def test_refitting_a_probe_reproduces_it():
    path = str(style_module.minilm_path())
    before = style_module._probe("expert", path, None, 0.1)
    style_module._probe.cache_clear()
    after = style_module._probe("expert", path, None, 0.1)
    assert after is not before
    assert torch.equal(after.weight, before.weight) and after.bias == before.bias


def test_blank_answers_score_the_lowest_training_score():
    scorer = StyleScorer("uplifting")
    train = [r["answer"] for r in load_style_exemplars("train", "uplifting")]
    lowest = scorer(["q"] * len(train), train).min().item()
    blank = scorer(["q", "q", "q"], ["", "  \n", "You can do it, keep going!"])
    assert blank[0].item() == blank[1].item() == pytest.approx(lowest, abs=1e-4)
    assert blank[2] > blank[0]


def test_concise_is_the_word_count_with_a_floor_of_one():
    answers = ["", "Yes.", "Yes, about four words."]
    scores = StyleScorer("concise")(["q"] * 3, answers)
    assert scores.tolist() == [-1.0, -1.0, -4.0]
    assert torch.equal(scores, LengthScorer(unit="words", floor=1)(["q"] * 3, answers))


def test_concise_training_cv_is_its_plain_training_auroc():
    assert train_cv("concise")["auroc"] == style_auroc("concise", "train")["auroc"]


def test_training_cv_of_a_probe_is_out_of_fold():
    cv = train_cv("formal", folds=3)
    assert 0.5 < cv["auroc"] < style_auroc("formal", "train")["auroc"] == 1.0
    assert 0.5 < cv["specificity"] <= 1.0


def test_command_prints_the_table_and_writes_json(tmp_path, capsys):
    out = tmp_path / "auroc.json"
    assert main(["--styles", "concise", "--json", str(out)]) == 0
    rows = json.loads(out.read_text())
    assert [r["style"] for r in rows] == ["concise"] and rows[0]["meets_target"] is True
    assert capsys.readouterr().out.strip() == format_style_table(rows)


def test_styles_scoring_the_same_answers_embed_them_once():
    answers = [r["answer"] for r in load_style_exemplars("validation", "expert")[:5]]
    prompts = ["q"] * len(answers)
    style_module._embed_batch.cache_clear()
    StyleScorer("formal")(prompts, answers)
    cached = StyleScorer("expert")(prompts, answers)
    info = style_module._embed_batch.cache_info()
    assert (info.misses, info.hits) == (1, 1)
    style_module._embed_batch.cache_clear()
    assert torch.equal(StyleScorer("expert")(prompts, answers), cached)
