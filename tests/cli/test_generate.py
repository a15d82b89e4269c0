"""``mdpo generate`` on tiny run folders written by ``mdpo train``."""

from __future__ import annotations

import json

import pytest
import torch

from mdpo.cli.main import main

PROMPTS = ["Hello there", "Why?"]


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    """Run ``mdpo generate``; argparse errors (SystemExit) become their exit code."""
    try:
        code = main(["generate", *argv])
    except SystemExit as exit_:
        code = exit_.code
    out = capsys.readouterr()
    return code, out.out, out.err


def _json(capsys, run_dir, *argv: str) -> dict:
    code, out, err = _cli(
        capsys, "--model", str(run_dir), "--max-new-tokens", "8", "--json", *argv, *PROMPTS
    )
    assert code == 0, err
    return json.loads(out)


def _texts(report: dict) -> list[list[str]]:
    return [[a["text"] for a in r["answers"]] for r in report["results"]]


def test_answers_move_with_the_preference_and_reproduce(runs, capsys):
    report = _json(
        capsys, runs["panacea"], "--preference", "1,0", "--preference", "0,1", "--preference", "1,0"
    )
    texts = _texts(report)
    assert any(row[0] != row[1] for row in texts), texts  # λ matters (greedy)
    assert all(row[0] == row[2] for row in texts)  # the same λ reproduces
    assert all(row[0] for row in texts)  # not empty


def test_preferences_are_normalised_and_the_protocol_is_recorded(runs, capsys):
    report = _json(capsys, runs["panacea"], "--preference", "1,3", "--seed", "5", "--no-system")
    assert report["preferences"] == [[0.25, 0.75]]
    assert report["results"][0]["answers"][0]["preference"] == [0.25, 0.75]
    assert [r["prompt"] for r in report["results"]] == PROMPTS
    assert report["method"] == "panacea"
    assert report["policy"] == "PanaceaPolicy"
    assert report["dimension_names"] == ["a", "b"]
    assert report["decoding"] == {
        "strategy": "greedy",
        "temperature": 0.0,
        "top_k": None,
        "top_p": None,
        "max_new_tokens": 8,
        "seed": 5,
        "system": False,
        "batched": True,
    }


def test_sweep_prints_one_section_per_preference(runs, capsys):
    code, out, err = _cli(
        capsys, "--model", str(runs["panacea"]), "--sweep", "3", "--max-new-tokens", "4", *PROMPTS
    )
    assert code == 0, err
    blocks = out.split("=== prompt ")[1:]
    assert len(blocks) == 2
    assert blocks[0].startswith("1/2: Hello there")
    for block in blocks:
        assert block.count("--- λ = ") == 3
        assert "--- λ = (0, 1)  [a=0.00 b=1.00]" in block
        assert "--- λ = (0.5, 0.5)  [a=0.50 b=0.50]" in block
        assert "--- λ = (1, 0)  [a=1.00 b=0.00]" in block
    assert "dimensions: a, b" in out
    assert "decoding: greedy, max_new_tokens=4, seed=0" in out


def test_sampling_is_seeded(runs, capsys):
    args = ("--temperature", "1.5", "--preference", "1,1")
    first = _texts(_json(capsys, runs["panacea"], *args, "--seed", "1"))
    again = _texts(_json(capsys, runs["panacea"], *args, "--seed", "1"))
    other = _texts(_json(capsys, runs["panacea"], *args, "--seed", "2"))
    assert first != other
    assert first == again
    report = _json(capsys, runs["panacea"], *args)
    assert report["decoding"]["strategy"] == "sampling"
    assert report["decoding"]["top_k"] == 0


@pytest.mark.parametrize("kind", ["panacea", "prompt"])
def test_batched_per_row_generation_equals_one_preference_at_a_time(runs, kind):
    from mdpo.cli.generate import Decoding, generate_answers
    from mdpo.policies import load_policy

    policy, tok = load_policy(runs[kind])
    assert policy.batched
    prefs = torch.tensor([[1.0, 0.0], [0.3, 0.7], [0.0, 1.0]])
    decoding = Decoding(max_new_tokens=6)
    batched = generate_answers(policy, tok, PROMPTS, prefs, decoding, batched=True)
    looped = generate_answers(policy, tok, PROMPTS, prefs, decoding, batched=False)
    assert len(batched) == 2 and all(len(row) == 3 for row in batched)
    if kind == "panacea":
        assert any(len(set(row)) > 1 for row in batched), batched  # λ moves the answers
    else:
        # The tiny random model's greedy tokens barely react to the λ line in the prompt,
        # so check its effect on the next-token logits instead.
        assert not torch.allclose(
            _next_logits(policy, tok, prefs[0]), _next_logits(policy, tok, prefs[2])
        )
    assert batched == looped


def _next_logits(policy, tok, lam):
    from mdpo.models import encode_chats

    policy.set_preference(lam)
    [ids] = encode_chats(tok, policy.condition(["Hello there"]))
    with torch.no_grad():
        return policy.model(torch.tensor([ids])).logits[0, -1]


