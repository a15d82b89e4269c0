"""How each method kind builds and trains its policy on a task, at equal compute.

- ``panacea``: one Panacea adapter (rank k + m) trained on λ sampled per row;
- ``prompt``: one plain LoRA (rank k + m) trained the same way, with λ appended to the input;
- ``rs``: m plain LoRA experts, expert i trained on dimension i for ``steps // m`` steps,
  souped in ΔW space;
- ``mod``: the same experts, their logits mixed by λ;
- ``dps``: one plain LoRA per Das–Dennis grid point, ``steps // K`` steps each, trained on
  the aggregated objective at its λ.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from mdpo.benchmarks.config import MethodConfig, TrainingConfig
from mdpo.benchmarks.methods.loop import (
    TrainLog,
    fixed_preferences,
    sampled_preferences,
    train_loop,
)
from mdpo.policies import (
    DPSPolicy,
    MODPolicy,
    PanaceaPolicy,
    PreferenceConditionedPolicy,
    PromptConditionedPolicy,
    RSPolicy,
    append_preference,
)
from mdpo.preferences import preference_grid
from mdpo.seeding import derive_seed

__all__ = ["MethodRun", "build_method"]


@dataclasses.dataclass
class MethodRun:
    """A trained policy and its training logs (one per trained unit)."""

    policy: PreferenceConditionedPolicy
    logs: list[TrainLog]

    @property
    def steps(self) -> int:
        """Total optimizer steps."""
        return sum(log.steps for log in self.logs)

    @property
    def rows(self) -> int:
        """Total loss rows."""
        return sum(log.rows for log in self.logs)


def _lora(model: nn.Module, task: Any, rank: int) -> nn.Module:
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(r=rank, lora_alpha=rank, target_modules=list(task.target_modules))
    return get_peft_model(model, config)


def _batched(task: Any, model: nn.Module, how: str = "plain") -> Callable[[torch.Tensor], Any]:
    """``λ [B, m] -> model outputs [B, N, ...]`` on the task's N inputs.

    ``how``: ``"plain"`` ignores λ (fixed-λ training), ``"prompt"`` appends λ to the input,
    ``"panacea"`` sets λ (one per row) on the Panacea model.
    """
    inputs = task.inputs()

    def forward(lam: torch.Tensor) -> Any:
        x = inputs.expand(lam.shape[0], *inputs.shape)
        if how == "prompt":
            x = append_preference(x, lam)
        elif how == "panacea":
            model.set_preference(lam)
        return model(x)

    return forward


def build_method(
    method: MethodConfig,
    task: Any,
    training: TrainingConfig,
    seed: int,
    *,
    on_step: Callable[[int], None] | None = None,
) -> MethodRun:
    """Build and train ``method`` on ``task`` with one seed.

    Args:
        method: The method's config.
        task: A :class:`~mdpo.benchmarks.tasks.base.TrainableTask`.
        training: Training settings (the method's own overrides already applied or not:
            ``method.steps``/``lr``/``vertex_prob`` win).
        seed: Training seed (adapter initialisation and λ draws).
        on_step: Progress callback, called once per optimizer step.

    Returns:
        A :class:`MethodRun`.
    """
    from mdpo.adapters import get_panacea_model
    from mdpo.aggregators import get_aggregator

    cfg = method.training_for(training)
    m = task.n_dims
    names = task.dim_names
    aggregator = get_aggregator(method.aggregator, **method.aggregator_kwargs)
    rank = cfg.rank + m
    common = {
        "task": task,
        "lr": cfg.lr,
        "lr_schedule": cfg.lr_schedule,
        "objective": method.objective,
        "ideal_margin": cfg.ideal_margin,
        "log_every": cfg.log_every,
        "on_step": on_step,
        "ideal": task.ideal_point() if method.ideal == "given" else None,
    }

    def init(*keys: Any) -> None:
        torch.manual_seed(derive_seed(seed, method.name, *keys) % (2**31))

    if method.kind == "prompt" and method.prompt_style == "soft":
        raise ValueError(
            f"method {method.name!r}: prompt_style 'soft' needs a language-model task (a soft "
            f"prompt stands in the text), not {type(task).__name__}; use prompt_style 'text'"
        )
    if method.kind in ("panacea", "prompt"):
        init("init")
        if method.kind == "panacea":
            model = get_panacea_model(
                task.make_model(),
                method.panacea_config(cfg.rank, m, list(task.target_modules)),
            )
            policy: PreferenceConditionedPolicy = PanaceaPolicy(model, m, names)
        else:
            model = _lora(task.make_model(), task, rank)
            policy = PromptConditionedPolicy(model, m, names)
        log = train_loop(
            _batched(task, model, method.kind),
            model.parameters(),
            aggregator=aggregator,
            preferences=sampled_preferences(
                m, cfg.pref_batch, seed=seed, vertex_prob=cfg.vertex_prob
            ),
            steps=cfg.steps,
            seed=seed,
            label=method.kind,
            **common,
        )
        return MethodRun(policy.eval(), [log])

    if method.kind in ("rs", "mod"):
        experts, logs = [], []
        for i in range(m):
            init("expert", i)
            expert = _lora(task.make_model(), task, rank)
            logs.append(
                train_loop(
                    _batched(task, expert),
                    expert.parameters(),
                    aggregator=get_aggregator("ls"),
                    preferences=fixed_preferences(torch.eye(m)[i], cfg.pref_batch),
                    steps=max(1, cfg.steps // m),
                    seed=derive_seed(seed, "expert", i),
                    label=f"expert:{names[i]}",
                    **common,
                )
            )
            experts.append(expert.eval())
        if method.kind == "rs":
            return MethodRun(RSPolicy(task.make_model().eval(), experts, names), logs)
        return MethodRun(MODPolicy(experts, names), logs)

    if method.kind == "dps":
        grid = preference_grid(m, method.grid_partitions(m))
        members, logs = [], []
        per_member = max(1, cfg.steps // grid.shape[0])
        for k, lam in enumerate(grid):
            init("member", k)
            member = _lora(task.make_model(), task, rank)
            logs.append(
                train_loop(
                    _batched(task, member),
                    member.parameters(),
                    aggregator=aggregator,
                    preferences=fixed_preferences(lam, cfg.pref_batch),
                    steps=per_member,
                    seed=derive_seed(seed, "member", k),
                    label="member:" + ",".join(f"{v:.3g}" for v in lam.tolist()),
                    **common,
                )
            )
            members.append(member.eval())
        return MethodRun(DPSPolicy(grid, members, names), logs)
    raise ValueError(f"unknown method kind {method.kind!r}")
