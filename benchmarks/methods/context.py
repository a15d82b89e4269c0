"""What a method kind's trainer receives on any task, and the helpers every kind shares.

:class:`MethodContext` holds the method's config, the task, the training settings (the
method's overrides applied) and the seed, with what the kinds use whatever the task: the
seeded initialisation of a trained unit, a plain LoRA of rank k + m on a fresh base model,
the method's Das–Dennis grid and one such LoRA per grid point.
:class:`~mdpo.benchmarks.methods.builders.FeatureContext` (bandit, synthetic) and
:class:`~mdpo.benchmarks.methods.llm.LLMContext` (language-model tasks) add how a unit trains
on their tasks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

from mdpo.benchmarks.config import MethodConfig, TrainingConfig
from mdpo.benchmarks.methods.loop import TrainLog
from mdpo.seeding import derive_seed

__all__ = ["MethodContext", "member_label", "plain_lora"]


def plain_lora(model: nn.Module, target_modules: Sequence[str], rank: int) -> nn.Module:
    """``model`` wrapped in a plain peft LoRA of rank ``rank`` (``lora_alpha = rank``).

    Args:
        model: A fresh base model.
        target_modules: The adapted modules.
        rank: The LoRA rank (k + m for the baselines).

    Returns:
        The ``peft.PeftModel``.
    """
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(r=rank, lora_alpha=rank, target_modules=list(target_modules))
    return get_peft_model(model, config)


def member_label(preference: torch.Tensor) -> str:
    """The log label of a grid member trained at ``preference`` ``[m]``.

    Example:
        >>> import torch
        >>> from mdpo.benchmarks.methods.builders import member_label
        >>> member_label(torch.tensor([0.25, 0.75]))
        'member:0.25,0.75'
    """
    return "member:" + ",".join(f"{v:.3g}" for v in preference.tolist())


@dataclasses.dataclass
class MethodContext:
    """The run a method kind trains for, and the helpers shared by every task family.

    Args:
        method: The method's config.
        task: The built task (its ``n_dims``, ``make_model`` and ``target_modules``).
        training: The training settings with the method's overrides applied.
        seed: The training seed.
    """

    method: MethodConfig
    task: Any
    training: TrainingConfig
    seed: int

    @property
    def n_dims(self) -> int:
        """Number m of dimensions."""
        return self.task.n_dims

    def seed_for(self, *keys: Any) -> int:
        """A 31-bit seed derived from the run's seed and ``keys``."""
        return derive_seed(self.seed, *keys) % (2**31)

    def init(self, *keys: Any) -> None:
        """Seed torch's global generator for one trained unit (adapter initialisation).

        Args:
            *keys: What is initialised (``"init"``, ``("expert", i)``, ``("member", k)``),
                after the method's name.
        """
        torch.manual_seed(self.seed_for(self.method.name, *keys))

    def lora(self) -> nn.Module:
        """A plain LoRA of rank k + m on a fresh copy of the task's base model."""
        task = self.task
        return plain_lora(task.make_model(), task.target_modules, self.training.rank + task.n_dims)

    def grid(self) -> torch.Tensor:
        """The method's Das–Dennis grid ``[K, m]`` (``dps_partitions``)."""
        from mdpo.preferences import preference_grid

        return preference_grid(self.n_dims, self.method.grid_partitions(self.n_dims))

    def members(
        self,
        train_member: Callable[[nn.Module, torch.Tensor, int, int], TrainLog],
        steps: int | None = None,
    ) -> tuple[torch.Tensor, list[nn.Module], list[TrainLog]]:
        """One plain LoRA per grid point, each initialised as ``("member", k)``.

        Args:
            train_member: ``(member, λ [m], k, steps) -> TrainLog`` trains member k at λ.
            steps: The members' total steps; ``training.steps`` when None (each gets
                ``steps // K``, at least 1).

        Returns:
            ``(grid [K, m], members, logs)``; the members in eval mode.
        """
        grid = self.grid()
        per_member = max(1, (self.training.steps if steps is None else steps) // grid.shape[0])
        members, logs = [], []
        for k, lam in enumerate(grid):
            self.init("member", k)
            member = self.lora()
            logs.append(train_member(member, lam, k, per_member))
            members.append(member.eval())
        return grid, members, logs
