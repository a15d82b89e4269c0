"""``mdpo train CONFIG``: train one adapter from a YAML run config."""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``train`` subcommand.

    Args:
        subparsers: The dispatcher's ``add_subparsers()`` object.

    Returns:
        The ``train`` parser.
    """
    parser = subparsers.add_parser(
        "train",
        help="train a Panacea (or LoRA) adapter from a YAML config",
        description=(
            "Train from a YAML config (model, dimensions with their objective and data or "
            "scorer, aggregator, adapter, training arguments). Writes OUTPUT_DIR/RUN_NAME "
            "with adapter/, config.json and run.json."
        ),
    )
    parser.add_argument("config", help="the YAML run config")
    parser.add_argument("--output-dir", default=None, help="override output_dir")
    parser.add_argument("--run-name", default=None, help="override run_name")
    parser.add_argument("--max-steps", type=int, default=None, help="override training.max_steps")
    parser.add_argument(
        "--overwrite", action="store_true", help="allow an existing, non-empty run folder"
    )
    parser.set_defaults(handler=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Handle ``mdpo train``.

    Args:
        args: Parsed arguments.

    Returns:
        0 on success, 2 on a config error.
    """
    from mdpo.training.run import run_training
    from mdpo.training.run_config import load_run_config

    try:
        cfg = load_run_config(args.config)
        if args.output_dir is not None:
            cfg.output_dir = args.output_dir
        if args.run_name is not None:
            cfg.run_name = args.run_name
        if args.max_steps is not None:
            cfg.training["max_steps"] = args.max_steps
        run_dir = run_training(cfg, overwrite=args.overwrite)
    except (ValueError, TypeError, FileNotFoundError, FileExistsError) as err:
        print(f"mdpo train: error: {err}", file=sys.stderr)
        return 2
    print(f"mdpo train: wrote {run_dir}")
    return 0
