"""Time a Panacea-DPO training step against a peft-LoRA DPO step of equal total rank.

Run ``python -m mdpo.benchmarks.perf.dpo_step``. Both adapters sit on the same base (the
real SmolLM2-135M-Instruct through :func:`mdpo.models.load_causal_lm`, or a random-init
Llama of SmolLM2's shape with ``--random-init``) and target the same linears; Panacea has
rank k + m (``--rank`` k learned singular values plus ``--n-dims`` m preference slots), the
LoRA rank k + m. One step is: policy forward of chosen and rejected together, reference
forward with the adapter disabled (no grad), the DPO loss, backward and an AdamW step.
Panacea runs with a per-row λ (each pair its own). Steps alternate between the two methods
in rotating order (:func:`mdpo.benchmarks.perf._timing.interleaved`, so drifting machine
load hits both alike); medians with order-statistic intervals, the per-round paired ratio
and tokens/s are printed and optionally written as JSON (``--out``).
"""

from __future__ import annotations

import argparse
import platform
from collections.abc import Callable, Sequence
from typing import Any

import torch

from mdpo.benchmarks.perf._timing import interleaved, median_interval, paired_ratio, synchronizer

__all__ = ["build_step", "main", "smollm2_shaped_llama"]

_SMOLLM2_SHAPE = {
    "hidden_size": 576,
    "intermediate_size": 1536,
    "num_hidden_layers": 30,
    "num_attention_heads": 9,
    "num_key_value_heads": 3,
    "vocab_size": 49152,
    "tie_word_embeddings": True,
    "max_position_embeddings": 8192,
    "rms_norm_eps": 1e-5,
    "rope_theta": 100000.0,
}
_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def smollm2_shaped_llama(*, num_layers: int | None = None, seed: int = 0) -> Any:
    """A randomly initialised Llama with SmolLM2-135M's shape (hidden 576, 30 layers, ...).

    Args:
        num_layers: Override the number of layers (for a quick check).
        seed: Initialisation seed.

    Returns:
        A ``LlamaForCausalLM`` in float32.
    """
    from transformers import LlamaConfig, LlamaForCausalLM

    shape = dict(_SMOLLM2_SHAPE)
    if num_layers is not None:
        shape["num_hidden_layers"] = num_layers
    torch.manual_seed(seed)
    return LlamaForCausalLM(LlamaConfig(**shape))


def _batch(
    pairs: int, seq_len: int, prompt_len: int, vocab: int, device: torch.device
) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(3, vocab, (2 * pairs, seq_len), generator=g)
    ids[pairs:, :prompt_len] = ids[:pairs, :prompt_len]  # a pair shares its prompt
    attention = torch.ones_like(ids)
    completion = torch.zeros_like(ids, dtype=torch.bool)
    completion[:, prompt_len:] = True
    return {
        "input_ids": ids.to(device),
        "attention_mask": attention.to(device),
        "completion_mask": completion.to(device),
    }


