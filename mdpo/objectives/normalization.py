r"""Per-dimension loss scales: fixed, or running statistics frozen after a warm-up.

Dimensions live on different scales: a DPO loss sits near ln 2, an NLL at several nats,
and a reward can be anything. A normaliser divides each dimension's loss by a positive,
**detached** scale ``s_i``: ``l̃_i = l_i / s_i``.

**Interaction with aggregation.**

- *Linear scalarisation.* ``Σ λ_i l_i / s_i`` is LS with effective weights ``λ_i / s_i``:
  the set of reachable optima is unchanged, but which λ reaches which point moves, so λ
  keeps its meaning of relative importance *per unit of typical loss*.
- *Tchebycheff and its family.* The aggregator sees ``l̃`` and so must the ideal point:
  the trainer tracks ``z`` on the normalised losses that :class:`MultiObjective` returns
  (never on the raw ones). Because a running scale changes ``l̃`` retroactively,
  :class:`RunningScale` freezes after ``freeze_after`` updates by default, after which the
  tracked ideal is consistent; reset the tracked ideal if you unfreeze.
- Masked entries stay 0 and never update the statistics.

**DDP.** With ``sync=True`` (the default) every update all-reduces (sums) the batch's
per-dimension ``Σ|l|`` and counts across ranks before adding them, so every rank holds
identical statistics; the state is then the same on all ranks and any rank's
:meth:`RunningScale.state_dict` can be checkpointed.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from mdpo._numbers import check_real

__all__ = ["FixedScale", "RunningScale", "ScaleNormalizer", "make_normalizer"]


class ScaleNormalizer(ABC):
    """Divides each loss column by a detached positive scale.

    Args:
        dim_names: The m dimension names, in column order.
    """

    def __init__(self, dim_names: Sequence[str]) -> None:
        self.dim_names = list(dim_names)

    @abstractmethod
    def scales(self) -> torch.Tensor:
        """The current scales ``[m]`` (float32, positive)."""

    def update(self, losses: torch.Tensor, mask: torch.Tensor) -> None:  # noqa: B027
        """Update statistics from a batch (no-op for fixed scales).

        Args:
            losses: ``[B, m]`` raw losses.
            mask: ``[B, m]`` bool signal mask.
        """

    def __call__(
        self, losses: torch.Tensor, mask: torch.Tensor, *, update: bool = True
    ) -> torch.Tensor:
        """Optionally update the statistics, then return ``losses / scales``.

        Args:
            losses: ``[B, m]`` raw losses.
            mask: ``[B, m]`` bool signal mask.
            update: Update running statistics with this batch first.

        Returns:
            ``[B, m]`` normalised losses (masked entries stay 0).

        Raises:
            ValueError: If ``losses`` does not have m columns.
        """
        if losses.dim() != 2 or losses.shape[1] != len(self.dim_names):
            raise ValueError(
                f"losses must have shape [B, {len(self.dim_names)}], got {tuple(losses.shape)}"
            )
        if update:
            self.update(losses, mask)
        return losses / self.scales().to(device=losses.device, dtype=losses.dtype)

    def state_dict(self) -> dict[str, Any]:
        """Checkpointable state (empty for fixed scales)."""
        return {}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:  # noqa: B027
        """Restore :meth:`state_dict`'s output.

        Args:
            state: A previously saved state.
        """


class FixedScale(ScaleNormalizer):
    """Given scales per dimension (dimensions not named keep scale 1).

    Args:
        dim_names: The m dimension names.
        scales: ``{dim: scale > 0}``.

    Raises:
        ValueError: For an unknown dimension or a non-positive scale.

    Example:
        >>> import torch
        >>> from mdpo.objectives import FixedScale
        >>> norm = FixedScale(["a", "b"], {"b": 4.0})
        >>> norm(torch.tensor([[1.0, 2.0]]), torch.ones(1, 2, dtype=torch.bool))
        tensor([[1.0000, 0.5000]])
    """

    def __init__(self, dim_names: Sequence[str], scales: Mapping[str, float]) -> None:
        super().__init__(dim_names)
        values = []
        for name in scales:
            if name not in self.dim_names:
                raise ValueError(
                    f"normalize names unknown dimension {name!r}; dimensions: {self.dim_names}"
                )
        for name in self.dim_names:
            v = scales.get(name, 1.0)
            values.append(
                check_real(f"normalize[{name!r}]", v, low=0.0, low_open=True, noun="float")
            )
        self._scales = torch.tensor(values, dtype=torch.float32)

    def scales(self) -> torch.Tensor:
        """The given scales ``[m]``."""
        return self._scales


class RunningScale(ScaleNormalizer):
    """Scale = running mean of ``|l_i|`` over rows with signal, frozen after a warm-up.

    Args:
        dim_names: The m dimension names.
        freeze_after: Stop updating after this many updates (None: never freeze).
        eps: Lower bound on a scale.
        sync: All-reduce batch statistics across DDP ranks when
            ``torch.distributed`` is initialised.

    Example:
        >>> import torch
        >>> from mdpo.objectives import RunningScale
        >>> norm = RunningScale(["dpo", "nll"])
        >>> norm(torch.tensor([[0.7, 6.0], [0.7, 2.0]]), torch.ones(2, 2, dtype=torch.bool))
        tensor([[1.0000, 1.5000],
                [1.0000, 0.5000]])
    """

    def __init__(
        self,
        dim_names: Sequence[str],
        *,
        freeze_after: int | None = 100,
        eps: float = 1e-6,
        sync: bool = True,
    ) -> None:
        super().__init__(dim_names)
        if freeze_after is not None and (
            isinstance(freeze_after, bool) or not isinstance(freeze_after, int) or freeze_after < 1
        ):
            raise ValueError(f"freeze_after must be None or an int >= 1, got {freeze_after!r}")
        m = len(self.dim_names)
        self.freeze_after = freeze_after
        self.eps = float(eps)
        self.sync = sync
        self.abs_sum = torch.zeros(m, dtype=torch.float64)
        self.count = torch.zeros(m, dtype=torch.float64)
        self.updates = 0

    @property
    def frozen(self) -> bool:
        """True once ``freeze_after`` updates have been made."""
        return self.freeze_after is not None and self.updates >= self.freeze_after

    def update(self, losses: torch.Tensor, mask: torch.Tensor) -> None:
        """Add a batch's ``Σ|l|`` and counts per dimension (summed across ranks if synced).

        Args:
            losses: ``[B, m]`` raw losses.
            mask: ``[B, m]`` bool signal mask.
        """
        if self.frozen:
            return
        stats = torch.stack(
            [
                torch.where(mask, losses.detach().abs(), 0.0).sum(dim=0).double(),
                mask.sum(dim=0).double(),
            ]
        )
        if self.sync and torch.distributed.is_available() and torch.distributed.is_initialized():
            torch.distributed.all_reduce(stats)
        self.abs_sum += stats[0].cpu()
        self.count += stats[1].cpu()
        self.updates += 1

    def scales(self) -> torch.Tensor:
        """``Σ|l| / count`` per dimension (1 where nothing was seen), at least ``eps``."""
        mean = torch.where(self.count > 0, self.abs_sum / self.count.clamp(min=1), 1.0)
        return mean.clamp(min=self.eps).float()

    def state_dict(self) -> dict[str, Any]:
        """``{"abs_sum": [m], "count": [m], "updates": int, "dim_names": [...]}``."""
        return {
            "abs_sum": self.abs_sum.clone(),
            "count": self.count.clone(),
            "updates": self.updates,
            "dim_names": list(self.dim_names),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a saved state.

        Args:
            state: :meth:`state_dict`'s output.

        Raises:
            ValueError: If it was saved for other dimensions.
        """
        if list(state.get("dim_names", [])) != self.dim_names:
            raise ValueError(
                f"normaliser state is for dimensions {state.get('dim_names')}, "
                f"expected {self.dim_names}"
            )
        self.abs_sum = torch.as_tensor(state["abs_sum"], dtype=torch.float64).clone()
        self.count = torch.as_tensor(state["count"], dtype=torch.float64).clone()
        self.updates = int(state["updates"])


def make_normalizer(spec: Any, dim_names: Sequence[str]) -> ScaleNormalizer | None:
    """Build a normaliser from ``None``, ``"running"``, ``{dim: scale}`` or an instance.

    Args:
        spec: The ``normalize`` argument of :class:`~mdpo.objectives.MultiObjective`.
        dim_names: The m dimension names.

    Returns:
        A :class:`ScaleNormalizer`, or None for no normalisation.

    Raises:
        ValueError: For any other value.
    """
    if spec is None:
        return None
    if isinstance(spec, ScaleNormalizer):
        if spec.dim_names != list(dim_names):
            raise ValueError(
                f"normalize was built for {spec.dim_names}, but the dimensions are {dim_names}"
            )
        return spec
    if spec == "running":
        return RunningScale(dim_names)
    if isinstance(spec, Mapping):
        return FixedScale(dim_names, spec)
    raise ValueError(
        "normalize must be None, 'running', a {dim: scale} mapping or a ScaleNormalizer, "
        f"got {spec!r}"
    )
