"""One writer per output folder: a ``filelock`` lock plus a note naming its holder.

``mdpo bench run``, ``mdpo bench report`` and ``mdpo train`` hold :func:`folder_lock` on
their output folder while they write. The lock is an OS file lock (``DIR/.mdpo.lock``), so
it is released when its holder exits, even after ``kill -9``; the note next to it
(``DIR/.mdpo.lock.holder``: pid, host, command, start time) is only read to tell a second
writer who holds the folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["LOCK_FILES", "FolderBusyError", "folder_lock", "read_holder"]

LOCK_NAME = ".mdpo.lock"
HOLDER_NAME = ".mdpo.lock.holder"
LOCK_FILES = frozenset({LOCK_NAME, HOLDER_NAME})
"""The lock's own files: not run output (ignored by emptiness checks and ``--overwrite``)."""


class FolderBusyError(RuntimeError):
    """Another process holds the output folder's lock.

    Attributes:
        folder: The locked folder.
        holder: What the holder wrote about itself (may be empty).
    """

    def __init__(self, folder: Path, holder: dict[str, Any], timeout: float) -> None:
        self.folder = folder
        self.holder = holder
        who = (
            f"pid {holder.get('pid')} on host {holder.get('host')!r} "
            f"({holder.get('command', 'mdpo')}, since {holder.get('since', '?')})"
            if holder
            else "another process (its holder note is not written yet)"
        )
        waited = f" after waiting {timeout:g} s" if timeout > 0 else ""
        super().__init__(
            f"output folder {os.fspath(folder)!r} is in use by {who}{waited}; wait for it to "
            "finish, use another output folder, or pass --lock-timeout SECONDS to wait"
        )


def read_holder(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """What the current (or last) holder of a folder's lock wrote about itself.

    Args:
        folder: The output folder.

    Returns:
        ``{"pid", "host", "command", "since"}``, or ``{}`` if there is no readable note.
    """
    try:
        data = json.loads((Path(folder) / HOLDER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@contextlib.contextmanager
def folder_lock(
    folder: str | os.PathLike[str], command: str, *, timeout: float = 0.0
) -> Iterator[Path]:
    """Hold the write lock of an output folder (created if needed).

    Args:
        folder: The output folder.
        command: What holds it, for the note (e.g. ``"mdpo bench run quick"``).
        timeout: Seconds to wait for a busy folder; 0 refuses at once.

    Yields:
        The folder.

    Raises:
        FolderBusyError: If another process holds the lock (after ``timeout``).
        ValueError: If ``timeout`` is negative or not finite.
    """
    from filelock import FileLock, Timeout

    from mdpo._io import atomic_write_json
    from mdpo._numbers import check_real

    timeout = check_real("lock timeout", timeout, low=0.0)
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    lock = FileLock(os.fspath(root / LOCK_NAME), timeout=timeout)
    try:
        lock.acquire()
    except Timeout:
        raise FolderBusyError(root, read_holder(root), timeout) from None
    try:
        note = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "command": command,
            "since": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        atomic_write_json(root / HOLDER_NAME, note)
        yield root
    finally:
        lock.release()
