"""The trainer's data stream: global row indices, sharded by Trainer/accelerate."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch.utils.data import Dataset

__all__ = ["ROW_KEY", "RowIndexDataset", "collate_rows"]

ROW_KEY = "rows"
"""The key under which a batch carries its global row indices."""


class RowIndexDataset(Dataset):
    """The integers 0 to n_rows - 1 as ``{"rows": i}`` examples.

    :class:`~mdpo.training.MDPOTrainer` feeds this to Trainer with a sequential sampler:
    the i-th row of the run (counted over optimizer steps, accumulation micro-batches and
    DDP ranks) is row i. The objectives draw their examples as a pure function of
    ``(seed, step, dim, row)``, so no loader state is needed for resume or sharding.

    Args:
        n_rows: Number of rows (>= 1).

    Example:
        >>> from mdpo.training import RowIndexDataset, collate_rows
        >>> ds = RowIndexDataset(6)
        >>> len(ds), ds[4]
        (6, {'rows': 4})
        >>> collate_rows([ds[0], ds[1]])
        {'rows': tensor([0, 1])}
    """

    def __init__(self, n_rows: int) -> None:
        if isinstance(n_rows, bool) or not isinstance(n_rows, int) or n_rows < 1:
            raise ValueError(f"n_rows must be an int >= 1, got {n_rows!r}")
        self.n_rows = n_rows

    def __len__(self) -> int:
        return self.n_rows

    def __getitem__(self, index: int) -> dict[str, int]:
        if not -self.n_rows <= index < self.n_rows:
            raise IndexError(f"row index {index} out of range for {self.n_rows} rows")
        return {ROW_KEY: int(index) % self.n_rows}


def collate_rows(features: Sequence[Mapping[str, int]]) -> dict[str, torch.Tensor]:
    """Stack ``{"rows": i}`` examples into ``{"rows": LongTensor[b]}``.

    Args:
        features: Examples from :class:`RowIndexDataset`.

    Returns:
        ``{"rows": tensor [b] (int64)}``.
    """
    return {ROW_KEY: torch.tensor([int(f[ROW_KEY]) for f in features], dtype=torch.long)}
