"""Preference vectors λ on the probability simplex.

A preference λ = (λ_1, ..., λ_m), λ_i ≥ 0, Σλ_i = 1, gives the **importance** of each of m
alignment dimensions. Every public call that takes λ validates it with
:func:`check_preference`; a batched λ of shape ``[..., m]`` is accepted wherever a single
one is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from mdpo._grid import check_grid_size
from mdpo._numbers import check_int

__all__ = [
    "PreferenceLike",
    "check_preference",
    "named_preference",
    "preference_grid",
    "sample_preferences",
]

PreferenceLike = torch.Tensor | np.ndarray | Sequence[float]
"""Any :func:`check_preference` input, such as a tensor, a numpy array or a nested sequence."""


def _as_float_tensor(p: Any, name: str) -> tuple[torch.Tensor, bool]:
    if isinstance(p, torch.Tensor):
        t = p.detach()
        keep64 = t.dtype == torch.float64
    elif isinstance(p, np.ndarray | Sequence) and not isinstance(p, str | bytes):
        try:
            t = torch.as_tensor(np.asarray(p, dtype=np.float64))
            keep64 = False
        except (TypeError, ValueError) as err:
            raise TypeError(
                f"{name} must be numeric (a list, numpy array or tensor of floats), got {p!r}"
            ) from err
    else:
        raise TypeError(
            f"{name} must be a list, numpy array or torch tensor of floats, "
            f"got {type(p).__name__} {p!r}"
        )
    if t.dtype == torch.bool or t.is_complex():
        raise TypeError(f"{name} must hold real numbers, got dtype {t.dtype}")
    return t.to(torch.float64), keep64


def check_preference(
    p: PreferenceLike,
    m: int,
    *,
    normalize: bool = False,
    atol: float = 1e-4,
    name: str = "preference",
) -> torch.Tensor:
    """Validate a preference vector (or a batch of them) and renormalise it exactly.

    Args:
        p: λ of shape ``[m]`` or ``[..., m]``, as a list, numpy array or tensor.
        m: The number of dimensions.
        normalize: If True, accept any non-negative vector with a positive sum and divide by
            the sum (the CLI's ``"1,1,1"``). If False, the sum must be within ``atol`` of 1.
        atol: Tolerance on the sum when ``normalize`` is False.
        name: Name used in error messages.

    Returns:
        A floating tensor of the same shape whose last axis sums to exactly 1 (up to float
        rounding). A float64 tensor stays float64, anything else becomes float32. The result
        lives on ``p``'s device when ``p`` is a tensor.

    Raises:
        TypeError: If ``p`` is not numeric or ``m`` is not an int.
        ValueError: If the last axis is not of length ``m``, an entry is negative, NaN or
            infinite, or the sum is off by more than ``atol`` (or not positive when
            ``normalize`` is True).

    Example:
        >>> from mdpo.preferences import check_preference
        >>> check_preference([0.25, 0.75], 2)
        tensor([0.2500, 0.7500])
        >>> check_preference("1,3", 2)
        Traceback (most recent call last):
        ...
        TypeError: preference must be a list, numpy array or torch tensor of floats, got str '1,3'
        >>> check_preference([1, 3], 2, normalize=True)
        tensor([0.2500, 0.7500])
    """
    m = check_int("m", m, minimum=1)
    if isinstance(atol, bool) or not isinstance(atol, int | float) or not atol >= 0:
        raise ValueError(f"atol must be a non-negative float, got {atol!r}")
    t, keep64 = _as_float_tensor(p, name)
    if t.dim() == 0 or t.shape[-1] != m:
        raise ValueError(
            f"{name} must have length m={m} along its last axis, got shape {tuple(t.shape)}"
        )
    if not torch.isfinite(t).all():
        raise ValueError(f"{name} must be finite (no NaN or inf), got {_show(t)}")
    if (t < 0).any():
        raise ValueError(f"{name} must be non-negative, got {_show(t)}")
    total = t.sum(dim=-1, keepdim=True)
    if not torch.isfinite(total).all():
        raise ValueError(
            f"{name} must have a finite sum (entries too large to add up), got {_show(t)}"
        )
    if normalize:
        if (total <= 0).any():
            raise ValueError(f"{name} must have a positive sum to be normalised, got {_show(t)}")
    elif ((total - 1).abs() > atol).any():
        raise ValueError(
            f"{name} must sum to 1 (within atol={atol}), got sum {_show(total.squeeze(-1))}; "
            "pass normalize=True to rescale a non-negative vector"
        )
    out = t / total
    return out if keep64 else out.to(torch.float32)


def _show(t: torch.Tensor, limit: int = 8) -> str:
    flat = t.flatten().tolist()
    body = ", ".join(f"{v:.4g}" for v in flat[:limit])
    return f"[{body}{', ...' if len(flat) > limit else ''}]"


def sample_preferences(
    n: int,
    m: int,
    *,
    generator: torch.Generator | None = None,
    vertex_prob: float = 0.0,
) -> torch.Tensor:
    """Draw ``n`` preferences uniformly on the (m-1)-simplex, optionally mixed with vertices.

    A uniform draw is a normalised vector of i.i.d. Exp(1) variables, ``-log U`` (the
    flat Dirichlet(1, ..., 1)). With probability ``vertex_prob`` a row is instead a simplex
    vertex e_j with j uniform over the m dimensions; a prototype found that mixing in
    vertices lets one model reach further at the extremes of the front.

    Args:
        n: Number of preferences.
        m: Number of dimensions.
        generator: Optional seeded generator; the draw is a pure function of its state.
        vertex_prob: Probability in [0, 1] of drawing a vertex instead.

    Returns:
        A float32 tensor of shape ``[n, m]`` whose rows sum to 1.

    Raises:
        TypeError: If ``n`` or ``m`` is not an int.
        ValueError: If ``n < 0``, ``m < 1`` or ``vertex_prob`` is outside [0, 1].

    Example:
        >>> import torch
        >>> from mdpo.preferences import sample_preferences
        >>> g = torch.Generator().manual_seed(0)
        >>> lam = sample_preferences(4, 3, generator=g)
        >>> lam.shape, bool(torch.allclose(lam.sum(-1), torch.ones(4)))
        (torch.Size([4, 3]), True)
    """
    n = check_int("n", n, minimum=0)
    m = check_int("m", m, minimum=1)
    if (
        isinstance(vertex_prob, bool)
        or not isinstance(vertex_prob, int | float)
        or not 0.0 <= vertex_prob <= 1.0
    ):
        raise ValueError(f"vertex_prob must be a float in [0, 1], got {vertex_prob!r}")
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(
            f"generator must be a torch.Generator or None, got {type(generator).__name__}"
        )
    u = torch.rand(n, m, generator=generator, dtype=torch.float64)
    # 1 - u lies in (0, 1], so -log never sees 0.
    e = -torch.log1p(-u)
    lam = e / e.sum(dim=-1, keepdim=True)
    # Both draws below are made unconditionally so that the stream does not depend on
    # vertex_prob; changing it changes which rows are vertices, not the simplex draws.
    pick = torch.rand(n, generator=generator, dtype=torch.float64) < vertex_prob
    which = torch.randint(0, m, (n,), generator=generator)
    if pick.any():
        lam[pick] = torch.nn.functional.one_hot(which[pick], m).to(lam.dtype)
    return lam.to(torch.float32)


def preference_grid(m: int, n_partitions: int) -> torch.Tensor:
    """The Das–Dennis grid: every λ on the simplex whose entries are multiples of 1/n.

    There are ``C(n + m - 1, m - 1)`` points. For m = 2 they are ordered by increasing λ_1,
    for larger m lexicographically by increasing (λ_1, λ_2, ...).

    Args:
        m: Number of dimensions.
        n_partitions: Number of partitions n of each axis (``n >= 1``; m = 1 gives [[1]]).

    Returns:
        A float32 tensor of shape ``[C(n + m - 1, m - 1), m]``.

    Raises:
        TypeError: If an argument is not an int.
        ValueError: If ``m < 1``, ``n_partitions < 1`` or the grid would hold more than
            :data:`~mdpo._grid.MAX_GRID_POINTS` points.

    Example:
        >>> from mdpo.preferences import preference_grid
        >>> preference_grid(2, 4)
        tensor([[0.0000, 1.0000],
                [0.2500, 0.7500],
                [0.5000, 0.5000],
                [0.7500, 0.2500],
                [1.0000, 0.0000]])
        >>> preference_grid(3, 2).shape
        torch.Size([6, 3])
    """
    m = check_int("m", m, minimum=1)
    n = check_int("n_partitions", n_partitions, minimum=1)
    check_grid_size(m, n)
    rows: list[list[int]] = []

    def fill(prefix: list[int], left: int, slots: int) -> None:
        if slots == 1:
            rows.append([*prefix, left])
            return
        for k in range(left + 1):
            fill([*prefix, k], left - k, slots - 1)

    fill([], n, m)
    grid = torch.tensor(rows, dtype=torch.float64) / n
    expected = math.comb(n + m - 1, m - 1)
    if grid.shape[0] != expected:  # pragma: no cover - internal invariant
        raise RuntimeError(f"Das–Dennis grid has {grid.shape[0]} points, expected {expected}")
    return grid.to(torch.float32)


def named_preference(
    weights: Mapping[str, Any], dim_names: Sequence[str], *, name: str = "preference"
) -> list[float]:
    """Weights given by dimension name, as a list in ``dim_names``' order (unnamed dims 0).

    The result is not yet normalised: pass it to :func:`check_preference` with
    ``normalize=True``, which also refuses negative, non-finite or all-zero weights.

    Args:
        weights: ``{dimension name: weight}``; a subset of ``dim_names``.
        dim_names: The m dimension names, in λ's order.
        name: Name used in error messages.

    Returns:
        m weights.

    Raises:
        TypeError: If ``weights`` is not a mapping, or a weight is not a real number.
        ValueError: If a name is not one of ``dim_names``, or ``weights`` is empty.

    Example:
        >>> from mdpo.preferences import named_preference
        >>> named_preference({"formal": 2, "humorous": 1}, ["humorous", "concise", "formal"])
        [1.0, 0.0, 2.0]
        >>> named_preference({"funny": 1}, ["humorous", "formal"])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: preference names an unknown dimension 'funny'; the dimensions are: ...
    """
    if not isinstance(weights, Mapping):
        raise TypeError(
            f"{name} must map dimension names to weights, got {type(weights).__name__} {weights!r}"
        )
    names = list(dim_names)
    shown = ", ".join(names)
    if not weights:
        raise ValueError(f"{name} must give a weight to at least one of: {shown}")
    out = [0.0] * len(names)
    for key, value in weights.items():
        if key not in names:
            raise ValueError(
                f"{name} names an unknown dimension {key!r}; the dimensions are: {shown}"
            )
        if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
            raise TypeError(
                f"{name} weight of {key!r} must be a real number, got {type(value).__name__} "
                f"{value!r}"
            )
        out[names.index(key)] = float(value)
    return out
