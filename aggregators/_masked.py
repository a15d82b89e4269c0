"""Reductions over the last axis that skip masked-out dimensions.

``mask[..., m]`` is True where a dimension has signal. Masked-out entries are never read
(they may hold NaN), a row with nothing kept reduces to 0, and no gradient reaches
masked-out entries or empty rows.
"""

from __future__ import annotations

import torch


def masked_sum(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Sum ``x[..., m]`` over the kept entries of the last axis; returns ``[...]``."""
    if mask is None:
        return x.sum(dim=-1)
    return torch.where(mask, x, 0.0).sum(dim=-1)


def masked_max(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Maximum of ``x[..., m]`` over the kept entries; 0 for a row with none; returns ``[...]``."""
    if mask is None:
        return x.amax(dim=-1)
    return torch.where(mask, x, _fill(x, mask)).amax(dim=-1)


def masked_logsumexp(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """``log Σ exp`` of ``x[..., m]`` over the kept entries; 0 for a row with none."""
    if mask is None:
        return torch.logsumexp(x, dim=-1)
    out = torch.logsumexp(torch.where(mask, x, _fill(x, mask)), dim=-1)
    return torch.where(mask.any(dim=-1), out, 0.0)


def zero_masked(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """``x[..., m]`` with masked-out entries replaced by 0 (so they drop out of dots and norms)."""
    return x if mask is None else torch.where(mask, x, 0.0)


def zero_empty_rows(values: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """``values[...]`` set to 0, with zero gradient, on rows whose ``mask[..., m]`` keeps none."""
    return values if mask is None else torch.where(mask.any(dim=-1), values, 0.0)


def _fill(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    # -inf drops an entry out of a max or logsumexp; a row with nothing kept is filled with
    # zeros instead, so that its reduction stays finite and its backward stays NaN-free.
    neg_inf = torch.tensor(float("-inf"), dtype=x.dtype, device=x.device)
    return torch.where(mask.any(dim=-1, keepdim=True), neg_inf, 0.0)
