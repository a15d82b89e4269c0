"""The task kinds of the benchmark: one registered :class:`TaskSpec` per suite ``kind:``.

A spec says everything the harness needs to know about a task kind, so that adding one takes
one module and its registration (peft's ``register_peft_method`` pattern, like the method
kinds of :mod:`mdpo.benchmarks.methods.registry`):

- ``config``: the dataclass of the task's ``params`` (a suite's unknown key is refused with
  the allowed ones listed, its ``__post_init__`` validates the values);
- ``task``: builds the task from that config (``config -> task``): a
  :class:`~mdpo.benchmarks.tasks.base.TrainableTask` (trained by the methods' ``train``) or,
  for a language-model kind, a :class:`~mdpo.benchmarks.tasks.base.LanguageModelTask`
  (trained by their ``train_llm``);
- ``language_model``: which of the two it builds; ``summary``: one line for listings.

The built-in kinds (``bandit``, ``synthetic``, ``smollm``, ``hf``) are registered by the
package's ``__init__``. A new kind::

    from mdpo.benchmarks.tasks import TaskSpec, register_task

    register_task("mine", TaskSpec(config=MineConfig, task=MineTask, summary="..."))

after which a suite may say ``kind: mine`` with the fields of ``MineConfig`` as ``params``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from mdpo.benchmarks.kinds import KindRegistry

__all__ = [
    "TaskSpec",
    "available_tasks",
    "get_task",
    "register_task",
    "unregister_task",
]


@dataclasses.dataclass(frozen=True)
class TaskSpec:
    """How one task kind reads its ``params`` and builds its task.

    Args:
        config: The dataclass of the kind's ``params`` (called with the suite's mapping).
        task: Builds the task from a ``config`` instance (``config -> task``), e.g. the task
            class.
        summary: One line for listings.
        language_model: Whether the task is a
            :class:`~mdpo.benchmarks.tasks.base.LanguageModelTask` (else a
            :class:`~mdpo.benchmarks.tasks.base.TrainableTask`).
    """

    config: type
    task: Callable[[Any], Any]
    summary: str = ""
    language_model: bool = False

    def __post_init__(self) -> None:
        if not (isinstance(self.config, type) and dataclasses.is_dataclass(self.config)):
            raise TypeError(f"TaskSpec config must be a dataclass type, got {self.config!r}")
        if not callable(self.task):
            raise TypeError(f"TaskSpec task must be callable (config -> task), got {self.task!r}")
        if not isinstance(self.summary, str):
            raise TypeError(f"TaskSpec summary must be a str, got {self.summary!r}")
        if not isinstance(self.language_model, bool):
            raise TypeError(f"TaskSpec language_model must be a bool, got {self.language_model!r}")

    def build(self, params: Mapping[str, Any], where: str) -> Any:
        """The task of these ``params``.

        Args:
            params: The suite's ``params`` mapping (keys: the fields of ``config``).
            where: Where ``params`` stands in the suite, for error messages.

        Returns:
            The built task.

        Raises:
            ValueError: If ``params`` is not a mapping, has an unknown key (the allowed keys
                are listed) or an invalid value.
            TypeError: If the builder returns something else than its family's task class.
        """
        from mdpo.benchmarks.config.checks import build_section
        from mdpo.benchmarks.tasks.base import LanguageModelTask, TrainableTask

        task = self.task(build_section(self.config, params, where))
        family = LanguageModelTask if self.language_model else TrainableTask
        if not isinstance(task, family):
            raise TypeError(
                f"{where}: the task builder returned {type(task).__name__}, not a "
                f"{family.__name__} (TaskSpec language_model={self.language_model})"
            )
        return task


_REGISTRY: KindRegistry[TaskSpec] = KindRegistry("task", TaskSpec)


def available_tasks(*, language_model: bool | None = None) -> list[str]:
    """The registered task kinds, in registration order.

    Args:
        language_model: True: only language-model kinds; False: only feature-task kinds;
            None: all.

    Returns:
        A new list of kinds.

    Example:
        >>> from mdpo.benchmarks.tasks import available_tasks
        >>> available_tasks(), available_tasks(language_model=True)
        (['bandit', 'synthetic', 'smollm', 'hf'], ['smollm', 'hf'])
    """
    return [
        kind
        for kind, spec in _REGISTRY.items()
        if language_model is None or spec.language_model == language_model
    ]


def get_task(kind: str) -> TaskSpec:
    """The spec registered for a task kind.

    Args:
        kind: A key of :func:`available_tasks`.

    Returns:
        Its :class:`TaskSpec`.

    Raises:
        TypeError: If ``kind`` is not a str.
        ValueError: If no task is registered under ``kind`` (the registered ones are listed).
    """
    return _REGISTRY.get(kind)


def register_task(
    kind: str, spec: TaskSpec, *, overwrite: bool = False, builtin: bool = False
) -> TaskSpec:
    """Register a task kind, which suites may then name as ``kind:``.

    Args:
        kind: The key (letters, digits, ``_`` and ``-``, starting with a letter).
        spec: Its :class:`TaskSpec`.
        overwrite: Replace an existing registration of ``kind`` instead of refusing.
        builtin: Mark it built-in (cannot be unregistered); used by the package itself.

    Returns:
        ``spec``.

    Raises:
        TypeError: If ``kind`` is not a str or ``spec`` not a :class:`TaskSpec`.
        ValueError: If ``kind`` is malformed, or already registered to another spec and
            ``overwrite`` is False.

    Example:
        >>> from mdpo.benchmarks.tasks import get_task, register_task, unregister_task
        >>> spec = get_task("bandit")
        >>> _ = register_task("bandit-copy", spec)
        >>> unregister_task("bandit-copy") is spec
        True
    """
    return _REGISTRY.register(kind, spec, overwrite=overwrite, builtin=builtin)


def unregister_task(kind: str) -> TaskSpec:
    """Remove a user-registered task kind (built-in kinds cannot be removed).

    Args:
        kind: A key added with :func:`register_task`.

    Returns:
        The spec that was registered under ``kind``.

    Raises:
        ValueError: If ``kind`` is built in or not registered.
    """
    return _REGISTRY.unregister(kind)
