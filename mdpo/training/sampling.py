"""λ for a training batch as a pure function of (seed, global step, row)."""

from __future__ import annotations

import torch

from mdpo.preferences import check_preference, sample_preferences
from mdpo.seeding import keyed_generator

__all__ = ["expand_rows", "training_preferences"]


def training_preferences(
    rows: torch.Tensor,
    step: int,
    m: int,
    *,
    seed: int,
    mode: str = "per_row",
    vertex_prob: float = 0.0,
    fixed: torch.Tensor | list[float] | None = None,
) -> torch.Tensor:
    """The preferences of a micro-batch's rows.

    Each draw seeds its own generator with :func:`mdpo.seeding.keyed_generator`, so the
    result depends only on the arguments: a resumed run, another gradient-accumulation
    split or another DDP sharding of the same global rows gets the same λ.

    - ``"per_row"``: row r at step t gets ``sample_preferences(1, m)`` from the generator
      keyed ``(seed, "preference", t, r)``.
    - ``"per_step"``: every row at step t gets the one draw keyed ``(seed, "preference", t)``.
    - ``fixed`` given: every row gets it (validated with
      :func:`~mdpo.preferences.check_preference`); ``mode`` is ignored.

    Args:
        rows: Global row indices ``[b]`` (int).
        step: The global optimizer step.
        m: Number of dimensions.
        seed: The run's seed.
        mode: ``"per_row"`` or ``"per_step"``.
        vertex_prob: Probability that a draw is a simplex vertex.
        fixed: A fixed preference ``[m]``.

    Returns:
        λ ``[b, m]`` (float32, on ``rows``' device), rows on the simplex.

    Raises:
        ValueError: On an unknown ``mode`` or an invalid ``fixed``.

    Example:
        >>> import torch
        >>> from mdpo.training import training_preferences
        >>> a = training_preferences(torch.tensor([0, 1, 2]), 5, 2, seed=0)
        >>> b = training_preferences(torch.tensor([2]), 5, 2, seed=0)
        >>> a.shape, bool(torch.equal(a[2], b[0])), bool(torch.equal(a[0], a[1]))
        (torch.Size([3, 2]), True, False)
    """
    if rows.dim() != 1:
        raise ValueError(f"rows must have shape [b], got {tuple(rows.shape)}")
    if fixed is not None:
        return expand_rows(check_preference(fixed, m, name="fixed_preference"), rows)
    if mode == "per_step":
        lam = sample_preferences(
            1, m, generator=keyed_generator(seed, "preference", int(step)), vertex_prob=vertex_prob
        )
        return expand_rows(lam, rows)
    if mode != "per_row":
        raise ValueError(f"mode must be 'per_row' or 'per_step', got {mode!r}")
    draws = [
        sample_preferences(
            1,
            m,
            generator=keyed_generator(seed, "preference", int(step), int(r)),
            vertex_prob=vertex_prob,
        )
        for r in rows.tolist()
    ]
    out = torch.cat(draws) if draws else torch.empty(0, m)
    return out.to(rows.device)


def expand_rows(preference: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
    """One λ for every row: ``[m]`` (or ``[1, m]``) → ``[b, m]`` float32 on ``rows``' device.

    Args:
        preference: λ, validated already.
        rows: Global row indices ``[b]``.

    Returns:
        A new ``[b, m]`` tensor.
    """
    m = preference.shape[-1]
    return preference.to(torch.float32).expand(rows.shape[0], m).clone().to(rows.device)
