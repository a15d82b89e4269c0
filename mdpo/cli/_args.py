"""What the subcommands' parsers share: :class:`Command`, argument converters, options."""

from __future__ import annotations

import argparse
import dataclasses
import math
from collections.abc import Callable
from typing import Any

__all__ = [
    "Command",
    "add_device",
    "add_lock_timeout",
    "add_trust_remote_code",
    "bounded",
    "parsed",
    "positive_int",
]


@dataclasses.dataclass(frozen=True)
class Command:
    """One ``mdpo`` subcommand: its help texts, its options and its handler.

    Args:
        name: The subcommand (``"generate"``).
        help: The line ``mdpo --help`` shows.
        description: The paragraph ``mdpo NAME --help`` shows.
        options: Adds the subcommand's arguments to its parser.
        handler: Runs it (``args -> exit status``); None when ``options`` sets the handler
            (a subcommand with actions of its own, such as ``bench``).
    """

    name: str
    help: str
    description: str
    options: Callable[[argparse.ArgumentParser], None]
    handler: Callable[[argparse.Namespace], int] | None = None

    def add_parser(self, subparsers: Any) -> argparse.ArgumentParser:
        """Register the subcommand with the dispatcher's ``add_subparsers()`` object.

        Args:
            subparsers: The dispatcher's subparsers.

        Returns:
            The subcommand's parser.
        """
        parser = subparsers.add_parser(self.name, help=self.help, description=self.description)
        self.options(parser)
        if self.handler is not None:
            parser.set_defaults(handler=self.handler)
        return parser


def add_device(parser: argparse.ArgumentParser) -> None:
    """``--device``: the torch device of the commands that load a model (checked later)."""
    parser.add_argument("--device", default=None, help="torch device (default: CPU)")


def add_lock_timeout(parser: argparse.ArgumentParser, folder: str) -> None:
    """``--lock-timeout SECONDS``: how long to wait for ``folder`` another process writes."""
    parser.add_argument(
        "--lock-timeout",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help=f"wait this long for {folder} another process writes (default 0: refuse)",
    )


def add_trust_remote_code(parser: argparse.ArgumentParser, config: str) -> None:
    """``--trust-remote-code``: accept ``trust_remote_code: true`` in ``config``."""
    parser.add_argument(
        "--trust-remote-code",
        action="store_true",
        help=f"accept trust_remote_code: true in {config} (runs code from model folders)",
    )


def bounded(kind: type, low: float, what: str) -> Callable[[str], Any]:
    """An argparse ``type``: ``kind(text)``, finite and at least ``low``.

    Args:
        kind: ``int`` or ``float``.
        low: The smallest value allowed.
        what: What is allowed, for the message (``"an integer >= 1"``).

    Returns:
        The converter; it raises ``argparse.ArgumentTypeError`` naming the value and ``what``.
    """

    def convert(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected {what}") from None
        if not (isinstance(value, int) or math.isfinite(value)) or value < low:
            raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected {what}")
        return value

    return convert


def parsed(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """An argparse ``type`` from a parser that raises ``ValueError`` naming what is allowed.

    Args:
        parse: ``parse(text)``; its ``ValueError`` message becomes the argparse error.

    Returns:
        The converter; it raises ``argparse.ArgumentTypeError`` with that message.
    """

    def convert(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as err:
            raise argparse.ArgumentTypeError(str(err)) from None

    return convert


positive_int = bounded(int, 1, "an integer >= 1")
"""The argparse ``type`` of a count: an int >= 1."""
