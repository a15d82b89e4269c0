"""A soft-prompt run (λ mixes virtual tokens) through load_policy, mdpo generate and serving."""

from __future__ import annotations

import json

import pytest
import torch

from mdpo.cli.generate import Decoding, generate_answers
from mdpo.policies import SoftPromptPolicy, load_policy
from mdpo.soft_prompt import SOFT_PROMPT_FILE, SoftPrompt

RESERVED = "<|reserved_0|>"
PROMPTS = ["Hello there", "Why?"]


@pytest.fixture(scope="module")
def soft_run(tmp_path_factory):
    """A LoRA run with a random soft prompt, saved as the benchmark saves one."""
    from peft import LoraConfig, get_peft_model

    from mdpo.testing import tiny_causal_lm, tiny_chat_tokenizer

    root = tmp_path_factory.mktemp("soft")
    tok = tiny_chat_tokenizer()
    tok.add_tokens([RESERVED], special_tokens=True)
    base = root / "base"
    torch.manual_seed(0)
    tiny_causal_lm("llama", vocab_size=len(tok)).save_pretrained(base)
    tok.save_pretrained(base)
    run = root / "run"
    model = get_peft_model(
        tiny_causal_lm("llama", vocab_size=len(tok)),
        LoraConfig(r=2, target_modules=["q_proj", "v_proj"], init_lora_weights=False),
    )
    model.save_pretrained(run / "adapter")
    soft = SoftPrompt.for_model(model, tok, 2, 3)
    with torch.no_grad():
        soft.prompts.normal_(0.0, 2.0, generator=torch.Generator().manual_seed(3))
    soft.save(run / SOFT_PROMPT_FILE)
    manifest = {
        "format_version": 1,
        "base_model": str(base),
        "method": "lora",
        "dimension_names": ["a", "b"],
        "adapter_paths": {"adapter": "adapter"},
        "conditioning": "soft_prompt",
        "soft_prompt": SOFT_PROMPT_FILE,
    }
    (run / "run.json").write_text(json.dumps(manifest))
    return run


def test_serving_batches_soft_prompt_rows_like_one_at_a_time(soft_run):
    pytest.importorskip("fastapi")
    from mdpo.serving.decode import Row, decode

    policy, tokenizer = load_policy(soft_run)
    assert isinstance(policy, SoftPromptPolicy)
    lams = [[1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [0.2, 0.8]]
    rows = [
        Row([{"role": "user", "content": p}], torch.tensor(lam), 6, 0.8, seed=5 + i)
        for i, (p, lam) in enumerate(zip(PROMPTS * 2, lams))
    ]
    together = [c.text for c in decode(policy, tokenizer, rows)]
    assert len(set(together)) > 1
    assert together == [decode(policy, tokenizer, [row])[0].text for row in rows]
    # Greedy serving answers equal mdpo generate's.
    greedy = [
        Row([{"role": "user", "content": p}], torch.tensor(lam), 6)
        for p in PROMPTS
        for lam in lams[:2]
    ]
    expected = generate_answers(
        policy, tokenizer, PROMPTS, torch.tensor(lams[:2]), Decoding(max_new_tokens=6)
    )
    assert [c.text for c in decode(policy, tokenizer, greedy)] == [t for r in expected for t in r]


def test_a_soft_prompt_of_the_wrong_width_is_refused(soft_run, tmp_path):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(soft_run, run)
    wide = SoftPrompt(3, 3, 32, placeholder=RESERVED, placeholder_id=259)
    wide.save(run / SOFT_PROMPT_FILE)
    with pytest.raises(ValueError, match="the soft prompt has 3 prompts but the run has 2"):
        load_policy(run)
    manifest = json.loads((run / "run.json").read_text())
    (run / "run.json").write_text(json.dumps({**manifest, "soft_prompt": "../x.safetensors"}))
    with pytest.raises(ValueError, match="escapes the run folder"):
        load_policy(run)
