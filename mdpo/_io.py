"""Atomic file writes shared by the whole package.

Every file mdpo writes (adapters, checkpoints, manifests, results, plots) goes through
:func:`atomic_replace`: the content is written to a temporary file in the target's folder and
then moved into place with :func:`os.replace`, so a reader (or a resumed run) sees either the
old file or the complete new one, never a torn write. The file gets the mode a plain ``open``
would give it (``0o666`` less the process umask: 0644 under umask 022), not the 0600 of
:func:`tempfile.mkstemp`, so a teammate or a serving account can read results and adapters.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any


def current_umask() -> int:
    """The process umask, read without changing it where the OS allows.

    Returns:
        The umask bits (e.g. ``0o022``).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # no /proc: read it by setting it, then restore it at once
    os.umask(mask)
    return mask


def atomic_replace(path: str | os.PathLike[str], write: Callable[[str], None]) -> None:
    """Create ``path`` atomically from a writer that takes a file name.

    Args:
        path: The target file; its folder is created if needed.
        write: Called with the path of a temporary file in the same folder; it must write the
            complete content there (e.g. ``safetensors.torch.save_file(tensors, tmp)``).
            The finished file gets mode ``0o666 & ~umask``.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write(
    path: str | os.PathLike[str], write: Callable[[IO[Any]], None], *, binary: bool
) -> None:
    """Write ``path`` atomically through an open file object.

    Args:
        path: The target file; its folder is created if needed.
        write: Called with the open temporary file.
        binary: Open the temporary file in binary mode (text mode is UTF-8).
    """

    def to_file(tmp: str) -> None:
        if binary:
            with open(tmp, "wb") as fh:
                write(fh)
        else:
            with open(tmp, "w", encoding="utf-8") as fh:
                write(fh)

    atomic_replace(path, to_file)


def atomic_write_json(path: str | os.PathLike[str], data: Mapping[str, Any]) -> None:
    """Write ``data`` as indented, key-sorted JSON atomically.

    Args:
        path: The target file.
        data: A JSON-serialisable mapping.
    """

    def write(fh: IO[Any]) -> None:
        json.dump(dict(data), fh, indent=2, sort_keys=True)
        fh.write("\n")

    atomic_write(path, write, binary=False)
