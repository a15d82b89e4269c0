"""Benchmark methods: how Panacea and the baselines are trained on a task.

Every method kind is one module that defines its :class:`~.registry.MethodSpec` (``SPEC``)
and is registered here, in this explicit list; a suite's ``kind:``, the runner and the
contract tests read the registry (:func:`get_method`, :func:`available_methods`). A new kind
is registered with :func:`register_method`.
"""

from mdpo.benchmarks.methods import dps, mod, modpo, panacea, prompt, registry, rs
from mdpo.benchmarks.methods.registry import *  # noqa: F403

__all__ = list(registry.__all__)  # the package's API is the registry's

for _kind, _module in (
    ("panacea", panacea),
    ("rs", rs),
    ("dps", dps),
    ("mod", mod),
    ("prompt", prompt),
    ("modpo", modpo),
):
    registry.register_method(_kind, _module.SPEC, builtin=True)
del _kind, _module
