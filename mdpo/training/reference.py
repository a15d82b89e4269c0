"""Reference log-probs scored once, before training (``MDPOConfig.precompute_ref_log_probs``).

A DPO step needs each pair's log-probs under the reference. They do not change during
training, so :func:`precompute_reference` scores every pair of every DPO component once and
stores them in the pair's :func:`~mdpo.objectives.reference_column` columns, where
:class:`~mdpo.objectives.DPOObjective` finds them and skips its reference forward pass.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["precompute_reference", "reference_batch_size"]


def _has_all(row: Any, columns: list[str]) -> bool:
    return all(row.get(c) is not None for c in columns)


def precompute_reference(multi: Any, model: Any, tokenizer: Any, *, batch_size: int) -> int:
    """Give every pair of the DPO components its reference log-prob columns.

    Each DPO component's data is replaced by a copy with the two columns filled (the
    caller's dataset is not modified): a ``datasets.Dataset`` gets them as new columns, any
    other container becomes a list of dict rows. A pair the collator drops gets None; pairs
    that already carry both columns keep their values and are not scored again. The model
    runs in eval mode for the pass and is put back in its mode after.

    Args:
        multi: The trainer's :class:`~mdpo.objectives.MultiObjective`.
        model: The policy (the reference is its adapter disabled) or, for objectives with
            their own ``ref_model``, any model.
        tokenizer: The tokenizer.
        batch_size: Pairs per forward pass.

    Returns:
        The number of pairs scored.
    """
    from mdpo.objectives import DPOObjective
    from mdpo.objectives.multi import Component

    scored = 0
    was_training = model.training
    model.eval()
    try:
        for index, component in enumerate(multi.components):
            objective = component.objective
            if not isinstance(objective, DPOObjective):
                continue
            columns = objective.reference_columns
            data = component.data
            rows = [dict(data[i]) for i in range(len(data))]
            todo = [i for i, row in enumerate(rows) if not _has_all(row, columns)]
            for start in range(0, len(todo), batch_size):
                chunk = todo[start : start + batch_size]
                values = objective.reference_logps(model, [rows[i] for i in chunk], tokenizer)
                for j, i in enumerate(chunk):
                    for c, column in enumerate(columns):
                        value = float(values[c, j])
                        rows[i][column] = None if math.isnan(value) else value
            scored += len(todo)
            if not todo:
                continue
            if hasattr(data, "add_column") and hasattr(data, "column_names"):
                for column in columns:
                    if column in data.column_names:
                        data = data.remove_columns(column)
                    data = data.add_column(column, [row[column] for row in rows])
            else:
                data = rows
            multi.components[index] = Component(component.dim_names, objective, data)
    finally:
        model.train(was_training)
    return scored


def reference_batch_size(args: Any) -> int:
    """The precomputation's pairs per forward pass: the option, else the train batch size."""
    size = args.precompute_ref_batch_size
    return int(size if size is not None else args.per_device_train_batch_size)
