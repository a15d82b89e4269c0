"""The checks and choices :class:`~mdpo.training.MDPOTrainer` makes when it is built."""

from __future__ import annotations

from typing import Any

from .config import MDPOConfig

__all__ = ["as_multi_objective", "check_dimensions", "resolve_conditioning", "stream_length"]


def as_multi_objective(objective: Any, train_dataset: Any, args: MDPOConfig) -> Any:
    """The trainer's objective as a MultiObjective (a single objective gets its dataset).

    Raises:
        ValueError: If the dataset is missing for a single objective, or given with a
            MultiObjective (which carries its own data).
        TypeError: If ``objective`` is no mdpo objective.
    """
    from mdpo.objectives import MultiObjective, Objective

    if isinstance(objective, MultiObjective):
        if train_dataset is not None:
            raise ValueError(
                "train_dataset must be None when objective is a MultiObjective (each component "
                "carries its own data); pass train_dataset only with a single Objective"
            )
        return objective
    if isinstance(objective, Objective):
        if train_dataset is None:
            raise ValueError(
                f"train_dataset is required with a single {type(objective).__name__}: the "
                "dataset (or scorer) it trains on"
            )
        if objective.dim_names is None and args.dim_names and len(args.dim_names) == 1:
            objective = objective.bind(args.dim_names[0])
        return MultiObjective.single(objective, train_dataset)
    raise TypeError(
        "objective must be an mdpo.objectives.MultiObjective or Objective, "
        f"got {type(objective).__name__}"
    )


def check_dimensions(args: MDPOConfig, dim_names: list[str]) -> None:
    """Refuse ``args.dim_names``, ``fixed_preference`` or ``ideal`` that do not fit m.

    Raises:
        ValueError: Naming the argument, its value and the objective's dimensions.
    """
    m = len(dim_names)
    if args.dim_names is not None and list(args.dim_names) != dim_names:
        raise ValueError(
            f"args.dim_names {args.dim_names} does not match the objective's dimensions {dim_names}"
        )
    for name, value in (("fixed_preference", args.fixed_preference), ("ideal", args.ideal)):
        if isinstance(value, list) and len(value) != m:
            raise ValueError(
                f"args.{name} has {len(value)} entries {value} but the objective has m={m} "
                f"dimensions {dim_names}"
            )


def resolve_conditioning(
    conditioning: Any, kind: str, args: MDPOConfig, dim_names: list[str]
) -> Any:
    """The conditioning to train with: the given one checked against the model, or the default.

    Raises:
        ValueError: If λ could not reach the policy, or the conditioning and the model's
            adapter do not fit each other.
    """
    from mdpo import conditioning as cond

    if conditioning is None:
        if kind == "panacea":
            return cond.AdapterConditioning()
        if args.fixed_preference is not None:
            return cond.NoConditioning()
        raise ValueError(
            "cannot sample preferences: the model has no Panacea adapter to write λ into and "
            "no prompt conditioning was given. Use get_panacea_model(...), pass "
            f"conditioning=PromptConditioning({dim_names!r}), or train at one λ with "
            "MDPOConfig(fixed_preference=[...])"
        )
    requires_adapter = getattr(conditioning, "requires_adapter", False)
    if requires_adapter and kind != "panacea":
        raise ValueError(
            f"conditioning {type(conditioning).__name__} writes λ into a Panacea adapter but the "
            f"model is a {kind} model without one; use PromptConditioning for a plain LoRA model"
        )
    if kind == "panacea" and not requires_adapter:
        raise ValueError(
            f"a Panacea model needs λ written into its adapter, but conditioning "
            f"{type(conditioning).__name__} does not do that; leave conditioning=None "
            "(AdapterConditioning) or train a plain LoRA model with it"
        )
    return conditioning


def stream_length(args: MDPOConfig, objective: Any) -> int:
    """Rows in the trainer's stream of global row indices: ``max_steps`` steps of rows.

    Raises:
        ValueError: If ``max_steps`` is not positive and the objective has no ``num_rows``.
    """
    world = max(1, args.world_size)
    rows_per_step = args.per_device_train_batch_size * args.gradient_accumulation_steps * world
    if args.max_steps is not None and args.max_steps > 0:
        return args.max_steps * rows_per_step
    n = getattr(objective, "num_rows", None)
    if n is None:
        raise ValueError(
            f"max_steps must be > 0 for MDPOTrainer (got {args.max_steps}) unless the objective "
            "defines num_rows: each step draws fresh examples per dimension, so an epoch is not "
            "defined by the data"
        )
    return max(int(n), rows_per_step)
