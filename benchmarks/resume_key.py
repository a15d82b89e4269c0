"""The resume key of a finished (task, method, seed) part.

A part is reused by a re-run only when its key matches. The key hashes three things:

- the configuration, in a canonical form (JSON with sorted keys of the task, method and
  training settings and the seed), so reordering keys in a suite's YAML reuses the parts;
- the mdpo version;
- a fingerprint of the code that computes a part (tasks, methods, the training loop,
  adapters, aggregators, objectives, policies, evaluation; see :data:`PART_CODE`), taken
  over the syntax tree without docstrings and comments, so a change of behaviour
  recomputes the part and a reworded comment does not.

The metrics, the report and the plots are recomputed from the parts on every run and are
not part of the key.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any

from mdpo._version import __version__

__all__ = ["PART_CODE", "code_fingerprint", "config_digest", "resume_key", "stale_reason"]

PART_CODE = (
    ("mdpo.benchmarks", ("tasks", "methods", "config", "runner.py", "stats.py")),
    ("mdpo.aggregators", ("",)),
    ("mdpo.adapters", ("",)),
    (
        "mdpo",
        (
            "objectives",
            "training",
            "policies",
            "evaluation",
            "models",
            "data",
            "scorers",
            "preferences.py",
            "conditioning.py",
            "seeding.py",
        ),
    ),
)
"""``(package, paths inside it)`` whose Python sources make up :func:`code_fingerprint`
(``""``: the whole package)."""


def _canonical(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _canonical(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def config_digest(*items: Any) -> str:
    """A hash of configuration objects in canonical form (dataclasses as dicts, sorted keys).

    Args:
        *items: Dataclasses, mappings, lists and JSON scalars.

    Returns:
        16 hex digits.

    Example:
        >>> from mdpo.benchmarks.resume_key import config_digest
        >>> config_digest({"a": 1, "b": 2}) == config_digest({"b": 2, "a": 1})
        True
    """
    text = json.dumps(_canonical(list(items)), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _source_digest(path: Path) -> str:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            body[0] = ast.Pass()  # a docstring does not change behaviour
    return hashlib.sha256(ast.dump(tree).encode()).hexdigest()


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of the code that computes a part (:data:`PART_CODE`), without docstrings.

    Returns:
        16 hex digits, the same for as long as the code's syntax trees are the same.
    """
    digest = hashlib.sha256()
    for package, parts in PART_CODE:
        root = Path(str(resources.files(package)))
        files: list[Path] = []
        for part in parts:
            target = root / part if part else root
            if target.is_file():
                files.append(target)
            elif target.is_dir():
                files += sorted(p for p in target.rglob("*.py") if "__pycache__" not in p.parts)
        for path in sorted(set(files)):
            digest.update(f"{package}:{path.relative_to(root).as_posix()}\0".encode())
            digest.update(_source_digest(path).encode())
    return digest.hexdigest()[:16]


def resume_key(*config: Any) -> dict[str, str]:
    """The resume key of a part: config digest, mdpo version, code fingerprint and their hash.

    Args:
        *config: The objects that determine the part (task, method, training, seed).

    Returns:
        ``{"config", "mdpo", "code", "key"}``; ``key`` is what a part stores as
        ``config_hash`` and what a re-run compares.
    """
    parts = {"config": config_digest(*config), "mdpo": __version__, "code": code_fingerprint()}
    key = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]
    return {**parts, "key": key}


def stale_reason(stored: dict[str, Any], current: dict[str, str]) -> str:
    """Why a stored part's key differs from the current one, in words.

    Args:
        stored: The part as read from disk.
        current: :func:`resume_key` of the current run.

    Returns:
        For example ``"the code changed"``; ``"an older key format"`` for a part written
        before the key recorded its components.
    """
    old = stored.get("resume_key")
    if not isinstance(old, dict):
        return "an older key format"
    what = {"config": "the configuration", "mdpo": "the mdpo version", "code": "the code"}
    changed = [text for field, text in what.items() if old.get(field) != current[field]]
    return " and ".join(changed) + " changed" if changed else "its key differs"
