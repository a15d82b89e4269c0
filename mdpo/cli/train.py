"""``mdpo train CONFIG``: train one adapter from a YAML run config."""

from __future__ import annotations

import argparse
import os

from mdpo.cli._args import Command, add_lock_timeout, add_trust_remote_code

__all__ = ["COMMAND", "add_parser", "run"]


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", help="the YAML run config")
    parser.add_argument("--output-dir", default=None, help="override output_dir")
    parser.add_argument("--run-name", default=None, help="override run_name")
    parser.add_argument("--max-steps", type=int, default=None, help="override training.max_steps")
    again = parser.add_mutually_exclusive_group()
    again.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing run folder: everything the old run left is removed first",
    )
    again.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted run from its newest complete checkpoint",
    )
    add_trust_remote_code(parser, "the config")
    add_lock_timeout(parser, "a run folder")


def refuse_multi_process() -> None:
    """Refuse to run as one of several processes (``torchrun``, ``accelerate launch``).

    ``mdpo train`` owns its run folder (lock, checkpoints, ``run.json``); several copies
    would train separately into one folder. Distributed training goes through the Python
    API (:class:`mdpo.training.MDPOTrainer` under ``torchrun``), which is one DDP job.

    Raises:
        CommandError: If ``WORLD_SIZE`` (set by both launchers) is above 1.
    """
    from mdpo.cli._errors import CommandError

    world = os.environ.get("WORLD_SIZE", "1")
    try:
        size = int(world)
    except ValueError:
        raise CommandError(f"WORLD_SIZE must be an int, got {world!r}") from None
    if size > 1:
        raise CommandError(
            f"mdpo train runs as one process, but it was started as process "
            f"{os.environ.get('RANK', '?')} of WORLD_SIZE={size} (torchrun or accelerate "
            "launch); run `mdpo train CONFIG` directly, or train with MDPOTrainer from "
            "Python under torchrun, which runs one DDP job"
        )


def run(args: argparse.Namespace) -> int:
    """Handle ``mdpo train``.

    Args:
        args: Parsed arguments.

    Returns:
        0 on success; errors propagate to :func:`mdpo.cli._errors.run_handler`, which prints
        one ``mdpo train: error:`` line and exits with 2 (bad input) or 1 (a failed run).
    """
    from mdpo._paths import check_output_dir
    from mdpo.training.run import run_training
    from mdpo.training.run_config import load_run_config

    refuse_multi_process()
    cfg = load_run_config(args.config, trust_remote_code=args.trust_remote_code)
    if args.output_dir is not None:
        cfg.output_dir = os.fspath(check_output_dir(args.output_dir, "--output-dir"))
    if args.run_name is not None:
        cfg.run_name = args.run_name
    if args.max_steps is not None:
        cfg.training["max_steps"] = args.max_steps
    run_dir = run_training(
        cfg, overwrite=args.overwrite, resume=args.resume, lock_timeout=args.lock_timeout
    )
    print(f"mdpo train: wrote {run_dir}")
    return 0


COMMAND = Command(
    "train",
    help="train a Panacea (or LoRA) adapter from a YAML config",
    description=(
        "Train from a YAML config (model, dimensions with their objective and data or "
        "scorer, aggregator, adapter, training arguments). Writes OUTPUT_DIR/RUN_NAME "
        "with adapter/, config.json and run.json."
    ),
    options=_options,
    handler=run,
)
add_parser = COMMAND.add_parser
