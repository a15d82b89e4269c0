"""Schema validation of the datasets each objective reads, with errors that name columns.

A dataset is a 🤗 :class:`datasets.Dataset` or any sequence of dicts (rows). Validation
checks that the needed columns exist and hold the right kind of value, and raises a
``ValueError`` naming the column, the offending row and the columns present.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "LABEL_VALUES",
    "PairedDPOConfig",
    "column_names",
    "is_conversation",
    "label_to_index",
    "validate_dpo",
    "validate_paired_dpo",
    "validate_prompts",
    "validate_sft",
]

LABEL_VALUES = (0, 1, -1, None)
"""Allowed paired-DPO labels: the better response's index (0 or 1), or -1/None (tie/unknown)."""

_CHECK_ROWS = 64


def is_conversation(value: Any) -> bool:
    """Whether ``value`` is a conversation: a list of ``{"role", "content"}`` dicts.

    Args:
        value: Any cell value.

    Returns:
        True for a non-empty sequence of mappings that all have a string ``role``.

    Example:
        >>> from mdpo.data import is_conversation
        >>> is_conversation([{"role": "user", "content": "Hi"}]), is_conversation("Hi")
        (True, False)
    """
    return (
        isinstance(value, Sequence)
        and not isinstance(value, str | bytes)
        and len(value) > 0
        and all(isinstance(m, Mapping) and isinstance(m.get("role"), str) for m in value)
    )


def column_names(ds: Any, *, name: str = "dataset") -> list[str]:
    """The columns of a dataset: ``ds.column_names``, or the union of the rows' keys.

    Args:
        ds: A :class:`datasets.Dataset` or a non-empty sequence of dict rows.
        name: Name used in error messages.

    Returns:
        The column names, in first-seen order.

    Raises:
        TypeError: If ``ds`` is neither a Dataset nor a sequence of dicts.
        ValueError: If ``ds`` is empty.
    """
    if hasattr(ds, "column_names") and hasattr(ds, "__getitem__"):
        cols = list(ds.column_names)
    elif isinstance(ds, Sequence) and not isinstance(ds, str | bytes):
        cols = []
        for i, row in enumerate(ds):
            if not isinstance(row, Mapping):
                raise TypeError(f"{name}[{i}] must be a dict row, got {type(row).__name__}")
            cols.extend(k for k in row if k not in cols)
    else:
        raise TypeError(
            f"{name} must be a datasets.Dataset or a list of dict rows, got {type(ds).__name__}"
        )
    if len(ds) == 0:
        raise ValueError(f"{name} is empty; it needs at least one row")
    return cols


def _values(ds: Any, column: str) -> list[Any]:
    n = min(len(ds), _CHECK_ROWS)
    if hasattr(ds, "select"):
        return list(ds.select(range(n))[column])
    return [ds[i].get(column) for i in range(n)]


def _require(ds: Any, columns: Sequence[str], kind: str, name: str) -> list[str]:
    present = column_names(ds, name=name)
    for col in columns:
        if col not in present:
            raise ValueError(
                f"{name} is missing column {col!r} required for {kind} data; "
                f"columns present: {present}"
            )
    return present


def _check_text(ds: Any, column: str, kind: str, name: str) -> None:
    allowed = "a str or a list of {'role', 'content'} messages"
    for i, value in enumerate(_values(ds, column)):
        if isinstance(value, str) or is_conversation(value):
            continue
        raise ValueError(
            f"{name} column {column!r} must hold {allowed} for {kind} data, "
            f"got {type(value).__name__} {value!r:.80} in row {i}"
        )


def validate_prompts(ds: Any, *, name: str = "dataset") -> None:
    """Check a prompt dataset (RLHF): a ``prompt`` column of strings or conversations.

    Args:
        ds: A :class:`datasets.Dataset` or a list of dict rows.
        name: Name used in error messages.

    Raises:
        ValueError: If ``prompt`` is missing or ill-typed; the message lists the columns.
        TypeError: If ``ds`` is not a dataset.

    Example:
        >>> from mdpo.data import validate_prompts
        >>> validate_prompts([{"text": "Hi"}])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: dataset is missing column 'prompt' ...; columns present: ['text']
    """
    _require(ds, ["prompt"], "prompt", name)
    _check_text(ds, "prompt", "prompt", name)


def validate_dpo(ds: Any, *, name: str = "dataset") -> None:
    """Check per-dimension DPO data: ``prompt``, ``chosen`` and ``rejected`` columns.

    Each value is a string or a conversation (TRL's standard and conversational formats);
    implicit-prompt data is split first by :func:`~mdpo.data.preference_rows`.

    Args:
        ds: A :class:`datasets.Dataset` or a list of dict rows.
        name: Name used in error messages.

    Raises:
        ValueError: If a column is missing or ill-typed; the message lists the columns.
        TypeError: If ``ds`` is not a dataset.

    Example:
        >>> from mdpo.data import validate_dpo
        >>> validate_dpo([{"prompt": "Q", "chosen": "A", "rejected": 3}])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: dataset column 'rejected' must hold a str or a list of ... got int 3 in row 0
    """
    _require(ds, ["prompt", "chosen", "rejected"], "DPO", name)
    for col in ("prompt", "chosen", "rejected"):
        _check_text(ds, col, "DPO", name)


