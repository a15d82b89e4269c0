"""The dimension study at many dimensions: style specs, matrices, cut share, CLI outputs."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from mdpo.benchmarks.config import load_suite
from mdpo.benchmarks.plots_many import plot_conflicts
from mdpo.benchmarks.tasks.smollm_dimensions import (
    conflict_matrix,
    format_report,
    measure_dimensions,
)
from mdpo.benchmarks.tasks.style_dims import STYLE_DIMS, style_scorers
from mdpo.scorers import STYLES, LengthScorer
from mdpo.testing import tiny_causal_lm, tiny_chat_tokenizer

PNG = b"\x89PNG\r\n\x1a\n"
PROMPTS = ["Say hi.", "Name a color.", "Count to three."]


@pytest.fixture(scope="module")
def lm():
    return tiny_causal_lm("llama"), tiny_chat_tokenizer()


def test_style_dims_are_the_smollm10d_suite_dims(lm):
    assert list(STYLE_DIMS) == list(STYLES)
    assert load_suite("smollm10d").tasks[0].params["dims"] == STYLE_DIMS
    scorers = style_scorers(lm[1])
    assert list(scorers) == list(STYLES)
    assert scorers["concise"](["q", "q"], ["a b c", "a"]).tolist() == [-8.0, -8.0]  # floor 8
    with pytest.raises(ValueError, match="tokenizer"):
        style_scorers(None)


def _fake(names: list[str]) -> dict:
    rng = np.random.default_rng(0)
    pairs = {
        f"{a}|{b}": float(rng.uniform(-1, 1)) for i, a in enumerate(names) for b in names[i + 1 :]
    }
    pairs[f"{names[0]}|{names[1]}"] = float("nan")
    stats = {"mean": 0.0, "std": 1.0, "iqr": 1.0, "min": -1.0, "max": 1.0, "zero_share": 0.0}
    return {
        "n_prompts": 2,
        "n_samples": 2,
        "decoding": {"temperature": 1.0, "top_p": 1.0, "max_new_tokens": 8},
        "empty_share": 0.0,
        "cut_share": 0.5,
        "length_within": {n: 0.25 for n in names},
        "dimensions": {n: dict(stats) for n in names},
        "spearman": {k: v / 2 for k, v in pairs.items()},
        "spearman_within": pairs,
        "top_answers": {
            n: {"prompt": "Q?", "response": f"A {n}\nanswer", "score": 1.5} for n in names
        },
    }


def test_conflict_matrix_is_symmetric_with_the_pairs():
    names = list(STYLES)
    result = _fake(names)
    within = conflict_matrix(result)
    assert within.shape == (10, 10) and np.allclose(np.diag(within), 1.0)
    assert within[2, 5] == within[5, 2] == result["spearman_within"][f"{names[2]}|{names[5]}"]
    assert math.isnan(within[0, 1]) and math.isnan(within[1, 0])
    pooled = conflict_matrix(result, "spearman")
    assert pooled[3, 7] == pytest.approx(within[3, 7] / 2)
    with pytest.raises(ValueError, match="key must be"):
        conflict_matrix(result, "pearson")


def test_format_report_renders_a_matrix_beyond_five_dimensions():
    text = format_report(_fake(list(STYLES)))
    assert "cut at the token limit: 50.0%" in text
    assert "| humorous | 0.000 | 1.000 |" in text and "+0.25 |" in text
    lines = text.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("| | humorous"))
    rows = lines[head + 2 : head + 12]
    assert len(rows) == 10 and rows[0].startswith("| **humorous** |  | n/a |")
    assert "| pair |" not in text  # 45 pairs would be a wall of rows
    assert "- **formal** (+1.50; prompt: Q?): A formal answer" in text


def test_conflict_heatmap_png(tmp_path):
    names = list(STYLES)
    path = plot_conflicts(names, conflict_matrix(_fake(names)), tmp_path / "c.png")
    assert path.read_bytes().startswith(PNG) and path.stat().st_size > 20_000
    with pytest.raises(ValueError, match="shape"):
        plot_conflicts(names[:3], np.eye(4), tmp_path / "bad.png")


def test_measure_dimensions_reports_cut_share_and_length_correlation(lm):
    model, tok = lm
    scorers = {
        "long": LengthScorer("tokens", sign=1, tokenizer=tok),
        "short": LengthScorer("tokens", sign=-1, tokenizer=tok),
        "chars": LengthScorer("chars", sign=1),
    }
    result = measure_dimensions(model, tok, PROMPTS, scorers, n_samples=3, max_new_tokens=6)
    assert 0.0 <= result["cut_share"] <= 1.0
    # The token count against itself: +1, its negation -1; characters follow it loosely.
    assert result["length_within"]["long"] == pytest.approx(1.0)
    assert result["length_within"]["short"] == pytest.approx(-1.0)
    assert -1.0 < result["length_within"]["chars"] < 1.0
    top = result["top_answers"]["long"]
    assert top["score"] == result["dimensions"]["long"]["max"]
    assert top["score"] == len(tok(top["response"], add_special_tokens=False)["input_ids"])
    assert top["prompt"] in PROMPTS


def test_command_line_writes_markdown_and_heatmap(tmp_path, capsys, lm):
    from mdpo.benchmarks.tasks.smollm_dimensions import main

    model, tok = lm
    model.save_pretrained(tmp_path / "model")
    tok.save_pretrained(tmp_path / "model")
    args = ["--model", str(tmp_path / "model"), "--n-prompts", "2", "--n-samples", "2"]
    args += ["--max-new-tokens", "4", "--scorers", "length,profanity,readability"]
    args += ["--json", str(tmp_path / "r.json"), "--markdown", str(tmp_path / "r.md")]
    main([*args, "--heatmap", str(tmp_path / "r.png")])
    saved = json.loads((tmp_path / "r.json").read_text())
    assert saved["wall_s"] > 0 and saved["model"] == str(tmp_path / "model")
    assert (tmp_path / "r.md").read_text().strip() == capsys.readouterr().out.strip()
    assert (tmp_path / "r.png").read_bytes().startswith(PNG)
