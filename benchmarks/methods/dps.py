"""``kind: dps``: discrete policy solutions, one plain LoRA per Das–Dennis grid point.

Member k is a LoRA of rank k + m trained at its fixed λ_k on the method's aggregator for
``steps // K`` steps (equal compute; K = 5 for m = 2, 6 for m = 3 by default,
``dps_partitions``). The policy (:class:`mdpo.policies.DPSPolicy`) supports only its K
preferences, so the runner evaluates it on its grid and compares the others with it there.
On the language-model tasks the members are evaluated unmerged, as one per-row soup on one
base (:meth:`mdpo.policies.DPSPolicy.unmerged`: all (λ, prompt) rows share the generate
batches), and the saved run has ``"method": "dps"``, ``"grid"``, ``"adapters"`` and
``"soup": "unmerged"`` (:func:`saved_grid`, which MODPO shares).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from mdpo.benchmarks.methods.builders import FeatureContext, MethodRun, member_label
from mdpo.benchmarks.methods.llm import LLMContext, LLMTrained
from mdpo.benchmarks.methods.loop import TrainLog, fixed_preferences
from mdpo.benchmarks.methods.registry import MethodSpec, linear_aggregator
from mdpo.benchmarks.methods.saved_runs import grid_fields
from mdpo.policies import DPSPolicy
from mdpo.seeding import derive_seed

__all__ = ["SPEC", "saved_grid"]


def train(ctx: FeatureContext) -> MethodRun:
    """Train one LoRA per grid point on a feature task."""

    def member(model: Any, lam: torch.Tensor, k: int, steps: int) -> TrainLog:
        return ctx.train(
            model,
            preferences=fixed_preferences(lam, ctx.training.pref_batch),
            steps=steps,
            seed=derive_seed(ctx.seed, "member", k),
            label=member_label(lam),
        )

    grid, members, logs = ctx.members(member)
    return MethodRun(DPSPolicy(grid, members, ctx.task.dim_names), logs)


def saved_grid(
    ctx: LLMContext,
    train_member: Callable[[Any, torch.Tensor, int, int], TrainLog],
    steps: int | None = None,
) -> tuple[DPSPolicy, list[TrainLog], dict[str, Any]]:
    """Train one LoRA per grid point on a language-model task, save them, batch them per row.

    Args:
        ctx: The run's context.
        train_member: ``(member, λ [m], k, steps) -> TrainLog`` trains member k at λ.
        steps: The members' total steps; ``training.steps`` when None (each gets
            ``steps // K``, at least 1).

    Returns:
        ``(policy, logs, run.json fields)``: the members saved as ``members/<k>`` and
        evaluated unmerged (the members' LoRAs on one base, each row at its grid point, so
        the (λ, prompt) rows share generate batches as for Panacea and RS).
    """
    grid, members, logs = ctx.members(train_member, steps)
    paths = [ctx.save(member, f"members/{k}") for k, member in enumerate(members)]
    policy = DPSPolicy.unmerged(grid, ctx.task.make_model().eval(), members, ctx.task.dim_names)
    return policy, logs, {**grid_fields(grid, paths), "soup": "unmerged"}


def train_llm(ctx: LLMContext) -> LLMTrained:
    """Train and save one LoRA per grid point on a language-model task."""
    method = ctx.method

    def member(model: Any, lam: torch.Tensor, k: int, steps: int) -> TrainLog:
        return ctx.train(
            model,
            steps=steps,
            seed=ctx.seed_for("member", k),
            aggregator=method.aggregator,
            aggregator_kwargs=method.aggregator_kwargs,
            fixed_preference=lam.tolist(),
            label=member_label(lam),
        )

    return LLMTrained(*saved_grid(ctx, member))


SPEC = MethodSpec(
    policy=DPSPolicy,
    train=train,
    train_llm=train_llm,
    layout="dps",
    grid=True,
    grid_optimum=linear_aggregator,
    summary="DPS: one LoRA per Das–Dennis grid point, trained at its λ",
)
