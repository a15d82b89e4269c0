"""One method of a suite (an entry of its ``methods:`` list)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from mdpo.benchmarks.config.checks import check_int_setting, check_run_name
from mdpo.benchmarks.config.training import TrainingConfig, check_lr_schedule

__all__ = ["MethodConfig"]


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
            check_int_setting(f"method {self.name!r} dps_partitions", self.dps_partitions, 1)
        if self.steps is not None:
            check_int_setting(f"method {self.name!r} steps", self.steps, 1)
        if self.rank is not None:
            check_int_setting(f"method {self.name!r} rank", self.rank, 1)
        if self.lr_schedule is not None:
            check_lr_schedule(f"method {self.name!r} lr_schedule", self.lr_schedule)
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
