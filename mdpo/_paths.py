"""Path checks: containment (names that escape a folder) and usable output folders."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["check_output_dir", "resolve_inside"]


def resolve_inside(
    root: str | os.PathLike[str], *parts: str | os.PathLike[str], allow_root: bool = False
) -> Path | None:
    """``root/parts...`` resolved (symlinks and ``..`` included), or None if it escapes ``root``.

    Callers raise their own error on None, naming the parameter and value they received.

    Args:
        root: The folder the path must stay in.
        *parts: Path components below it (an absolute component escapes unless it lies
            inside ``root``).
        allow_root: Accept the path when it resolves to ``root`` itself.

    Returns:
        The resolved path, or None when it lies outside ``root`` (or is ``root`` and
        ``allow_root`` is False).

    Example:
        >>> from mdpo._paths import resolve_inside
        >>> resolve_inside("/tmp/runs", "a", "b").as_posix()
        '/tmp/runs/a/b'
        >>> resolve_inside("/tmp/runs", "../etc") is None
        True
    """
    base = Path(root).resolve()
    target = base.joinpath(*parts).resolve()
    if target == base:
        return target if allow_root else None
    return target if base in target.parents else None


def check_output_dir(value: str | os.PathLike[str], name: str = "--out") -> Path:
    """Check that ``value`` can be an output folder, before anything is written.

    Args:
        value: The folder (it need not exist yet).
        name: The parameter that gave it, for the message.

    Returns:
        ``value`` as a :class:`~pathlib.Path`.

    Raises:
        TypeError: If ``value`` is not a str or path.
        ValueError: If it is empty (``''`` would mean the current folder), an existing
            file, or lies below an existing file.

    Example:
        >>> from mdpo._paths import check_output_dir
        >>> check_output_dir("")
        Traceback (most recent call last):
        ...
        ValueError: --out must name a folder, got '' (use '.' for the current folder)
    """
    if not isinstance(value, str | os.PathLike):
        raise TypeError(f"{name} must be a folder path, got {type(value).__name__} {value!r}")
    text = os.fspath(value)
    if not isinstance(text, str) or not text.strip():
        raise ValueError(
            f"{name} must name a folder, got {text!r} (use '.' for the current folder)"
        )
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise ValueError(f"{name} {text!r} is an existing file, not a folder")
    for parent in path.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise ValueError(f"{name} {text!r} lies below {os.fspath(parent)!r}, a file")
            break
    return path
