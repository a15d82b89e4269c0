r"""The contextual bandit: an exact oracle with an analytic Pareto front.

Contexts x (uniform), a finite candidate set of A actions, reward tables ``r_i(x, y)`` for
m dimensions, reference logits and β. For a policy π,

.. math::

    J_i(\pi) = \mathbb{E}_x \big[ \mathbb{E}_{y \sim \pi(\cdot|x)} r_i(x, y)
    - \beta \, \mathrm{KL}(\pi(\cdot|x) \,\|\, \pi_{ref}(\cdot|x)) \big],

computed exactly by enumeration. Every J_i is concave in π, so the Pareto front is traced by
the linear scalarisation, whose maximiser is ``π*_λ ∝ π_ref · exp(Σ_i λ_i r_i / β)``.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import torch
from torch import nn

from mdpo.benchmarks.tasks.base import RewardTables, TrainableTask, check_names
from mdpo.benchmarks.tasks.mlp import FeatureMLP
from mdpo.benchmarks.tasks.registry import TaskSpec
from mdpo.preferences import preference_grid
from mdpo.seeding import keyed_generator

__all__ = ["SPEC", "BanditConfig", "BanditNet", "BanditTask", "bandit_values"]


@dataclasses.dataclass
class BanditConfig:
    """Parameters of a bandit task (YAML ``params:`` of a ``kind: bandit`` task).

    Tables given explicitly (``rewards``, ``ref_logits``) take precedence over the drawn ones.

    Args:
        n_dims: Number m of reward dimensions.
        n_contexts: Number X of contexts.
        n_actions: Number A of candidate actions.
        beta: KL coefficient β > 0.
        table_seed: Seed of the drawn tables and of the base network.
        rewards: Optional explicit ``[X][A][m]`` reward table.
        ref_logits: Optional explicit ``[X][A]`` reference logits.
        ref_scale: Standard deviation of drawn reference logits.
        hidden: Hidden width of the policy network.
        depth: Number of adapted linear layers (>= 2).
        feature_dim: Width of the fixed random context embedding.
        dim_names: Dimension names.
    """

    n_dims: int = 2
    n_contexts: int = 8
    n_actions: int = 8
    beta: float = 0.5
    table_seed: int = 0
    rewards: list[Any] | None = None
    ref_logits: list[Any] | None = None
    ref_scale: float = 1.0
    hidden: int = 64
    depth: int = 3
    feature_dim: int = 16
    dim_names: list[str] | None = None

    def __post_init__(self) -> None:
        for name in ("n_dims", "n_contexts", "n_actions", "hidden", "feature_dim", "depth"):
            value = getattr(self, name)
            low = 2 if name in ("n_actions", "depth") else 1
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"bandit param {name} must be an int >= {low}, got {value!r}")
        for name in ("beta", "ref_scale"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise ValueError(f"bandit param {name} must be a float > 0, got {value!r}")
        if self.rewards is not None:
            table = torch.as_tensor(self.rewards, dtype=torch.float64)
            if table.dim() != 3:
                raise ValueError(
                    "bandit param rewards must be a [X][A][m] table, got shape "
                    f"{tuple(table.shape)}"
                )
            self.n_contexts, self.n_actions, self.n_dims = (int(s) for s in table.shape)
        if self.ref_logits is not None:
            ref = torch.as_tensor(self.ref_logits, dtype=torch.float64)
            if tuple(ref.shape) != (self.n_contexts, self.n_actions):
                raise ValueError(
                    f"bandit param ref_logits must have shape [{self.n_contexts}, "
                    f"{self.n_actions}], got {tuple(ref.shape)}"
                )


def bandit_values(
    logits: torch.Tensor, ref_logits: torch.Tensor, rewards: torch.Tensor, beta: float
) -> torch.Tensor:
    """Exact ``J [m]`` of a policy with logits ``[X, A]`` (contexts uniform).

    Args:
        logits: Policy logits ``[X, A]``.
        ref_logits: Reference logits ``[X, A]``.
        rewards: ``[X, A, m]``.
        beta: β.

    Returns:
        ``[m]`` in the dtype of ``rewards``.

    Example:
        >>> import torch
        >>> from mdpo.benchmarks.tasks.bandit import bandit_values
        >>> r = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])
        >>> bandit_values(torch.zeros(1, 2), torch.zeros(1, 2), r, 0.5)
        tensor([0.5000, 0.5000])
    """
    from mdpo.objectives import exact_rlhf_loss

    loss = exact_rlhf_loss(
        logits.to(rewards.dtype), ref_logits.to(rewards.dtype), rewards, beta=beta
    )
    return -loss.mean(dim=0)


class BanditNet(nn.Module):
    """The bandit policy network: ``logits = ref_logits[x] + MLP(embed(x) ⊕ λ-slot)``.

    The input is the one-hot context ``[..., X]`` (optionally with λ appended). The MLP's
    base output layer is zero, so the frozen base network *is* π_ref, and with an adapter
    disabled the policy is exactly the reference.

    Args:
        ref_logits: ``[X, A]``.
        n_dims: m (width of the λ slot).
        hidden: Hidden width.
        depth: Number of linear layers.
        feature_dim: Width of the fixed random context embedding.
        generator: Generator for the embedding and the base weights.
    """

    def __init__(
        self,
        ref_logits: torch.Tensor,
        n_dims: int,
        *,
        hidden: int,
        depth: int,
        feature_dim: int,
        generator: torch.Generator,
    ) -> None:
        super().__init__()
        n_contexts, n_actions = ref_logits.shape
        self.register_buffer("ref_logits", ref_logits.to(torch.float32).clone())
        self.register_buffer("embedding", torch.randn(n_contexts, feature_dim, generator=generator))
        self.n_contexts = n_contexts
        self.mlp = FeatureMLP(
            feature_dim,
            n_dims,
            hidden,
            n_actions,
            depth=depth,
            zero_output=True,
            generator=generator,
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``[..., A]`` for one-hot contexts ``[..., X]`` (or ``[..., X + m]``)."""
        onehot, slot = x[..., : self.n_contexts], x[..., self.n_contexts :]
        features = torch.cat([onehot @ self.embedding, slot], dim=-1)
        return onehot @ self.ref_logits + self.mlp(features)


