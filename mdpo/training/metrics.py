"""Accumulating per-micro-batch training metrics between two logging steps."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch

__all__ = ["MetricAccumulator", "batch_metrics"]


class MetricAccumulator:
    """Collects scalar metrics over micro-batches and reduces them at a logging step.

    Keys ending in ``"/min"`` reduce by minimum, ``"/max"`` by maximum, all others by
    mean. Non-finite values are skipped.

    Example:
        >>> from mdpo.training import MetricAccumulator
        >>> acc = MetricAccumulator()
        >>> acc.add({"loss/a": 1.0, "lambda/a/min": 0.2})
        >>> acc.add({"loss/a": 3.0, "lambda/a/min": 0.1})
        >>> acc.pop()
        {'lambda/a/min': 0.1, 'loss/a': 2.0}
        >>> acc.pop()
        {}
    """

    def __init__(self) -> None:
        self._values: dict[str, list[float]] = {}

    def add(self, metrics: Mapping[str, float | torch.Tensor]) -> None:
        """Record one micro-batch's metrics.

        Args:
            metrics: Scalar floats or 0-d/1-element tensors by name.
        """
        for key, value in metrics.items():
            v = float(value.detach().float().mean()) if isinstance(value, torch.Tensor) else value
            v = float(v)
            if math.isfinite(v):
                self._values.setdefault(key, []).append(v)

    def pop(self) -> dict[str, float]:
        """Reduce everything recorded since the last call and clear it.

        Returns:
            ``{name: value}`` sorted by name.
        """
        out = {}
        for key in sorted(self._values):
            vals = self._values[key]
            if key.endswith("/min"):
                out[key] = min(vals)
            elif key.endswith("/max"):
                out[key] = max(vals)
            else:
                out[key] = sum(vals) / len(vals)
        self._values.clear()
        return out


def batch_metrics(
    dim_names: Sequence[str],
    losses: torch.Tensor,
    mask: torch.Tensor | None,
    preferences: torch.Tensor,
    objective_metrics: Mapping[str, torch.Tensor | float],
) -> dict[str, float]:
    """The trainer's per-micro-batch metrics.

    - ``loss/{dim}``: mean kept loss of each dimension (as the aggregator sees it);
    - ``J/{dim}``: the objective's own ``J/{dim}`` metric when it reports one, else minus
      the mean kept loss;
    - ``lambda/{dim}/mean``, ``/min``, ``/max``: statistics of the rows' λ;
    - every entry of ``objective_metrics`` (e.g. ``dpo/{dim}/margin``, ``dpo/{dim}/accuracy``).

    Args:
        dim_names: The m dimension names.
        losses: ``[B, m]``.
        mask: Bool ``[B, m]`` or None.
        preferences: λ ``[B, m]``.
        objective_metrics: Detached scalars from the objective.

    Returns:
        A flat ``{name: float}`` dict.

    Example:
        >>> import torch
        >>> from mdpo.training import batch_metrics
        >>> out = batch_metrics(["a", "b"], torch.tensor([[1.0, 2.0], [3.0, 4.0]]),
        ...                     torch.tensor([[True, False], [True, True]]),
        ...                     torch.tensor([[0.5, 0.5], [1.0, 0.0]]), {})
        >>> out["loss/a"], out["loss/b"], out["J/b"], out["lambda/a/min"]
        (2.0, 4.0, -4.0, 0.5)
    """
    values = losses.detach().float()
    kept = torch.ones_like(values, dtype=torch.bool) if mask is None else mask
    counts = kept.sum(0)
    means = torch.where(kept, values, 0.0).sum(0) / counts.clamp_min(1)
    lam = preferences.detach().float()
    out: dict[str, float] = {}
    for i, name in enumerate(dim_names):
        if counts[i] > 0:
            out[f"loss/{name}"] = float(means[i])
            if f"J/{name}" not in objective_metrics:
                out[f"J/{name}"] = -float(means[i])
        out[f"lambda/{name}/mean"] = float(lam[:, i].mean())
        out[f"lambda/{name}/min"] = float(lam[:, i].min())
        out[f"lambda/{name}/max"] = float(lam[:, i].max())
    for key, value in objective_metrics.items():
        out[key] = float(value.detach().float().mean()) if torch.is_tensor(value) else value
    return out
