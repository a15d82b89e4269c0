"""The method kinds of the benchmark: one registered :class:`MethodSpec` per suite ``kind:``.

A spec says everything the harness needs to know about a method kind, so that adding one
takes one module and its registration (peft's ``register_peft_method`` pattern):

- how it trains on a feature task (bandit, synthetic): ``train(ctx) -> MethodRun``, where
  ``ctx`` is a :class:`~mdpo.benchmarks.methods.builders.FeatureContext`;
- how it trains and saves itself on a language-model task: ``train_llm(ctx) -> LLMTrained``,
  where ``ctx`` is a :class:`~mdpo.benchmarks.methods.llm.LLMContext`;
- the policy class it makes, and the ``run.json`` ``method`` (the *layout*) its saved runs
  write, which :func:`mdpo.policies.load_policy` reads;
- flags the runner reads: ``grid`` (one model per Das–Dennis grid point, evaluated only
  there, like DPS), ``grid_optimum`` (each grid member targets the linear-scalarisation
  optimum at its λ: the bandit's capacity gap applies), ``supports`` (extra task
  requirements) and ``options`` (the :class:`~mdpo.benchmarks.config.MethodConfig` fields
  only this kind reads, validated by ``check``).

The built-in kinds (``panacea``, ``rs``, ``dps``, ``mod``, ``prompt``, ``modpo``) live in one
module each under :mod:`mdpo.benchmarks.methods` and are registered by that package's
``__init__``. A new kind::

    from mdpo.benchmarks.methods import MethodSpec, register_method

    register_method("mine", MethodSpec(train=train_mine, policy=MyPolicy, layout="lora"))

after which a suite may say ``kind: mine``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from mdpo.benchmarks.kinds import KindRegistry
from mdpo.benchmarks.tasks.base import LanguageModelTask

__all__ = [
    "MethodSpec",
    "available_methods",
    "get_method",
    "is_language_model",
    "linear_aggregator",
    "register_method",
    "unregister_method",
]


def is_language_model(task: Any) -> bool:
    """Whether a task is a language-model task (trained by ``train_llm``, not ``train``).

    Args:
        task: A built task object.

    Returns:
        Whether it is a :class:`~mdpo.benchmarks.tasks.base.LanguageModelTask`.
    """
    return isinstance(task, LanguageModelTask)


def linear_aggregator(method: Any) -> bool:
    """Whether a method scalarises its dimensions linearly (``aggregator: ls``).

    A grid member of such a method targets the linear scalarisation's optimum at its λ
    (a spec's ``grid_optimum``).

    Args:
        method: A :class:`~mdpo.benchmarks.config.MethodConfig`.

    Returns:
        True for the ``"ls"`` aggregator.
    """
    return method.aggregator == "ls"


@dataclasses.dataclass(frozen=True)
class MethodSpec:
    """How one method kind trains, what policy it makes and how its saved runs load.

    Args:
        policy: The :class:`~mdpo.policies.PreferenceConditionedPolicy` subclass it makes.
        train: Trains on a feature task: ``FeatureContext -> MethodRun``; None if the kind
            does not run on the bandit and synthetic tasks.
        train_llm: Trains and saves on a language-model task: ``LLMContext -> LLMTrained``;
            None if the kind does not run on them.
        layout: The ``run.json`` ``method`` its saved LLM runs write (a loader of
            :func:`mdpo.policies.load_policy`); None when it never saves one.
        grid: One model per point of its Das–Dennis grid (``dps_partitions``); the runner
            evaluates it only there and compares it with the others on that grid.
        grid_optimum: For a grid method, whether the member at λ targets the linear
            scalarisation's optimum π*_λ (``MethodConfig -> bool``); the bandit then reports
            each member's gap to it (the capacity gap).
        supports: Extra requirement on a task (``task -> bool``), e.g. logits to mix.
        options: The :class:`~mdpo.benchmarks.config.MethodConfig` fields only this kind
            reads; a suite that sets one of them on another kind is refused.
        check: Validates a method config of this kind (``MethodConfig -> None``), raising
            ValueError naming the method, field, value and what is allowed.
        summary: One line for listings.
    """

    policy: type
    train: Callable[[Any], Any] | None = None
    train_llm: Callable[[Any], Any] | None = None
    layout: str | None = None
    grid: bool = False
    grid_optimum: Callable[[Any], bool] | None = None
    supports: Callable[[Any], bool] | None = None
    options: tuple[str, ...] = ()
    check: Callable[[Any], None] | None = None
    summary: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.policy, type):
            raise TypeError(f"MethodSpec policy must be a class, got {self.policy!r}")
        for name in ("train", "train_llm", "grid_optimum", "supports", "check"):
            value = getattr(self, name)
            if value is not None and not callable(value):
                raise TypeError(f"MethodSpec {name} must be callable or None, got {value!r}")
        if self.train is None and self.train_llm is None:
            raise ValueError("MethodSpec needs train, train_llm or both; got neither")
        if self.train_llm is not None and not isinstance(self.layout, str):
            raise ValueError(
                f"MethodSpec with train_llm needs the layout its saved runs write (a "
                f"load_policy method), got layout={self.layout!r}"
            )
        if not isinstance(self.options, tuple) or not all(isinstance(o, str) for o in self.options):
            raise TypeError(f"MethodSpec options must be a tuple of str, got {self.options!r}")

    def runs_on(self, task: Any) -> bool:
        """Whether this kind trains on ``task`` (it has the task's trainer and requirements).

        Args:
            task: A built task object.

        Returns:
            True if it has a trainer for the task's family and ``supports`` accepts the task.
        """
        trainer = self.train_llm if is_language_model(task) else self.train
        return trainer is not None and (self.supports is None or bool(self.supports(task)))


_REGISTRY: KindRegistry[MethodSpec] = KindRegistry("method", MethodSpec)


def available_methods(*, language_model: bool | None = None) -> list[str]:
    """The registered method kinds, in registration order.

    Args:
        language_model: True: only kinds with a language-model trainer; False: only kinds
            with a feature-task trainer; None: all.

    Returns:
        A new list of kinds.

    Example:
        >>> from mdpo.benchmarks.methods import available_methods
        >>> available_methods()[:5]
        ['panacea', 'rs', 'dps', 'mod', 'prompt']
    """
    if language_model is None:
        return _REGISTRY.names()
    key = "train_llm" if language_model else "train"
    return [kind for kind, spec in _REGISTRY.items() if getattr(spec, key) is not None]


def get_method(kind: str) -> MethodSpec:
    """The spec registered for a method kind.

    Args:
        kind: A key of :func:`available_methods`.

    Returns:
        Its :class:`MethodSpec`.

    Raises:
        TypeError: If ``kind`` is not a str.
        ValueError: If no method is registered under ``kind`` (the registered ones are listed).
    """
    return _REGISTRY.get(kind)


def register_method(
    kind: str, spec: MethodSpec, *, overwrite: bool = False, builtin: bool = False
) -> MethodSpec:
    """Register a method kind, which suites may then name as ``kind:``.

    Args:
        kind: The key (letters, digits, ``_`` and ``-``, starting with a letter).
        spec: Its :class:`MethodSpec`.
        overwrite: Replace an existing registration of ``kind`` instead of refusing.
        builtin: Mark it built-in (cannot be unregistered); used by the package itself.

    Returns:
        ``spec``.

    Raises:
        TypeError: If ``kind`` is not a str or ``spec`` not a :class:`MethodSpec`.
        ValueError: If ``kind`` is malformed, its ``layout`` has no loader in
            :func:`mdpo.policies.load_policy`, or it is already registered to another spec
            and ``overwrite`` is False.

    Example:
        >>> from mdpo.benchmarks.methods import get_method, register_method, unregister_method
        >>> spec = get_method("dps")
        >>> _ = register_method("dps-copy", spec)
        >>> unregister_method("dps-copy") is spec
        True
    """

    def check_layout(value: MethodSpec) -> None:
        from mdpo.policies import policy_layouts

        if value.layout is not None and value.layout not in policy_layouts():
            raise ValueError(
                f"method {kind!r} saves runs of layout {value.layout!r}, which load_policy "
                f"cannot read; layouts: {policy_layouts()} (mdpo.policies.register_policy_loader "
                "adds one)"
            )

    return _REGISTRY.register(kind, spec, overwrite=overwrite, builtin=builtin, check=check_layout)


def unregister_method(kind: str) -> MethodSpec:
    """Remove a user-registered method kind (built-in kinds cannot be removed).

    Args:
        kind: A key added with :func:`register_method`.

    Returns:
        The spec that was registered under ``kind``.

    Raises:
        ValueError: If ``kind`` is built in or not registered.
    """
    return _REGISTRY.unregister(kind)
