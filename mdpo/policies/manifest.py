"""The ``run.json`` manifest of a saved run: :class:`RunManifest` and :func:`read_run_manifest`.

:mod:`mdpo.policies.loading` describes the fields and rebuilds the policy a manifest names.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mdpo._paths import resolve_inside

__all__ = ["MANIFEST_FILE", "RUN_FORMAT_VERSION", "RunManifest", "read_run_manifest"]

MANIFEST_FILE = "run.json"
"""The manifest's file name in a run folder."""

_MANIFEST = MANIFEST_FILE
_WEIGHTS = "adapter_model.safetensors"

RUN_FORMAT_VERSION = 1
"""The newest ``run.json`` ``format_version`` this mdpo reads (a manifest without one is 1)."""


class RunManifest:
    """A validated ``run.json`` (see the module docstring for the layout).

    Build it with :func:`read_run_manifest`.

    Args:
        run_dir: The run folder (resolved).
        data: The parsed manifest.
        config: The run's ``config.json`` when present, else an empty mapping.

    Attributes:
        run_dir: The run folder.
        data: The raw manifest mapping.
        base_model: ``"smollm2"`` or a model folder.
        method: One of :func:`policy_layouts`.
        dim_names: The m dimension names.
    """

    def __init__(self, run_dir: Path, data: Mapping[str, Any], config: Mapping[str, Any]):
        self.run_dir = run_dir
        self.data = dict(data)
        self._config = dict(config)
        where = f"{os.fspath(run_dir / _MANIFEST)}"
        version = data.get("format_version", 1)
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise ValueError(
                f"{where}: format_version must be a positive int (this mdpo reads "
                f"1 to {RUN_FORMAT_VERSION}), got {version!r}"
            )
        if version > RUN_FORMAT_VERSION:
            raise ValueError(
                f"{where} uses format_version {version}, newer than the {RUN_FORMAT_VERSION} "
                "this mdpo reads; upgrade mdpo to load this run"
            )
        for key in ("base_model", "method", "dimension_names"):
            if key not in data:
                raise ValueError(
                    f"{where} is missing the field {key!r}; a run manifest needs base_model, "
                    "method and dimension_names"
                )
        base = data["base_model"]
        if not isinstance(base, str) or not base:
            raise ValueError(f"{where}: base_model must be a non-empty str, got {base!r}")
        self.base_model: str = base
        method = data["method"]
        from .loading import policy_layouts

        if method not in policy_layouts():
            raise ValueError(
                f"{where}: method must be one of {tuple(policy_layouts())}, got {method!r}"
            )
        self.method: str = method
        names = data["dimension_names"]
        if (
            not isinstance(names, list)
            or not names
            or not all(isinstance(n, str) and n for n in names)
            or len(set(names)) != len(names)
        ):
            raise ValueError(
                f"{where}: dimension_names must be a non-empty list of distinct str, got {names!r}"
            )
        self.dim_names: list[str] = list(names)

    @property
    def n_dims(self) -> int:
        """Number m of dimensions."""
        return len(self.dim_names)

    def setting(self, key: str, config_path: Sequence[str]) -> Any:
        """A field of the manifest, else of ``config.json`` at ``config_path``, else None.

        Args:
            key: The manifest field.
            config_path: Keys leading to the same setting in ``config.json``.

        Returns:
            The value, or None.
        """
        if key in self.data:
            return self.data[key]
        node: Any = self._config
        for part in config_path:
            if not isinstance(node, Mapping) or part not in node:
                return None
            node = node[part]
        return node

    def _inside(self, path: Any, field: str, *, allow_root: bool, what: str) -> Path:
        """``path`` of the manifest field ``field`` resolved inside the run folder.

        Raises:
            ValueError: If the path is not a relative str or escapes the run folder (the
                message says ``what`` must stay inside it).
        """
        where = os.fspath(self.run_dir / _MANIFEST)
        if not isinstance(path, str) or not path or os.path.isabs(path):
            raise ValueError(
                f"{where}: {field} must be a path relative to the run folder, got {path!r}"
            )
        target = resolve_inside(self.run_dir, path, allow_root=allow_root)
        if target is None:
            raise ValueError(
                f"{where}: {field} = {path!r} escapes the run folder {os.fspath(self.run_dir)!r}; "
                f"{what} must stay inside it"
            )
        return target

    def adapter_dir(self, path: Any, field: str) -> Path:
        """Resolve an adapter path of the manifest inside the run folder.

        Args:
            path: The relative path as written in the manifest.
            field: The manifest field it came from (for messages).

        Returns:
            The adapter folder, which holds ``adapter_config.json`` and
            ``adapter_model.safetensors``.

        Raises:
            ValueError: If the path is not a relative str, escapes the run folder, or the
                folder lacks its config or safetensors weights.
        """
        where = os.fspath(self.run_dir / _MANIFEST)
        target = self._inside(path, field, allow_root=True, what="adapter paths")
        if not (target / "adapter_config.json").is_file():
            raise ValueError(
                f"{where}: {field} = {path!r} is not an adapter folder (no adapter_config.json "
                f"in {os.fspath(target)!r})"
            )
        if not (target / _WEIGHTS).is_file():
            raise ValueError(
                f"{where}: {field} = {path!r} has no {_WEIGHTS}; only safetensors weights are "
                "loaded (a pickled adapter_model.bin is refused)"
            )
        return target

    def file(self, path: Any, field: str) -> Path:
        """Resolve the file ``path`` of the manifest field ``field`` inside the run folder.

        Returns:
            The file.

        Raises:
            ValueError: If the path is not a relative str, escapes the run folder, or is not
                a file.
        """
        target = self._inside(path, field, allow_root=False, what="file paths")
        if not target.is_file():
            raise ValueError(
                f"{os.fspath(self.run_dir / _MANIFEST)}: {field} = {path!r} is not a file in "
                "the run folder"
            )
        return target


def read_run_manifest(run_dir: str | os.PathLike[str]) -> RunManifest:
    """Read and validate ``RUN_DIR/run.json`` (and ``config.json`` when present).

    Args:
        run_dir: A folder written by ``mdpo train`` or the benchmark.

    Returns:
        The validated manifest.

    Raises:
        ValueError: If the folder does not exist, has no ``run.json``, or the manifest is not
            valid JSON or lacks a required field (the message names it).

    Example:
        >>> import json, tempfile
        >>> from mdpo.policies import read_run_manifest
        >>> with tempfile.TemporaryDirectory() as d:
        ...     _ = open(f"{d}/run.json", "w").write(json.dumps(
        ...         {"base_model": "smollm2", "method": "panacea",
        ...          "dimension_names": ["helpful", "concise"]}))
        ...     manifest = read_run_manifest(d)
        >>> manifest.method, manifest.dim_names
        ('panacea', ['helpful', 'concise'])
    """
    root = Path(run_dir)
    if not root.is_dir():
        raise ValueError(f"run folder {os.fspath(run_dir)!r} does not exist or is not a folder")
    root = root.resolve()
    path = root / _MANIFEST
    if not path.is_file():
        raise ValueError(
            f"{os.fspath(run_dir)!r} is not a run folder: it has no {_MANIFEST} "
            "(written by `mdpo train` or the benchmark)"
        )
    data = _read_json(path)
    if not isinstance(data, dict):
        raise ValueError(f"{os.fspath(path)!r} must hold a JSON object, got {type(data).__name__}")
    config = _read_json(root / "config.json") if (root / "config.json").is_file() else {}
    return RunManifest(root, data, config if isinstance(config, dict) else {})


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"{os.fspath(path)!r} is not valid JSON: {err}") from err
