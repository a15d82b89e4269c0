"""What every objective returns: per-row, per-dimension losses with a signal mask."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

__all__ = ["LossOutput", "value_with_gradient"]


def value_with_gradient(value: torch.Tensor, surrogate: torch.Tensor) -> torch.Tensor:
    """A tensor whose value is ``value`` and whose gradient is ``surrogate``'s.

    ``value.detach() + (surrogate - surrogate.detach())``: the forward value is the
    objective estimate (so Tchebycheff's argmax and the ideal point see objective values),
    the backward is the estimator's (e.g. a policy-gradient surrogate).

    Args:
        value: ``[...]`` the quantity to report.
        surrogate: ``[...]`` (broadcastable) the quantity to differentiate.

    Returns:
        ``[...]`` equal to ``value`` with ``d/dθ = d surrogate/dθ``.

    Example:
        >>> import torch
        >>> from mdpo.objectives import value_with_gradient
        >>> x = torch.tensor(2.0, requires_grad=True)
        >>> y = value_with_gradient(torch.tensor(5.0), 3 * x)
        >>> y.backward()
        >>> float(y.detach()), float(x.grad)
        (5.0, 3.0)
    """
    return value.detach() + (surrogate - surrogate.detach())


@dataclass
class LossOutput:
    """Per-row, per-dimension losses of one objective call.

    Args:
        losses: ``[B, m]`` float. Entry ``(b, i)`` carries the *value* of −Ĵ_i for row b and
            the *gradient* of its surrogate (see :func:`value_with_gradient`). Entries where
            ``mask`` is False are 0 and carry no gradient.
        mask: ``[B, m]`` bool, True where row b has signal for dimension i (False for a
            tied/unknown label, a dropped example, or a dimension another component owns).
        metrics: Detached scalar tensors keyed like ``"dpo/helpful/margin"``,
            ``"dpo/helpful/accuracy"``, ``"J/helpful"``, ``"rlhf/concise/reward"``,
            ``"rlhf/concise/kl"``.
        preferences: ``[B, m]`` the rows' λ, for ``Aggregator.reduce(losses, preferences,
            mask=mask, ideal=z)``; None when unknown.

    Raises:
        ValueError: If the shapes disagree or ``mask`` is not bool.

    Example:
        >>> import torch
        >>> from mdpo.objectives import LossOutput
        >>> out = LossOutput(torch.zeros(4, 2), torch.ones(4, 2, dtype=torch.bool))
        >>> out.n_dims, out.dim_means()
        (2, tensor([0., 0.]))
    """

    losses: torch.Tensor
    mask: torch.Tensor
    metrics: dict[str, torch.Tensor] = field(default_factory=dict)
    preferences: torch.Tensor | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.losses, torch.Tensor) or self.losses.dim() != 2:
            raise ValueError(
                f"losses must be a [B, m] tensor, got {getattr(self.losses, 'shape', self.losses)}"
            )
        if not isinstance(self.mask, torch.Tensor) or self.mask.dtype != torch.bool:
            raise ValueError(f"mask must be a bool tensor, got {getattr(self.mask, 'dtype', None)}")
        if self.mask.shape != self.losses.shape:
            raise ValueError(
                f"mask shape {tuple(self.mask.shape)} must equal losses shape "
                f"{tuple(self.losses.shape)}"
            )
        if self.preferences is not None and self.preferences.shape != self.losses.shape:
            raise ValueError(
                f"preferences shape {tuple(self.preferences.shape)} must equal losses shape "
                f"{tuple(self.losses.shape)}"
            )

    @property
    def n_dims(self) -> int:
        """Number m of loss columns."""
        return self.losses.shape[1]

    def dim_means(self) -> torch.Tensor:
        """Per-dimension mean loss over the rows with signal (0 where none has).

        Returns:
            ``[m]``, differentiable.
        """
        kept = self.mask.to(self.losses.dtype)
        total = torch.where(self.mask, self.losses, 0.0).sum(dim=0)
        return total / kept.sum(dim=0).clamp(min=1.0)
