"""Torch versions of pymoo's ZDT1, ZDT2 and DTLZ2 (minimisation, decision box [0, 1]^n)."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

__all__ = ["PROBLEMS", "dtlz2", "zdt1", "zdt2"]


def _zdt(x: torch.Tensor, shape: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
    f1 = x[..., 0]
    g = 1.0 + 9.0 * x[..., 1:].mean(dim=-1)
    return torch.stack([f1, g * shape(f1 / g)], dim=-1)


def zdt1(x: torch.Tensor, n_obj: int = 2) -> torch.Tensor:
    """ZDT1 (convex front ``f2 = 1 − sqrt(f1)``): ``[..., n] -> [..., 2]``."""
    return _zdt(x, lambda r: 1.0 - torch.sqrt(r.clamp_min(1e-12)))


def zdt2(x: torch.Tensor, n_obj: int = 2) -> torch.Tensor:
    """ZDT2 (concave front ``f2 = 1 − f1²``): ``[..., n] -> [..., 2]``."""
    return _zdt(x, lambda r: 1.0 - r**2)


def dtlz2(x: torch.Tensor, n_obj: int = 3) -> torch.Tensor:
    """DTLZ2 (concave spherical front ``Σ f_i² = 1``): ``[..., n] -> [..., n_obj]``."""
    k = n_obj - 1
    g = ((x[..., k:] - 0.5) ** 2).sum(dim=-1)
    angles = x[..., :k] * (math.pi / 2)
    cos, sin = torch.cos(angles), torch.sin(angles)
    out = []
    for i in range(n_obj):
        f = 1.0 + g
        for j in range(n_obj - 1 - i):
            f = f * cos[..., j]
        if i > 0:
            f = f * sin[..., n_obj - 1 - i]
        out.append(f)
    return torch.stack(out, dim=-1)


PROBLEMS: dict[str, Callable[..., torch.Tensor]] = {"zdt1": zdt1, "zdt2": zdt2, "dtlz2": dtlz2}
"""Problem name -> torch objective function."""
