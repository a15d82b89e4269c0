"""Benchmark tasks: bandit, synthetic, smollm and hf.

Every task kind is a :class:`~.registry.TaskSpec` defined by its module and registered here,
in this explicit list; a suite's ``kind:`` and the runner read the registry
(:func:`get_task`, :func:`available_tasks`). A new kind is registered with
:func:`register_task`.
"""

from mdpo.benchmarks.tasks import bandit, llm, synthetic
from mdpo.benchmarks.tasks.registry import (
    TaskSpec,
    available_tasks,
    get_task,
    register_task,
    unregister_task,
)

__all__ = ["TaskSpec", "available_tasks", "get_task", "register_task", "unregister_task"]

for _kind, _spec in (
    ("bandit", bandit.SPEC),
    ("synthetic", synthetic.SPEC),
    ("smollm", llm.SMOLLM_SPEC),
    ("hf", llm.HF_SPEC),
):
    register_task(_kind, _spec, builtin=True)
del _kind, _spec
