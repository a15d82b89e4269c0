from __future__ import annotations

import math

import numpy as np
import pytest

from mdpo.benchmarks.tasks.smollm_dimensions import (
    format_report,
    measure_dimensions,
    sample_responses,
    spread_stats,
)
from mdpo.scorers import LengthScorer, ProfanityScorer
from mdpo.testing import tiny_causal_lm, tiny_chat_tokenizer

PROMPTS = ["Say hi.", "Name a color.", "Count to three."]


@pytest.fixture(scope="module")
def lm():
    return tiny_causal_lm("llama"), tiny_chat_tokenizer()


def test_sampling_is_seeded_and_shaped(lm):
    model, tok = lm
    kw = {"n_samples": 2, "max_new_tokens": 6, "batch_size": 4}
    a = sample_responses(model, tok, PROMPTS, seed=0, **kw)
    c = sample_responses(model, tok, PROMPTS, seed=1, **kw)
    b = sample_responses(model, tok, PROMPTS, seed=0, **kw)
    assert a != c  # the seed matters...
    assert a == b  # ...and fixes the result
    assert [len(r) for r in a] == [2, 2, 2]
    assert tok.padding_side == "right"  # the caller's tokenizer is not switched to left padding


def test_measure_dimensions_reports_spread_and_correlations(lm):
    model, tok = lm
    scorers = {"chars": LengthScorer("chars", sign=1), "words": LengthScorer("words", sign=1)}
    scorers["clean"] = ProfanityScorer()
    result = measure_dimensions(
        model, tok, PROMPTS, scorers, n_samples=3, max_new_tokens=8, batch_size=6
    )
    assert result["n_prompts"] == 3 and result["n_samples"] == 3
    assert set(result["dimensions"]) == {"chars", "words", "clean"}
    assert result["dimensions"]["chars"]["std"] > 0
    assert set(result["spearman"]) == {"chars|words", "chars|clean", "words|clean"}
    assert math.isnan(result["spearman"]["chars|clean"])  # a constant dimension has no rho
    assert len(result["examples"]) == 3
    text = format_report(result)
    assert "| chars |" in text and "chars / words" in text


def test_spread_stats():
    s = spread_stats(np.array([0.0, 0.0, 1.0, 3.0]))
    assert s["zero_share"] == 0.5 and s["max"] == 3.0 and s["iqr"] == pytest.approx(1.5)


def test_bad_arguments(lm):
    model, tok = lm
    with pytest.raises(ValueError, match="n_samples must be a positive int, got 0"):
        sample_responses(model, tok, PROMPTS, n_samples=0)
    with pytest.raises(ValueError, match="prompts must not be empty"):
        measure_dimensions(model, tok, [], [LengthScorer()])
    with pytest.raises(ValueError, match="distinct names"):
        measure_dimensions(model, tok, PROMPTS, [LengthScorer(), LengthScorer("chars")])


def test_command_line_on_a_tiny_model(tmp_path, capsys, lm):
    import json

    from mdpo.benchmarks.tasks.smollm_dimensions import main

    model, tok = lm
    model.save_pretrained(tmp_path / "model")
    tok.save_pretrained(tmp_path / "model")
    out = tmp_path / "result.json"
    main(
        [
            "--model",
            str(tmp_path / "model"),
            "--n-prompts",
            "3",
            "--n-samples",
            "2",
            "--max-new-tokens",
            "4",
            "--scorers",
            "length,profanity",
            "--json",
            str(out),
        ]
    )
    printed = capsys.readouterr().out
    assert "3 prompts x 2 samples" in printed and "| length |" in printed
    saved = json.loads(out.read_text())
    assert saved["n_prompts"] == 3 and set(saved["dimensions"]) == {"length", "profanity"}
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
