"""Suite configuration: YAML read with ``yaml.safe_load`` and validated into dataclasses.

A suite names tasks, methods, training budgets, evaluation preferences and seeds::

    name: quick
    seeds: [0, 1, 2]
    training: {steps: 400, lr: 0.01, pref_batch: 16, vertex_prob: 0.3}
    tasks:
      - {name: bandit2, kind: bandit, params: {n_dims: 2}, eval_partitions: 50}

Methods:
      - {name: panacea-ls, kind: panacea, aggregator: ls}
      - {name: rs, kind: rs}

Every unknown key is refused with a message naming it and listing the allowed ones.
"""

from __future__ import annotations

import dataclasses
import re
import textwrap
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from mdpo._grid import check_grid_size
from mdpo._numbers import check_finite_tree, check_int, check_real
from mdpo._paths import resolve_inside
from mdpo._remote_code import check_remote_code

__all__ = [
    "LR_SCHEDULES",
    "METHOD_KINDS",
    "TASK_KINDS",
    "MethodConfig",
    "SuiteConfig",
    "TaskConfig",
    "TrainingConfig",
    "builtin_suites",
    "check_run_name",
    "load_suite",
    "output_path",
]

TASK_KINDS = ("bandit", "synthetic", "smollm", "hf")
"""Task kinds a suite may name."""


METHOD_KINDS: tuple[str, ...]
"""Method kinds a suite may name: the kinds registered in :mod:`mdpo.benchmarks.methods`
(read from the registry on each access, so a kind registered later is included)."""


def __getattr__(name: str) -> Any:
    """``METHOD_KINDS``, read from the method registry when asked.

    The method modules import this one, so the registry is read lazily, not at import.
    """
    if name == "METHOD_KINDS":
        from mdpo.benchmarks.methods import available_methods

        return tuple(available_methods())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def check_run_name(value: Any, what: str) -> str:
    """Validate a task/method/suite name that becomes a file or folder name.

    Args:
        value: The name.
        what: What it names, for the error message.

    Returns:
        The name.

    Raises:
        ValueError: If it is not 1–64 characters of letters, digits, ``.``, ``_``, ``-``
            starting with a letter or digit (so it can never escape the output directory).

    Example:
        >>> from mdpo.benchmarks.config import check_run_name
        >>> check_run_name("panacea-ls", "method name")
        'panacea-ls'
        >>> try:
        ...     check_run_name("../x", "method name")
        ... except ValueError as err:
        ...     print(str(err)[:40])
        method name must be 1-64 characters of l
    """
    if not isinstance(value, str) or not _NAME.match(value) or ".." in value:
        raise ValueError(
            f"{what} must be 1-64 characters of letters, digits, '.', '_' or '-' starting with "
            f"a letter or digit (it becomes a file name inside the output directory), got "
            f"{value!r}"
        )
    return value


def output_path(out_dir: str | Path, *names: str) -> Path:
    """``out_dir/names...`` resolved, refusing a result that escapes ``out_dir``.

    Args:
        out_dir: The output directory.
        *names: Path components below it.

    Returns:
        The resolved path.

    Raises:
        ValueError: If the path does not lie strictly inside ``out_dir``.
    """
    path = resolve_inside(out_dir, *names)
    if path is None:
        root = Path(out_dir).resolve()
        raise ValueError(f"path {root.joinpath(*names)} escapes the output directory {root}")
    return path


