"""``trust_remote_code`` is refused in every config unless the command line allows it.

A ``trust_remote_code: true`` anywhere in a train YAML or a suite (scorer kwargs, load
kwargs, model options) would let ``transformers`` import and run Python files from a model
folder. Configs are data and may come from anyone, so the permission must come from the
person running the command: ``--trust-remote-code``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["REMOTE_CODE_KEY", "check_remote_code", "find_remote_code"]

REMOTE_CODE_KEY = "trust_remote_code"
"""The keyword ``transformers`` and ``datasets`` read."""


def find_remote_code(data: Any, where: str = "") -> list[str]:
    """Key paths in a parsed config where ``trust_remote_code`` is set to a true value.

    Args:
        data: A parsed YAML/JSON value (mappings and lists are walked recursively).
        where: The path of ``data`` itself.

    Returns:
        The dotted key paths, in document order.

    Example:
        >>> from mdpo._remote_code import find_remote_code
        >>> find_remote_code({"dims": [{"scorer_kwargs": {"trust_remote_code": True}}]})
        ['dims[0].scorer_kwargs.trust_remote_code']
    """
    found: list[str] = []
    if isinstance(data, Mapping):
        for key, value in data.items():
            path = f"{where}.{key}" if where else str(key)
            if key == REMOTE_CODE_KEY and value not in (False, None):
                found.append(path)
            found += find_remote_code(value, path)
    elif isinstance(data, list | tuple):
        for i, value in enumerate(data):
            found += find_remote_code(value, f"{where}[{i}]")
    return found


def check_remote_code(data: Any, where: str, *, allowed: bool) -> None:
    """Refuse a config that asks for remote code unless ``allowed``.

    Args:
        data: The parsed config.
        where: What it is (a file name), for the message.
        allowed: Whether the command line said ``--trust-remote-code``.

    Raises:
        ValueError: Naming every key path that sets ``trust_remote_code``.
    """
    if allowed:
        return
    found = find_remote_code(data)
    if found:
        raise ValueError(
            f"{where} sets trust_remote_code at {', '.join(found)}: that runs Python code from "
            "a model or dataset folder, so it is refused unless the command line says "
            "--trust-remote-code (mdpo train/bench run) or the caller passes "
            "trust_remote_code=True"
        )
