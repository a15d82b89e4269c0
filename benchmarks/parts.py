"""The finished parts of a suite run: where each lives, its resume key, JSON in and out.

Each finished (task, method, seed) is one JSON file ``DIR/parts/<task>/<method>/seed<k>.json``
(:func:`part_path`), written atomically and stamped with its resume key (:func:`part_key`).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import torch

from mdpo.benchmarks.config import (
    MethodConfig,
    SuiteConfig,
    TaskConfig,
    check_run_name,
    output_path,
)
from mdpo.benchmarks.resume_key import resume_key

__all__ = ["jsonable", "part_key", "part_path", "read_json", "write_json"]


def part_path(out_dir: Path, task: str, method: str, seed: int) -> Path:
    """Where one (task, method, seed) result lives; refuses names that escape ``out_dir``.

    Args:
        out_dir: The run directory.
        task: Task name.
        method: Method name.
        seed: Seed.

    Returns:
        ``out_dir/parts/<task>/<method>/seed<seed>.json`` (resolved).

    Raises:
        ValueError: If a name is not a safe file name.
    """
    check_run_name(task, "task name")
    check_run_name(method, "method name")
    return output_path(out_dir, "parts", task, method, f"seed{int(seed)}.json")


def part_key(task_cfg: TaskConfig, method: MethodConfig, suite: SuiteConfig, seed: int) -> Any:
    """The :func:`~mdpo.benchmarks.resume_key.resume_key` of one (task, method, seed).

    Args:
        task_cfg: The task.
        method: The method.
        suite: The suite (its training settings).
        seed: The seed.

    Returns:
        The key's components and ``"key"``, which a part stores as ``config_hash``.
    """
    return resume_key(task_cfg, method, suite.training, seed)


def jsonable(obj: Any) -> Any:
    """``obj`` with tensors and numpy scalars as lists and numbers, non-finite floats as None.

    Args:
        obj: Nested dicts, lists, tuples, tensors and scalars.

    Returns:
        The same structure of plain JSON values (dict keys as str).
    """
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, torch.Tensor):
        return jsonable(obj.tolist())
    if hasattr(obj, "item") and callable(obj.item):
        return jsonable(obj.item())
    return obj


def write_json(path: Path, data: Any) -> None:
    """Write :func:`jsonable` ``data`` to ``path`` atomically (its folder is created).

    Args:
        path: The file.
        data: What to write.
    """
    from mdpo._io import atomic_write_json

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(path, jsonable(data))


def read_json(path: Path) -> dict[str, Any] | None:
    """The JSON object in ``path``, or None when it is missing or unreadable.

    Args:
        path: The file.

    Returns:
        The parsed object, or None.
    """
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None