def validate_sft(ds: Any, *, name: str = "dataset") -> None:
    """Check SFT data: ``prompt`` + ``completion`` columns, or a conversational ``messages``.

    A ``messages`` conversation must end with an assistant turn (the completion).

    Args:
        ds: A :class:`datasets.Dataset` or a list of dict rows.
        name: Name used in error messages.

    Raises:
        ValueError: If neither schema is present or a column is ill-typed.
        TypeError: If ``ds`` is not a dataset.
    """
    present = column_names(ds, name=name)
    if "messages" in present and "completion" not in present:
        for i, value in enumerate(_values(ds, "messages")):
            if not is_conversation(value) or value[-1].get("role") != "assistant":
                raise ValueError(
                    f"{name} column 'messages' must hold conversations ending with an "
                    f"assistant turn for SFT data, got {value!r:.80} in row {i}"
                )
        return
    if "prompt" not in present or "completion" not in present:
        raise ValueError(
            f"{name} is missing column {'prompt' if 'prompt' not in present else 'completion'!r} "
            "required for SFT data (prompt + completion, messages, or text); "
            f"columns present: {present}"
        )
    _check_text(ds, "prompt", "SFT", name)
    _check_text(ds, "completion", "SFT", name)


def validate_paired_dpo(
    ds: Any,
    label_columns: Mapping[str, str] | PairedDPOConfig,
    *,
    name: str = "dataset",
) -> None:
    """Check paired multi-dimension DPO data (PKU-SafeRLHF's shape).

    Columns: ``prompt``, ``response_0``, ``response_1``, and one label column per
    dimension holding the better response's index: 0 or 1, or -1/None for a tie or an
    unknown label (that dimension is masked for that pair).

    Args:
        ds: A :class:`datasets.Dataset` or a list of dict rows.
        label_columns: ``{dimension: label column}`` or a :class:`PairedDPOConfig`.
        name: Name used in error messages.

    Raises:
        ValueError: If a column is missing, a text column is ill-typed or a label is not
            one of 0, 1, -1, None.
        TypeError: If ``ds`` is not a dataset or ``label_columns`` is not a mapping.

    Example:
        >>> from mdpo.data import validate_paired_dpo
        >>> rows = [{"prompt": "Q", "response_0": "a", "response_1": "b", "better": 2}]
        >>> validate_paired_dpo(rows, {"helpful": "better"})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: dataset label column 'better' ... got 2 in row 0
    """
    config = (
        label_columns
        if isinstance(label_columns, PairedDPOConfig)
        else PairedDPOConfig(label_columns=label_columns)
    )
    cols = [config.prompt_column, *config.response_columns, *config.label_columns.values()]
    _require(ds, cols, "paired DPO", name)
    _check_text(ds, config.prompt_column, "paired DPO", name)
    for col in config.response_columns:
        _check_text(ds, col, "paired DPO", name)
    for dim, col in config.label_columns.items():
        for i, value in enumerate(_values(ds, col)):
            if not _is_label(value):
                raise ValueError(
                    f"{name} label column {col!r} (dimension {dim!r}) must hold 0, 1, -1 or "
                    f"None, got {value!r} in row {i}"
                )


def _is_label(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return value in (0, 1, -1)


def label_to_index(value: Any) -> int:
    """Normalise a paired-DPO label to 0, 1 or -1 (masked).

    Args:
        value: 0, 1, -1 or None.

    Returns:
        The better response's index, or -1 when the label is a tie or unknown.

    Raises:
        ValueError: For any other value.
    """
    if not _is_label(value):
        raise ValueError(f"label must be 0, 1, -1 or None, got {value!r}")
    return -1 if value is None else int(value)


@dataclass
class PairedDPOConfig:
    """Column layout of paired multi-dimension DPO data.

    Args:
        label_columns: ``{dimension name: label column}``, in dimension order. Each label
            column gives the better response's index (0/1) or -1/None for tie/unknown.
        prompt_column: The prompt column.
        response_columns: The two response columns.

    Raises:
        TypeError: If ``label_columns`` is not a mapping of str to str.
        ValueError: If it is empty.

    Example:
        >>> from mdpo.data import PairedDPOConfig
        >>> PairedDPOConfig.pku_saferlhf().label_columns
        {'helpful': 'better_response_id', 'harmless': 'safer_response_id'}
    """

    label_columns: Mapping[str, str]
    prompt_column: str = "prompt"
    response_columns: tuple[str, str] = field(default=("response_0", "response_1"))

    def __post_init__(self) -> None:
        if not isinstance(self.label_columns, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in self.label_columns.items()
        ):
            raise TypeError(
                "label_columns must map dimension names (str) to label columns (str), "
                f"got {self.label_columns!r}"
            )
        if not self.label_columns:
            raise ValueError("label_columns must name at least one dimension, got {}")
        self.label_columns = dict(self.label_columns)
        if len(self.response_columns) != 2:
            raise ValueError(
                f"response_columns must name exactly two columns, got {self.response_columns!r}"
            )
        self.response_columns = tuple(self.response_columns)

    @property
    def dim_names(self) -> list[str]:
        """The dimension names, in order."""
        return list(self.label_columns)

    @classmethod
    def pku_saferlhf(cls) -> PairedDPOConfig:
        """PKU-SafeRLHF: helpful = ``better_response_id``, harmless = ``safer_response_id``.

        Returns:
            The config.
        """
        return cls({"helpful": "better_response_id", "harmless": "safer_response_id"})
