"""The saved runs of the language-model tasks: their folders, adapters and ``run.json``.

Each (task, method, seed) is saved under ``<out>/runs/<task>/<method>/seed<k>/``
(:func:`run_dir_for`) with its adapters (``save_pretrained`` format, safetensors;
:func:`save_adapter`) and a ``run.json`` manifest (:func:`write_run`, through
:func:`mdpo.training.write_run_manifest`) that :func:`mdpo.policies.load_policy` and
``mdpo generate`` read. Its ``"method"`` is the layout the kind registered
(:mod:`mdpo.policies.loading` describes each):

- Panacea: ``"method": "panacea"``, ``"adapter_paths": {"adapter": "adapter"}``;
- RS / MOD: ``"method": "rs"`` / ``"mod"``, ``"experts": {dim: "experts/<dim>"}``;
- DPS and MODPO: ``"method": "dps"``, ``"grid": [[λ...], ...]``,
  ``"adapters": ["members/<k>", ...]`` (:func:`grid_fields`), ``"soup": "unmerged"``;
- prompt conditioning: ``"method": "lora"``, ``"conditioning": "prompt"``,
  ``"adapter_paths": {"adapter": "adapter"}``; a soft prompt has ``"conditioning":
  "soft_prompt"`` and ``"soft_prompt": "soft_prompt.safetensors"``.

Paths are relative to the run folder; the base model is ``base_model``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from mdpo.benchmarks.config import MethodConfig, check_run_name, output_path

__all__ = ["grid_fields", "run_dir_for", "save_adapter", "write_run"]


def run_dir_for(out_dir: str | os.PathLike[str], task: str, method: str, seed: int) -> Path:
    """The saved-run folder of one (task, method, seed), refusing names that escape ``out_dir``.

    Args:
        out_dir: The suite's output directory.
        task: Task name.
        method: Method name.
        seed: Seed.

    Returns:
        ``<out_dir>/runs/<task>/<method>/seed<seed>`` (resolved).

    Raises:
        ValueError: If a name is not a safe file name.

    Example:
        >>> from mdpo.benchmarks.methods.llm import run_dir_for
        >>> run_dir_for("out", "smollm2d", "rs", 0).parts[-4:]
        ('runs', 'smollm2d', 'rs', 'seed0')
    """
    check_run_name(task, "task name")
    check_run_name(method, "method name")
    return output_path(out_dir, "runs", task, method, f"seed{int(seed)}")


def save_adapter(model: Any, target: Path) -> None:
    """``model.save_pretrained`` into ``target`` atomically (:func:`mdpo._io.atomic_replace_dir`).

    A reader sees no half-written adapter folder: the folder appears complete or not at all
    (an older one at ``target`` is replaced).

    Args:
        model: A ``peft.PeftModel`` or :class:`mdpo.adapters.PanaceaModel`.
        target: The adapter folder.
    """
    from mdpo._io import atomic_replace_dir

    with atomic_replace_dir(target) as tmp:
        model.save_pretrained(os.fspath(tmp))


def grid_fields(grid: torch.Tensor, paths: list[str]) -> dict[str, Any]:
    """The ``run.json`` fields of a grid of per-λ adapters (the ``"dps"`` layout).

    Args:
        grid: ``[K, m]`` the members' preferences.
        paths: The K adapter paths, relative to the run folder.

    Returns:
        ``adapter_paths``, ``grid`` and ``adapters``.
    """
    return {
        "adapter_paths": {f"member{k}": p for k, p in enumerate(paths)},
        "grid": grid.tolist(),
        "adapters": list(paths),
    }


def write_run(
    run_dir: Path, task: Any, method: MethodConfig, *, seed: int, steps: int, fields: dict[str, Any]
) -> None:
    """Write a saved run's ``run.json``: the base model, the method and the kind's fields.

    Args:
        run_dir: The run folder (from :func:`run_dir_for`).
        task: The :class:`~mdpo.benchmarks.tasks.llm.LLMTask` (base model, dimensions).
        method: The method's config (its name and aggregator).
        seed: The training seed.
        steps: The optimizer steps of all its trained units.
        fields: The kind's fields, ``"method"`` (the layout) among them; they win over the
            common ones.
    """
    from mdpo.training import write_run_manifest

    write_run_manifest(
        run_dir,
        {
            "base_model": task.config.model,
            "base_model_description": task.model_description,
            "method": fields["method"],
            "method_name": method.name,
            "aggregator": method.aggregator,
            "dimension_names": task.dim_names,
            "seed": seed,
            "steps": steps,
            **fields,
        },
    )
