"""Which checkpoints of a run folder can be resumed, and clearing a folder for ``--overwrite``.

The Trainer writes a checkpoint ``checkpoint-N`` file by file and ``trainer_state.json``
last, so a run killed while saving leaves a half-written folder. :func:`last_complete_checkpoint`
takes the newest checkpoint whose files are all there and readable, and warns about each
newer one it skips, instead of resuming from (or crashing on) a torn one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import warnings
from pathlib import Path

from mdpo._lock import LOCK_FILES

from .checkpoint import ADAPTER_WEIGHTS_FILE, MDPO_STATE_FILE

__all__ = ["checkpoint_problem", "clear_run_folder", "last_complete_checkpoint"]

_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
_REQUIRED = ("trainer_state.json", ADAPTER_WEIGHTS_FILE, "adapter_config.json", MDPO_STATE_FILE)


def checkpoint_problem(folder: str | os.PathLike[str]) -> str | None:
    """What makes a checkpoint folder unusable, or None when it is complete.

    Args:
        folder: A ``checkpoint-N`` folder.

    Returns:
        None, or a short reason (a missing file, an unreadable ``trainer_state.json``, a
        step that does not match N, unreadable adapter weights).
    """
    from mdpo.adapters._files import read_safetensors

    path = Path(folder)
    missing = [name for name in _REQUIRED if not (path / name).is_file()]
    if missing:
        return f"missing {', '.join(missing)}"
    try:
        state = json.loads((path / "trainer_state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        return f"unreadable trainer_state.json ({err})"
    match = _CHECKPOINT.match(path.name)
    step = state.get("global_step") if isinstance(state, dict) else None
    if match and step != int(match.group(1)):
        return f"trainer_state.json says step {step!r}, the folder name {match.group(1)}"
    try:
        read_safetensors(path / ADAPTER_WEIGHTS_FILE, f"checkpoint {os.fspath(path)!r}")
    except ValueError as err:
        return str(err)
    return None


def last_complete_checkpoint(checkpoints_dir: str | os.PathLike[str]) -> Path | None:
    """The newest complete ``checkpoint-N`` in a folder; newer incomplete ones are skipped.

    Args:
        checkpoints_dir: The Trainer's ``output_dir`` (``RUN_DIR/checkpoints``).

    Returns:
        The checkpoint folder, or None if there is no complete one.

    Warns:
        UserWarning: For each newer checkpoint skipped, with the reason.
    """
    root = Path(checkpoints_dir)
    if not root.is_dir():
        return None
    found = sorted(
        (int(m.group(1)), p)
        for p in root.iterdir()
        if p.is_dir() and (m := _CHECKPOINT.match(p.name))
    )
    for _, path in reversed(found):
        problem = checkpoint_problem(path)
        if problem is None:
            return path
        warnings.warn(
            f"skipping the incomplete checkpoint {os.fspath(path)!r}: {problem}",
            UserWarning,
            stacklevel=2,
        )
    return None


def clear_run_folder(run_dir: str | os.PathLike[str]) -> list[str]:
    """Remove everything a previous run left in ``run_dir`` (not the folder's lock).

    Args:
        run_dir: The run folder; nothing happens if it does not exist.

    Returns:
        The names removed.
    """
    root = Path(run_dir)
    if not root.is_dir():
        return []
    removed = []
    for entry in sorted(root.iterdir()):
        if entry.name in LOCK_FILES:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
        removed.append(entry.name)
    return removed