def test_prompt_conditioned_run_writes_the_preference_into_the_prompt(runs):
    from mdpo.policies import PromptConditionedPolicy, load_policy

    policy, _ = load_policy(runs["prompt"])
    assert isinstance(policy, PromptConditionedPolicy)
    policy.set_preference(torch.tensor([[0.25, 0.75], [1.0, 0.0]]))
    assert policy.condition(["Hi", "Yo"]) == [
        "Preference weights: a=0.25, b=0.75.\n\nHi",
        "Preference weights: a=1.00, b=0.00.\n\nYo",
    ]


def test_system_prompt_changes_the_answers(runs, capsys):
    default = _texts(_json(capsys, runs["panacea"], "--preference", "1,0"))
    none = _texts(_json(capsys, runs["panacea"], "--preference", "1,0", "--no-system"))
    custom = _texts(_json(capsys, runs["panacea"], "--preference", "1,0", "--system", "Be brief."))
    assert default != none
    assert custom != none


def test_fixed_preference_lora_run_supports_only_its_preference(runs, capsys):
    code, out, err = _cli(capsys, "--model", str(runs["lora"]), "--preference", "1,1", *PROMPTS)
    assert code == 2
    assert "argument --preference: (0.5, 0.5) is not supported" in err
    assert "supported preferences: (1, 0)" in err
    assert "Traceback" not in err and out == ""
    report = _json(capsys, runs["lora"], "--sweep", "5")
    assert report["policy"] == "DPSPolicy"
    assert report["preferences"] == [[1.0, 0.0]]
    assert report["decoding"]["batched"] is False
    assert _json(capsys, runs["lora"], "--preference", "3,0")["preferences"] == [[1.0, 0.0]]


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--preference", "1,x"], ["argument --preference", "'1,x'", "'x' is not a number"]),
        (["--preference", "1,2,3"], ["argument --preference", "3 weights", "m=2", "(a, b)"]),
        (["--preference=-1,2"], ["argument --preference", "'-1,2'", "non-negative"]),
        (["--preference", "0,0"], ["argument --preference", "'0,0'", "all zero"]),
        (["--preference", "1,inf"], ["argument --preference", "'1,inf'", "non-negative"]),
        (["--sweep", "1"], ["argument --sweep", "'1'", "integer >= 2"]),
        (["--max-new-tokens", "0"], ["argument --max-new-tokens", "integer >= 1"]),
        (["--temperature", "-1"], ["argument --temperature", "'-1'", ">= 0"]),
        (["--preference", "1,1", "--sweep", "3"], ["not allowed with argument"]),
        (["--preference", "c=1"], ["argument --preference", "unknown dimension 'c'", "a, b"]),
        (["--preference", "a=1,2"], ["argument --preference", "mixes positional and name"]),
        (["--preference", "a=1,a=2"], ["argument --preference", "the name 'a' twice"]),
        (["--preference", "a=0"], ["argument --preference", "all zero"]),
        (["--preference", "a=x"], ["argument --preference", "'x' is not a number"]),
    ],
)
def test_bad_input_exits_2_with_a_message(runs, capsys, argv, words):
    code, out, err = _cli(capsys, "--model", str(runs["panacea"]), *argv, *PROMPTS)
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    for word in words:
        assert word in err


def test_preferences_by_name_equal_positional_weights(runs, capsys):
    by_name = _json(capsys, runs["panacea"], "--preference", "b=3,a=1", "--preference", "b=2")
    positional = _json(capsys, runs["panacea"], "--preference", "1,3", "--preference", "0,1")
    assert by_name["preferences"] == [[0.25, 0.75], [0.0, 1.0]]
    assert _texts(by_name) == _texts(positional)


def test_a_folder_without_run_json_exits_2(runs, capsys, tmp_path):
    code, out, err = _cli(capsys, "--model", str(runs["base"]), "Hi")
    assert code == 2 and out == ""
    assert "argument --model" in err and "no run.json" in err
    code, _, err = _cli(capsys, "--model", str(tmp_path / "missing"), "Hi")
    assert code == 2
    assert "does not exist" in err
    (tmp_path / "run.json").write_text('{"method": "panacea"}')
    code, _, err = _cli(capsys, "--model", str(tmp_path), "Hi")
    assert code == 2
    assert "missing the field 'base_model'" in err


def test_sweep_preferences_for_more_dimensions():
    from mdpo.cli.generate import sweep_preferences

    assert sweep_preferences(2, 5).shape == (5, 2)
    three = sweep_preferences(3, 3)  # p = 1: the three vertices
    assert torch.equal(three, torch.eye(3).flip(0)) or set(map(tuple, three.tolist())) == {
        (1.0, 0.0, 0.0),
        (0.0, 1.0, 0.0),
        (0.0, 0.0, 1.0),
    }
    assert sweep_preferences(3, 7).shape == (10, 3)  # p = 2 gives 6 < 7, p = 3 gives 10
    assert torch.allclose(sweep_preferences(4, 10).sum(-1), torch.ones(10))
