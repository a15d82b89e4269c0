"""Entry point of the ``mdpo`` command: a small argparse dispatcher over subcommands."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from mdpo._version import __version__
from mdpo.cli._errors import run_handler

_SUBCOMMANDS = ("bench", "train", "generate", "eval", "serve")
"""Modules under mdpo.cli, each with ``add_parser(subparsers)``; the order is the help's."""


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser; each subcommand module adds its own subparser."""
    parser = argparse.ArgumentParser(
        prog="mdpo", description="Multi-dimensional preference optimization of language models."
    )
    parser.add_argument("--version", action="version", version=f"mdpo {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _SUBCOMMANDS:
        importlib.import_module(f"mdpo.cli.{name}").add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``mdpo`` command line.

    Args:
        argv: Arguments without the program name; ``sys.argv[1:]`` when None.

    Returns:
        The process exit status.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    command = getattr(args, "command_name", None) or args.command
    return run_handler(command, handler, args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