def build_step(
    model: Any,
    batch: dict[str, torch.Tensor],
    *,
    preference: torch.Tensor | None = None,
    beta: float = 0.1,
    lr: float = 1e-4,
) -> Callable[[], float]:
    """One DPO training step as a closure (policy + reference forward, backward, AdamW).

    Args:
        model: A Panacea or peft model (``disable_adapter()`` gives the reference).
        batch: ``input_ids``, ``attention_mask``, ``completion_mask`` ``[2P, T]``: the P
            chosen rows, then the P rejected rows.
        preference: Per-row λ ``[2P, m]`` for a Panacea model, None for LoRA.
        beta: DPO β.
        lr: AdamW learning rate.

    Returns:
        A function running one step and returning the loss.
    """
    from mdpo.data import sequence_logps
    from mdpo.objectives.losses import dpo_loss

    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr)
    args = (batch["input_ids"], batch["attention_mask"], batch["completion_mask"])
    pairs = batch["input_ids"].shape[0] // 2

    def step() -> float:
        if preference is not None:
            model.set_preference(preference)
        logps, _ = sequence_logps(model, *args)
        with torch.no_grad(), model.disable_adapter():
            ref, _ = sequence_logps(model, *args)
        loss = dpo_loss(logps[:pairs], logps[pairs:], ref[:pairs], ref[pairs:], beta=beta).mean()
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        return float(loss.detach())

    return step


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m mdpo.benchmarks.perf.dpo_step", description=__doc__)
    p.add_argument("--model", default="smollm2", help="load_causal_lm name or path")
    p.add_argument("--random-init", action="store_true", help="SmolLM2-shaped random Llama")
    p.add_argument("--layers", type=int, default=None, help="override layers (random init)")
    p.add_argument("--pairs", type=int, default=4)
    p.add_argument("--seq-len", type=int, default=96)
    p.add_argument("--prompt-len", type=int, default=32)
    p.add_argument("--rank", type=int, default=8, help="Panacea k (LoRA rank is k + m)")
    p.add_argument("--n-dims", type=int, default=2, help="Panacea m")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--out", default=None, help="write the results as JSON here")
    args = p.parse_args(argv)
    for name in ("pairs", "seq_len", "rank", "n_dims", "repeats"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    if not 0 < args.prompt_len < args.seq_len:
        p.error(f"--prompt-len must be in (0, seq-len={args.seq_len}), got {args.prompt_len}")
    return args


def _base(args: argparse.Namespace) -> tuple[Any, str]:
    if not args.random_init:
        try:
            from mdpo.models import load_causal_lm

            model, _ = load_causal_lm(args.model)
            return model, f"{args.model} (Q4_1-dequantised GGUF weights)"
        except (ImportError, FileNotFoundError, OSError) as err:
            print(f"[dpo_step] cannot load {args.model!r} ({err}); using --random-init")
    return smollm2_shaped_llama(num_layers=args.layers), "random-init SmolLM2-shaped Llama"


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the benchmark and print a summary.

    Args:
        argv: Command-line arguments (see ``--help``).

    Returns:
        The results dict (also written to ``--out``).
    """
    import copy

    from peft import LoraConfig, get_peft_model

    from mdpo.adapters import PanaceaConfig, get_panacea_model

    args = _parse(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    base, base_desc = _base(args)
    base.config.use_cache = False
    k, m = args.rank, args.n_dims
    lora = get_peft_model(
        copy.deepcopy(base),
        LoraConfig(r=k + m, lora_alpha=k + m, target_modules=_TARGETS, lora_dropout=0.0),
    ).to(device)
    panacea = get_panacea_model(
        base, PanaceaConfig(r=k, n_dims=m, target_modules=_TARGETS, lora_dropout=0.0)
    ).to(device)
    for model in (lora, panacea):
        model.train()
    batch = _batch(args.pairs, args.seq_len, args.prompt_len, base.config.vocab_size, device)
    g = torch.Generator().manual_seed(1)
    lam = -torch.log(torch.rand(args.pairs, m, generator=g))
    lam = (lam / lam.sum(-1, keepdim=True)).repeat(2, 1).to(device)
    steps = {
        "panacea": build_step(panacea, batch, preference=lam),
        "lora": build_step(lora, batch),
    }
    times = interleaved(steps, repeats=args.repeats, warmup=args.warmup, sync=synchronizer(device))
    tokens = 2 * args.pairs * args.seq_len
    summary = {name: median_interval(v) for name, v in times.items()}
    med = {name: s.median for name, s in summary.items()}
    ratio = paired_ratio(times["panacea"], times["lora"])
    results = {
        "benchmark": "dpo_step",
        "base": base_desc,
        "device": str(device),
        "cpu": platform.processor() or platform.machine(),
        "threads": torch.get_num_threads(),
        "pairs": args.pairs,
        "seq_len": args.seq_len,
        "tokens_per_step": tokens,
        "panacea_rank": f"k={k} + m={m}",
        "lora_rank": k + m,
        "repeats": args.repeats,
        "times_s": times,
        "median_s": {name: s.as_dict() for name, s in summary.items()},
        "tokens_per_s": {name: tokens / t for name, t in med.items()},
        "ratio_panacea_over_lora": ratio.as_dict(),
    }
    print(f"DPO step, {args.pairs} pairs x {args.seq_len} tokens, {base_desc}, {device}")
    for name, s in summary.items():
        print(
            f"  {name:8s} median {s.median:.3f} s [{s.low:.3f}, {s.high:.3f}]  "
            f"({tokens / s.median:.0f} tokens/s, n={s.n})"
        )
    print(
        f"  ratio panacea / lora (paired per round) = {ratio.median:.3f} "
        f"[{ratio.low:.3f}, {ratio.high:.3f}]"
    )
    if args.out:
        _write_json(args.out, results)
    return results


def _write_json(path: str, data: dict[str, Any]) -> None:
    from mdpo._io import atomic_write_json

    atomic_write_json(path, data)


if __name__ == "__main__":  # pragma: no cover
    main()
