"""``mdpo eval``: score the front of a trained run as the benchmark scores its fronts.

Answers the bundled eval (or validation) prompts at a grid of preferences with the run's
policy, scores the answers with one scorer per dimension and writes ``eval.json``,
``report.md`` and ``front.png`` (:mod:`mdpo.benchmarks.run_eval`).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from mdpo.cli._args import Command, add_device, bounded, parsed, positive_int

__all__ = ["COMMAND", "add_parser", "run"]


def _scorer(text: str) -> tuple[str, dict[str, Any]]:
    from mdpo.benchmarks.run_eval import parse_scorer  # only when the option is given

    return parse_scorer(text)


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run folder (run.json)")
    parser.add_argument(
        "--scorer",
        action="append",
        type=parsed(_scorer),
        required=True,
        metavar="DIM=SCORER[:k=v,...]",
        help="the scorer of one dimension, e.g. concise=length:unit=tokens,sign=-1 (repeat)",
    )
    parser.add_argument(
        "--out", default=None, help="output folder (default: RUN_DIR/eval); created"
    )
    parser.add_argument("--split", choices=("eval", "validation"), default="eval")
    parser.add_argument("--prompts", type=positive_int, default=12, help="default 12")
    parts = "Das-Dennis partitions (default 4)"
    parser.add_argument("--partitions", type=positive_int, default=4, help=parts)
    parser.add_argument("--max-new-tokens", type=positive_int, default=40, help="default 40")
    parser.add_argument(
        "--temperature",
        type=bounded(float, 0.0, "a number >= 0"),
        default=0.0,
        help="0 = greedy (default)",
    )
    add_device(parser)


def run(args: argparse.Namespace) -> int:
    """Handle ``mdpo eval``.

    Args:
        args: Parsed arguments.

    Returns:
        0 on success; bad input raises ``ValueError`` (one error line, exit 2).
    """
    from mdpo.benchmarks.run_eval import evaluate_run
    from mdpo.cli._device import check_device
    from mdpo.policies import read_run_manifest

    manifest = read_run_manifest(args.run_dir)
    device = check_device(args.device)
    if isinstance(device, str):
        raise ValueError(f"argument --device: {device}")
    scorers: dict[str, Any] = {}
    for name, spec in args.scorer:
        if name in scorers:
            raise ValueError(f"argument --scorer: dimension {name!r} is given twice")
        scorers[name] = spec
    out = Path(args.out) if args.out else Path(manifest.run_dir) / "eval"
    if out.exists() and not out.is_dir():
        raise ValueError(f"argument --out: {os.fspath(out)!r} exists and is not a folder")
    result = evaluate_run(
        args.run_dir,
        scorers,
        out_dir=out,
        split=args.split,
        n_prompts=args.prompts,
        partitions=args.partitions,
        max_new_tokens=args.max_new_tokens,
        temperature=args.temperature,
        device=None if device is None else str(device),
    )
    rho = ", ".join(
        f"{n} {v:.2f}" for n, v in zip(result["dimension_names"], result["controllability"])
    )
    print(f"mdpo eval: {len(result['points'])} preferences scored; controllability {rho}")
    print(f"mdpo eval: wrote {os.fspath(out / 'eval.json')}, report.md and front.png")
    return 0


COMMAND = Command(
    "eval",
    help="score a trained run's front on the bundled prompts",
    description=(
        "Answer the bundled eval prompts at a grid of preferences with a run's policy, "
        "score the answers (one --scorer per dimension) and write eval.json, report.md "
        "and front.png: per-λ scores with bootstrap intervals, KL to the base model, "
        "degeneracy, independent judges and controllability."
    ),
    options=_options,
    handler=run,
)
add_parser = COMMAND.add_parser
