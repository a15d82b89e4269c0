"""A :class:`Front`: objective values of a policy at a set of preferences."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

__all__ = ["Front"]


@dataclasses.dataclass(frozen=True)
class Front:
    """Points of one policy, row-matched to the preferences that produced them.

    Args:
        points: ``[n, m]`` objective values (maximised).
        preferences: ``[n, m]`` preferences.
        names: The m dimension names.

    Raises:
        ValueError: If the shapes disagree or the names do not match m.

    Example:
        >>> import torch
        >>> from mdpo.evaluation import Front
        >>> front = Front(torch.tensor([[1.0, 0.0], [0.0, 1.0]]),
        ...               torch.tensor([[1.0, 0.0], [0.0, 1.0]]), ["a", "b"])
        >>> scores = front.metrics(true_front=[[1.0, 0.0], [0.0, 1.0]])
        >>> scores["igd_plus"], scores["hv_ratio"]
        (0.0, 1.0)
    """

    points: torch.Tensor
    preferences: torch.Tensor
    names: list[str]

    def __post_init__(self) -> None:
        points = torch.as_tensor(self.points, dtype=torch.float64)
        prefs = torch.as_tensor(self.preferences, dtype=torch.float64)
        if points.dim() != 2 or prefs.shape != points.shape:
            raise ValueError(
                "points and preferences must both have shape [n, m], got "
                f"{tuple(points.shape)} and {tuple(prefs.shape)}"
            )
        names = list(self.names)
        if len(names) != points.shape[1]:
            raise ValueError(f"names must hold m={points.shape[1]} names, got {names!r}")
        object.__setattr__(self, "points", points)
        object.__setattr__(self, "preferences", prefs)
        object.__setattr__(self, "names", names)

    @property
    def n_dims(self) -> int:
        """M."""
        return self.points.shape[1]

    def __len__(self) -> int:
        return self.points.shape[0]

    def subset(self, preferences: torch.Tensor, atol: float = 1e-5) -> Front:
        """The rows whose preference is in ``preferences`` ``[K, m]`` (e.g. a DPS grid).

        Args:
            preferences: ``[K, m]``.
            atol: Matching tolerance.

        Returns:
            A :class:`Front` with the matching rows, in this front's order.
        """
        grid = torch.as_tensor(preferences, dtype=torch.float64)
        close = (self.preferences[:, None, :] - grid[None]).abs().le(atol).all(-1).any(-1)
        return Front(self.points[close], self.preferences[close], self.names)

    def metrics(
        self,
        true_front: Any = None,
        *,
        others: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> dict[str, float]:
        """Headline metrics under the comparison protocol of the docs' conventions page.

        Normalises with :func:`mdpo.metrics.normalize_fronts` (by the true front when given,
        else over the union of this front and ``others``) and computes
        :func:`mdpo.metrics.front_metrics` on the normalised points.

        Args:
            true_front: ``[k, m]`` raw true front (maximised), or None.
            others: Other raw fronts that share the normalisation when there is no true
                front.
            **kwargs: Passed to :func:`mdpo.metrics.front_metrics` (``n_samples``, ...).

        Returns:
            Metric name -> float (``hv_ratio``, ``igd_plus`` ... with a true front).
        """
        from mdpo.metrics import front_metrics, normalize_fronts

        fronts: dict[str, Any] = {"__self__": self.points.numpy()}
        for key, value in (others or {}).items():
            fronts[f"other:{key}"] = value
        nf = normalize_fronts(fronts, true_front=true_front)
        return front_metrics(
            nf.fronts["__self__"],
            self.preferences.numpy(),
            true_front=nf.true_front,
            ref_point=nf.ref_point,
            names=self.names,
            **kwargs,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready ``{"points", "preferences", "names"}``."""
        return {
            "points": self.points.tolist(),
            "preferences": self.preferences.tolist(),
            "names": list(self.names),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Front:
        """Inverse of :meth:`to_dict`."""
        return cls(
            torch.tensor(
                np.asarray(data["points"], dtype=np.float64).reshape(-1, len(data["names"]))
            ),
            torch.tensor(
                np.asarray(data["preferences"], dtype=np.float64).reshape(-1, len(data["names"]))
            ),
            list(data["names"]),
        )
