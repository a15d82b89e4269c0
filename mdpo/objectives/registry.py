"""Objectives by name: the ``objective:`` of a dimension in an ``mdpo train`` config.

Adding an objective takes its module and one :func:`register_objective` call: the run
config then accepts its name (:class:`mdpo.training.DimensionSpec`), ``mdpo train`` builds
it (:func:`mdpo.training.build_objective`), and an unknown name is refused with the
registered ones listed. The built-in names are ``dpo``, ``sft``, ``rlhf`` and ``modpo``.

Example:
    >>> from mdpo.objectives import (
    ...     SFTObjective, available_objectives, make_objective, register_objective,
    ...     unregister_objective)
    >>> available_objectives()
    ['dpo', 'sft', 'rlhf', 'modpo']
    >>> @register_objective("short-sft")
    ... def short_sft(dim_names, **kwargs):
    ...     return SFTObjective(dim_names, max_length=64, **kwargs)
    >>> make_objective("short-sft", ["concise"]).collator.max_length
    64
    >>> unregister_objective("short-sft").__name__
    'short_sft'
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mdpo._registry import Registry

from .base import Objective
from .dpo import DPOObjective
from .modpo import MODPOObjective
from .rlhf import RLHFObjective
from .sft import SFTObjective

__all__ = [
    "ObjectiveFactory",
    "ObjectiveSpec",
    "available_objectives",
    "make_objective",
    "objective_spec",
    "register_objective",
    "unregister_objective",
]

ObjectiveFactory = Callable[..., Objective]
"""``factory(dim_names, **options) -> Objective``; an Objective class whose constructor takes
the dimension names first is one."""


@dataclasses.dataclass(frozen=True)
class ObjectiveSpec:
    """A registered objective: how ``mdpo train`` builds it from a dimension of its config.

    Args:
        factory: Called as ``factory(dim_names, **options)`` with the dimension's names (a
            list) and its ``kwargs`` (plus ``scorers=`` and ``label_columns=`` below).
        scorer: It is trained on a scorer's rewards: a dimension must name one
            (``scorer:``, a :func:`mdpo.scorers.get_scorer` key), which reaches the factory
            as ``scorers=``. Other objectives refuse a scorer.
        paired: It reads paired data labelled along several dimensions: a dimension may list
            several names, and its ``label_columns`` reach the factory as
            ``label_columns=``. Other objectives refuse both.
    """

    factory: ObjectiveFactory
    scorer: bool = False
    paired: bool = False

    def __post_init__(self) -> None:
        if not callable(self.factory):
            raise TypeError(
                f"an objective factory must be callable as factory(dim_names, **options), "
                f"got {self.factory!r}"
            )


_REGISTRY: Registry[ObjectiveSpec] = Registry(
    "objective", unknown="unknown objective {name!r}; registered objectives: {names}"
)


def register_objective(
    name: str,
    factory: ObjectiveFactory | None = None,
    *,
    scorer: bool = False,
    paired: bool = False,
    overwrite: bool = False,
) -> Any:
    """Register an objective under a name that run configs may use as ``objective:``.

    Works as a call, ``register_objective("mine", MyObjective)``, or as a decorator of a
    class or factory function, ``@register_objective("mine")``.

    Args:
        name: The name (stored lower-case).
        factory: An :class:`~mdpo.objectives.Objective` subclass or a function, called as
            ``factory(dim_names, **options)``; omit it to get a decorator.
        scorer: See :class:`ObjectiveSpec`: the objective trains on a scorer.
        paired: See :class:`ObjectiveSpec`: the objective reads multi-label paired data.
        overwrite: Replace an existing registration of ``name`` instead of refusing.

    Returns:
        ``factory`` (or, without it, a decorator that registers and returns its argument).

    Raises:
        TypeError: If ``name`` is not a str or ``factory`` is not callable.
        ValueError: If ``name`` is registered to another factory and ``overwrite`` is False.
    """
    register = _REGISTRY.register(name, overwrite=overwrite)  # checks the name at once

    def add(value: ObjectiveFactory) -> ObjectiveFactory:
        register(ObjectiveSpec(value, scorer=bool(scorer), paired=bool(paired)))
        return value

    return add if factory is None else add(factory)


def unregister_objective(name: str) -> ObjectiveFactory:
    """Remove a registered objective (the built-in names cannot be removed).

    Args:
        name: A name added with :func:`register_objective`.

    Returns:
        Its factory.

    Raises:
        ValueError: If ``name`` is built-in or not registered.
    """
    return _REGISTRY.unregister(name).factory


def available_objectives() -> list[str]:
    """The registered objective names, built-in ones first, in registration order.

    Returns:
        A new list.
    """
    return _REGISTRY.names()


def objective_spec(name: str) -> ObjectiveSpec:
    """The :class:`ObjectiveSpec` registered under ``name``.

    Args:
        name: A registered name (case-insensitive).

    Returns:
        The spec.

    Raises:
        TypeError: If ``name`` is not a str.
        ValueError: If ``name`` is not registered; the message lists the registered names.
    """
    return _REGISTRY.get(name)


def make_objective(
    name: str,
    dim_names: Sequence[str],
    *,
    scorers: Any = None,
    label_columns: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> Objective:
    """Build the objective registered under ``name`` for the given dimensions.

    Args:
        name: A registered name.
        dim_names: The component's dimension names.
        scorers: The scorer of an objective registered with ``scorer=True``.
        label_columns: ``{dimension: label column}`` of an objective registered with
            ``paired=True``.
        **kwargs: The objective's own keyword arguments (``beta``, ``max_length``, ...).

    Returns:
        The objective.

    Raises:
        ValueError: If ``name`` is unknown, or ``scorers`` / ``label_columns`` / several
            names are given to an objective that does not take them (or a scorer is missing
            for one that needs it).
        TypeError: If the factory does not return an :class:`~mdpo.objectives.Objective`.
    """
    spec = objective_spec(name)
    names = list(dim_names)
    options = dict(kwargs)
    if spec.scorer:
        if scorers is None:
            raise ValueError(f"objective {name!r} trains on a scorer's rewards; give it a scorer")
        options["scorers"] = scorers
    elif scorers is not None:
        raise ValueError(f"objective {name!r} takes no scorer, got {scorers!r}")
    if spec.paired:
        if label_columns is not None:
            options["label_columns"] = label_columns
    elif label_columns is not None or len(names) != 1:
        raise ValueError(
            f"objective {name!r} fills one dimension from unpaired data; got dimension names "
            f"{names} and label_columns={label_columns!r}"
        )
    objective = spec.factory(names, **options)
    if not isinstance(objective, Objective):
        raise TypeError(
            f"the factory of objective {name!r} must return an mdpo Objective, got "
            f"{type(objective).__name__}"
        )
    return objective


for _name, _spec in (
    ("dpo", ObjectiveSpec(DPOObjective, paired=True)),
    ("sft", ObjectiveSpec(SFTObjective)),
    ("rlhf", ObjectiveSpec(RLHFObjective, scorer=True)),
    ("modpo", ObjectiveSpec(MODPOObjective, paired=True)),
):
    _REGISTRY.register(_name, _spec, builtin=True)
del _name, _spec
