"""The ``mdpo train`` YAML config, validated into dataclasses (errors name the bad key).

The mapping is read by :func:`mdpo._dataclass_build.build_dataclass` (unknown and missing
keys, types, nested sections); each dataclass then checks its own values. A dimension's
``objective`` is any name of :func:`mdpo.objectives.available_objectives` (the former
constant ``OBJECTIVE_KINDS`` still reads them).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mdpo._dataclass_build import build_dataclass
from mdpo._numbers import check_finite_tree
from mdpo._remote_code import check_remote_code

__all__ = [
    "METHODS",
    "AdapterSpec",
    "DimensionSpec",
    "ModelSpec",
    "TrainRunConfig",
    "load_run_config",
]

METHODS = ("panacea", "lora")
"""``panacea``: one Panacea adapter over sampled λ; ``lora``: a plain peft LoRA, trained at
``training.fixed_preference`` or with ``conditioning: prompt``."""

_DTYPES = ("float32", "bfloat16", "float16")


@dataclasses.dataclass
class ModelSpec:
    """The base model.

    Args:
        name_or_path: ``"smollm2"`` (the bundled SmolLM2-135M-Instruct) or a local folder,
            loaded with :func:`mdpo.models.load_causal_lm`.
        dtype: ``"float32"``, ``"bfloat16"`` or ``"float16"``.
    """

    name_or_path: str = "smollm2"
    dtype: str = "float32"

    def __post_init__(self) -> None:
        _check_str("model.name_or_path", self.name_or_path)
        if self.dtype not in _DTYPES:
            raise ValueError(f"model.dtype must be one of {_DTYPES}, got {self.dtype!r}")


@dataclasses.dataclass
class DimensionSpec:
    """One component of the objective: one dimension (or several sharing paired data).

    Args:
        name: The dimension name, or a list of names for paired multi-dimension DPO data
            (one label column per name, see ``label_columns``).
        objective: A registered objective name (:func:`mdpo.objectives.register_objective`):
            ``"dpo"``, ``"sft"``, ``"rlhf"``, ``"modpo"`` or one of your own.
        data: The dataset, in any TRL format (:mod:`mdpo.data.formats`): a local folder
            (``Dataset.save_to_disk``, or data files), a ``.json``/``.jsonl``/``.parquet``/
            ``.csv`` file, or a Hub dataset name (:func:`mdpo.data.sources.load_data_source`).
            Relative paths are read from the config file's folder. For RLHF, the prompt set.
        split: The split of a ``DatasetDict`` folder or a Hub dataset.
        eval_data: Optional held-out data of this component (same forms), evaluated at
            every evaluation (``training.eval_strategy``/``eval_steps``).
        eval_split: The split of ``eval_data``.
        scorer: Objectives that train on a scorer (``rlhf``) only: a
            :func:`mdpo.scorers.get_scorer` key.
        scorer_kwargs: Keyword arguments of the scorer.
        label_columns: Objectives for paired data (``dpo``, ``modpo``) only:
            ``{dimension: label column}``.
        kwargs: Further keyword arguments of the objective (``beta``, ``max_length``, ...).
    """

    name: str | list[str]
    objective: str
    data: str | None = None
    split: str = "train"
    eval_data: str | None = None
    eval_split: str = "train"
    scorer: str | None = None
    scorer_kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)
    label_columns: dict[str, str] | None = None
    kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        """The dimension names of this component."""
        return [self.name] if isinstance(self.name, str) else list(self.name)

    def __post_init__(self) -> None:
        from mdpo.objectives import available_objectives, objective_spec

        names = self.name if isinstance(self.name, list) else [self.name]
        if not names or not all(isinstance(n, str) and n for n in names):
            raise ValueError(
                f"dimensions[].name must be a non-empty str or list of str, got {self.name!r}"
            )
        where = f"dimensions[{self.name!r}]"
        allowed = available_objectives()
        if not isinstance(self.objective, str) or self.objective not in allowed:
            raise ValueError(f"{where}.objective must be one of {allowed}, got {self.objective!r}")
        spec = objective_spec(self.objective)
        if self.data is None:
            raise ValueError(
                f"{where}.data is required: a dataset folder or a .json/.jsonl file (for an "
                "objective that trains on a scorer, such as rlhf, the prompts)"
            )
        _check_str(f"{where}.data", self.data)
        for key in ("split", "eval_split"):
            _check_str(f"{where}.{key}", getattr(self, key))
        if self.eval_data is not None:
            _check_str(f"{where}.eval_data", self.eval_data)
        if spec.scorer:
            _check_str(f"{where}.scorer", self.scorer)
        elif self.scorer is not None:
            raise ValueError(
                f"{where}.scorer is only used by objectives that train on a scorer "
                f"({_objectives_where('scorer')}), got scorer={self.scorer!r} with objective "
                f"{self.objective!r}"
            )
        if not spec.paired and (len(names) > 1 or self.label_columns is not None):
            raise ValueError(
                f"{where}: several names in one component, and label_columns, need an "
                f"objective for paired data ({_objectives_where('paired')}), got "
                f"{self.objective!r}"
            )
        for field_name in ("scorer_kwargs", "kwargs"):
            _check_mapping(f"{where}.{field_name}", getattr(self, field_name))
        if self.label_columns is not None:
            _check_mapping(f"{where}.label_columns", self.label_columns)


def _objectives_where(flag: str) -> str:
    """The registered objectives whose :class:`~mdpo.objectives.ObjectiveSpec` has ``flag``."""
    from mdpo.objectives import available_objectives, objective_spec

    return ", ".join(n for n in available_objectives() if getattr(objective_spec(n), flag))


def __getattr__(name: str) -> Any:
    if name == "OBJECTIVE_KINDS":  # the constant of earlier versions: the registered names
        from mdpo.objectives import available_objectives

        return tuple(available_objectives())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_FROM_DIMENSIONS = ("n_dims",)
"""PanaceaConfig fields a run config does not take: they come from its dimensions."""

_LORA_FIELDS = ("r", "target_modules", "lora_alpha", "lora_dropout")
"""The adapter fields ``method: lora`` reads (the others are Panacea's own)."""


def _adapter_spec() -> type:
    """:class:`AdapterSpec`: one optional field per :class:`~mdpo.adapters.PanaceaConfig` field.

    Derived from PanaceaConfig's dataclass fields, so a field added there is accepted in
    ``adapter:`` at once. Every field defaults to None (PanaceaConfig's own default) except
    ``r``, ``mdpo train``'s rank 8 (also the LoRA rank of ``method: lora``).
    """
    from mdpo.adapters.config import PanaceaConfig

    fields: list[Any] = []
    for f in dataclasses.fields(PanaceaConfig):
        if f.name in _FROM_DIMENSIONS:
            continue
        if f.name == "r":
            fields.append(("r", "int", dataclasses.field(default=8)))
        else:
            kind = f.type if "None" in str(f.type) else f"{f.type} | None"
            fields.append((f.name, kind, dataclasses.field(default=None)))

    def panacea_kwargs(self: Any, n_dims: int) -> dict[str, Any]:
        """The :class:`~mdpo.adapters.PanaceaConfig` arguments: the fields set, and ``n_dims``.

        Args:
            n_dims: The number m of dimensions.

        Returns:
            Keyword arguments (unset fields are left to PanaceaConfig's defaults).
        """
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return {"n_dims": n_dims, **{k: v for k, v in values.items() if v is not None}}

    doc = """The adapter: every :class:`mdpo.adapters.PanaceaConfig` field but ``n_dims``.

    ``n_dims`` comes from the dimensions. Unset fields (None) take PanaceaConfig's defaults,
    except ``r``, 8 by default. For ``method: lora`` the fields ``r`` (the LoRA rank),
    ``target_modules``, ``lora_alpha`` (None: ``r``) and ``lora_dropout`` apply; the
    Panacea-only ones are refused there.

    Args:
        r: Panacea's k (learned singular values) or the LoRA rank.
        target_modules: Module names or a regex; None = every attention and MLP linear.
        lora_alpha: Scale numerator (None: a scaling of 1).
        lora_dropout: Dropout on the adapter input.
        init_scale: Panacea only: std of U and V at init (``init: svd``).
        init: Panacea only: ``svd`` or ``lora``.
        pref_rank: Panacea only: singular vectors per preference dimension.
    """
    return dataclasses.make_dataclass(
        "AdapterSpec",
        fields,
        namespace={"__doc__": doc, "__module__": __name__, "panacea_kwargs": panacea_kwargs},
    )


AdapterSpec = _adapter_spec()


@dataclasses.dataclass
class TrainRunConfig:
    """A whole ``mdpo train`` run.

    Args:
        model: The base model.
        dimensions: The components (at least one).
        output_dir: Root folder of runs.
        run_name: The run's folder inside ``output_dir`` (must not escape it).
        method: ``"panacea"`` or ``"lora"``.
        conditioning: ``"adapter"`` (Panacea's default), ``"prompt"`` (RiC-style) or
            ``"none"`` (one fixed λ).
        aggregator: Aggregator name; ``aggregator_kwargs`` its arguments.
        aggregator_kwargs: See ``aggregator``.
        normalize: ``None``, ``"running"`` or ``{dimension: scale}`` for the objective.
        adapter: The adapter configuration.
        training: :class:`mdpo.training.MDPOConfig` fields (``output_dir`` is set by the
            run; ``aggregator``, ``dim_names`` and ``seed`` come from this config).
        seed: Seed of λ draws, data draws and initialisation.
    """

    model: ModelSpec
    dimensions: list[DimensionSpec]
    output_dir: str = "runs"
    run_name: str = "train"
    method: str = "panacea"
    conditioning: str | None = None
    aggregator: str = "ls"
    aggregator_kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)
    normalize: Any = None
    adapter: AdapterSpec = dataclasses.field(default_factory=AdapterSpec)
    training: dict[str, Any] = dataclasses.field(default_factory=dict)
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.dimensions:
            raise ValueError("dimensions must list at least one dimension")
        names = [n for d in self.dimensions for n in d.names]
        if len(set(names)) != len(names):
            raise ValueError(f"dimension names must be unique, got {names}")
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {self.method!r}")
        allowed = (None, "adapter", "prompt", "none")
        if self.conditioning not in allowed:
            raise ValueError(f"conditioning must be one of {allowed}, got {self.conditioning!r}")
        _check_str("output_dir", self.output_dir)
        _check_str("run_name", self.run_name)
        _check_mapping("aggregator_kwargs", self.aggregator_kwargs)
        _check_mapping("training", self.training)
        for key in ("output_dir", "aggregator", "aggregator_kwargs", "dim_names", "seed"):
            if key in self.training:
                raise ValueError(
                    f"training.{key} is set by the run config itself; move it to the top level"
                    if key != "dim_names"
                    else "training.dim_names comes from dimensions; remove it"
                )
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise TypeError(f"seed must be an int, got {self.seed!r}")
        self._check_adapter()

    def _check_adapter(self) -> None:
        """Validate ``adapter`` now (PanaceaConfig's checks), not when the model is built."""
        spec = self.adapter
        if self.method == "lora":
            extra = [
                f.name
                for f in dataclasses.fields(spec)
                if f.name not in _LORA_FIELDS and getattr(spec, f.name) is not None
            ]
            if extra:
                raise ValueError(
                    f"adapter fields {extra} apply to method 'panacea' only; method 'lora' "
                    f"reads {list(_LORA_FIELDS)}"
                )
        from mdpo.adapters.config import PanaceaConfig

        try:
            PanaceaConfig(**spec.panacea_kwargs(len(self.dim_names)))
        except (TypeError, ValueError) as err:
            raise type(err)(f"adapter: {err}") from None

    @property
    def dim_names(self) -> list[str]:
        """All dimension names, in component order."""
        return [n for d in self.dimensions for n in d.names]

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, trust_remote_code: bool = False
    ) -> TrainRunConfig:
        """Validate a parsed YAML mapping.

        Args:
            data: The mapping.
            trust_remote_code: Accept ``trust_remote_code: true`` anywhere in the config
                (e.g. a reward-model scorer's ``scorer_kwargs``); refused by default, the
                command line's ``--trust-remote-code`` sets it.

        Returns:
            The config.

        Raises:
            ValueError: Naming an unknown or missing key, or a bad value.
            TypeError: On a value of the wrong type.

        Example:
            >>> from mdpo.training import TrainRunConfig
            >>> cfg = TrainRunConfig.from_dict({
            ...     "model": "smollm2",
            ...     "dimensions": [{"name": "concise", "objective": "sft", "data": "d.jsonl"}],
            ... })
            >>> cfg.model.name_or_path, cfg.dim_names
            ('smollm2', ['concise'])
            >>> TrainRunConfig.from_dict({"modle": "smollm2"})  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            ValueError: unknown key 'modle' in the run config; allowed keys: adapter, ...
        """
        if isinstance(data, Mapping):
            for key, value in data.items():
                check_finite_tree(value, str(key))
            check_remote_code(data, "the run config", allowed=trust_remote_code)
            model = data.get("model", "smollm2")
            data = {
                **data,
                "model": {"name_or_path": model} if isinstance(model, str) else model,
                "adapter": data.get("adapter") or {},
            }
        return build_dataclass(cls, data, "the run config")


