"""Issue 15 through ``mdpo bench``: locks, suite ownership, hostile results, resume keys."""

from __future__ import annotations

import json

import pytest
import yaml

import mdpo.benchmarks.runner as runner
from mdpo._lock import folder_lock
from mdpo.benchmarks.config import SuiteConfig, load_suite
from mdpo.cli.main import main

BANDIT = {"n_dims": 2, "n_contexts": 2, "n_actions": 3, "hidden": 4}
ONE = yaml.safe_dump(
    {
        "name": "one",
        "seeds": [0],
        "training": {"steps": 2, "pref_batch": 2, "log_every": 1},
        "tasks": [
            {
                "name": "b",
                "kind": "bandit",
                "params": BANDIT,
                "eval_partitions": 2,
                "true_front_partitions": 4,
            }
        ],
        "methods": [{"name": "p", "kind": "panacea"}, {"name": "rs", "kind": "rs"}],
    },
    default_flow_style=True,
    width=1000,
)


def _suite_file(tmp_path, text=ONE, name="one"):
    path = tmp_path / f"{name}.yaml"
    path.write_text(text.replace("name: one", f"name: {name}"))
    return path


def _bench(args, capsys):
    code = main(["bench", *map(str, args), *(["--no-progress"] if args[0] == "run" else [])])
    captured = capsys.readouterr()
    return code, captured.err


def test_another_suite_into_the_same_folder_is_refused(tmp_path, capsys):
    """Case 1: the folder remembers its suite; another is refused unless asked for."""
    out = tmp_path / "out"
    assert _bench(["run", _suite_file(tmp_path), "--out", out], capsys)[0] == 0
    before = (out / "results.json").read_bytes()
    code, err = _bench(["run", _suite_file(tmp_path, name="two"), "--out", out], capsys)
    assert code == 2
    assert err.strip().startswith("mdpo bench run: error: output folder")
    assert "holds the results of suite 'one', not 'two'" in err and "--allow-suite-change" in err
    assert (out / "results.json").read_bytes() == before
    args = ["run", _suite_file(tmp_path, name="two"), "--out", out, "--allow-suite-change"]
    assert _bench(args, capsys)[0] == 0
    assert json.loads((out / "suite.json").read_text())["name"] == "two"


def test_a_second_writer_is_refused_naming_the_holder(tmp_path, capsys):
    """Case 1: two writers of one folder; the second says who holds it."""
    out = tmp_path / "out"
    with folder_lock(out, "mdpo bench run other"):
        code, err = _bench(["run", _suite_file(tmp_path), "--out", out], capsys)
        assert code == 2
        assert "is in use by pid" in err and "(mdpo bench run other, since" in err
        assert not (out / "results.json").exists()
        code, err = _bench(
            ["run", _suite_file(tmp_path), "--out", out, "--lock-timeout", "0.2"], capsys
        )
        assert code == 2 and "after waiting 0.2 s" in err
        (out / "results.json").write_text("{}")
        code, err = _bench(["report", out], capsys)
        assert code == 2 and err.startswith("mdpo bench report: error: output folder")


def test_report_refuses_crafted_names_in_results(tmp_path, capsys):
    """Case 4: a task name from results.json cannot place a PNG outside the folder."""
    out = tmp_path / "run"
    assert _bench(["run", _suite_file(tmp_path), "--out", out], capsys)[0] == 0
    results = json.loads((out / "results.json").read_text())
    task = results["tasks"].pop("b")
    results["tasks"]["../../escaped"] = task
    (out / "results.json").write_text(json.dumps(results))
    code, err = _bench(["report", out], capsys)
    assert code == 2
    assert "task name must be 1-64 characters" in err and "'../../escaped'" in err
    assert not list(tmp_path.rglob("*escaped*"))
    results["tasks"] = {"b": {**task, "methods": {"../m": task["methods"]["p"]}}}
    (out / "results.json").write_text(json.dumps(results))
    code, err = _bench(["report", out], capsys)
    assert code == 2 and "method name of task 'b'" in err


