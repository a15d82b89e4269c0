"""Train a method on a feature task (bandit, synthetic) at equal compute.

:func:`build_method` looks the method's kind up in the registry
(:mod:`mdpo.benchmarks.methods.registry`) and hands its ``train`` a :class:`FeatureContext`:
the method, the task, the training settings with the method's overrides, the seed, and the
pieces every kind shares (those of :class:`~mdpo.benchmarks.methods.context.MethodContext`:
seeded initialisation, a plain LoRA of rank k + m, the grid of per-λ members; and here the
training loop with the suite's settings and the m single-dimension experts).
The kinds themselves live in one module each (:mod:`~mdpo.benchmarks.methods.panacea`,
:mod:`~mdpo.benchmarks.methods.rs`, ...).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn

from mdpo.benchmarks.config import MethodConfig, TrainingConfig
from mdpo.benchmarks.methods.context import MethodContext, member_label, plain_lora
from mdpo.benchmarks.methods.loop import (
    TrainLog,
    fixed_preferences,
    sampled_preferences,
    train_loop,
)
from mdpo.policies import PreferenceConditionedPolicy, append_preference
from mdpo.seeding import derive_seed

__all__ = ["FeatureContext", "MethodRun", "build_method", "member_label", "plain_lora"]


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


@dataclasses.dataclass
class FeatureContext(MethodContext):
    """What a method kind's ``train`` receives on a feature task, and the shared helpers.

    The fields are :class:`~mdpo.benchmarks.methods.context.MethodContext`'s, ``task`` a
    :class:`~mdpo.benchmarks.tasks.base.TrainableTask`; this adds how a unit trains there.
    """

    @property
    def aggregator(self) -> Any:
        """A new instance of the method's aggregator."""
        from mdpo.aggregators import get_aggregator

        return get_aggregator(self.method.aggregator, **self.method.aggregator_kwargs)

    def forward(self, model: nn.Module, how: str = "plain") -> Callable[[torch.Tensor], Any]:
        """``λ [B, m] -> model outputs [B, N, ...]`` on the task's N inputs.

        Args:
            model: The trained model.
            how: ``"plain"`` ignores λ (fixed-λ training), ``"prompt"`` appends λ to the
                input, ``"panacea"`` sets λ (one per row) on the Panacea model.

        Returns:
            The forward the training loop calls.
        """
        inputs = self.task.inputs()

        def run(lam: torch.Tensor) -> Any:
            x = inputs.expand(lam.shape[0], *inputs.shape)
            if how == "prompt":
                x = append_preference(x, lam)
            elif how == "panacea":
                model.set_preference(lam)
            return model(x)

        return run

    def train(
        self,
        model: nn.Module,
        *,
        preferences: Callable[[int], torch.Tensor],
        steps: int,
        seed: int,
        label: str,
        how: str = "plain",
        aggregator: Any = None,
        params: Iterable[nn.Parameter] | None = None,
        losses: Callable[..., torch.Tensor] | None = None,
    ) -> TrainLog:
        """:func:`~mdpo.benchmarks.methods.loop.train_loop` with the suite's settings.

        Args:
            model: The model to train (its trainable parameters, unless ``params``).
            preferences: ``step -> λ [B, m]``.
            steps: Optimizer steps.
            seed: Seed of sampled objectives.
            label: Stored in the log.
            how: How λ reaches the model (see :meth:`forward`).
            aggregator: The aggregator; the method's when None.
            params: The trained parameters; ``model.parameters()`` when None.
            losses: Per-row losses instead of the task's (see ``train_loop``).

        Returns:
            The :class:`~mdpo.benchmarks.methods.loop.TrainLog`.
        """
        method, cfg, task = self.method, self.training, self.task
        return train_loop(
            self.forward(model, how),
            model.parameters() if params is None else params,
            task=task,
            aggregator=self.aggregator if aggregator is None else aggregator,
            preferences=preferences,
            steps=steps,
            seed=seed,
            label=label,
            lr=cfg.lr,
            lr_schedule=cfg.lr_schedule,
            objective=method.objective_for(task),
            ideal_margin=cfg.ideal_margin,
            log_every=cfg.log_every,
            ideal=task.ideal_point() if method.ideal == "given" else None,
            losses=losses,
        )

    def train_sampled(self, model: nn.Module, how: str) -> TrainLog:
        """Train one model for ``steps`` steps on λ sampled per row (Panacea, prompt).

        Args:
            model: The λ-conditioned model.
            how: How λ reaches it (``"panacea"`` or ``"prompt"``, see :meth:`forward`); also
                the log's label.

        Returns:
            The :class:`~mdpo.benchmarks.methods.loop.TrainLog`.
        """
        cfg = self.training
        return self.train(
            model,
            how=how,
            preferences=sampled_preferences(
                self.n_dims, cfg.pref_batch, seed=self.seed, vertex_prob=cfg.vertex_prob
            ),
            steps=cfg.steps,
            seed=self.seed,
            label=how,
        )

    def experts(self) -> tuple[list[nn.Module], list[TrainLog]]:
        """The m single-dimension LoRA experts, ``steps // m`` steps each at the vertex e_i.

        Returns:
            ``(experts, logs)``, both in dimension order.
        """
        from mdpo.aggregators import get_aggregator

        m, names = self.n_dims, self.task.dim_names
        experts, logs = [], []
        for i in range(m):
            self.init("expert", i)
            expert = self.lora()
            logs.append(
                self.train(
                    expert,
                    aggregator=get_aggregator("ls"),
                    preferences=fixed_preferences(torch.eye(m)[i], self.training.pref_batch),
                    steps=max(1, self.training.steps // m),
                    seed=derive_seed(self.seed, "expert", i),
                    label=f"expert:{names[i]}",
                )
            )
            experts.append(expert.eval())
        return experts, logs


def build_method(method: MethodConfig, task: Any, training: TrainingConfig, seed: int) -> MethodRun:
    """Build and train ``method`` on ``task`` with one seed.

    Args:
        method: The method's config.
        task: A :class:`~mdpo.benchmarks.tasks.base.TrainableTask`.
        training: Training settings (the method's own overrides already applied or not:
            ``method.steps``/``lr``/``vertex_prob`` win).
        seed: Training seed (adapter initialisation and λ draws).

    Returns:
        A :class:`MethodRun`.

    Raises:
        ValueError: If the method's kind does not train on feature tasks.
    """
    from mdpo.benchmarks.methods.registry import get_method

    spec = get_method(method.kind)
    if spec.train is None:
        raise ValueError(
            f"method {method.name!r} has kind {method.kind!r}, which trains on language-model "
            f"tasks only, not on {type(task).__name__}"
        )
    return spec.train(FeatureContext(method, task, method.training_for(training), seed))
