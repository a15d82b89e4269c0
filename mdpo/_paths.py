"""Path containment: the one check behind every "refuse names that escape the folder" rule."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["resolve_inside"]


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
