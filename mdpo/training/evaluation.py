"""Evaluation during training: per-dimension losses and DPO metrics at a small λ grid."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from mdpo.seeding import keyed_generator

__all__ = ["EvalPart", "eval_parts", "evaluate_parts", "preference_tag"]


@dataclass(frozen=True)
class EvalPart:
    """One component of the objective with its held-out rows.

    Args:
        key: The component's key (its dimension names joined by ``+``).
        objective: The component's bound objective.
        data: Its prepared, validated eval rows.
    """

    key: str
    objective: Any
    data: Any


def eval_parts(objective: Any, eval_dataset: Any) -> list[EvalPart]:
    """Pair the components of a :class:`~mdpo.objectives.MultiObjective` with eval data.

    Args:
        objective: The trainer's composition.
        eval_dataset: One dataset (for a composition of one component), or a mapping from
            a component's key (its dimension names joined by ``+``, or its one dimension
            name) to a dataset. Components without an entry are not evaluated.

    Returns:
        One :class:`EvalPart` per evaluated component, in component order.

    Raises:
        ValueError: If a mapping key names no component, a single dataset is given for
            several components, or a dataset lacks the needed columns.
        TypeError: For a container of another type.
    """
    keys = [c.key for c in objective.components]
    if isinstance(eval_dataset, Mapping) and eval_dataset and set(eval_dataset) <= set(keys):
        given = dict(eval_dataset)
    elif len(keys) == 1:
        given = {keys[0]: eval_dataset}
    elif isinstance(eval_dataset, Mapping):
        unknown = sorted(set(eval_dataset) - set(keys))
        raise ValueError(
            f"eval_dataset names components {unknown} that the objective does not have; "
            f"use the component keys {keys}"
        )
    else:
        raise ValueError(
            f"eval_dataset must map component keys {keys} to datasets when the objective "
            f"has several components, got {type(eval_dataset).__name__}"
        )
    parts = []
    for comp in objective.components:
        if comp.key not in given:
            continue
        try:
            data = comp.objective.prepare_data(given[comp.key])
            comp.objective.validate_data(data)
        except ValueError as err:
            raise ValueError(f"eval_dataset[{comp.key!r}]: {err}") from err
        parts.append(EvalPart(comp.key, comp.objective, data))
    return parts


def preference_tag(lam: Sequence[float]) -> str:
    """A compact, stable label of one λ for metric names.

    Args:
        lam: ``[m]`` preference.

    Returns:
        The entries with two decimals joined by commas.

    Example:
        >>> from mdpo.training.evaluation import preference_tag
        >>> preference_tag([0.5, 0.5])
        '0.50,0.50'
    """
    return ",".join(f"{float(v):.2f}" for v in lam)


@torch.no_grad()
def evaluate_parts(
    model: Any,
    parts: Sequence[EvalPart],
    dim_names: Sequence[str],
    preferences: torch.Tensor,
    *,
    batch_size: int,
    tokenizer: Any,
    conditioning: Any,
    seed: int = 0,
) -> dict[str, float]:
    """Evaluate every eval row of every part at every λ of a grid.

    Rows are read in order (not drawn), in batches of ``batch_size``. Running normalisation
    statistics are not touched: the losses are the raw per-dimension losses. Under DDP
    every process computes the same numbers (eval sets are meant to be small).

    Args:
        model: The policy, in eval mode.
        parts: From :func:`eval_parts`.
        dim_names: The m dimension names of the composition (λ's order).
        preferences: ``[g, m]`` grid of λ.
        batch_size: Rows per forward.
        tokenizer: The tokenizer.
        conditioning: How λ reaches the policy.
        seed: Seed of the generators of sampling objectives (RLHF).

    Returns:
        For each λ (tag ``t`` from :func:`preference_tag`): ``loss/{dim}@t`` (mean kept
        loss), every objective metric averaged over rows (e.g. ``dpo/{dim}/margin@t``,
        ``dpo/{dim}/accuracy@t``, ``sft/{dim}/nll@t``; ``…/dropped@t`` counts are summed),
        and ``loss`` (the mean over the grid of the λ-weighted sum of the per-dimension
        losses).
    """
    m = len(dim_names)
    out: dict[str, float] = {}
    for lam in preferences:
        tag = preference_tag(lam.tolist())
        for part in parts:
            loss_sum = torch.zeros(len(part.objective.dim_names), dtype=torch.float64)
            kept = torch.zeros_like(loss_sum)
            metric_sums: dict[str, float] = {}
            metric_rows: dict[str, int] = {}
            for j, start in enumerate(range(0, len(part.data), batch_size)):
                stop = min(start + batch_size, len(part.data))
                examples = [part.data[i] for i in range(start, stop)]
                out_j = part.objective(
                    model,
                    examples,
                    lam.expand(len(examples), m).clone(),
                    tokenizer=tokenizer,
                    conditioning=conditioning,
                    generator=keyed_generator(seed, "eval", part.key, j),
                )
                mask = out_j.mask.bool().cpu()
                loss_sum += torch.where(mask, out_j.losses.detach().double().cpu(), 0.0).sum(0)
                kept += mask.sum(0).double()
                for key, value in out_j.metrics.items():
                    v = float(value.detach().double().mean()) if torch.is_tensor(value) else value
                    if v != v:  # NaN: this batch had no signal for the metric
                        continue
                    count = key.endswith("/dropped")  # a count: summed, not averaged
                    weight = 1 if count else len(examples)
                    metric_sums[key] = metric_sums.get(key, 0.0) + v * weight
                    metric_rows[key] = 1 if count else metric_rows.get(key, 0) + weight
            for i, dim in enumerate(part.objective.dim_names):
                if kept[i] > 0:
                    out[f"loss/{dim}@{tag}"] = float(loss_sum[i] / kept[i])
            for key in sorted(metric_sums):
                out[f"{key}@{tag}"] = metric_sums[key] / metric_rows[key]
    weighted = []
    for lam in preferences:
        tag = preference_tag(lam.tolist())
        terms = [
            float(w) * out[f"loss/{d}@{tag}"]
            for d, w in zip(dim_names, lam.tolist())
            if f"loss/{d}@{tag}" in out
        ]
        if terms:
            weighted.append(sum(terms))
    if weighted:
        out["loss"] = sum(weighted) / len(weighted)
    return out
