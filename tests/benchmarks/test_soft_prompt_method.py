"""``prompt_style: soft`` on a tiny LLM suite: train, save, reload, answer."""

from __future__ import annotations

import json

import pytest
import torch

from mdpo.benchmarks.config import MethodConfig, load_suite
from mdpo.benchmarks.methods.llm import run_dir_for
from mdpo.cli.main import main

RESERVED = "<|reserved_0|>"

METHODS = [
    {
        "name": "soft",
        "kind": "prompt",
        "objective": "dpo",
        "prompt_style": "soft",
        "virtual_tokens": 2,
    },
    {
        "name": "soft-ann",
        "kind": "prompt",
        "objective": "dpo",
        "prompt_style": "soft",
        "reference": "annotated",
    },
]


@pytest.fixture(scope="module")
def reserved_lm_dir(tmp_path_factory):
    """A tiny Llama whose tokenizer has one reserved special token (as real ones do)."""
    from mdpo.testing import tiny_causal_lm, tiny_chat_tokenizer

    tok = tiny_chat_tokenizer()
    tok.add_tokens([RESERVED], special_tokens=True)
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("tiny-lm-reserved")
    tiny_causal_lm("llama", vocab_size=len(tok)).save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def soft_run(reserved_lm_dir, tmp_path_factory, write_tiny_llm_suite):
    root = tmp_path_factory.mktemp("soft-suite")
    cfg = write_tiny_llm_suite(
        root / "suite.yaml",
        "tinysoft",
        reserved_lm_dir,
        METHODS,
        eval_partitions=2,
        eval_prompts=2,
        data_max_new_tokens=8,
        max_new_tokens=5,
        greedy=True,
        bootstrap_samples=20,
    )
    out = root / "run"
    assert main(["bench", "run", str(cfg), "--out", str(out), "--no-progress"]) == 0
    return cfg, out


def test_soft_prompt_runs_saves_and_reloads(soft_run):
    from mdpo.policies import SoftPromptPolicy, load_policy
    from mdpo.soft_prompt import SoftPrompt

    cfg, out = soft_run
    assert json.loads((out / "failures.json").read_text()) == {}
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    task_results = results["tasks"]["llm2"]
    run_dir = run_dir_for(out, "llm2", "soft", 0)
    manifest = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    assert manifest["conditioning"] == "soft_prompt" and manifest["reference"] == "plain"
    assert manifest["virtual_tokens"] == 2 and manifest["placeholder"] == RESERVED
    saved = SoftPrompt.load(run_dir / manifest["soft_prompt"])
    assert saved.prompts.shape[:2] == (2, 2)
    # Training moved the prompts away from their start (the dimension names' embeddings).
    task = load_suite(cfg).tasks[0].build()
    start = SoftPrompt.for_model(task.reference, task.tokenizer, 2, 2, init_text=task.dim_names)
    assert not torch.allclose(saved.prompts, start.prompts.detach())
    ann = json.loads((run_dir_for(out, "llm2", "soft-ann", 0) / "run.json").read_text())
    assert ann["reference"] == "annotated" and ann["virtual_tokens"] == 4
    policy, _ = load_policy(run_dir)
    assert isinstance(policy, SoftPromptPolicy)
    policy.set_preference([0.25, 0.75])
    assert policy.condition(["Hi"]) == [RESERVED * 2 + "\n\nHi"]
    # The reloaded policy answers the example prompts as the runner's evaluation did.
    examples = task_results["llm"]["examples"]["soft"]
    evals = task.evaluate_points(policy, torch.tensor(examples["preferences"]))
    assert [r.answers[:2] for r in evals] == examples["answers"]
    assert len(task_results["methods"]["soft"]["seeds"]["0"]["front"]["points"]) == 3


def test_generate_answers_a_soft_prompt_run(soft_run, capsys):
    _cfg, out = soft_run
    run_dir = run_dir_for(out, "llm2", "soft", 0)
    args = ["generate", "--model", str(run_dir), "Hi", "--preference", "concise=1", "--json"]
    assert main([*args, "--device", "cpu", "--max-new-tokens", "4"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["policy"] == "SoftPromptPolicy"
    assert report["results"][0]["answers"][0]["preference"] == [1.0, 0.0]


def test_prompt_style_refusals():
    with pytest.raises(ValueError, match="prompt_style must be 'text' or 'soft', got 'emb'"):
        MethodConfig(name="p", kind="prompt", prompt_style="emb")
    with pytest.raises(ValueError, match="prompt_style applies to kind 'prompt' only"):
        MethodConfig(name="p", kind="panacea", prompt_style="soft")
    with pytest.raises(ValueError, match="virtual_tokens applies to prompt_style 'soft'"):
        MethodConfig(name="p", kind="prompt", virtual_tokens=3)
    with pytest.raises(ValueError, match="virtual_tokens"):
        MethodConfig(name="p", kind="prompt", prompt_style="soft", virtual_tokens=0)
