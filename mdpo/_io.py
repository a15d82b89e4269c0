"""Atomic file and folder writes shared by the whole package.

Every file mdpo writes (adapters, checkpoints, manifests, results, plots) goes through
:func:`atomic_replace`: the content is written to a temporary file in the target's folder and
then moved into place with :func:`os.replace`, so a reader (or a resumed run) sees either the
old file or the complete new one, never a torn write. The file gets the mode a plain ``open``
would give it (``0o666`` less the process umask: 0644 under umask 022), not the 0600 of
:func:`tempfile.mkstemp`, so a teammate or a serving account can read results and adapters.

A whole folder (a ``save_pretrained`` adapter, a saved dataset, a converted model) is written
the same way by :func:`atomic_replace_dir`: into a temporary sibling, renamed into place once
complete, so the target is complete or absent, never half written; it gets mode
``0o777 & ~umask`` (0755), not the 0700 of :func:`tempfile.mkdtemp`.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
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


@contextlib.contextmanager
def atomic_replace_dir(
    path: str | os.PathLike[str], *, keep: Callable[[Path], bool] | None = None
) -> Iterator[Path]:
    """Write the folder ``path`` atomically: fill the yielded temporary folder, then it moves.

    The temporary folder is a sibling of ``path`` (same file system, so the move is a
    rename). When the ``with`` block ends without an error the folder gets mode
    ``0o777 & ~umask`` and is renamed to ``path``; an existing ``path`` is replaced (moved
    aside, then deleted), unless ``keep`` says to keep it. When the block raises, the
    temporary folder is deleted and ``path`` is left as it was. Either way no temporary
    folder is left behind.

    Args:
        path: The target folder; its parent is created if needed.
        keep: Called with ``path`` when it exists (before the rename, and again if another
            process put it there during the rename): True keeps it and discards the new
            folder (another writer finished the same content first); False, or None for
            every existing target, replaces it.

    Yields:
        The temporary folder to write into.

    Raises:
        OSError: If the rename fails and ``keep`` does not accept what is at ``path`` (an
            old folder that was there is put back).

    Example:
        >>> import pathlib, tempfile
        >>> from mdpo._io import atomic_replace_dir
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> with atomic_replace_dir(root / "out") as tmp:
        ...     _ = (tmp / "a.txt").write_text("complete")
        >>> sorted(p.name for p in root.iterdir()), (root / "out" / "a.txt").read_text()
        (['out'], 'complete')
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~current_umask())
        _move_dir_into_place(tmp, target, keep)
    finally:
        _remove(tmp)


def _move_dir_into_place(tmp: Path, target: Path, keep: Callable[[Path], bool] | None) -> None:
    """Rename ``tmp`` to ``target``, replacing or keeping what is there (see the caller)."""
    present = target.exists() or target.is_symlink()
    if present and keep is not None and keep(target):
        return
    aside = tmp.with_name(tmp.name + ".old")
    if present:
        os.replace(target, aside)  # out of the way: the rename below then cannot fail on it
    try:
        os.replace(tmp, target)
    except OSError:
        if keep is not None and target.exists() and keep(target):
            return  # another writer's complete folder arrived meanwhile
        if present and not target.exists():
            os.replace(aside, target)  # the rename failed: the old folder goes back
        raise
    finally:
        _remove(aside)


def _remove(path: Path) -> None:
    """Delete a folder or file if it exists (nothing else to do if it does not)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()
