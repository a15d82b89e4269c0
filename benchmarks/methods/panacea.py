"""``kind: panacea``: one Panacea adapter steered by λ, trained on λ sampled per row.

The adapter has k preference-independent singular values and ``pref_rank`` per dimension
(:class:`mdpo.adapters.PanaceaConfig`; a method's ``adapter:`` sets its other fields). Every
step draws ``pref_batch`` preferences (``vertex_prob`` of them simplex vertices), sets them
on the model one per row, and minimises the method's aggregator over the per-row losses.
On the language-model tasks the same happens per DPO pair through
:class:`mdpo.training.MDPOTrainer`; the saved run has ``"method": "panacea"``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from mdpo.benchmarks.methods.builders import FeatureContext, MethodRun
from mdpo.benchmarks.methods.llm import LLMContext, LLMTrained
from mdpo.benchmarks.methods.registry import MethodSpec
from mdpo.policies import PanaceaPolicy

__all__ = ["SPEC"]


def _model(method: Any, task: Any, rank: int) -> Any:
    from mdpo.adapters import get_panacea_model

    base = task.make_model()
    return get_panacea_model(base, method.panacea_config(rank, task.n_dims, task.target_modules))


def train(ctx: FeatureContext) -> MethodRun:
    """Train the Panacea adapter on a feature task (see the module docstring)."""
    task = ctx.task
    ctx.init("init")
    model = _model(ctx.method, task, ctx.training.rank)
    policy = PanaceaPolicy(model, task.n_dims, task.dim_names)
    return MethodRun(policy.eval(), [ctx.train_sampled(model, "panacea")])


def train_llm(ctx: LLMContext) -> LLMTrained:
    """Train and save the Panacea adapter on a language-model task."""
    task = ctx.task
    ctx.init("init")
    model = _model(ctx.method, task, ctx.training.rank)
    log = ctx.train_sampled(model, "panacea")
    fields = {"adapter_paths": {"adapter": ctx.save(model, "adapter")}}
    return LLMTrained(PanaceaPolicy(model, task.n_dims, task.dim_names).eval(), [log], fields)


_SUITE_OWNED = ("r", "n_dims", "target_modules")
"""PanaceaConfig fields set by the suite and the task, never by a method's ``adapter``."""


def _check(method: Any) -> None:
    """Validate ``adapter`` against :class:`~mdpo.adapters.PanaceaConfig` now, not mid-run."""
    if not method.adapter:
        return
    from mdpo.adapters import PanaceaConfig

    allowed = sorted(
        f.name for f in dataclasses.fields(PanaceaConfig) if f.name not in _SUITE_OWNED
    )
    unknown = sorted(set(method.adapter) - set(allowed))
    if unknown:
        raise ValueError(
            f"method {method.name!r} adapter has unknown fields {unknown}; allowed: {allowed}"
        )
    try:
        PanaceaConfig(**method.adapter)
    except (TypeError, ValueError) as err:
        raise ValueError(f"method {method.name!r} adapter: {err}") from err


SPEC = MethodSpec(
    policy=PanaceaPolicy,
    train=train,
    train_llm=train_llm,
    layout="panacea",
    options=("adapter",),
    check=_check,
    summary="one Panacea adapter, λ in its singular values",
)