class BanditTask(TrainableTask):
    """The bandit task (see the module docstring).

    Training objectives: ``"exact"`` (the exact RLHF loss
    :func:`mdpo.objectives.exact_rlhf_loss`) and ``"dpo"`` (:func:`mdpo.objectives.dpo_loss`
    on one pair per row and dimension per step: two distinct actions drawn uniformly, the
    winner drawn from Bradley–Terry on ``r_i``, draws keyed by (seed, step)).

    Args:
        config: A :class:`BanditConfig` (or a mapping of its fields).

    Example:
        >>> from mdpo.benchmarks.tasks.bandit import BanditTask
        >>> task = BanditTask({"n_dims": 2, "n_contexts": 3, "n_actions": 4})
        >>> task.true_front(4).shape
        torch.Size([5, 2])
    """

    has_logits: ClassVar[bool] = True
    has_optimum: ClassVar[bool] = True
    has_reward_tables: ClassVar[bool] = True
    objectives: ClassVar[tuple[str, ...]] = ("exact", "dpo")

    def __init__(self, config: BanditConfig | dict[str, Any]) -> None:
        cfg = config if isinstance(config, BanditConfig) else BanditConfig(**config)
        self.config = cfg
        gen = keyed_generator(cfg.table_seed, "bandit-tables")
        shape = (cfg.n_contexts, cfg.n_actions)
        if cfg.rewards is not None:
            self.rewards = torch.as_tensor(cfg.rewards, dtype=torch.float32)
        else:
            self.rewards = torch.randn(*shape, cfg.n_dims, generator=gen)
        if cfg.ref_logits is not None:
            self.ref_logits = torch.as_tensor(cfg.ref_logits, dtype=torch.float32)
        else:
            self.ref_logits = cfg.ref_scale * torch.randn(*shape, generator=gen)
        self.beta = float(cfg.beta)
        self.dim_names = check_names(cfg.dim_names, cfg.n_dims, "r")
        self.target_modules = [f"fc{i + 1}" for i in range(cfg.depth)]

    def make_model(self) -> BanditNet:
        """A fresh base network (π_ref), identical on every call."""
        cfg = self.config
        return BanditNet(
            self.ref_logits,
            cfg.n_dims,
            hidden=cfg.hidden,
            depth=cfg.depth,
            feature_dim=cfg.feature_dim,
            generator=keyed_generator(cfg.table_seed, "bandit-net"),
        )

    def inputs(self) -> torch.Tensor:
        """The one-hot contexts ``[X, X]``."""
        return torch.eye(self.config.n_contexts)

    def losses(
        self, outputs: torch.Tensor, *, objective: str, seed: int, step: int
    ) -> torch.Tensor:
        """Per-row losses ``[B, X, m]`` for logits ``[B, X, A]`` (see the class docstring)."""
        from mdpo.objectives import dpo_loss, exact_rlhf_loss

        b, x, a = outputs.shape
        m = self.n_dims
        ref = self.ref_logits.expand(b, x, a)
        if objective == "exact":
            rewards = self.rewards.expand(b, x, a, m).reshape(b * x, a, m)
            loss = exact_rlhf_loss(
                outputs.reshape(b * x, a), ref.reshape(b * x, a), rewards, beta=self.beta
            )
            return loss.view(b, x, m)
        if objective != "dpo":
            raise ValueError(f"objective must be one of {list(self.objectives)}, got {objective!r}")
        gen = keyed_generator(seed, "bandit-pairs", step)
        first = torch.randint(0, a, (b, x, m), generator=gen)
        second = (first + torch.randint(1, a, (b, x, m), generator=gen)) % a
        r = self.rewards.expand(b, x, a, m)
        r1 = r.gather(2, first[:, :, None, :]).squeeze(2)
        r2 = r.gather(2, second[:, :, None, :]).squeeze(2)
        first_wins = torch.rand(b, x, m, generator=gen) < torch.sigmoid(r1 - r2)
        chosen = torch.where(first_wins, first, second)
        rejected = torch.where(first_wins, second, first)
        logp = torch.log_softmax(outputs, dim=-1)
        ref_logp = torch.log_softmax(ref, dim=-1)

        def pick(t: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
            return t.gather(2, idx)

        return dpo_loss(
            pick(logp, chosen),
            pick(logp, rejected),
            pick(ref_logp, chosen),
            pick(ref_logp, rejected),
            beta=self.beta,
        )

    def reward_tables(self) -> RewardTables:
        """The reward tables ``[X, A, m]``, the reference logits ``[X, A]`` and β."""
        return RewardTables(self.rewards, self.ref_logits, self.beta)

    def values(self, outputs: torch.Tensor) -> torch.Tensor:
        """Exact ``J [m]`` for logits ``[X, A]``."""
        return bandit_values(outputs, self.ref_logits, self.rewards.double(), self.beta)

    def optimal_logits(self, preference: torch.Tensor) -> torch.Tensor:
        """Logits ``[X, A]`` of ``π*_λ ∝ π_ref · exp(Σ_i λ_i r_i / β)`` for λ ``[m]``."""
        lam = preference.to(torch.float64)
        return self.ref_logits.double() + (self.rewards.double() @ lam) / self.beta

    def optimal_values(self, preference: torch.Tensor) -> torch.Tensor:
        """``J(π*_λ)`` ``[m]``: the exact values of :meth:`optimal_logits` at λ ``[m]``."""
        return self.values(self.optimal_logits(preference))

    def ideal_point(self) -> torch.Tensor:
        """The best loss of each dimension alone: ``−β·E_x log Σ_a π_ref(a|x)·exp(r_i/β)``."""
        log_ref = torch.log_softmax(self.ref_logits.double(), dim=-1)[..., None]
        best = torch.logsumexp(log_ref + self.rewards.double() / self.beta, dim=1)
        return -self.beta * best.mean(dim=0)

    def true_front(self, n: int) -> torch.Tensor:
        """``J(π*_λ)`` ``[K, m]`` over the Das–Dennis grid with ``n`` partitions."""
        grid = preference_grid(self.n_dims, n)
        return torch.stack([self.optimal_values(lam) for lam in grid])


SPEC = TaskSpec(
    config=BanditConfig,
    task=BanditTask,
    summary="contextual bandit: exact values, analytic Pareto front, pi*_lambda known",
)
"""The ``bandit`` task kind."""
