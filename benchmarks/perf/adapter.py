"""Panacea adapter performance against peft LoRA of equal total rank, in one process.

Run ``python -m mdpo.benchmarks.perf.adapter`` (``make bench-perf``). On a SmolLM2-shaped
random-init Llama (or the real SmolLM2-135M-Instruct with ``--model smollm2``) it measures,
with interleaved rounds, medians and order-statistic 95 % intervals:

- ``step``: forward + backward of a causal-LM loss, Panacea (rank k + m, all attention and
  MLP linears) against peft LoRA of rank k + m on the same linears. Target ≤ 1.05×.
- ``switch``: the latency of ``set_preference`` (validation included) against switching a
  Rewarded Soups policy, i.e. re-souping two LoRA experts for the new λ and swapping the
  delta into the weights. Target ≤ 50 µs.
- ``merged``: inference forward of the merged Panacea model against the bare base.
  Target ≤ 1.01× within the measured noise (the interval's low end).
- ``mixed``: inference throughput with a per-row λ ``[B, m]`` against one λ. Target ≥ 0.95×.

It prints a table and writes JSON with ``--out``. ``--device cuda`` synchronises around
every timing. ``--quick`` makes a short smoke run (small batch, few repeats).
"""

from __future__ import annotations

import argparse
import copy
import os
import platform
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch

from mdpo.benchmarks.perf._timing import (
    format_table,
    interleaved,
    median_interval,
    paired_ratio,
    synchronizer,
)

__all__ = ["TARGETS", "main", "run"]

TARGETS = {"step": 1.05, "switch_us": 50.0, "merged": 1.01, "mixed": 0.95}
"""Targets: step ratio ≤, switch latency (µs) ≤, merged ratio ≤, mixed throughput ratio ≥."""

_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m mdpo.benchmarks.perf.adapter",
        description="Panacea adapter speed against peft LoRA of equal total rank.",
    )
    p.add_argument("--model", choices=["random", "smollm2"], default="random")
    p.add_argument("--layers", type=int, default=None, help="override layers (random model)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32")
    p.add_argument("--rank", type=int, default=8, help="Panacea k; LoRA rank is k + m")
    p.add_argument("--n-dims", type=int, default=2, help="Panacea m")
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--seq-len", type=int, default=128)
    p.add_argument("--repeats", type=int, default=15)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--switch-repeats", type=int, default=200, help="rounds for λ switching")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--quick", action="store_true", help="short smoke run")
    p.add_argument("--out", default=None, help="write the results as JSON here")
    args = p.parse_args(argv)
    if args.quick:
        args.batch, args.seq_len = min(args.batch, 2), min(args.seq_len, 32)
        args.repeats, args.warmup, args.switch_repeats = 3, 1, 20
    return args


def _base_model(args: argparse.Namespace) -> tuple[Any, str]:
    dtype = getattr(torch, args.dtype)
    if args.model == "smollm2":
        from mdpo.models import load_causal_lm

        model, _ = load_causal_lm("smollm2", dtype=dtype)
        return model, "SmolLM2-135M-Instruct (Q4_1-dequantised GGUF weights)"
    from mdpo.benchmarks.perf.dpo_step import smollm2_shaped_llama

    model = smollm2_shaped_llama(num_layers=args.layers).to(dtype)
    layers = model.config.num_hidden_layers
    return model, f"random-init SmolLM2-shaped Llama ({layers} layers)"


