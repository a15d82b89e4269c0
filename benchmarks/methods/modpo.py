"""``kind: modpo``: MODPO, one LoRA per grid point trained by DPO with the others' margin.

Zhou et al. (2023), "Beyond One-Preference-Fits-All Alignment": for the weights w = λ of a
grid point, the model is trained by DPO on the preferences of one *target* dimension k with
a margin from the other dimensions' rewards (:func:`mdpo.objectives.modpo_loss`)::

    −log σ( (β/w_k)·[log π/π_ref(y_w) − log π/π_ref(y_l)]
            − (1/w_k)·Σ_{i≠k} w_i·(r_i(y_w) − r_i(y_l)) )

The target is the dimension of largest weight (the first on ties,
:func:`mdpo.objectives.target_dimension`), so w_k ≥ 1/m. Like DPS it is one plain LoRA of
rank k + m per point of its Das–Dennis grid (``dps_partitions``), evaluated only there
(:class:`mdpo.policies.DPSPolicy`; saved runs have the ``"dps"`` layout with
``"method_kind": "modpo"``).

- **Bandit.** The margin rewards are the task's exact reward tables r_i. With the task's
  ``exact`` objective a member minimises the expected loss over every ordered pair of
  distinct actions, the first winning with Bradley–Terry probability σ(r_k(a) − r_k(a')),
  whose minimiser is the analytic optimum π*_λ ∝ π_ref·exp(Σ_i λ_i r_i/β); with ``dpo``
  it draws one such pair per row and step, keyed by (seed, step). Each member trains
  ``steps // K`` steps: equal compute with DPS.
- **Language-model tasks.** The margin rewards are implicit rewards of separately trained
  single-dimension experts, r_i(x, y) = β·(log π_i(y|x) − log π_ref(y|x)) (the paper's
  practice), computed once per response and added to the data. The budget is split in
  half: the m experts train ``(steps // 2) // m`` steps each at the vertices (cached like
  RS's, under their own key), the K members share the rest, ``(steps − m·expert steps) // K``
  each. Its members share one base model like DPS's, so they are evaluated the same way:
  unmerged, all (λ, prompt) rows in shared generate batches
  (:func:`mdpo.benchmarks.methods.dps.saved_grid`).

MODPO's margin is a linear combination, so the method's ``aggregator`` must be ``"ls"``.
It does not run on the synthetic task (no preferences to learn from).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from mdpo.benchmarks.methods import dps
from mdpo.benchmarks.methods.builders import FeatureContext, MethodRun, member_label
from mdpo.benchmarks.methods.llm import LLMContext, LLMTrained
from mdpo.benchmarks.methods.loop import TrainLog, fixed_preferences
from mdpo.benchmarks.methods.registry import is_language_model, linear_aggregator
from mdpo.benchmarks.tasks.base import TrainableTask
from mdpo.objectives import modpo_loss, target_dimension
from mdpo.policies import DPSPolicy
from mdpo.seeding import derive_seed, keyed_generator

__all__ = ["SPEC", "bandit_modpo_losses", "implicit_rewards"]


def bandit_modpo_losses(
    task: TrainableTask, preference: torch.Tensor
) -> Callable[..., torch.Tensor]:
    """The MODPO losses of a bandit member trained at ``preference``, for the training loop.

    Args:
        task: A task with :attr:`~mdpo.benchmarks.tasks.base.TrainableTask.has_reward_tables`
            (the bandit): its reward tables are the margin rewards.
        preference: The member's λ ``[m]``.

    Returns:
        ``losses(logits [B, X, A], *, objective, seed, step) -> [B, X, m]``: the loss of
        each row in the target's column, 0 in the others (train it with linear
        scalarisation at the target's vertex e_k).
    """
    lam = preference.to(torch.float32)
    m = lam.shape[0]
    k = int(target_dimension(lam))
    others = lam.clone()
    others[k] = 0.0
    tables = task.reward_tables()
    other_reward = tables.rewards @ others  # [X, A]: Σ_{i≠k} w_i r_i
    target_reward = tables.rewards[..., k]  # [X, A]
    log_ref = torch.log_softmax(tables.ref_logits, dim=-1)
    zero = torch.zeros(())
    beta, weight = tables.beta, lam[k]

    def loss_of(rho_c: torch.Tensor, rho_r: torch.Tensor, margin: torch.Tensor) -> torch.Tensor:
        return modpo_loss(rho_c, rho_r, zero, zero, margin, beta=beta, weight=weight)

    def losses(outputs: torch.Tensor, *, objective: str, seed: int, step: int) -> torch.Tensor:
        b, x, a = outputs.shape
        rho = torch.log_softmax(outputs, dim=-1) - log_ref  # [B, X, A]: log π/π_ref
        if objective == "exact":
            first, second = rho[..., :, None], rho[..., None, :]  # [B, X, A, A]
            margin = other_reward[:, :, None] - other_reward[:, None, :]  # [X, A, A]
            p_first = torch.sigmoid(target_reward[:, :, None] - target_reward[:, None, :])
            pair = p_first * loss_of(first, second, margin)
            pair = pair + (1 - p_first) * loss_of(second, first, -margin)
            distinct = ~torch.eye(a, dtype=torch.bool)
            loss = pair[..., distinct].mean(dim=-1)  # [B, X]
        elif objective == "dpo":
            gen = keyed_generator(seed, "modpo-pairs", step)
            one = torch.randint(0, a, (b, x, 1), generator=gen)
            two = (one + torch.randint(1, a, (b, x, 1), generator=gen)) % a
            r_k = target_reward.expand(b, x, a)
            one_wins = torch.rand(b, x, 1, generator=gen) < torch.sigmoid(
                r_k.gather(2, one) - r_k.gather(2, two)
            )
            chosen, rejected = torch.where(one_wins, one, two), torch.where(one_wins, two, one)
            other = other_reward.expand(b, x, a)
            margin = other.gather(2, chosen) - other.gather(2, rejected)
            loss = loss_of(rho.gather(2, chosen), rho.gather(2, rejected), margin)[..., 0]
        else:
            raise ValueError(
                f"objective must be one of {list(task.objectives)} for MODPO on the bandit, "
                f"got {objective!r}"
            )
        return loss[..., None] * F.one_hot(torch.tensor(k), m).to(loss.dtype)

    return losses


def train(ctx: FeatureContext) -> MethodRun:
    """Train one MODPO member per grid point on the bandit (exact margin rewards)."""
    from mdpo.aggregators import get_aggregator

    task, m = ctx.task, ctx.n_dims

    def member(model: Any, lam: torch.Tensor, k: int, steps: int) -> TrainLog:
        vertex = torch.eye(m)[int(target_dimension(lam))]
        return ctx.train(
            model,
            aggregator=get_aggregator("ls"),
            preferences=fixed_preferences(vertex, ctx.training.pref_batch),
            steps=steps,
            seed=derive_seed(ctx.seed, "member", k),
            label=member_label(lam),
            losses=bandit_modpo_losses(task, lam),
        )

    grid, members, logs = ctx.members(member)
    return MethodRun(DPSPolicy(grid, members, task.dim_names), logs)


def implicit_rewards(ctx: LLMContext, experts: list[Any], data: Any) -> Any:
    """``data`` with each expert's implicit reward of both responses of every pair.

    r_i(x, y) = β·(log π_i(y|x) − log π_ref(y|x)), with log-probs summed over the response
    tokens as DPO tokenizes them (the task's
    :meth:`~mdpo.benchmarks.tasks.base.LanguageModelTask.response_logps`),
    each distinct (prompt, response) scored once; NaN where truncation empties a response.

    Args:
        ctx: The run's context (the task's reference model, tokenizer, β and lengths).
        experts: The m expert models, in dimension order.
        data: The paired dataset.

    Returns:
        The dataset with the columns :func:`mdpo.objectives.reward_column` names.
    """
    from mdpo.objectives import reward_column

    task, c = ctx.task, ctx.task.config
    prompts = data["prompt"]
    columns = {col: data[col] for col in ("response_0", "response_1")}
    keys = sorted({(p, r) for texts in columns.values() for p, r in zip(prompts, texts)})
    index = {key: i for i, key in enumerate(keys)}

    def logps(model: Any) -> torch.Tensor:
        return task.response_logps(model, [p for p, _ in keys], [r for _, r in keys]).double()

    reference = logps(task.reference)
    for name, expert in zip(task.dim_names, experts):
        reward = (c.beta * (logps(expert) - reference)).tolist()
        for col, texts in columns.items():
            values = [reward[index[(p, r)]] for p, r in zip(prompts, texts)]
            data = data.add_column(reward_column(name, col), values)
    return data


def train_llm(ctx: LLMContext) -> LLMTrained:
    """Train the margin experts, then one MODPO member per grid point; save the members."""
    from mdpo.objectives import MODPOObjective

    task, m, steps = ctx.task, ctx.n_dims, ctx.training.steps
    expert_steps = max(1, (steps // 2) // m)
    experts, expert_logs, reused = ctx.experts(expert_steps)
    data = implicit_rewards(ctx, experts, ctx.data)
    objective = MODPOObjective(
        task.dim_names, beta=task.config.beta, max_length=task.config.max_length, chat_template=True
    )

    def member(model: Any, lam: torch.Tensor, k: int, member_steps: int) -> TrainLog:
        return ctx.train(
            model,
            steps=member_steps,
            seed=ctx.seed_for("member", k),
            fixed_preference=lam.tolist(),
            label=member_label(lam),
            objective=objective,
            data=data,
        )

    policy, logs, fields = dps.saved_grid(ctx, member, steps=max(1, steps - m * expert_steps))
    fields |= {"method_kind": "modpo", "margin_experts": {"steps": expert_steps, "reused": reused}}
    return LLMTrained(policy, expert_logs + logs, fields)


def _supports(task: Any) -> bool:
    """Language-model tasks, and tasks with exact reward tables for the margin (the bandit)."""
    return is_language_model(task) or (isinstance(task, TrainableTask) and task.has_reward_tables)


def _check(method: Any) -> None:
    if not linear_aggregator(method):
        raise ValueError(
            f"method {method.name!r} has kind 'modpo', whose margin is a linear combination "
            f"of the rewards: aggregator must be 'ls', got {method.aggregator!r}"
        )


def _always(method: Any) -> bool:
    return True


SPEC = dataclasses.replace(
    dps.SPEC,  # laid out, evaluated and saved like DPS: one member per grid point
    train=train,
    train_llm=train_llm,
    grid_optimum=_always,
    supports=_supports,
    check=_check,
    summary="MODPO: one LoRA per grid point, DPO on the target with the others' reward margin",
)
