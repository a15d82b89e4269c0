"""One task of a suite (an entry of its ``tasks:`` list)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from mdpo._grid import check_grid_size
from mdpo.benchmarks.config.checks import check_int_setting, check_run_name, check_section_keys
from mdpo.benchmarks.config.training import TrainingConfig

__all__ = ["TaskConfig"]


@dataclasses.dataclass
class TaskConfig:
    """One task of a suite.

    Args:
        name: Unique name (a folder name under the output directory).
        kind: One of :data:`~mdpo.benchmarks.config.TASK_KINDS`, the kinds registered with
            :func:`mdpo.benchmarks.tasks.register_task`.
        params: The task's own parameters: the fields of its kind's
            :attr:`~mdpo.benchmarks.tasks.registry.TaskSpec.config`
            (:class:`~mdpo.benchmarks.tasks.bandit.BanditConfig`,
            :class:`~mdpo.benchmarks.tasks.synthetic.SyntheticConfig` or, for ``smollm`` and
            ``hf``, :class:`~mdpo.benchmarks.tasks.llm.LLMTaskConfig`).
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
        from mdpo.benchmarks.tasks import available_tasks, get_task

        check_run_name(self.name, "task name")
        try:
            get_task(self.kind)
        except (TypeError, ValueError):
            raise ValueError(
                f"task {self.name!r} has kind {self.kind!r}; allowed kinds: {available_tasks()}"
            ) from None
        if not isinstance(self.params, Mapping):
            raise ValueError(f"task {self.name!r} params must be a mapping, got {self.params!r}")
        self.params = dict(self.params)
        for key in ("eval_partitions", "true_front_partitions"):
            if getattr(self, key) is not None:
                check_int_setting(f"task {self.name!r} {key}", getattr(self, key), 1)
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
        check_section_keys(TrainingConfig, self.training, where)
        return dataclasses.replace(training, **self.training)

    def build(self) -> Any:
        """The task object: its kind's registered builder applied to ``params``.

        Returns:
            A :class:`~mdpo.benchmarks.tasks.base.TrainableTask` (bandit, synthetic) or a
            :class:`~mdpo.benchmarks.tasks.base.LanguageModelTask` (smollm, hf).

        Raises:
            ValueError: If a param is unknown or invalid.
        """
        from mdpo.benchmarks.tasks import get_task

        return get_task(self.kind).build(self.params, f"task {self.name!r} params")

    def partitions(self, m: int) -> tuple[int, int]:
        """``(eval_partitions, true_front_partitions)`` with the defaults for m filled in."""
        ev = self.eval_partitions or (50 if m == 2 else 20 if m == 3 else 3)
        tf = self.true_front_partitions or (500 if m == 2 else 60 if m == 3 else 4)
        return ev, tf
