"""The tracked Tchebycheff ideal point z in loss space."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import torch

from mdpo._numbers import check_real

__all__ = ["IdealPointTracker"]


class IdealPointTracker:
    r"""Running minimum of each dimension's micro-batch mean loss, minus a margin.

    After each micro-batch, for each dimension i with at least one kept row,

    .. math:: z_i \leftarrow \min\bigl(z_i,\; \bar l_i - \text{margin}\bigr),

    where :math:`\bar l_i` is the mean of the kept (``mask``) losses of dimension i in the
    micro-batch. A dimension never seen yet holds ``+inf``. Under DDP, pass a
    ``combine`` function that takes the per-rank candidate ``[m]`` and returns the
    elementwise minimum over ranks, so every rank ends with the same z.

    Args:
        m: Number of dimensions.
        margin: Non-negative margin subtracted from the running minimum.

    Example:
        >>> import torch
        >>> from mdpo.training import IdealPointTracker
        >>> z = IdealPointTracker(2, margin=0.1)
        >>> _ = z.update(torch.tensor([[1.0, 3.0], [3.0, 5.0]]))
        >>> z.value
        tensor([1.9000, 3.9000])
        >>> _ = z.update(torch.tensor([[4.0, 1.0]]))
        >>> z.value
        tensor([1.9000, 0.9000])
    """

    def __init__(self, m: int, margin: float = 0.1) -> None:
        if isinstance(m, bool) or not isinstance(m, int) or m < 1:
            raise ValueError(f"m must be an int >= 1, got {m!r}")
        self.m = m
        self.margin = check_real("margin", margin, low=0.0, noun="float")
        self._z = torch.full((m,), math.inf, dtype=torch.float64)

    @property
    def value(self) -> torch.Tensor:
        """The current z ``[m]`` (float32; ``+inf`` where a dimension was never seen)."""
        return self._z.to(torch.float32)

    def update(
        self,
        losses: torch.Tensor,
        mask: torch.Tensor | None = None,
        *,
        combine: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """Fold one micro-batch into z.

        Args:
            losses: Per-row losses ``[B, m]`` (detached internally).
            mask: Bool ``[B, m]``, True where a row has signal; None keeps all.
            combine: Optional cross-rank elementwise minimum of the candidate ``[m]``
                (float64, ``+inf`` for dimensions without signal on this rank).

        Returns:
            The updated z ``[m]`` (float32).

        Raises:
            ValueError: If ``losses`` is not ``[B, m]`` or ``mask`` does not match.
        """
        if losses.dim() != 2 or losses.shape[1] != self.m:
            raise ValueError(f"losses must have shape [B, {self.m}], got {tuple(losses.shape)}")
        values = losses.detach().to(torch.float64)
        if mask is None:
            kept = torch.ones_like(values, dtype=torch.bool)
        else:
            if mask.shape != losses.shape or mask.dtype != torch.bool:
                raise ValueError(
                    f"mask must be a bool tensor of shape {tuple(losses.shape)}, "
                    f"got {mask.dtype} {tuple(mask.shape)}"
                )
            kept = mask
        counts = kept.sum(0)
        sums = torch.where(kept, values, 0.0).sum(0)
        means = sums / counts.clamp_min(1)
        candidate = torch.where(counts > 0, means - self.margin, math.inf).cpu()
        if combine is not None:
            candidate = combine(candidate).to(torch.float64).cpu()
        self._z = torch.minimum(self._z, candidate)
        return self.value

    def for_aggregator(self) -> torch.Tensor:
        """The ideal point with never-seen dimensions replaced by 0, for an aggregator's ``ideal=``.

        A dimension that was never seen has no kept row in the current batch either, so the
        masked reduction never reads its entry; the placeholder only keeps z finite.

        Returns:
            ``[m]`` float32, finite.
        """
        z = self.value
        return torch.where(torch.isfinite(z), z, torch.zeros_like(z))

    def state_dict(self) -> dict[str, torch.Tensor]:
        """The tracker's state: ``{"ideal": z [m] float64, "margin": [] float64}``."""
        return {"ideal": self._z.clone(), "margin": torch.tensor(self.margin, dtype=torch.float64)}

    def load_state_dict(self, state: Mapping[str, torch.Tensor]) -> None:
        """Restore :meth:`state_dict`'s output.

        Args:
            state: A mapping with an ``"ideal"`` tensor ``[m]``.

        Raises:
            ValueError: If the stored z does not have m entries.
        """
        z = torch.as_tensor(state["ideal"], dtype=torch.float64).flatten()
        if z.shape != (self.m,):
            raise ValueError(
                f"stored ideal point has {z.numel()} entries, this run has m={self.m} dimensions"
            )
        self._z = z.clone()
