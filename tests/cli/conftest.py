"""Tiny run folders for ``mdpo generate`` and ``load_policy``: trained by ``mdpo train``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml

IDS = torch.tensor([[5, 17, 42, 99, 3]])
"""Token ids whose logits the ``experts`` fixture records (test_load_policy has the same)."""


@pytest.fixture(autouse=True)
def _one_thread():
    """Tiny models run fastest on one thread on the shared 2-core machine."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _train(root: Path, run_name: str, **overrides: Any) -> Path:
    """``mdpo train`` a tiny two-dimension DPO run (1 step) and return its folder."""
    from mdpo.cli.main import main

    data = root / "pairs.jsonl"
    if not data.exists():
        rows = [
            {"prompt": f"Say {w}", "response_0": "A", "response_1": "B", "a": 0, "b": 1}
            for w in ("x", "yy")
        ]
        data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    config = {
        "model": {"name_or_path": str(root / "base")},
        "output_dir": str(root / "runs"),
        "run_name": run_name,
        "dimensions": [
            {
                "name": ["a", "b"],
                "objective": "dpo",
                "data": str(data),
                "label_columns": {"a": "a", "b": "b"},
            }
        ],
        "adapter": {"r": 2},
        "training": {
            "max_steps": 1,
            "per_device_train_batch_size": 2,
            "use_cpu": True,
            "save_strategy": "no",
            "disable_tqdm": True,
            "report_to": "none",
            "dataloader_pin_memory": False,
        },
    }
    for key, value in overrides.items():
        if key == "training":
            config["training"] = {**config["training"], **value}
        else:
            config[key] = value
    path = root / f"{run_name}.yaml"
    path.write_text(yaml.safe_dump(config))
    assert main(["train", str(path)]) == 0
    return root / "runs" / run_name


@pytest.fixture(scope="session")
def runs(tmp_path_factory) -> dict[str, Path]:
    """Run folders: ``panacea`` (adapter randomised so λ matters), ``lora`` (fixed λ (1, 0)),
    ``prompt`` (the LoRA adapter read as prompt-conditioned) and the ``base`` model folder."""
    from safetensors.torch import load_file, save_file

    from mdpo.adapters import PanaceaModel
    from mdpo.testing import tiny_causal_lm, tiny_chat_tokenizer

    root = tmp_path_factory.mktemp("generate")
    base = root / "base"
    tiny_causal_lm("llama").save_pretrained(base)
    tiny_chat_tokenizer().save_pretrained(base)
    torch.set_num_threads(1)

    panacea = _train(root, "panacea")
    # One training step barely moves the adapter; give σ, s, U and V large random values so
    # that greedy answers depend on λ, and save them back where mdpo train put them.
    model = PanaceaModel.from_pretrained(tiny_causal_lm("llama"), panacea / "adapter", n_dims=2)
    gen = torch.Generator().manual_seed(1)
    state = {
        k: torch.randn(v.shape, generator=gen) * (3.0 if "lora_s" in k or "lora_E" in k else 0.5)
        for k, v in model.adapter_state_dict().items()
    }
    model.load_adapter_state_dict(state)
    model.save_pretrained(panacea / "adapter")

    lora = _train(
        root,
        "lora",
        method="lora",
        training={"fixed_preference": [1.0, 0.0]},
    )
    prompt = root / "runs" / "prompt"
    shutil.copytree(lora / "adapter", prompt / "adapter")
    # Randomise the LoRA factors too (B starts at zero), so answers depend on the prompt text.
    # Their own generator: the draws do not shift with the Panacea adapter's size.
    weights = prompt / "adapter" / "adapter_model.safetensors"
    lora_state = load_file(weights)
    lora_gen = torch.Generator().manual_seed(2)
    save_file(
        {k: torch.randn(v.shape, generator=lora_gen) * 0.5 for k, v in lora_state.items()},
        weights,
    )
    manifest = json.loads((lora / "run.json").read_text())
    (prompt / "run.json").write_text(json.dumps({**manifest, "conditioning": "prompt"}))
    return {"base": base, "panacea": panacea, "lora": lora, "prompt": prompt, "root": root}


@pytest.fixture(scope="module")
def experts(runs):
    """Two plain peft LoRA experts on the tiny base, saved in an ``experts/`` folder.

    Returns ``(run_dir, logits)``: the folder holding ``experts/a`` and ``experts/b`` and each
    expert's logits on ``IDS``.
    """
    from peft import LoraConfig, get_peft_model

    from mdpo.testing import tiny_causal_lm

    run_dir = runs["root"] / "multi"
    logits = {}
    for seed, name in enumerate(("a", "b"), start=1):
        torch.manual_seed(seed)
        config = LoraConfig(
            r=2, target_modules=["q_proj", "v_proj", "up_proj"], init_lora_weights=False
        )
        model = get_peft_model(tiny_causal_lm("llama"), config).eval()
        model.save_pretrained(run_dir / "experts" / name)
        with torch.no_grad():
            logits[name] = model(IDS).logits
    return run_dir, logits


@pytest.fixture
def write_manifest(runs):
    """``write_manifest(run_dir, method, **fields)``: a two-dimension ``run.json`` on the tiny
    base, its adapters in ``run_dir/experts/{a,b}``."""
    from mdpo.training.run import write_run_manifest

    def write(run_dir, method, **fields):
        write_run_manifest(
            run_dir,
            {
                "base_model": str(runs["base"]),
                "method": method,
                "dimension_names": ["a", "b"],
                "adapter_paths": {"a": "experts/a", "b": "experts/b"},
                **fields,
            },
        )

    return write
