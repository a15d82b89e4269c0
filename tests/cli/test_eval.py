"""``mdpo eval``: a trained run's front scored, written and plotted."""

from __future__ import annotations

import json

import pytest

from mdpo.cli.main import main

SCORERS = ["--scorer", "a=length:unit=chars,sign=-1", "--scorer", "b=length:unit=chars,sign=1"]


def test_eval_scores_the_front_and_writes_results_report_and_plot(runs, tmp_path, capsys):
    out = tmp_path / "eval"
    argv = ["eval", str(runs["panacea"]), *SCORERS, "--out", str(out), "--prompts", "4"]
    assert main([*argv, "--partitions", "2", "--max-new-tokens", "6"]) == 0
    stdout = capsys.readouterr().out
    assert "3 preferences scored" in stdout
    result = json.loads((out / "eval.json").read_text())
    assert result["dimension_names"] == ["a", "b"] and result["method"] == "panacea"
    assert [p["preference"] for p in result["points"]] == [[0.0, 1.0], [0.5, 0.5], [1.0, 0.0]]
    assert result["prompts"] == {"split": "eval", "count": 4}
    for point in result["points"]:
        boot = point["bootstrap"]
        assert boot["mean"] == pytest.approx(point["scores"])
        assert all(lo <= m <= hi for lo, m, hi in zip(boot["low"], boot["mean"], boot["high"]))
        assert len(point["examples"]) == 3
    # Two opposite length scorers: the front points differ, and each dimension's score is
    # the negative of the other's (the same answers scored both ways).
    scores = [p["scores"] for p in result["points"]]
    assert len({tuple(s) for s in scores}) > 1
    assert all(a == pytest.approx(-b) for a, b in scores)
    assert len(result["controllability"]) == 2
    assert result["judged"]["judges"]["a"]["scorer"] == "length"  # chars -> judged in words
    report = (out / "report.md").read_text()
    assert "| (0.50, 0.50) |" in report and "Controllability" in report
    assert (out / "front.png").stat().st_size > 1000


def test_eval_of_a_one_preference_run_uses_its_preference(runs, tmp_path, capsys):
    out = tmp_path / "lora-eval"
    argv = ["eval", str(runs["lora"]), *SCORERS, "--out", str(out), "--prompts", "2"]
    assert main([*argv, "--max-new-tokens", "4"]) == 0
    result = json.loads((out / "eval.json").read_text())
    assert [p["preference"] for p in result["points"]] == [[1.0, 0.0]]


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--scorer", "a=length"], ["one scorer per dimension of the run (a, b)", "got a"]),
        ([*SCORERS, "--scorer", "a=length"], ["dimension 'a' is given twice"]),
        (["--scorer", "a"], ["argument --scorer", "expected DIM=SCORER"]),
        ([*SCORERS, "--prompts", "0"], ["argument --prompts", "integer >= 1"]),
        ([*SCORERS, "--device", "bogus"], ["--device", "'bogus'"]),
    ],
)
def test_bad_input_is_one_error_line(runs, capsys, argv, words):
    try:
        code = main(["eval", str(runs["panacea"]), *argv])
    except SystemExit as exit_:
        code = exit_.code
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    for word in words:
        assert word in last
