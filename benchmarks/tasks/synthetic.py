"""Pareto-set learning on pymoo test problems with known fronts (convex and concave).

A preference-conditioned network maps λ to a decision ``x = sigmoid(MLP(c))`` in the box
``[0, 1]^n`` (c a fixed input); the losses are the problem's objectives (minimised), the
objective values their negatives. On a concave front (ZDT2, DTLZ2) linear scalarisation
only ever finds the extremes, while Tchebycheff reaches every point.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import torch
from torch import nn

from mdpo.benchmarks.tasks.base import TrainableTask, check_names
from mdpo.benchmarks.tasks.mlp import FeatureMLP
from mdpo.benchmarks.tasks.problems import PROBLEMS
from mdpo.benchmarks.tasks.registry import TaskSpec
from mdpo.preferences import preference_grid
from mdpo.seeding import keyed_generator

__all__ = ["SPEC", "SyntheticConfig", "SyntheticNet", "SyntheticTask"]


@dataclasses.dataclass
class SyntheticConfig:
    """Parameters of a synthetic task (YAML ``params:`` of a ``kind: synthetic`` task).

    Args:
        problem: ``"zdt1"`` (convex), ``"zdt2"`` or ``"dtlz2"`` (concave).
        n_var: Number of decision variables.
        n_obj: Number of objectives (2 for ZDT; >= 2 for DTLZ2).
        hidden: Hidden width of the network.
        depth: Number of adapted linear layers (>= 2).
        feature_dim: Width of the fixed input.
        net_seed: Seed of the base network.
        dim_names: Dimension names.
    """

    problem: str = "zdt2"
    n_var: int = 10
    n_obj: int = 2
    hidden: int = 32
    depth: int = 3
    feature_dim: int = 8
    net_seed: int = 0
    dim_names: list[str] | None = None

    def __post_init__(self) -> None:
        if self.problem not in PROBLEMS:
            raise ValueError(
                f"synthetic param problem must be one of {sorted(PROBLEMS)}, got {self.problem!r}"
            )
        for name in ("n_var", "n_obj", "hidden", "depth", "feature_dim"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 2:
                raise ValueError(f"synthetic param {name} must be an int >= 2, got {value!r}")
        if self.problem.startswith("zdt") and self.n_obj != 2:
            raise ValueError(
                f"synthetic param n_obj must be 2 for {self.problem}, got {self.n_obj}"
            )
        if self.n_var < self.n_obj:
            raise ValueError(
                f"synthetic param n_var must be >= n_obj={self.n_obj}, got {self.n_var}"
            )


class SyntheticNet(nn.Module):
    """``x = sigmoid(MLP(input · c ⊕ λ-slot))``: input ``[..., 1]`` (or ``[..., 1 + m]``).

    Args:
        n_var: Decision dimension.
        n_dims: m (width of the λ slot).
        hidden: Hidden width.
        depth: Number of linear layers.
        feature_dim: Width of the fixed input vector c.
        generator: Generator for c and the base weights.
    """

    def __init__(
        self,
        n_var: int,
        n_dims: int,
        *,
        hidden: int,
        depth: int,
        feature_dim: int,
        generator: torch.Generator,
    ) -> None:
        super().__init__()
        self.register_buffer("code", torch.randn(feature_dim, generator=generator))
        self.mlp = FeatureMLP(feature_dim, n_dims, hidden, n_var, depth=depth, generator=generator)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Decisions ``[..., n_var]`` in (0, 1)."""
        features = torch.cat([x[..., :1] * self.code, x[..., 1:]], dim=-1)
        return torch.sigmoid(self.mlp(features))


class SyntheticTask(TrainableTask):
    """A pymoo problem as a Pareto-set-learning task (see the module docstring).

    Args:
        config: A :class:`SyntheticConfig` (or a mapping of its fields).

    Example:
        >>> from mdpo.benchmarks.tasks.synthetic import SyntheticTask
        >>> task = SyntheticTask({"problem": "zdt2", "n_var": 4})
        >>> task.true_front(2)
        tensor([[ 0.0000, -1.0000],
                [-0.5000, -0.7500],
                [-1.0000,  0.0000]], dtype=torch.float64)
    """

    has_logits: ClassVar[bool] = False

    def __init__(self, config: SyntheticConfig | dict[str, Any]) -> None:
        cfg = config if isinstance(config, SyntheticConfig) else SyntheticConfig(**config)
        self.config = cfg
        self.function = PROBLEMS[cfg.problem]
        self.dim_names = check_names(cfg.dim_names, cfg.n_obj, "f")
        self.target_modules = [f"fc{i + 1}" for i in range(cfg.depth)]

    def make_model(self) -> SyntheticNet:
        """A fresh base network, identical on every call."""
        cfg = self.config
        return SyntheticNet(
            cfg.n_var,
            cfg.n_obj,
            hidden=cfg.hidden,
            depth=cfg.depth,
            feature_dim=cfg.feature_dim,
            generator=keyed_generator(cfg.net_seed, "synthetic-net"),
        )

    def inputs(self) -> torch.Tensor:
        """The single constant input ``[1, 1]``."""
        return torch.ones(1, 1)

    def objectives_of(self, x: torch.Tensor) -> torch.Tensor:
        """The problem's objectives ``[..., m]`` (minimised) at decisions ``[..., n_var]``."""
        return self.function(x, self.config.n_obj)

    def losses(
        self, outputs: torch.Tensor, *, objective: str, seed: int, step: int
    ) -> torch.Tensor:
        """The objectives ``[B, 1, m]`` at the decisions ``[B, 1, n_var]``."""
        if objective not in self.objectives:
            raise ValueError(f"objective must be one of {list(self.objectives)}, got {objective!r}")
        return self.objectives_of(outputs)

    def values(self, outputs: torch.Tensor) -> torch.Tensor:
        """Negated objectives ``[m]`` at the decision ``[1, n_var]``."""
        return -self.objectives_of(outputs.double())[0]

    def ideal_point(self) -> torch.Tensor:
        """Zeros: every objective of ZDT1/ZDT2/DTLZ2 attains its minimum 0 on the front."""
        return torch.zeros(self.config.n_obj, dtype=torch.float64)

    def true_front(self, n: int) -> torch.Tensor:
        """The negated Pareto front, ``[K, m]``.

        ZDT: pymoo's ``pareto_front`` with ``n + 1`` points (evenly spaced in f1). DTLZ2: the
        Das–Dennis directions with ``n`` partitions projected onto the unit sphere (pymoo's
        construction).
        """
        from pymoo.problems import get_problem

        cfg = self.config
        if cfg.problem.startswith("zdt"):
            front = get_problem(cfg.problem, n_var=cfg.n_var).pareto_front(n_pareto_points=n + 1)
        else:
            grid = preference_grid(cfg.n_obj, n).double().numpy()
            problem = get_problem(cfg.problem, n_var=cfg.n_var, n_obj=cfg.n_obj)
            front = problem.pareto_front(grid)
        return 0.0 - torch.as_tensor(front, dtype=torch.float64)  # no -0.0


SPEC = TaskSpec(
    config=SyntheticConfig,
    task=SyntheticTask,
    summary="Pareto-set learning on ZDT1, ZDT2 or DTLZ2 (known convex or concave fronts)",
)
"""The ``synthetic`` task kind."""