def test_report_of_malformed_results_is_one_error_line(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "results.json").write_text(json.dumps({"tasks": {"b": {"dim_names": ["x"]}}}))
    code, err = _bench(["report", out], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "is malformed" in err


def test_empty_out_is_refused(tmp_path, capsys, monkeypatch):
    """Case 6: --out '' would write into the current folder."""
    monkeypatch.chdir(tmp_path)
    code, err = _bench(["run", _suite_file(tmp_path), "--out", ""], capsys)
    assert code == 2 and "mdpo bench run: error: --out must name a folder, got ''" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.yaml"]


@pytest.mark.parametrize("where", ["file", "below"])
def test_out_that_is_a_file_is_one_error_line(tmp_path, capsys, where):
    """Case 8: --out that is a file or below one."""
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    out = blocker if where == "file" else blocker / "sub" / "deeper"
    code, err = _bench(["run", _suite_file(tmp_path), "--out", out], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert ("is an existing file" if where == "file" else f"lies below {str(blocker)!r}") in err


def test_cli_refuses_nan_confidence_and_huge_grids(tmp_path, capsys):
    """Cases 3 and 7 through the CLI: refused at load, before anything runs."""
    nan = _suite_file(
        tmp_path, ONE.replace("name: one,", "name: one, confidence: .nan,"), name="nan"
    )
    code, err = _bench(["run", nan, "--out", tmp_path / "o1"], capsys)
    assert code == 2 and "confidence must be a finite number, got nan" in err
    huge = ONE.replace("n_dims: 2}", "n_dims: 10}").replace(
        "eval_partitions: 2", "eval_partitions: 40"
    )
    code, err = _bench(
        ["run", _suite_file(tmp_path, huge, name="huge"), "--out", tmp_path / "o2"], capsys
    )
    assert code == 2 and "eval_partitions=40 at m=10" in err and "at most 14 partitions fit" in err
    assert not (tmp_path / "o1").exists() and not (tmp_path / "o2").exists()


def test_suite_trust_remote_code_is_refused_without_the_flag(tmp_path, capsys):
    """Case 5 for suites."""
    text = ONE.replace("n_dims: 2}", "n_dims: 2, trust_remote_code: true}")
    code, err = _bench(
        ["run", _suite_file(tmp_path, text, name="rc"), "--out", tmp_path / "o"], capsys
    )
    assert code == 2 and "tasks[0].params.trust_remote_code" in err
    with pytest.raises(ValueError, match="unknown key 'trust_remote_code'"):
        load_suite(_suite_file(tmp_path, text, name="rc"), trust_remote_code=True)


def test_reordered_keys_resume_and_a_code_change_recomputes(tmp_path, monkeypatch, capsys):
    """Case 10: the resume key is canonical; a code fingerprint change makes parts stale."""
    suite = load_suite(_suite_file(tmp_path))
    out = tmp_path / "run"
    assert runner.run_suite(suite, out, progress=False).computed == 2
    reordered = SuiteConfig.from_dict(suite.to_dict())
    reordered.tasks[0].params = dict(reversed(list(reordered.tasks[0].params.items())))
    summary = runner.run_suite(reordered, out, progress=False)
    assert summary.resumed == 2 and summary.computed == 0
    monkeypatch.setattr("mdpo.benchmarks.resume_key.code_fingerprint", lambda: "changed")
    summary = runner.run_suite(suite, out, progress=False)
    assert summary.computed == 2 and summary.stale == {
        "b/p/seed0": "the code changed",
        "b/rs/seed0": "the code changed",
    }
    assert "of which 2 stale" in summary.line("one")
    part = json.loads((out / "parts" / "b" / "p" / "seed0.json").read_text())
    assert part["resume_key"]["code"] == "changed"


def test_stale_parts_are_reported_by_the_cli(tmp_path, monkeypatch, capsys):
    path = _suite_file(tmp_path)
    out = tmp_path / "run"
    assert _bench(["run", path, "--out", out], capsys)[0] == 0
    monkeypatch.setattr("mdpo.benchmarks.resume_key.__version__", "0.0.0-other")
    code, err = _bench(["run", path, "--out", out], capsys)
    assert code == 0
    assert "RECOMPUTED b/p/seed0 (its stored result was stale: the mdpo version changed)" in err


def test_code_fingerprint_ignores_docstrings_but_not_code(tmp_path):
    from mdpo.benchmarks.resume_key import _source_digest

    a, b, c = (tmp_path / f"{n}.py" for n in "abc")
    a.write_text('def f():\n    """Doc."""\n    return 1  # note\n')
    b.write_text('def f():\n    """Other words."""\n    return 1\n')
    c.write_text('def f():\n    """Doc."""\n    return 2\n')
    assert _source_digest(a) == _source_digest(b) != _source_digest(c)