def _lora_expert(base: Any, rank: int, seed: int, device: torch.device) -> Any:
    from peft import LoraConfig, get_peft_model

    from mdpo.adapters import load_lora_expert

    expert = get_peft_model(
        copy.deepcopy(base), LoraConfig(r=rank, lora_alpha=rank, target_modules=_MODULES)
    )
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in expert.named_parameters():
            if "lora_" in name:
                p.copy_(torch.randn(p.shape, generator=g).to(p.dtype) * 0.01)
    normalised = load_lora_expert(expert)
    normalised.factors = {
        n: (A.detach().to(device), B.detach().to(device))
        for n, (A, B) in normalised.factors.items()
    }
    return normalised


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run every measurement and return the results (see the module docstring).

    Args:
        args: Parsed command-line options.

    Returns:
        A JSON-ready dict: environment, settings, per-measurement summaries and targets.
    """
    from peft import LoraConfig, get_peft_model

    from mdpo.adapters import PanaceaConfig, apply_delta, get_panacea_model, soup

    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    sync = synchronizer(device)
    base, label = _base_model(args)
    base.eval()
    rank, m = args.rank, args.n_dims
    total = rank + m
    vocab = base.config.vocab_size
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(3, vocab, (args.batch, args.seq_len), generator=g).to(device)

    # Experts for the Rewarded Soups switch (built from the untouched base).
    experts = [_lora_expert(base, total, seed, device) for seed in (1, 2)]
    plain = copy.deepcopy(base).to(device)
    lora = get_peft_model(
        copy.deepcopy(base), LoraConfig(r=total, lora_alpha=total, target_modules=_MODULES)
    ).to(device)
    with torch.no_grad():  # non-zero B, so both adapters do the same work
        for name, p in lora.named_parameters():
            if "lora_B" in name:
                p.normal_(0.0, 0.01)
    panacea = get_panacea_model(base, PanaceaConfig(r=rank, n_dims=m, target_modules=_MODULES))
    panacea.to(device)
    with torch.no_grad():
        for layer in panacea.panacea_layers().values():
            layer.lora_E.normal_(0.0, 0.01)
            layer.lora_s.fill_(0.01)
    lam = torch.full((m,), 1.0 / m)
    lam_rows = torch.distributions.Dirichlet(torch.ones(m)).sample((args.batch,))
    results: dict[str, Any] = {}

    def race(measure: str, fns: dict[str, Callable[[], None]], num: str, den: str) -> None:
        """Time ``fns`` in interleaved rounds; ``results[measure]``: both, ratio num / den."""
        t = interleaved(fns, repeats=args.repeats, warmup=args.warmup, sync=sync)
        results[measure] = _compare(t, num, den, "s")

    # 1. forward + backward step time against peft LoRA of rank k + m.
    panacea.train()
    lora.train()
    panacea.set_preference(lam)

    def step(model: Any) -> Any:
        def fn() -> None:
            model.zero_grad(set_to_none=True)
            model(input_ids=ids, labels=ids).loss.backward()

        return fn

    race("step", {"panacea": step(panacea), "lora": step(lora)}, "panacea", "lora")
    panacea.zero_grad(set_to_none=True)
    lora.zero_grad(set_to_none=True)
    del lora
    panacea.eval()

    # 2. λ switch: set_preference against re-souping and swapping the RS delta.
    grid = [torch.tensor([i / 10, 1 - i / 10]) for i in range(11)] if m == 2 else [lam] * 11
    state = {"i": 0, "deltas": soup(experts, grid[0].tolist())}
    apply_delta(plain, state["deltas"])

    def switch_panacea() -> None:
        state["i"] += 1
        panacea.set_preference(grid[state["i"] % len(grid)])

    def switch_rs() -> None:
        state["i"] += 1
        new = soup(experts, grid[state["i"] % len(grid)].tolist())
        apply_delta(plain, state["deltas"], alpha=-1.0)
        apply_delta(plain, new)
        state["deltas"] = new

    t_pan = interleaved(
        {"panacea": switch_panacea}, repeats=args.switch_repeats, warmup=5, inner=20, sync=sync
    )
    t_rs = interleaved({"rs": switch_rs}, repeats=max(3, args.repeats // 3), warmup=1, sync=sync)
    apply_delta(plain, state["deltas"], alpha=-1.0)
    pan = median_interval(t_pan["panacea"])
    rs = median_interval(t_rs["rs"])
    results["switch"] = {
        "unit": "s",
        "panacea": pan.as_dict(),
        "rs_resoup": rs.as_dict(),
        "speedup": rs.median / pan.median,
        "target_us": TARGETS["switch_us"],
        "met": pan.median * 1e6 <= TARGETS["switch_us"],
    }

    # 3. merged inference against the bare base; 4. mixed-λ against single-λ.
    panacea.merge(lam)

    def infer(model: Any, pref: torch.Tensor | None = None) -> Any:
        @torch.no_grad()
        def fn() -> None:
            if pref is not None:
                model.set_preference(pref)
            model(input_ids=ids)

        return fn

    race("merged", {"merged": infer(panacea), "base": infer(plain)}, "merged", "base")
    panacea.unmerge()

    # Throughput ratio mixed / single = time(single) / time(mixed).
    race(
        "mixed",
        {"mixed": infer(panacea, lam_rows), "single": infer(panacea, lam)},
        "single",
        "mixed",
    )
    results["step"]["met"] = results["step"]["ratio"]["median"] <= TARGETS["step"]
    results["merged"]["met"] = results["merged"]["ratio"]["low"] <= TARGETS["merged"]
    results["mixed"]["met"] = results["mixed"]["ratio"]["median"] >= TARGETS["mixed"]
    return {
        "model": label,
        "device": str(device),
        "dtype": args.dtype,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "platform": platform.platform(),
        "settings": {
            "rank": rank,
            "n_dims": m,
            "batch": args.batch,
            "seq_len": args.seq_len,
            "repeats": args.repeats,
            "warmup": args.warmup,
            "quick": args.quick,
        },
        "targets": TARGETS,
        "results": results,
    }


def _compare(times: dict[str, list[float]], num: str, den: str, unit: str) -> dict[str, Any]:
    return {
        "unit": unit,
        num: median_interval(times[num]).as_dict(),
        den: median_interval(times[den]).as_dict(),
        "ratio": paired_ratio(times[num], times[den]).as_dict(),
    }


def _table(report: dict[str, Any]) -> str:
    res = report["results"]

    def ms(s: dict[str, float]) -> str:
        return f"{s['median'] * 1e3:.2f} ms [{s['low'] * 1e3:.2f}, {s['high'] * 1e3:.2f}]"

    def ratio(s: dict[str, float]) -> str:
        return f"{s['median']:.3f} [{s['low']:.3f}, {s['high']:.3f}]"

    def compared(
        measure: str, title: str, ours: str, ref: str, ref_label: str, bound: str
    ) -> list[str]:
        r = res[measure]
        target = f"{bound} {TARGETS[measure]}x"
        ref_time = f"{ref_label} {ms(r[ref])}"
        return [title, ms(r[ours]), ref_time, ratio(r["ratio"]), target, _yes(r["met"])]

    sw = res["switch"]
    pan_us = sw["panacea"]
    rows = [
        compared("step", "fwd+bwd step", "panacea", "lora", "peft LoRA", "<="),
        [
            "λ switch",
            f"{pan_us['median'] * 1e6:.1f} µs [{pan_us['low'] * 1e6:.1f}, "
            f"{pan_us['high'] * 1e6:.1f}]",
            "RS re-soup " + ms(sw["rs_resoup"]),
            f"{sw['speedup']:.0f}x faster",
            f"<= {TARGETS['switch_us']:g} µs",
            _yes(sw["met"]),
        ],
        compared("merged", "merged inference", "merged", "base", "base", "<="),
        compared("mixed", "mixed-λ throughput", "mixed", "single", "single-λ", ">="),
    ]
    head = (
        f"{report['model']} on {report['device']} ({report['dtype']}, "
        f"{report['threads']} threads), batch {report['settings']['batch']} x "
        f"{report['settings']['seq_len']} tokens, rank {report['settings']['rank']}+"
        f"{report['settings']['n_dims']}; medians [95% interval]"
    )
    table = format_table(rows, ["measure", "panacea", "reference", "ratio", "target", "met"])
    return head + "\n" + table


def _yes(flag: bool) -> str:
    return "yes" if flag else "NO"


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Command-line entry point: run, print the table, optionally write JSON.

    Args:
        argv: Arguments (default ``sys.argv[1:]``).

    Returns:
        The results dict.
    """
    args = _parse(argv)
    report = run(args)
    print(_table(report))
    if args.out:
        from mdpo._io import atomic_write_json
        from mdpo.adapters._files import output_directory

        target = os.path.abspath(args.out)
        output_directory(os.path.dirname(target), "--out directory")
        atomic_write_json(Path(target), report)
        print(f"wrote {target}")
    return report


if __name__ == "__main__":
    main()
