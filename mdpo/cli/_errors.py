"""One error line per failure: ``mdpo <command>: error: ...`` and an exit status.

Every subcommand handler runs through :func:`run_handler`. Bad input (a ``ValueError`` or
``TypeError`` from validation, a path that is missing or not a folder, a held lock) exits
with 2; a run that started and failed (a full disk, an I/O error) exits with 1. Set the
environment variable ``MDPO_TRACEBACK=1`` to see the traceback instead.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
from collections.abc import Callable
from typing import Any

from mdpo._lock import FolderBusyError

__all__ = ["RUN_FAILED_ERRNOS", "CommandError", "error_line", "run_handler"]

RUN_FAILED_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS})
"""``OSError`` numbers that mean the run failed (exit 1), not that its input was bad (2)."""


class CommandError(Exception):
    """A failure a handler reports as one line, with its own exit status.

    Args:
        message: The text after ``error:``.
        status: The exit status (2: bad input, 1: the run failed).
    """

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.status = status


def error_line(command: str, message: Any) -> str:
    """The one line printed for a failure: ``mdpo <command>: error: <message>``.

    Args:
        command: The subcommand (``"train"``, ``"bench run"``, ...).
        message: The message (an exception is shown by its text).

    Returns:
        The line, without a newline; a multi-line message is joined with ``"; "``.
    """
    text = "; ".join(line.strip() for line in str(message).splitlines() if line.strip())
    return f"mdpo {command}: error: {text}"


def _os_message(err: OSError) -> str:
    if err.errno == errno.ENOSPC:
        where = f" writing {err.filename!r}" if err.filename else ""
        return (
            f"no space left on the device{where}; finished results were kept, free some "
            "space and re-run to resume"
        )
    if err.filename is not None and err.strerror:
        return f"{err.strerror}: {os.fspath(err.filename)!r}"
    return str(err) or type(err).__name__


def run_handler(command: str, handler: Callable[[argparse.Namespace], Any], args: Any) -> int:
    """Run a subcommand handler, turning its failures into one error line and a status.

    Args:
        command: The subcommand's name for the message.
        handler: The handler; returns an exit status (None means 0).
        args: The parsed arguments.

    Returns:
        The handler's status; 2 for bad input, 1 for a run that failed.
    """
    if os.environ.get("MDPO_TRACEBACK") == "1":
        return int(handler(args) or 0)
    try:
        return int(handler(args) or 0)
    except (CommandError, FolderBusyError) as err:
        print(error_line(command, err), file=sys.stderr)
        return getattr(err, "status", 2)
    except OSError as err:
        print(error_line(command, _os_message(err)), file=sys.stderr)
        return 1 if err.errno in RUN_FAILED_ERRNOS else 2
    except (ValueError, TypeError, KeyError) as err:
        text = err.args[0] if isinstance(err, KeyError) and err.args else err
        print(error_line(command, text), file=sys.stderr)
        return 2
