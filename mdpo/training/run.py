"""Run a :class:`~mdpo.training.TrainRunConfig`: build everything, train, write the run folder."""

from __future__ import annotations

import json
import os
from importlib import metadata
from pathlib import Path
from typing import Any

from mdpo._io import atomic_write
from mdpo._paths import resolve_inside

from .run_config import DimensionSpec, TrainRunConfig

__all__ = [
    "RUN_MANIFEST",
    "build_objective",
    "load_local_dataset",
    "package_versions",
    "resolve_run_dir",
    "run_training",
    "write_run_manifest",
]

RUN_MANIFEST = "run.json"
"""The manifest every saved run carries (see the conventions page of the docs)."""

_VERSIONED = ("mdpo", "torch", "transformers", "peft", "accelerate", "datasets")


def resolve_run_dir(output_dir: str | os.PathLike[str], run_name: str) -> Path:
    """``output_dir / run_name``, refusing names that escape ``output_dir``.

    Args:
        output_dir: The root folder of runs.
        run_name: A relative folder name (may contain subfolders).

    Returns:
        The resolved run folder (not created).

    Raises:
        ValueError: If ``run_name`` is absolute, empty, or resolves outside ``output_dir``.

    Example:
        >>> from mdpo.training import resolve_run_dir
        >>> resolve_run_dir("/tmp/runs", "a/b").as_posix()
        '/tmp/runs/a/b'
        >>> resolve_run_dir("/tmp/runs", "../etc")
        Traceback (most recent call last):
        ...
        ValueError: run_name '../etc' escapes output_dir '/tmp/runs'; use a relative name inside it
    """
    root = Path(output_dir).resolve()
    if not run_name or os.path.isabs(run_name):
        raise ValueError(
            f"run_name must be a non-empty relative name inside output_dir, got {run_name!r}"
        )
    target = resolve_inside(root, run_name)
    if target is None:
        raise ValueError(
            f"run_name {run_name!r} escapes output_dir {os.fspath(output_dir)!r}; "
            "use a relative name inside it"
        )
    return target


def load_local_dataset(path: str | os.PathLike[str], *, split: str = "train") -> Any:
    """A run's dataset: a local folder or file, or a Hub dataset name.

    See :func:`mdpo.data.sources.load_data_source`: a ``save_to_disk`` folder (or any
    folder of data files), a ``.json``/``.jsonl``/``.parquet``/``.csv`` file, or a Hub name
    read with :func:`datasets.load_dataset`.

    Args:
        path: The folder, file or Hub name.
        split: The split of a ``DatasetDict`` folder or a Hub dataset.

    Returns:
        A :class:`datasets.Dataset`.

    Raises:
        FileNotFoundError: If a data file does not exist.
        ValueError: If it is a file of another type, or the split or Hub dataset is missing.
    """
    from mdpo.data.sources import load_data_source

    return load_data_source(path, split=split, name="dataset")


def build_objective(cfg: TrainRunConfig) -> Any:
    """The :class:`~mdpo.objectives.MultiObjective` a run config describes.

    Args:
        cfg: The run config.

    Returns:
        The objective, components in config order.
    """
    from mdpo.objectives import MultiObjective

    components = [_component(dim) for dim in cfg.dimensions]
    return MultiObjective(components, normalize=cfg.normalize, seed=cfg.seed)


def build_eval_datasets(cfg: TrainRunConfig) -> dict[str, Any] | None:
    """The held-out data of the dimensions that name ``eval_data``, by component key.

    Args:
        cfg: The run config.

    Returns:
        ``{component key: dataset}`` (the key is the dimension names joined by ``+``), or
        None when no dimension has eval data.
    """
    from mdpo.data.sources import load_data_source

    out = {
        "+".join(dim.names): load_data_source(
            dim.eval_data, split=dim.eval_split, name=f"dimensions[{dim.name!r}].eval_data"
        )
        for dim in cfg.dimensions
        if dim.eval_data is not None
    }
    return out or None


def _component(dim: DimensionSpec) -> tuple[Any, Any, Any]:
    from mdpo.data.sources import load_data_source
    from mdpo.objectives import make_objective
    from mdpo.scorers import get_scorer

    data = load_data_source(dim.data, split=dim.split, name=f"dimensions[{dim.name!r}].data")
    scorer = None if dim.scorer is None else get_scorer(dim.scorer, **dim.scorer_kwargs)
    objective = make_objective(
        dim.objective, dim.names, scorers=scorer, label_columns=dim.label_columns, **dim.kwargs
    )
    return (dim.names, objective, data)