def load_run_config(
    path: str | os.PathLike[str], *, trust_remote_code: bool = False
) -> TrainRunConfig:
    """Read a YAML run config with ``yaml.safe_load`` and validate it.

    Relative ``data`` and ``eval_data`` paths are resolved against the config file's
    folder; a name that is no file there and has no data-file suffix is kept as it is, a
    Hub dataset name.

    Args:
        path: The YAML file.
        trust_remote_code: Accept ``trust_remote_code: true`` in the config (the command
            line's ``--trust-remote-code``); refused by default.

    Returns:
        The validated config.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If it is not valid YAML, not a mapping, or fails validation.
    """
    import yaml

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"run config {os.fspath(path)!r} does not exist or is not a file")
    try:
        with path.open(encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except yaml.YAMLError as err:
        raise ValueError(f"{os.fspath(path)} is not valid YAML: {err}") from err
    except UnicodeDecodeError as err:
        raise ValueError(f"{os.fspath(path)} is not UTF-8 text: {err}") from err
    if not isinstance(data, dict):
        raise ValueError(f"{path} must hold a YAML mapping, got {type(data).__name__}")
    cfg = TrainRunConfig.from_dict(data, trust_remote_code=trust_remote_code)
    base = path.resolve().parent
    for dim in cfg.dimensions:
        dim.data = _resolve_source(base, dim.data)
        dim.eval_data = _resolve_source(base, dim.eval_data)
    return cfg


def _resolve_source(base: Path, source: str | None) -> str | None:
    from mdpo.data.sources import is_data_file

    if source is None or os.path.isabs(source):
        return source
    local = base / source
    if local.exists() or is_data_file(source) or source.startswith("."):
        return os.fspath(local)
    return source  # a Hub dataset name


def _check_str(name: str, value: Any) -> None:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty str, got {value!r}")


def _check_mapping(name: str, value: Any) -> None:
    if not isinstance(value, Mapping):
        raise ValueError(f"{name} must be a mapping, got {type(value).__name__} {value!r:.80}")
