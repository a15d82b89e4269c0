"""The trainer benchmark: MDPOTrainer and TRL's DPOTrainer step on the same data and rank."""

from __future__ import annotations

import json
import math

import pytest
import torch

from mdpo.benchmarks.perf.trainer import build_candidates, main, pairs_dataset


def _tiny():
    from mdpo.testing import tiny_causal_lm

    torch.manual_seed(0)
    return tiny_causal_lm("llama")


@pytest.fixture(scope="module")
def tokenizer():
    from mdpo.testing import tiny_chat_tokenizer

    tok = tiny_chat_tokenizer()
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok


def test_pairs_have_the_requested_lengths_in_both_layouts(tokenizer):
    data = pairs_dataset(tokenizer, 4, prompt_tokens=12, answer_tokens=20)
    assert len(data) == 4
    row = data[0]
    assert row["chosen"] == row["response_0"] and row["rejected"] == row["response_1"]
    length = len(tokenizer(row["prompt"], add_special_tokens=False)["input_ids"])
    assert 12 <= length <= 12 + 8  # one word past the target at most
    assert data["b"] == [0, 1, 0, 1]


@pytest.mark.parametrize(
    "names", [("mdpo-m2", "mdpo-m1", "mdpo-m2-precomputed"), ("trl", "trl-precomputed")]
)
def test_each_candidate_trains_its_adapter(tokenizer, tmp_path, names):
    if names[0].startswith("trl"):
        pytest.importorskip("trl")
    data = pairs_dataset(tokenizer, 6, prompt_tokens=8, answer_tokens=8)
    steps = build_candidates(
        _tiny, tokenizer, data, rank=6, pairs=2, steps=3, workdir=str(tmp_path), names=names
    )
    assert list(steps) == list(names)
    for name, step in steps.items():
        losses = [step() for _ in range(3)]
        assert all(math.isfinite(v) for v in losses), (name, losses)
        # DPO starts at log 2 (policy = reference); training moves it.
        assert losses[0] == pytest.approx(math.log(2), abs=1e-3), name
        assert losses[-1] != pytest.approx(losses[0], abs=1e-6), name


def test_unknown_candidates_and_small_ranks_are_refused(tokenizer, tmp_path):
    data = pairs_dataset(tokenizer, 2, prompt_tokens=4, answer_tokens=4)
    with pytest.raises(ValueError, match="unknown candidate 'peft'"):
        build_candidates(
            _tiny, tokenizer, data, rank=6, pairs=2, steps=1, workdir=str(tmp_path), names=["peft"]
        )
    with pytest.raises(ValueError, match="rank must exceed 2"):
        build_candidates(
            _tiny,
            tokenizer,
            data,
            rank=2,
            pairs=2,
            steps=1,
            workdir=str(tmp_path),
            names=["mdpo-m2"],
        )


def test_command_line_writes_medians_and_ratios(tmp_path, capsys):
    out = tmp_path / "trainer.json"
    argv = ["--layers", "1", "--repeats", "2", "--pairs", "2", "--prompt-tokens", "6"]
    argv += ["--answer-tokens", "6", "--candidates", "mdpo-m2,mdpo-m1", "--out", str(out)]
    assert main(argv) == 0
    assert "mdpo-m1" in capsys.readouterr().out
    report = json.loads(out.read_text())
    assert set(report["results"]) == {"mdpo-m2", "mdpo-m1"}
    assert report["results"]["mdpo-m2"]["ratio_to_mdpo-m2"]["median"] == pytest.approx(1.0)
    assert len(report["samples"]["mdpo-m1"]) == 2


def test_a_compiled_candidate_steps_through_torch_compile_like_its_eager_twin(
    tokenizer, tmp_path, monkeypatch
):
    compiled_modules = []
    real_compile = torch.compile

    def recording(model, **kwargs):
        compiled = real_compile(model, **kwargs)
        compiled_modules.append((model, kwargs))
        return compiled

    monkeypatch.setattr(torch, "compile", recording)
    data = pairs_dataset(tokenizer, 6, prompt_tokens=8, answer_tokens=8)
    names = ["mdpo-m2", "mdpo-m2+compile"]
    steps = build_candidates(
        _tiny,
        tokenizer,
        data,
        rank=6,
        pairs=2,
        steps=3,
        workdir=str(tmp_path),
        names=names,
        compile_backend="aot_eager",
    )
    assert len(compiled_modules) == 1  # only the +compile candidate
    model, kwargs = compiled_modules[0]
    assert kwargs == {"backend": "aot_eager"} and hasattr(model, "set_preference")
    eager = [steps["mdpo-m2"]() for _ in range(3)]
    compiled = [steps["mdpo-m2+compile"]() for _ in range(3)]
    assert eager[-1] != pytest.approx(eager[0], abs=1e-6)
    assert compiled == pytest.approx(eager, abs=1e-6)


def test_profile_writes_the_operator_table_of_the_first_candidate(tmp_path, capsys):
    out = tmp_path / "profile.txt"
    argv = ["--layers", "1", "--repeats", "1", "--pairs", "2", "--prompt-tokens", "6"]
    argv += ["--answer-tokens", "6", "--candidates", "mdpo-m1,mdpo-m2", "--profile", str(out)]
    assert main(argv) == 0
    table = out.read_text()
    assert "Self CPU" in table and "aten::mm" in table
    assert capsys.readouterr().out.strip() == table.strip()
    calls = int(table.rsplit(": ", 1)[1])
    assert calls > 50  # one layer's forward and backward are dozens of operators