def _fields(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


def _build(cls: type, data: Any, where: str) -> Any:
    if not isinstance(data, Mapping):
        raise ValueError(f"{where} must be a mapping, got {type(data).__name__} {data!r}")
    allowed = _fields(cls)
    for key in data:
        if key not in allowed:
            raise ValueError(f"{where} has unknown key {key!r}; allowed keys: {allowed}")
    return cls(**dict(data))


LR_SCHEDULES = ("constant", "linear", "cosine")
"""Learning-rate schedules of :attr:`TrainingConfig.lr_schedule` (the names Hugging Face's
``lr_scheduler_type`` uses for the same shapes)."""


def _check_lr_schedule(where: str, value: Any) -> str:
    if value not in LR_SCHEDULES:
        raise ValueError(f"{where} must be one of {list(LR_SCHEDULES)}, got {value!r}")
    return value


def _check_int(where: str, value: Any, minimum: int) -> int:
    """:func:`mdpo._numbers.check_int`, every failure a ``ValueError`` (suite errors are)."""
    try:
        return check_int(where, value, minimum=minimum)
    except TypeError as err:
        raise ValueError(str(err)) from None


def _check_float(where: str, value: Any, low: float, high: float | None = None) -> float:
    """:func:`mdpo._numbers.check_real` (finite, in ``[low, high]``), failures ``ValueError``."""
    try:
        return check_real(where, value, low=low, high=high)
    except TypeError as err:
        raise ValueError(str(err)) from None


@dataclasses.dataclass
class TrainingConfig:
    """Training budget and optimiser settings shared by the methods of a suite.

    Args:
        steps: Optimizer steps of one preference-conditioned model. At equal compute, RS
            gives each of its m experts ``steps // m`` and DPS each of its K members
            ``steps // K``.
        lr: Adam learning rate.
        pref_batch: Preferences (rows of λ) per step.
        vertex_prob: Probability that a training λ is a simplex vertex.
        rank: Number k of preference-independent singular values (LoRA rank is k + m).
        ideal_margin: Margin of the tracked Tchebycheff ideal point.
        log_every: Steps between two points of the training curve.
        lr_schedule: Learning-rate schedule over each trained model's own steps, one of
            :data:`LR_SCHEDULES`: ``"constant"``, ``"linear"`` (decay to 0) or ``"cosine"``
            (decay to 0), without warm-up.
    """

    steps: int = 400
    lr: float = 0.01
    pref_batch: int = 16
    vertex_prob: float = 0.3
    rank: int = 8
    ideal_margin: float = 0.1
    log_every: int = 10
    lr_schedule: str = "constant"

    def __post_init__(self) -> None:
        _check_int("training.steps", self.steps, 1)
        _check_lr_schedule("training.lr_schedule", self.lr_schedule)
        _check_float("training.lr", self.lr, 1e-12)
        _check_int("training.pref_batch", self.pref_batch, 1)
        _check_float("training.vertex_prob", self.vertex_prob, 0.0, 1.0)
        _check_int("training.rank", self.rank, 1)
        _check_float("training.ideal_margin", self.ideal_margin, 0.0)
        _check_int("training.log_every", self.log_every, 1)

    def replace(self, **changes: Any) -> TrainingConfig:
        """A copy with some fields changed (None values are ignored)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


@dataclasses.dataclass
class TaskConfig:
    """One task of a suite.

    Args:
        name: Unique name (a folder name under the output directory).
        kind: One of :data:`TASK_KINDS`.
        params: The task's own parameters (:class:`~mdpo.benchmarks.tasks.bandit.BanditConfig`,
            :class:`~mdpo.benchmarks.tasks.synthetic.SyntheticConfig` or, for ``smollm`` and
            ``hf``, :class:`~mdpo.benchmarks.tasks.smollm.LLMTaskConfig` fields).
        eval_partitions: Das–Dennis partitions of the evaluation preferences (m = 2: 50 gives
            51 points). Default by m: 50, 20 (m = 3), 3 (m >= 4).
        true_front_partitions: Partitions of the dense true front. Default by m: 500, 60,
            4 (m >= 4).
        training: Overrides of the suite's ``training`` settings for this task (any
            :class:`TrainingConfig` key).
    """

    name: str
    kind: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    eval_partitions: int | None = None
    true_front_partitions: int | None = None
    training: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        check_run_name(self.name, "task name")
        if self.kind not in TASK_KINDS:
            raise ValueError(
                f"task {self.name!r} has kind {self.kind!r}; allowed kinds: {list(TASK_KINDS)}"
            )
        if not isinstance(self.params, Mapping):
            raise ValueError(f"task {self.name!r} params must be a mapping, got {self.params!r}")
        self.params = dict(self.params)
        for key in ("eval_partitions", "true_front_partitions"):
            if getattr(self, key) is not None:
                _check_int(f"task {self.name!r} {key}", getattr(self, key), 1)
        self.training = dict(self.training or {})
        self.apply_training(TrainingConfig())  # validates the overrides
        built = self.build()  # validates params
        self.n_dims = built.n_dims
        self.objectives = tuple(built.objectives)
        evals, front = self.partitions(self.n_dims)
        check_grid_size(self.n_dims, evals, name=f"task {self.name!r} eval_partitions")
        check_grid_size(self.n_dims, front, name=f"task {self.name!r} true_front_partitions")

    def apply_training(self, training: TrainingConfig) -> TrainingConfig:
        """The suite's training settings with this task's overrides applied.

        Raises:
            ValueError: If an override key is unknown or its value invalid.
        """
        where = f"task {self.name!r} training"
        if not isinstance(self.training, Mapping):
            raise ValueError(f"{where} must be a mapping, got {self.training!r}")
        allowed = _fields(TrainingConfig)
        for key in self.training:
            if key not in allowed:
                raise ValueError(f"{where} has unknown key {key!r}; allowed keys: {allowed}")
        return dataclasses.replace(training, **self.training)

    def build(self) -> Any:
        """The task object (:class:`~mdpo.benchmarks.tasks.bandit.BanditTask`, ...).

        Raises:
            ValueError: If a param is unknown or invalid.
        """
        if self.kind == "bandit":
            from mdpo.benchmarks.tasks.bandit import BanditConfig, BanditTask

            return BanditTask(_build(BanditConfig, self.params, f"task {self.name!r} params"))
        if self.kind in ("smollm", "hf"):
            from mdpo.benchmarks.tasks.smollm import LLMTask, LLMTaskConfig

            where = f"task {self.name!r} params"
            return LLMTask(_build(LLMTaskConfig, self.params, where), kind=self.kind)
        from mdpo.benchmarks.tasks.synthetic import SyntheticConfig, SyntheticTask

        return SyntheticTask(_build(SyntheticConfig, self.params, f"task {self.name!r} params"))

    def partitions(self, m: int) -> tuple[int, int]:
        """``(eval_partitions, true_front_partitions)`` with the defaults for m filled in."""
        ev = self.eval_partitions or (50 if m == 2 else 20 if m == 3 else 3)
        tf = self.true_front_partitions or (500 if m == 2 else 60 if m == 3 else 4)
        return ev, tf


@dataclasses.dataclass
class MethodConfig:
    """One method of a suite.

    Args:
        name: Unique name (a folder name under the output directory).
        kind: One of :data:`METHOD_KINDS`, the kinds registered with
            :func:`mdpo.benchmarks.methods.register_method`.
        aggregator: Aggregator key for :func:`mdpo.aggregators.get_aggregator` (RS experts
            train on one dimension each and ignore it; MODPO's margin is linear and needs
            ``"ls"``).
        aggregator_kwargs: Keyword arguments of the aggregator.
        objective: Training objective of the task (bandit: ``"exact"`` or ``"dpo"``; the
            ``smollm`` and ``hf`` tasks: ``"dpo"``). Unset: each task's first objective
            (``"exact"`` on the bandit and synthetic tasks, ``"dpo"`` on the LLM tasks), so a
            method without one runs on every kind of task.
        ideal: Ideal point of the Tchebycheff family: ``"tracked"`` (running minimum of the
            per-λ mean losses minus the margin, the conventions page's default) or
            ``"given"`` (the task's exact ideal point minus the margin).
        dps_partitions: Das–Dennis partitions of the grid of a grid method (DPS, MODPO;
            default: 4 for m = 2, K = 5; 2 otherwise, K = 6 for m = 3 and 55 for m = 10).
        tasks: Names of the tasks to run on (all applicable ones when None). MOD is skipped
            on tasks without logits.
        steps: Overrides the step budget.
        lr: Overrides the learning rate.
        vertex_prob: Overrides the vertex probability.
        lr_schedule: Overrides the learning-rate schedule.
        rank: Overrides the rank k (a LoRA method's rank is k + m; a ``panacea`` method's
            total rank is k + m·``pref_rank``, so ``rank: 4`` with ``adapter: {pref_rank:
            3}`` matches LoRA's 10 at m = 2).
        adapter: Extra :class:`mdpo.adapters.PanaceaConfig` fields of a ``panacea`` method
            (e.g. ``{init: lora}``); ``r``, ``n_dims`` and ``target_modules`` come from the
            suite and the task.
        reference: Where a ``prompt`` method's DPO reference log-probs come from on the LLM
            tasks: ``"plain"`` (the reference on the plain prompt, precomputed with the data;
            the default when the data carry them) or ``"annotated"`` (the reference on the
            λ-annotated prompt the policy sees, one extra forward per step; the default
            otherwise).
        prompt_style: How a ``prompt`` method writes λ on the LLM tasks: ``"text"`` (the
            default: the line ``Preference weights: name=value, ...``) or ``"soft"`` (a learned
            soft prompt of ``virtual_tokens`` virtual tokens per dimension, mixed by λ,
            :mod:`mdpo.soft_prompt`; with the annotated reference, the reference reads the
            placeholders as ordinary tokens).
        virtual_tokens: Virtual tokens of a ``"soft"`` prompt (default 4).
    """

    name: str
    kind: str
    aggregator: str = "ls"
    aggregator_kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)
    objective: str | None = None
    ideal: str = "tracked"
    dps_partitions: int | None = None
    tasks: list[str] | None = None
    steps: int | None = None
    lr: float | None = None
    vertex_prob: float | None = None
    lr_schedule: str | None = None
    rank: int | None = None
    adapter: dict[str, Any] = dataclasses.field(default_factory=dict)
    reference: str | None = None
    prompt_style: str | None = None
    virtual_tokens: int | None = None

    def __post_init__(self) -> None:
        from mdpo.aggregators import get_aggregator
        from mdpo.benchmarks.methods import available_methods, get_method

        check_run_name(self.name, "method name")
        try:
            spec = get_method(self.kind)
        except (TypeError, ValueError):
            raise ValueError(
                f"method {self.name!r} has kind {self.kind!r}; allowed kinds: {available_methods()}"
            ) from None
        if not isinstance(self.aggregator_kwargs, Mapping):
            raise ValueError(
                f"method {self.name!r} aggregator_kwargs must be a mapping, "
                f"got {self.aggregator_kwargs!r}"
            )
        try:
            get_aggregator(self.aggregator, **self.aggregator_kwargs)
        except (TypeError, ValueError) as err:
            raise ValueError(f"method {self.name!r} aggregator: {err}") from err
        if self.ideal not in ("tracked", "given"):
            raise ValueError(
                f"method {self.name!r} ideal must be 'tracked' or 'given', got {self.ideal!r}"
            )
        if self.objective is not None and not isinstance(self.objective, str):
            raise ValueError(
                f"method {self.name!r} objective must be a str (e.g. 'exact' or 'dpo') or "
                f"unset, got {self.objective!r}"
            )
        if not isinstance(self.adapter, Mapping):
            raise ValueError(
                f"method {self.name!r} adapter must be a mapping of PanaceaConfig fields, "
                f"got {self.adapter!r}"
            )
        self._check_options(spec)
        if spec.check is not None:
            spec.check(self)
        if self.dps_partitions is not None:
            _check_int(f"method {self.name!r} dps_partitions", self.dps_partitions, 1)
        if self.steps is not None:
            _check_int(f"method {self.name!r} steps", self.steps, 1)
        if self.rank is not None:
            _check_int(f"method {self.name!r} rank", self.rank, 1)
        if self.lr_schedule is not None:
            _check_lr_schedule(f"method {self.name!r} lr_schedule", self.lr_schedule)
        if self.tasks is not None and (
            isinstance(self.tasks, str) or not all(isinstance(t, str) for t in self.tasks)
        ):
            raise ValueError(f"method {self.name!r} tasks must be a list of task names")

    def _check_options(self, spec: Any) -> None:
        """Refuse a kind-specific field (a spec's ``options``) set on a kind that ignores it."""
        from mdpo.benchmarks.methods import available_methods, get_method

        owners: dict[str, list[str]] = {}
        for kind in available_methods():
            for option in get_method(kind).options:
                owners.setdefault(option, []).append(kind)
        for option, kinds in owners.items():
            value = getattr(self, option)
            if option in spec.options or value is None or (option == "adapter" and not value):
                continue
            which = " or ".join(f"kind {k!r}" for k in kinds)
            what = "adapter options apply" if option == "adapter" else f"{option} applies"
            shown = dict(value) if isinstance(value, Mapping) else value
            raise ValueError(
                f"method {self.name!r} has kind {self.kind!r}; {what} to {which} only, "
                f"got {shown!r}"
            )

    def objective_for(self, task: Any) -> str:
        """The training objective on ``task``: ``objective``, else the task's first one.

        Args:
            task: A built task (its ``objectives`` lists what its losses accept).

        Returns:
            The objective name (e.g. ``"exact"`` on the bandit, ``"dpo"`` on the LLM tasks).
        """
        return self.objective if self.objective is not None else task.objectives[0]

    def training_for(self, training: TrainingConfig) -> TrainingConfig:
        """``training`` with this method's overrides (steps, lr, vertex_prob, lr_schedule, rank).

        Args:
            training: The task's training settings.

        Returns:
            A validated copy (unset overrides keep the task's values).
        """
        return training.replace(
            steps=self.steps,
            lr=self.lr,
            vertex_prob=self.vertex_prob,
            lr_schedule=self.lr_schedule,
            rank=self.rank,
        )

    def panacea_config(self, r: int, n_dims: int, target_modules: Any) -> Any:
        """The :class:`~mdpo.adapters.PanaceaConfig` of a ``panacea`` method.

        Args:
            r: The suite's rank k.
            n_dims: The task's number of dimensions m.
            target_modules: The task's adapted modules.

        Returns:
            The config with this method's ``adapter`` fields on top.
        """
        from mdpo.adapters import PanaceaConfig

        return PanaceaConfig(r=r, n_dims=n_dims, target_modules=target_modules, **self.adapter)

    def applies_to(self, task_name: str, task: Any) -> bool:
        """Whether this method runs on a task.

        It does when the task is among ``tasks`` (or ``tasks`` is unset), the task accepts
        its objective and its kind's registered spec trains on the task
        (:meth:`~mdpo.benchmarks.methods.registry.MethodSpec.runs_on`).
        """
        from mdpo.benchmarks.methods import get_method

        if self.tasks is not None and task_name not in self.tasks:
            return False
        if self.objective_for(task) not in task.objectives:
            return False
        return get_method(self.kind).runs_on(task)

    def grid_partitions(self, m: int) -> int:
        """The grid's partitions for m dimensions (DPS, MODPO: one model per grid point)."""
        return self.dps_partitions or (4 if m == 2 else 2)


def _check_objective(method: MethodConfig, tasks: list[TaskConfig]) -> None:
    """Refuse an objective that a task the method names, or every task, does not train on."""
    if method.objective is None:
        return
    named = method.tasks is not None
    where = [t for t in tasks if not named or t.name in method.tasks]
    refused = [t for t in where if method.objective not in t.objectives]
    if refused and (named or len(refused) == len(where)):
        accepted = {t.name: list(t.objectives) for t in refused}
        raise ValueError(
            f"method {method.name!r} objective {method.objective!r} is not trained on by "
            f"tasks {sorted(accepted)} (their objectives: {accepted}); name another objective, "
            "leave it unset (each task's first) or restrict the method's tasks"
        )


@dataclasses.dataclass
class SuiteConfig:
    """A benchmark suite.

    Args:
        name: Suite name.
        tasks: The tasks.
        methods: The methods.
        seeds: Training seeds (>= 1 of them; claims need >= 3).
        training: Shared training settings.
        description: Free text.
        confidence: Confidence level of the reported intervals.
    """

    name: str
    tasks: list[TaskConfig]
    methods: list[MethodConfig]
    seeds: list[int] = dataclasses.field(default_factory=lambda: [0, 1, 2])
    training: TrainingConfig = dataclasses.field(default_factory=TrainingConfig)
    description: str = ""
    confidence: float = 0.95

    def __post_init__(self) -> None:
        check_run_name(self.name, "suite name")
        if not isinstance(self.seeds, list) or not self.seeds:
            raise ValueError(f"seeds must be a non-empty list of ints, got {self.seeds!r}")
        for s in self.seeds:
            _check_int("seeds entry", s, 0)
        if len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"seeds must be distinct, got {self.seeds!r}")
        _check_float("confidence", self.confidence, 0.5, 0.999)
        for what, items in (("task", self.tasks), ("method", self.methods)):
            names = [i.name for i in items]
            if not names:
                raise ValueError(f"a suite needs at least one {what}")
            if len(set(names)) != len(names):
                raise ValueError(f"{what} names must be unique, got {names}")
        from mdpo.benchmarks.methods import get_method

        task_names = {t.name for t in self.tasks}
        for method in self.methods:
            unknown = sorted(set(method.tasks or ()) - task_names)
            if unknown:
                raise ValueError(
                    f"method {method.name!r} names unknown tasks {unknown}; "
                    f"tasks: {sorted(task_names)}"
                )
            _check_objective(method, self.tasks)
            if get_method(method.kind).grid:
                for task in self.tasks:
                    m = task.n_dims
                    where = f"method {method.name!r} dps_partitions (task {task.name!r})"
                    check_grid_size(m, method.grid_partitions(m), name=where)

    @classmethod
    def from_dict(cls, data: Any, *, trust_remote_code: bool = False) -> SuiteConfig:
        """Validate a parsed YAML mapping.

        Args:
            data: The mapping.
            trust_remote_code: Accept ``trust_remote_code: true`` in the suite (the
                command line's ``--trust-remote-code``); refused by default.

        Raises:
            ValueError: On an unknown key (named, with the allowed ones) or a bad value.
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"a suite must be a mapping, got {type(data).__name__}")
        check_remote_code(data, "the suite", allowed=trust_remote_code)
        allowed = _fields(cls)
        for key in data:
            if key not in allowed:
                raise ValueError(f"suite has unknown key {key!r}; allowed keys: {allowed}")
        for key in ("name", "tasks", "methods"):
            if key not in data:
                raise ValueError(f"suite is missing the required key {key!r}")
        for key, value in data.items():
            check_finite_tree(value, str(key))
        out = dict(data)
        for key, klass in (("tasks", TaskConfig), ("methods", MethodConfig)):
            if not isinstance(out[key], list):
                raise ValueError(f"suite key {key!r} must be a list, got {out[key]!r}")
            out[key] = [_build(klass, item, f"{key}[{i}]") for i, item in enumerate(out[key])]
        out["training"] = _build(TrainingConfig, out.get("training") or {}, "training")
        return cls(**out)

    def to_dict(self) -> dict[str, Any]:
        """JSON/YAML-ready dict (round-trips through :meth:`from_dict`)."""
        return dataclasses.asdict(self)


def builtin_suites() -> list[str]:
    """Names of the suites shipped as package data (``mdpo.benchmarks.suites``)."""
    root = resources.files("mdpo.benchmarks.suites")
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".yaml"))


def suite_summaries() -> dict[str, str]:
    """The first sentence of each built-in suite's ``description``, by suite name.

    Returns:
        ``{name: one line}`` in name order (``"(no description)"`` for a suite without one).

    Example:
        >>> from mdpo.benchmarks.config import suite_summaries
        >>> suite_summaries()["quick"]
        'The CPU smoke benchmark: the exact bandit at m = 2 and m = 3 and the concave ZDT2 ...'
    """
    import yaml

    out = {}
    for name in builtin_suites():
        text = resources.files("mdpo.benchmarks.suites").joinpath(f"{name}.yaml").read_text()
        description = " ".join(str((yaml.safe_load(text) or {}).get("description") or "").split())
        first = description.split(". ")[0].rstrip(".")
        out[name] = textwrap.shorten(first, 92, placeholder=" ...") or "(no description)"
    return out


def load_suite(name_or_path: str | Path, *, trust_remote_code: bool = False) -> SuiteConfig:
    """Load a built-in suite by name (``"quick"``) or a YAML file by path.

    Args:
        name_or_path: A built-in suite name or a path to a YAML file.
        trust_remote_code: Accept ``trust_remote_code: true`` in the suite; refused by
            default (see :mod:`mdpo._remote_code`).

    Returns:
        The validated :class:`SuiteConfig`.

    Raises:
        ValueError: If the name is unknown (the built-ins are listed), or the file is not a
            valid suite.
    """
    import yaml

    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.is_file():
        if not path.is_file():
            raise ValueError(f"suite file {str(path)!r} does not exist")
        text = path.read_text(encoding="utf-8")
        where = str(path)
    else:
        name = str(name_or_path)
        if name not in builtin_suites():
            raise ValueError(
                f"unknown suite {name!r}: not a YAML file and not a built-in suite; "
                f"built-in suites: {builtin_suites()}"
            )
        text = resources.files("mdpo.benchmarks.suites").joinpath(f"{name}.yaml").read_text()
        where = f"built-in suite {name!r}"
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ValueError(f"{where} is not valid YAML: {err}") from err
    try:
        return SuiteConfig.from_dict(data, trust_remote_code=trust_remote_code)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{where}: {err}") from err
