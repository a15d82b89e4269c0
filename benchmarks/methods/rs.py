"""``kind: rs``: Rewarded Soups, m single-dimension LoRA experts interpolated in ΔW space.

Expert i is a plain LoRA of rank k + m trained at the vertex e_i for ``steps // m`` steps
(equal compute); at λ the policy is the base model plus Σ_i λ_i ΔW_i
(:class:`mdpo.policies.RSPolicy`). On the language-model tasks the experts are cached and
shared with MOD (:meth:`~mdpo.benchmarks.methods.llm.LLMContext.experts`); the saved run
has ``"method": "rs"`` and ``"experts": {dim: "experts/<dim>"}``.
"""

from __future__ import annotations

from typing import Any

from mdpo.benchmarks.methods.builders import FeatureContext, MethodRun
from mdpo.benchmarks.methods.llm import LLMContext, LLMTrained
from mdpo.benchmarks.methods.loop import TrainLog
from mdpo.benchmarks.methods.registry import MethodSpec
from mdpo.policies import RSPolicy

__all__ = ["SPEC", "saved_experts"]


def train(ctx: FeatureContext) -> MethodRun:
    """Train the m experts on a feature task and soup them."""
    experts, logs = ctx.experts()
    base = ctx.task.make_model().eval()
    return MethodRun(RSPolicy(base, experts, ctx.task.dim_names), logs)


def saved_experts(ctx: LLMContext) -> tuple[list[Any], list[TrainLog], dict[str, Any]]:
    """The m experts of a language-model task (cached), saved under ``experts/<dim>``.

    Args:
        ctx: The run's context.

    Returns:
        ``(experts, logs, run.json fields)``.
    """
    experts, logs, reused = ctx.experts()
    paths = {name: f"experts/{name}" for name in ctx.task.dim_names}
    for name, expert in zip(ctx.task.dim_names, experts):
        ctx.save(expert, paths[name])
    fields = {"adapter_paths": dict(paths), "experts": paths, "experts_reused": reused}
    return experts, logs, fields


def train_llm(ctx: LLMContext) -> LLMTrained:
    """Train (or reuse) and save the m experts of a language-model task, and soup them.

    The soup is evaluated unmerged (:func:`mdpo.adapters.unmerged_soup`): every (λ, prompt)
    row shares the generate batches, as for Panacea, instead of one call per λ.
    """
    experts, logs, fields = saved_experts(ctx)
    model = ctx.task.make_model().eval()
    policy = RSPolicy(model, experts, ctx.task.dim_names, mode="unmerged")
    return LLMTrained(policy, logs, {**fields, "soup": "unmerged"})


SPEC = MethodSpec(
    policy=RSPolicy,
    train=train,
    train_llm=train_llm,
    layout="rs",
    summary="Rewarded Soups: m single-dimension LoRA experts interpolated in weight space",
)
