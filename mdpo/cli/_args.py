"""Argument converters shared by the subcommands' parsers."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import Any

__all__ = ["bounded", "parsed"]


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