def _dtype(name: str) -> Any:
    import torch

    return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[name]


def _adapt(model: Any, cfg: TrainRunConfig, m: int) -> Any:
    spec = cfg.adapter
    if cfg.method == "panacea":
        from mdpo.adapters import PanaceaConfig, get_panacea_model

        return get_panacea_model(model, PanaceaConfig(**spec.panacea_kwargs(m)))
    from peft import LoraConfig, get_peft_model

    from mdpo.adapters import default_target_modules

    targets = spec.target_modules or default_target_modules(model)
    lora = LoraConfig(
        r=spec.r,
        lora_alpha=spec.lora_alpha if spec.lora_alpha is not None else spec.r,
        lora_dropout=spec.lora_dropout if spec.lora_dropout is not None else 0.0,
        target_modules=targets,
    )
    return get_peft_model(model, lora)


def _conditioning(cfg: TrainRunConfig) -> Any:
    from mdpo import conditioning

    if cfg.conditioning is None:
        return None
    if cfg.conditioning == "adapter":
        return conditioning.AdapterConditioning()
    if cfg.conditioning == "prompt":
        return conditioning.PromptConditioning(cfg.dim_names)
    return conditioning.NoConditioning()


def run_training(
    cfg: TrainRunConfig,
    *,
    overwrite: bool = False,
    resume: bool = False,
    lock_timeout: float = 0.0,
) -> Path:
    """Train as ``cfg`` says and write the run folder.

    The folder ``output_dir/run_name`` holds ``adapter/`` (the trained adapter, loadable
    with :meth:`mdpo.adapters.PanaceaModel.from_pretrained` or peft), ``checkpoints/``
    (Trainer checkpoints, if any were saved), ``config.json`` (the validated config) and
    ``run.json`` (base model, method, dimension names, adapter paths, the conditioning and
    fixed preference when set, package versions). The folder is locked while the run writes
    it (:func:`mdpo._lock.folder_lock`): a second run into it is refused, naming the holder.

    Args:
        cfg: The validated config.
        overwrite: Allow an existing, non-empty run folder: everything the old run left
            (checkpoints included) is removed first.
        resume: Continue an interrupted run from its newest complete checkpoint
            (:func:`mdpo.training.resume.last_complete_checkpoint`; half-written ones are
            skipped with a warning); from the start when there is none.
        lock_timeout: Seconds to wait for a run folder another process writes.

    Returns:
        The run folder.

    Raises:
        FileExistsError: If the run folder exists and is not empty (without ``overwrite``
            or ``resume``).
        FileNotFoundError: If ``model.name_or_path`` is a path that does not exist.
        ValueError: If both ``overwrite`` and ``resume`` are set, or ``output_dir`` cannot
            be a folder.
        mdpo._lock.FolderBusyError: If another process writes the run folder.
    """
    from mdpo._lock import LOCK_FILES, folder_lock
    from mdpo._paths import check_output_dir

    from .resume import clear_run_folder, last_complete_checkpoint

    if overwrite and resume:
        raise ValueError(
            "overwrite and resume exclude each other: choose one (--overwrite or --resume)"
        )
    check_output_dir(cfg.output_dir, "output_dir")
    run_dir = resolve_run_dir(cfg.output_dir, cfg.run_name)
    _check_model_path(cfg.model.name_or_path)
    with folder_lock(run_dir, f"mdpo train {cfg.run_name}", timeout=lock_timeout):
        leftover = [p.name for p in run_dir.iterdir() if p.name not in LOCK_FILES]
        if leftover and not (overwrite or resume):
            raise FileExistsError(
                f"run folder {os.fspath(run_dir)!r} exists and is not empty; choose another "
                "run_name, pass --overwrite (removes the old run) or --resume"
            )
        if overwrite:
            clear_run_folder(run_dir)
        checkpoint = last_complete_checkpoint(run_dir / "checkpoints") if resume else None
        return _train(cfg, run_dir, checkpoint)


