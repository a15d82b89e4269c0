"""The README's examples, run exactly as printed (on tiny models instead of SmolLM2)."""

from __future__ import annotations

import math

import torch

# Quick start: load, wrap with Panacea, pass paired data, train, then steer with λ.
QUICKSTART = """
from mdpo.adapters import PanaceaConfig, get_panacea_model
from mdpo.objectives import DPOObjective
from mdpo.testing import tiny_causal_lm, tiny_chat_tokenizer
from mdpo.training import MDPOConfig, MDPOTrainer

# For the real model: from mdpo.models import load_causal_lm; model, tok = load_causal_lm("smollm2")
model, tok = tiny_causal_lm("llama"), tiny_chat_tokenizer()
model = get_panacea_model(model, PanaceaConfig(r=4, n_dims=2))

# PKU-SafeRLHF's shape: two responses and, per dimension, the index of the better one.
pairs = [
    {"prompt": f"Say {w}", "response_0": "A", "response_1": "B", "helpful": 0, "harmless": 1}
    for w in ["x", "yy", "z", "hi"]
]
objective = DPOObjective(label_columns={"helpful": "helpful", "harmless": "harmless"}, beta=0.5)
args = MDPOConfig(output_dir="quickstart", max_steps=20, per_device_train_batch_size=4,
                  learning_rate=3e-2, vertex_prob=0.5, use_cpu=True)
MDPOTrainer(model, args, objective, pairs, processing_class=tok).train()

model.set_preference([0.9, 0.1])  # mostly helpful
prompt = tok.apply_chat_template([{"role": "user", "content": "Say x"}],
                                 add_generation_prompt=True, return_tensors="pt", return_dict=True)
out = model.generate(**prompt, max_new_tokens=1, do_sample=False)
"""

# Three signals of three kinds: DPO pairs, an RLHF length scorer, SFT style data.
THREE_SIGNALS = """
from mdpo.adapters import PanaceaConfig, get_panacea_model
from mdpo.objectives import DPOObjective, MultiObjective, RLHFObjective, SFTObjective
from mdpo.scorers import LengthScorer
from mdpo.testing import tiny_causal_lm, tiny_chat_tokenizer
from mdpo.training import MDPOConfig, MDPOTrainer

model, tok = tiny_causal_lm("llama"), tiny_chat_tokenizer()
pairs = [{"prompt": "Name a colour", "chosen": "Blue.", "rejected": "No idea."}]
prompts = [{"prompt": p} for p in ["Hi", "Tell me a joke", "Why is the sky blue?"]]
style = [{"prompt": "Greet me", "completion": "Good day to you, sir."}]
objective = MultiObjective(
    [
        ("helpful", DPOObjective(beta=0.5), pairs),
        ("concise", RLHFObjective(k=2, max_new_tokens=6, prompts=prompts), LengthScorer("chars")),
        ("formal", SFTObjective(), style),
    ],
    normalize="running",
)
model = get_panacea_model(model, PanaceaConfig(r=4, n_dims=objective.n_dims))
args = MDPOConfig(output_dir="three", max_steps=12, per_device_train_batch_size=2,
                  learning_rate=3e-2, aggregator="tche", vertex_prob=0.5, logging_steps=4,
                  use_cpu=True)
trainer = MDPOTrainer(model, args, objective, processing_class=tok)
trainer.train()

model.set_preference([0.2, 0.5, 0.3])  # any trade-off, no retraining
"""


def _run(source, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(source, "<readme example>", "exec"), namespace)
    return namespace


def test_quickstart_example_runs_and_moves_with_lambda(tmp_path, monkeypatch, logp):
    assert len(QUICKSTART.strip().splitlines()) <= 25
    ns = _run(QUICKSTART, tmp_path, monkeypatch)
    model, tok = ns["model"], ns["tok"]
    assert ns["out"].shape[1] == ns["prompt"]["input_ids"].shape[1] + 1

    def margin(lam):
        return logp(model, tok, "Say x", "A", lam) - logp(model, tok, "Say x", "B", lam)

    assert margin([1.0, 0.0]) > 0 > margin([0.0, 1.0])


def test_three_signal_example_trains_logs_all_three_and_responds_to_lambda(
    tmp_path, monkeypatch, logp
):
    assert len(THREE_SIGNALS.strip().splitlines()) < 30
    ns = _run(THREE_SIGNALS, tmp_path, monkeypatch)
    model, tok, trainer = ns["model"], ns["tok"], ns["trainer"]
    assert trainer.state.global_step == 12
    logs = [h for h in trainer.state.log_history if "loss" in h]
    for name in ("helpful", "concise", "formal"):
        assert all(math.isfinite(h[f"loss/{name}"]) for h in logs)
        assert all(f"J/{name}" in h for h in logs)
    assert all("rlhf/concise/reward" in h and "rlhf/concise/kl" in h for h in logs)
    assert all("dpo/helpful/accuracy" in h for h in logs)
    # λ steers the model: the style completion is likelier at the "formal" vertex
    formal = logp(model, tok, "Greet me", "Good day to you, sir.", [0.0, 0.0, 1.0])
    helpful = logp(model, tok, "Greet me", "Good day to you, sir.", [1.0, 0.0, 0.0])
    assert formal > helpful + 0.1
    with torch.no_grad():
        ids = tok("Why is the sky blue?", return_tensors="pt").input_ids
        with model.preference([0.0, 1.0, 0.0]):
            concise = model(input_ids=ids).logits
        with model.preference([1.0, 0.0, 0.0]):
            other = model(input_ids=ids).logits
    assert not torch.allclose(concise, other, atol=1e-3)


def test_readme_shows_exactly_these_examples():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    blocks = [b.strip() for b in readme.split("```python\n")[1:]]
    blocks = [b.split("```")[0].strip() for b in blocks]
    assert blocks == [QUICKSTART.strip(), THREE_SIGNALS.strip()]
    quick_start = readme.split("## Quick start")[1].split("##")[0]
    commands = [
        line.split("#")[0].strip() for line in quick_start.splitlines() if line.startswith("make ")
    ]
    assert commands == ["make demo", "make test"]
