"""Worker of test_ddp.py, launched by torchrun: a few MDPO steps under DDP (gloo, CPU).

Each rank writes ``rank{R}.safetensors`` (its adapter weights) and ``rank{R}.json`` (its
tracked ideal point, the per-micro-batch ideal candidates it proposed before the cross-rank
minimum, and the global rows it trained on) into the folder given as the only argument.
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import torch


def main(out_dir: str) -> None:
    from safetensors.torch import save_file

    from mdpo.adapters import PanaceaConfig, get_panacea_model
    from mdpo.objectives import DPOObjective
    from mdpo.testing import tiny_causal_lm, tiny_chat_tokenizer
    from mdpo.training import MDPOConfig, MDPOTrainer

    torch.set_num_threads(1)
    rank = int(os.environ["RANK"])
    tok = tiny_chat_tokenizer()
    model = get_panacea_model(tiny_causal_lm("llama", seed=0), PanaceaConfig(r=4, n_dims=2))
    words = ["x", "yy", "z", "hi", "ok", "go", "up", "no"]
    pairs = [
        {"prompt": f"Say {w}", "response_0": "A" * (1 + i % 3), "response_1": "B", "a": 0, "b": 1}
        for i, w in enumerate(words)
    ]
    args = MDPOConfig(
        output_dir=os.path.join(out_dir, "trainer"),
        max_steps=3,
        per_device_train_batch_size=2,
        gradient_accumulation_steps=2,
        learning_rate=3e-2,
        aggregator="tche",
        logging_steps=1,
        save_strategy="no",
        use_cpu=True,
        ddp_backend="gloo",
        disable_tqdm=True,
        seed=0,
        dataloader_pin_memory=False,
    )
    objective = DPOObjective(label_columns={"a": "a", "b": "b"}, beta=0.5)
    trainer = MDPOTrainer(model, args, objective, pairs, processing_class=tok)
    candidates: list[list[float]] = []
    rows: list[int] = []
    combine = trainer._min_over_ranks
    compute_loss = trainer.compute_loss

    def spy_combine(candidate: torch.Tensor) -> torch.Tensor:
        candidates.append(candidate.tolist())
        return combine(candidate)

    def spy_loss(model, inputs, *a, **k):
        rows.extend(inputs["rows"].tolist())
        return compute_loss(model, inputs, *a, **k)

    trainer._min_over_ranks = spy_combine
    trainer.compute_loss = spy_loss
    trainer.train()
    save_file(
        {k: v.contiguous() for k, v in model.adapter_state_dict().items()},
        os.path.join(out_dir, f"rank{rank}.safetensors"),
    )
    record = {
        "world_size": trainer.accelerator.num_processes,
        "ideal": trainer.ideal_tracker.value.tolist(),
        "candidates": candidates,
        "rows": rows,
    }
    with open(os.path.join(out_dir, f"rank{rank}.json"), "w", encoding="utf-8") as fh:
        json.dump(record, fh)


if __name__ == "__main__":
    main(sys.argv[1])
