"""``kind: mod``: MOD, the Rewarded-Soups experts with their logits mixed by λ.

The same m experts as :mod:`~mdpo.benchmarks.methods.rs` (on the language-model tasks the
very same, from the shared cache); at λ the policy's logits are Σ_i λ_i logits_i, so it
needs a task whose outputs are logits (m forward passes per token at evaluation). The saved
run has ``"method": "mod"`` and ``"experts": {dim: "experts/<dim>"}``.
"""

from __future__ import annotations

from typing import Any

from mdpo.benchmarks.methods.builders import FeatureContext, MethodRun
from mdpo.benchmarks.methods.llm import LLMContext, LLMTrained
from mdpo.benchmarks.methods.registry import MethodSpec
from mdpo.benchmarks.methods.rs import saved_experts
from mdpo.policies import MODPolicy

__all__ = ["SPEC"]


def train(ctx: FeatureContext) -> MethodRun:
    """Train the m experts on a feature task and mix their logits."""
    experts, logs = ctx.experts()
    return MethodRun(MODPolicy(experts, ctx.task.dim_names), logs)


def train_llm(ctx: LLMContext) -> LLMTrained:
    """Train (or reuse) and save the m experts of a language-model task; mix their logits."""
    experts, logs, fields = saved_experts(ctx)
    return LLMTrained(MODPolicy(experts, ctx.task.dim_names), logs, fields)


def _has_logits(task: Any) -> bool:
    return bool(task.has_logits)


SPEC = MethodSpec(
    policy=MODPolicy,
    train=train,
    train_llm=train_llm,
    layout="mod",
    supports=_has_logits,
    summary="MOD: the single-dimension experts' logits mixed by λ",
)
