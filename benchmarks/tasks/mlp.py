"""The small preference-adaptable network behind the bandit and synthetic tasks."""

from __future__ import annotations

import itertools

import torch
from torch import nn

__all__ = ["FeatureMLP"]


class FeatureMLP(nn.Module):
    """``fc1 -> tanh -> fc2 -> tanh -> ... -> fcD``: the layers Panacea/LoRA adapt.

    The input is ``[..., d]`` features, optionally followed by an m-wide λ slot (the
    prompt-conditioned policy appends λ there). The base weights of the λ slot are zero, so
    the frozen base ignores it and stays the reference policy; an adapter on ``fc1`` can read
    it. Inputs without the slot are zero-padded.

    Args:
        in_features: Feature width d.
        n_dims: Width m of the λ slot.
        hidden: Hidden width.
        out_features: Output width.
        depth: Number of linear layers (>= 2, so at least two adapted layers with a
            nonlinearity between them).
        zero_output: Zero the last layer's base weight and bias (the base then outputs 0).
        generator: Generator for the base initialisation.
    """

    def __init__(
        self,
        in_features: int,
        n_dims: int,
        hidden: int,
        out_features: int,
        *,
        depth: int = 3,
        zero_output: bool = False,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        if depth < 2:
            raise ValueError(f"depth must be >= 2, got {depth!r}")
        self.in_features = in_features
        self.n_dims = n_dims
        widths = [in_features + n_dims] + [hidden] * (depth - 1) + [out_features]
        self.layer_names = [f"fc{i + 1}" for i in range(depth)]
        for name, (a, b) in zip(self.layer_names, itertools.pairwise(widths)):
            layer = nn.Linear(a, b)
            with torch.no_grad():
                bound = (1.0 / a) ** 0.5 * (3.0**0.5)
                layer.weight.uniform_(-bound, bound, generator=generator)
                layer.bias.uniform_(-0.1, 0.1, generator=generator)
            layer.requires_grad_(False)
            setattr(self, name, layer)
        with torch.no_grad():
            self.fc1.weight[:, in_features:] = 0.0
            if zero_output:
                getattr(self, self.layer_names[-1]).weight.zero_()
                getattr(self, self.layer_names[-1]).bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``[..., d]`` or ``[..., d + m]`` to ``[..., out]``."""
        if x.shape[-1] == self.in_features:
            x = torch.cat([x, x.new_zeros(*x.shape[:-1], self.n_dims)], dim=-1)
        elif x.shape[-1] != self.in_features + self.n_dims:
            raise ValueError(
                f"input must have {self.in_features} or {self.in_features + self.n_dims} "
                f"features, got shape {tuple(x.shape)}"
            )
        for name in self.layer_names[:-1]:
            x = torch.tanh(getattr(self, name)(x))
        return getattr(self, self.layer_names[-1])(x)
