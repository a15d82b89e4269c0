"""The :class:`Aggregator` base class: validation, broadcasting and grouped reduction."""

from __future__ import annotations

import abc
import inspect
from collections.abc import Sequence
from typing import Any, ClassVar, NamedTuple

import numpy as np
import torch

from mdpo.preferences import PreferenceLike, check_preference

__all__ = ["Aggregator", "AggregatorInputs", "IdealLike"]

IdealLike = torch.Tensor | np.ndarray | Sequence[float]
"""An ideal point: a tensor, numpy array or sequence of floats of shape ``[m]`` or ``[..., m]``."""


class AggregatorInputs(NamedTuple):
    """The validated inputs of :meth:`Aggregator._aggregate`, broadcast to one shape.

    Attributes:
        losses: ``[..., m]`` losses to minimise; their dtype and device are everyone's.
        preference: ``[..., m]`` λ, rows on the simplex (a constant: no gradient).
        ideal: ``[..., m]`` ideal point z in loss space; None only when the aggregator's
            :attr:`~Aggregator.requires_ideal` is False.
        mask: Bool ``[..., m]``, True where a dimension has signal; None keeps all.
            Masked-out loss entries may hold anything and must not reach the result or its
            gradient (the reductions of ``mdpo.aggregators._masked`` see to that).
    """

    losses: torch.Tensor
    preference: torch.Tensor
    ideal: torch.Tensor | None
    mask: torch.Tensor | None

    def offset(self) -> torch.Tensor:
        """``l - z``, ``[..., m]`` (the losses themselves when there is no ideal point)."""
        return self.losses if self.ideal is None else self.losses - self.ideal

    def weighted(self) -> torch.Tensor:
        """``λ ⊙ (l - z)``, ``[..., m]``: the terms of the weighted sum and maximum."""
        return self.preference * self.offset()


