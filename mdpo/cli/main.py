"""Entry point of the ``mdpo`` command: a small argparse dispatcher over subcommands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from mdpo._version import __version__


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser; each subcommand module adds its own subparser."""
    parser = argparse.ArgumentParser(
        prog="mdpo", description="Multi-dimensional preference optimization of language models."
    )
    parser.add_argument("--version", action="version", version=f"mdpo {__version__}")
    parser.add_subparsers(dest="command", metavar="COMMAND")
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
    return int(handler(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