def _check_model_path(name: str) -> None:
    """Refuse a model path that does not exist (a hub name ``org/model`` is left to load)."""
    from mdpo.models.smollm import is_smollm2_name

    if is_smollm2_name(name) or os.path.isdir(name):
        return
    looks_like_path = (
        os.path.isabs(name)
        or name.startswith(("./", "../", "~"))
        or name.count("/") > 1
        or os.path.exists(name)
    )
    if looks_like_path:
        raise FileNotFoundError(
            f"model.name_or_path {name!r} is not a model folder (it does not exist or is not "
            "a folder); give a folder written by save_pretrained, or 'smollm2'"
        )


def _train(cfg: TrainRunConfig, run_dir: Path, checkpoint: Path | None) -> Path:
    from mdpo.models import load_causal_lm

    from .config import MDPOConfig
    from .trainer import MDPOTrainer

    objective = build_objective(cfg)
    model, tokenizer = load_causal_lm(cfg.model.name_or_path, dtype=_dtype(cfg.model.dtype))
    from transformers import set_seed

    set_seed(cfg.seed)  # the adapter's initialisation: the same run twice is the same run
    model = _adapt(model, cfg, objective.n_dims)
    args = MDPOConfig(
        output_dir=os.fspath(run_dir / "checkpoints"),
        seed=cfg.seed,
        aggregator=cfg.aggregator,
        aggregator_kwargs=dict(cfg.aggregator_kwargs),
        dim_names=cfg.dim_names,
        **cfg.training,
    )
    trainer = MDPOTrainer(
        model,
        args,
        objective,
        eval_dataset=build_eval_datasets(cfg),
        processing_class=tokenizer,
        conditioning=_conditioning(cfg),
    )
    result = trainer.train(
        resume_from_checkpoint=None if checkpoint is None else os.fspath(checkpoint)
    )
    adapter_dir = run_dir / "adapter"
    trainer.save_model(os.fspath(adapter_dir))
    _atomic_write_json(run_dir / "config.json", _config_dict(cfg))
    fields: dict[str, Any] = {
        "base_model": cfg.model.name_or_path,
        "method": cfg.method,
        "aggregator": cfg.aggregator,
        "dimension_names": cfg.dim_names,
        "adapter_paths": {"adapter": "adapter"},
        "global_step": int(result.global_step),
        "training_loss": float(result.training_loss),
        "ideal": trainer.ideal_tracker.value.tolist(),
    }
    # What load_policy needs to rebuild the policy, so run.json alone suffices.
    if cfg.conditioning is not None:
        fields["conditioning"] = cfg.conditioning
    if cfg.training.get("fixed_preference") is not None:
        fields["fixed_preference"] = list(cfg.training["fixed_preference"])
    write_run_manifest(run_dir, fields)
    return run_dir


def package_versions() -> dict[str, str | None]:
    """Installed versions of mdpo and the libraries a run depends on.

    Returns:
        ``{package: version or None}``.
    """
    out: dict[str, str | None] = {}
    for name in _VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def write_run_manifest(run_dir: str | os.PathLike[str], fields: dict[str, Any]) -> Path:
    """Atomically write ``run.json``: the given fields plus ``format_version`` and versions.

    Args:
        run_dir: The run folder.
        fields: At least ``base_model``, ``method``, ``dimension_names``, ``adapter_paths``.

    Returns:
        The manifest's path.

    Raises:
        ValueError: If a required field is missing.
    """
    required = ("base_model", "method", "dimension_names", "adapter_paths")
    missing = [k for k in required if k not in fields]
    if missing:
        raise ValueError(f"run manifest is missing fields {missing}")
    from mdpo.policies.loading import RUN_FORMAT_VERSION

    manifest = {
        "format_version": RUN_FORMAT_VERSION,
        **fields,
        "package_versions": package_versions(),
    }
    path = Path(run_dir) / RUN_MANIFEST
    _atomic_write_json(path, manifest)
    return path


def _config_dict(cfg: TrainRunConfig) -> dict[str, Any]:
    import dataclasses

    return dataclasses.asdict(cfg)


def _atomic_write_json(path: Path, data: Any) -> None:
    text = json.dumps(data, indent=2, sort_keys=True, default=str) + "\n"
    atomic_write(path, lambda fh: fh.write(text), binary=False)