class Aggregator(abc.ABC):
    r"""Base class of the differentiable scalarisations of m losses under a preference λ.

    An aggregator maps per-dimension **losses** (minimised) and a preference λ on the simplex
    to one value per row. λ_i is the **importance** of dimension i: a larger λ_i never makes
    dimension i worse at the optimum (PBI only approximately, see :class:`PBI`).

    Calling an aggregator validates its inputs and then hands them, broadcast to one common
    shape ``[..., m]`` as an :class:`AggregatorInputs`, to the subclass's :meth:`_aggregate`,
    which only computes:

    - ``losses`` must be a floating tensor ``[..., m]``; it sets the dtype and device of
      everything else. Non-finite values are refused where the mask keeps a dimension.
    - ``preference`` (``[m]`` or ``[..., m]``) goes through
      :func:`mdpo.preferences.check_preference`; it is a constant (no gradient flows to it).
    - ``ideal`` (``[m]`` or ``[..., m]``) is the ideal point z in **loss** space, a lower
      bound on each loss. Subclasses with :attr:`requires_ideal` refuse to run without one:
      there is no silent z = 0.
    - ``mask`` (bool, ``[..., m]``) is True where a dimension has signal. Masked-out
      dimensions are excluded (sums and maxima run over the kept ones); a row with nothing
      kept aggregates to 0 with zero gradient.

    Subclasses set :attr:`requires_ideal`, validate their constructor parameters and
    implement :meth:`_aggregate` (``def _aggregate(self, x: AggregatorInputs)``; the
    four-argument form ``_aggregate(self, losses, preference, ideal, mask)`` of earlier
    versions is still accepted).
    """

    requires_ideal: ClassVar[bool] = True
    """Whether the aggregator needs an ideal point ``z`` (a lower bound on every loss)."""

    def __call__(
        self,
        losses: torch.Tensor,
        preference: PreferenceLike,
        *,
        ideal: IdealLike | None = None,
        mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Aggregate per-dimension losses under a preference, row by row.

        For a training batch whose rows carry their own λ, use :meth:`reduce`, which applies
        the aggregator to per-group means as the conventions page of the docs requires.

        Args:
            losses: Losses to minimise, ``[..., m]``.
            preference: λ on the simplex, ``[m]`` or ``[..., m]`` (broadcast against losses).
            ideal: Ideal point z in loss space, ``[m]`` or ``[..., m]``; required when
                :attr:`requires_ideal` is True.
            mask: Bool ``[..., m]``, True where a dimension has signal; None keeps all.

        Returns:
            The aggregated values, shape ``[...]`` (the broadcast batch shape), in the dtype
            and on the device of ``losses``. Lower is better.

        Raises:
            TypeError: If ``losses`` is not a floating tensor, ``mask`` is not a bool tensor,
                or ``ideal``/``preference`` is not numeric.
            ValueError: On a bad preference, mismatched or non-broadcastable shapes,
                non-finite kept losses or ideal, or a missing ideal point.
        """
        return self._aggregate(self._prepare(losses, preference, ideal, mask))

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("_aggregate")
        if own is not None and len(inspect.signature(own).parameters) == 5:
            # The form of earlier versions, _aggregate(self, losses, preference, ideal, mask).
            def _aggregate(self: Aggregator, x: AggregatorInputs) -> torch.Tensor:
                return own(self, *x)

            _aggregate.__doc__ = own.__doc__
            cls._aggregate = _aggregate  # type: ignore[method-assign]

    @abc.abstractmethod
    def _aggregate(self, x: AggregatorInputs) -> torch.Tensor:
        """Compute the aggregate from validated inputs.

        Args:
            x: The inputs, each ``[..., m]`` (see :class:`AggregatorInputs`).

        Returns:
            ``[...]``.
        """

    def reduce(
        self,
        losses: torch.Tensor,
        preferences: PreferenceLike,
        *,
        ideal: IdealLike | None = None,
        mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        r"""Aggregate a batch whose rows carry their own λ, grouping the rows that share one.

        Rows with exactly the same λ (one prompt's pairs, samples, ...) form a group g of n_g
        rows; the groups are found with ``torch.unique(dim=0)``, with no Python loop.
        For each group and dimension the kept losses are averaged (a dimension with no kept
        row in a group is masked for that group), the mean vector is aggregated under the
        group's λ, and the groups are averaged weighted by their row counts:

        .. math:: \frac{1}{B} \sum_g n_g \, \mathrm{agg}(\bar l_g, \lambda_g)

        For the Tchebycheff family this differs from the mean of per-row aggregates: a mean
        of maxima is not the maximum of means. For linear scalarisation without a mask it
        equals the mean over rows of Σ_i λ_i l_i.

        Args:
            losses: ``[B, m]`` with ``B >= 1``.
            preferences: ``[B, m]`` (one λ per row) or ``[m]`` (one for all rows).
            ideal: Ideal point ``[m]`` (shared by all groups); see :meth:`__call__`.
            mask: Bool ``[B, m]`` (or broadcastable to it), True where a row has signal.

        Returns:
            A scalar tensor (shape ``[]``).

        Raises:
            ValueError: If ``losses`` is not ``[B, m]`` with ``B >= 1``, ``preferences`` or
                ``mask`` would add batch dimensions, ``ideal`` is not ``[m]``, or for any
                reason listed in :meth:`__call__`.

        Example:
            >>> import torch
            >>> from mdpo.aggregators import Tchebycheff
            >>> losses = torch.tensor([[2.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
            >>> lam = torch.tensor([[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]])
            >>> Tchebycheff().reduce(losses, lam, ideal=[0.0, 0.0])  # max of the means
            tensor(0.5000)
            >>> Tchebycheff()(losses, lam, ideal=[0.0, 0.0]).mean()  # mean of the maxima
            tensor(0.8333)
        """
        return self._reduce(losses, preferences, ideal=ideal, mask=mask)

    def _reduce(
        self,
        losses: torch.Tensor,
        preferences: PreferenceLike,
        *,
        ideal: IdealLike | None,
        mask: torch.Tensor | None,
        trusted: bool = False,
    ) -> torch.Tensor:
        """:meth:`reduce`; ``trusted=True`` takes ``preferences`` as a validated λ tensor.

        The trainer validates λ once, where it enters the objective, and reduces here with
        ``trusted=True``; the losses, ideal point and mask are checked all the same.
        """
        _check_losses(losses)
        if losses.dim() != 2 or losses.shape[0] == 0:
            raise ValueError(
                f"losses must have shape [B, m] with B >= 1 for reduce, got {tuple(losses.shape)}"
            )
        if ideal is not None:
            ideal = _as_ideal(ideal, losses)
            if ideal.dim() != 1:
                raise ValueError(
                    f"ideal must have shape [m] for reduce (one ideal point shared by all "
                    f"groups), got {tuple(ideal.shape)}"
                )
        inputs = self._prepare(losses, preferences, ideal, mask, trusted=trusted)
        if inputs.losses.shape != losses.shape:
            raise ValueError(
                f"preferences and mask must broadcast to losses' shape {tuple(losses.shape)} "
                f"in reduce, got a broadcast shape {tuple(inputs.losses.shape)}"
            )
        lam = inputs.preference
        groups, inverse = torch.unique(lam, dim=0, return_inverse=True)
        n_groups, m = groups.shape
        if inputs.mask is None:
            kept = torch.ones_like(losses)
            values = losses
        else:
            kept = inputs.mask.to(losses.dtype)
            values = torch.where(inputs.mask, losses, 0.0)
        sums = losses.new_zeros(n_groups, m).index_add(0, inverse, values)
        counts = losses.new_zeros(n_groups, m).index_add(0, inverse, kept)
        means = sums / counts.clamp_min(1.0)
        group_mask = None if inputs.mask is None else counts > 0
        group_ideal = None if inputs.ideal is None else inputs.ideal[0].expand(n_groups, m)
        per_group = self._aggregate(AggregatorInputs(means, groups, group_ideal, group_mask))
        rows = torch.bincount(inverse, minlength=n_groups).to(losses.dtype)
        return (per_group * rows).sum() / losses.shape[0]

    def get_params(self) -> dict[str, Any]:
        """The constructor parameters and their current values (scikit-learn style).

        Returns:
            A dict mapping each ``__init__`` parameter name to the attribute of that name.
        """
        names = [
            p.name
            for p in inspect.signature(type(self).__init__).parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        return {name: getattr(self, name) for name in names if hasattr(self, name)}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def _prepare(
        self,
        losses: torch.Tensor,
        preference: PreferenceLike,
        ideal: IdealLike | None,
        mask: torch.Tensor | None,
        *,
        trusted: bool = False,
    ) -> AggregatorInputs:
        _check_losses(losses)
        m = losses.shape[-1]
        lam = preference if trusted else check_preference(preference, m)
        lam = lam.to(device=losses.device, dtype=losses.dtype)
        if ideal is None:
            if self.requires_ideal:
                raise ValueError(_missing_ideal_message(type(self).__name__))
        else:
            ideal = _as_ideal(ideal, losses)
        if mask is not None:
            mask = _as_mask(mask, m, losses.device)
        present = [t for t in (losses, lam, ideal, mask) if t is not None]
        try:
            shape = torch.broadcast_shapes(*(t.shape for t in present))
        except RuntimeError as err:
            raise ValueError(
                "losses, preference, ideal and mask must broadcast to one shape [..., m]; got "
                f"losses {tuple(losses.shape)}, preference {tuple(lam.shape)}, "
                f"ideal {None if ideal is None else tuple(ideal.shape)}, "
                f"mask {None if mask is None else tuple(mask.shape)}"
            ) from err
        bad = ~torch.isfinite(losses)
        if mask is not None:
            bad = bad & mask
        if bad.any():
            raise ValueError(
                f"losses must be finite where mask is True, got {int(bad.sum())} NaN or inf "
                f"value(s) in losses of shape {tuple(losses.shape)}"
            )
        return AggregatorInputs(
            losses.expand(shape),
            lam.expand(shape),
            None if ideal is None else ideal.expand(shape),
            None if mask is None else mask.expand(shape),
        )


def _check_losses(losses: Any) -> None:
    if not isinstance(losses, torch.Tensor):
        raise TypeError(
            f"losses must be a torch.Tensor of shape [..., m], got {type(losses).__name__}"
        )
    if not losses.is_floating_point():
        raise TypeError(f"losses must be a floating-point tensor, got dtype {losses.dtype}")
    if losses.dim() == 0 or losses.shape[-1] == 0:
        raise ValueError(
            f"losses must have shape [..., m] with m >= 1, got shape {tuple(losses.shape)}"
        )


def _as_ideal(ideal: Any, losses: torch.Tensor) -> torch.Tensor:
    m = losses.shape[-1]
    if isinstance(ideal, torch.Tensor):
        if ideal.dtype == torch.bool or ideal.is_complex():
            raise TypeError(f"ideal must hold real numbers, got dtype {ideal.dtype}")
        z = ideal.to(device=losses.device, dtype=losses.dtype)
    elif isinstance(ideal, np.ndarray | Sequence) and not isinstance(ideal, str | bytes):
        try:
            z = torch.as_tensor(np.asarray(ideal, dtype=np.float64))
        except (TypeError, ValueError) as err:
            raise TypeError(f"ideal must be numeric, got {ideal!r}") from err
        z = z.to(device=losses.device, dtype=losses.dtype)
    else:
        raise TypeError(
            "ideal must be a torch.Tensor, numpy array or sequence of floats of shape [m], "
            f"got {type(ideal).__name__} {ideal!r}"
        )
    if z.dim() == 0 or z.shape[-1] != m:
        raise ValueError(
            f"ideal must have shape [m] or [..., m] with m={m} (the losses' last axis), "
            f"got shape {tuple(z.shape)}"
        )
    if not torch.isfinite(z).all():
        raise ValueError(f"ideal must be finite (no NaN or inf), got {z.detach().cpu().tolist()}")
    return z


def _as_mask(mask: Any, m: int, device: torch.device) -> torch.Tensor:
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
        what = mask.dtype if isinstance(mask, torch.Tensor) else type(mask).__name__
        raise TypeError(
            f"mask must be a bool torch.Tensor of shape [..., m] (True = dimension has "
            f"signal), got {what}"
        )
    if mask.dim() == 0 or mask.shape[-1] != m:
        raise ValueError(
            f"mask must have shape [..., m] with m={m} (the losses' last axis), "
            f"got shape {tuple(mask.shape)}"
        )
    return mask.to(device)


def _missing_ideal_message(name: str) -> str:
    return (
        f"{name} needs an ideal point z in loss space (a lower bound on each loss) and none "
        "was given. Pass ideal=... with shape [m], e.g. a known lower bound on each loss "
        "(0 for non-negative losses), or train with MDPOTrainer, which tracks z as the "
        "running minimum of each loss minus a margin. mdpo never assumes z = 0 silently."
    )
