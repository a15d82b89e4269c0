"""TRL's dataset formats and containers, read into the rows mdpo's objectives take.

Containers (:func:`as_rows`): a :class:`datasets.Dataset`, a :class:`datasets.IterableDataset`
(read once into memory: the trainer draws rows by index), a pandas ``DataFrame``, a dict
of columns, or a list of dict rows.

Formats (the names of TRL's dataset-formats guide):

- **Preference** (:func:`preference_rows`): explicit prompt ``prompt`` + ``chosen`` +
  ``rejected``, or implicit prompt ``chosen`` + ``rejected`` whose shared beginning is the
  prompt (as TRL's ``extract_prompt`` splits it). Each value is a string (standard) or a
  list of ``{"role", "content"}`` messages (conversational).
- **SFT** (:func:`sft_rows`): ``prompt`` + ``completion`` (standard or conversational),
  ``messages`` (conversational language modelling: the last, assistant turn is trained on)
  or ``text`` (language modelling: the whole text is trained on).

Unpaired preference data (``prompt``, ``completion``, ``label``: KTO) and stepwise
supervision are refused with a message that says which columns mdpo needs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .schemas import is_conversation

__all__ = ["RowView", "as_rows", "extract_prompt", "preference_rows", "sft_rows"]

PREFERENCE_FORMATS = (
    "explicit prompt (prompt, chosen, rejected) or implicit prompt (chosen, rejected), "
    "standard (str) or conversational (lists of {'role', 'content'} messages)"
)


class RowView(Sequence):
    """A dataset read row by row through a conversion, without copying it.

    Args:
        data: The underlying dataset (random access by int).
        convert: ``convert(row, index) -> row`` applied on every access.
        column_names: The columns the converted rows have.

    Example:
        >>> from mdpo.data import RowView
        >>> view = RowView([{"a": 1}], lambda row, i: {"a": row["a"] + 1}, ["a"])
        >>> len(view), view[0], view.column_names
        (1, {'a': 2}, ['a'])
    """

    def __init__(
        self,
        data: Any,
        convert: Callable[[Mapping[str, Any], int], dict[str, Any]],
        column_names: Sequence[str],
    ) -> None:
        self.data = data
        self.convert = convert
        self.column_names = list(column_names)

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        n = len(self)
        if isinstance(index, bool) or not isinstance(index, int) or not -n <= index < n:
            raise IndexError(f"row index {index!r} out of range for {n} rows")
        index %= n
        return self.convert(self.data[index], index)


def _is_pandas(data: Any) -> bool:
    return type(data).__module__.split(".")[0] == "pandas" and hasattr(data, "to_dict")


def as_rows(data: Any, *, name: str = "dataset") -> Any:
    """A random-access dataset from any container a TRL user would pass.

    Args:
        data: A :class:`datasets.Dataset` or a list of dict rows (returned as they are), a
            :class:`datasets.IterableDataset` (read into a list once; it must be finite), a
            pandas ``DataFrame`` (:meth:`datasets.Dataset.from_pandas`) or a dict of
            equal-length columns (:meth:`datasets.Dataset.from_dict`).
        name: Name used in error messages.

    Returns:
        A :class:`datasets.Dataset` or a list of dict rows.

    Raises:
        TypeError: For a ``DatasetDict`` (pick a split), a row that is not a dict, or
            another type; the message names ``name`` and the type.
        ValueError: If the dataset is empty.

    Example:
        >>> from mdpo.data import as_rows
        >>> as_rows({"prompt": ["Q"], "chosen": ["a"], "rejected": ["b"]})[0]
        {'prompt': 'Q', 'chosen': 'a', 'rejected': 'b'}
    """
    import datasets

    if isinstance(data, datasets.DatasetDict | datasets.IterableDatasetDict):
        raise TypeError(
            f"{name} is a {type(data).__name__} with splits {list(data)}; pass one split, "
            f"e.g. {name}['train']"
        )
    if isinstance(data, datasets.IterableDataset):
        rows: Any = list(data)
    elif _is_pandas(data):
        rows = datasets.Dataset.from_pandas(data, preserve_index=False)
    elif isinstance(data, Mapping):
        columns = {k: v for k, v in data.items()}
        if not all(isinstance(v, Sequence) and not isinstance(v, str) for v in columns.values()):
            raise TypeError(
                f"{name} is a dict, so it must map column names to lists of values (a dict of "
                f"columns); got {sorted(columns)}. Pass a single row as [row]"
            )
        rows = datasets.Dataset.from_dict(columns)
    elif isinstance(data, datasets.Dataset) or (
        isinstance(data, Sequence) and not isinstance(data, str | bytes)
    ):
        rows = data
    else:
        raise TypeError(
            f"{name} must be a datasets.Dataset, datasets.IterableDataset, pandas.DataFrame, "
            f"dict of columns or list of dict rows, got {type(data).__name__}"
        )
    if len(rows) == 0:
        raise ValueError(f"{name} is empty; it needs at least one row")
    if not hasattr(rows, "column_names"):
        for i, row in enumerate(rows[:1]):
            if not isinstance(row, Mapping):
                raise TypeError(f"{name}[{i}] must be a dict row, got {type(row).__name__}")
    return rows


def _columns(rows: Any) -> list[str]:
    if hasattr(rows, "column_names"):
        return list(rows.column_names)
    cols: list[str] = []
    for row in rows[:64]:
        cols.extend(k for k in row if k not in cols)
    return cols


def extract_prompt(chosen: Any, rejected: Any) -> tuple[Any, Any, Any]:
    """Split an implicit-prompt pair into ``(prompt, chosen, rejected)``.

    The prompt is the longest shared beginning: characters of two strings, or whole
    messages of two conversations. As in TRL, a space just before the split goes with the
    responses.

    Args:
        chosen: A string or a conversation.
        rejected: Of the same kind as ``chosen``.

    Returns:
        The prompt and the two responses after it.

    Raises:
        ValueError: If the two are identical, or of different kinds.

    Example:
        >>> from mdpo.data import extract_prompt
        >>> extract_prompt("Q: sky? A: blue", "Q: sky? A: green")
        ('Q: sky? A:', ' blue', ' green')
    """
    if isinstance(chosen, str) != isinstance(rejected, str):
        raise ValueError(
            "chosen and rejected must both be strings or both be conversations, got "
            f"{type(chosen).__name__} and {type(rejected).__name__}"
        )
    if isinstance(chosen, str):
        split = 0
        while split < min(len(chosen), len(rejected)) and chosen[split] == rejected[split]:
            split += 1
        if split > 0 and chosen[split - 1] == " ":
            split -= 1
    else:
        chosen, rejected = list(chosen), list(rejected)
        split = 0
        while split < min(len(chosen), len(rejected)) and chosen[split] == rejected[split]:
            split += 1
    if split >= len(chosen) or split >= len(rejected):
        raise ValueError(
            "chosen and rejected must differ after their shared beginning (the prompt), "
            f"got chosen={chosen!r:.60} and rejected={rejected!r:.60}"
        )
    return chosen[:split], chosen[split:], rejected[split:]


def _check_kind(value: Any, column: str, index: int, name: str) -> None:
    if not (isinstance(value, str) or is_conversation(value)):
        raise ValueError(
            f"{name} row {index} column {column!r} must hold a str or a list of "
            f"{{'role', 'content'}} messages, got {type(value).__name__} {value!r:.80}"
        )


def preference_rows(data: Any, *, name: str = "dataset") -> Any:
    """Preference data in any TRL format as explicit-prompt rows.

    Args:
        data: Any container :func:`as_rows` takes, in a format of the module docstring.
        name: Name used in error messages.

    Returns:
        The rows with ``prompt``, ``chosen`` and ``rejected`` (a :class:`RowView` that
        splits the prompt off implicit-prompt rows when they are read).

    Raises:
        ValueError: If the columns match no preference format (the message lists the
            formats and the columns present), or, when a row is read, if its ``chosen`` or
            ``rejected`` is not text or messages (naming the row and the column).
        TypeError: As :func:`as_rows`.

    Example:
        >>> from mdpo.data import preference_rows
        >>> rows = preference_rows([{"chosen": [{"role": "user", "content": "Hi"},
        ...     {"role": "assistant", "content": "Hello!"}], "rejected": [
        ...     {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Go."}]}])
        >>> rows[0]["prompt"], rows[0]["chosen"]
        ([{'role': 'user', 'content': 'Hi'}], [{'role': 'assistant', 'content': 'Hello!'}])
    """
    rows = as_rows(data, name=name)
    present = _columns(rows)
    if {"prompt", "chosen", "rejected"} <= set(present):
        return rows
    if {"chosen", "rejected"} <= set(present):

        def split(row: Mapping[str, Any], index: int) -> dict[str, Any]:
            for column in ("chosen", "rejected"):
                _check_kind(row.get(column), column, index, name)
            try:
                prompt, chosen, rejected = extract_prompt(row["chosen"], row["rejected"])
            except ValueError as err:
                raise ValueError(f"{name} row {index}: {err}") from None
            return {**row, "prompt": prompt, "chosen": chosen, "rejected": rejected}

        return RowView(rows, split, ["prompt", *present])
    if {"completion", "label"} <= set(present):
        raise ValueError(
            f"{name} is unpaired preference data (prompt, completion, label: TRL's KTO "
            f"format); mdpo trains on pairs: {PREFERENCE_FORMATS}; columns present: {present}"
        )
    raise ValueError(
        f"{name} matches no preference format; mdpo reads {PREFERENCE_FORMATS} (or paired "
        f"data with label_columns); columns present: {present}"
    )


def sft_rows(data: Any, *, name: str = "dataset") -> Any:
    """SFT data in any TRL format as ``prompt`` + ``completion`` or ``messages`` rows.

    Args:
        data: Any container :func:`as_rows` takes.
        name: Name used in error messages.

    Returns:
        The rows; a ``text`` dataset becomes rows with an empty ``prompt`` and the text as
        ``completion`` (a :class:`RowView`).

    Raises:
        ValueError: When a row is read, if its ``text`` is not a non-empty string (naming
            the row and the column). Rows in no SFT format are returned as they are, for
            :func:`~mdpo.data.validate_sft` to name the missing column.
        TypeError: As :func:`as_rows`.

    Example:
        >>> from mdpo.data import sft_rows
        >>> sft_rows([{"text": "Dear sir."}])[0]
        {'text': 'Dear sir.', 'prompt': '', 'completion': 'Dear sir.'}
    """
    rows = as_rows(data, name=name)
    present = _columns(rows)
    if {"prompt", "completion"} <= set(present) or "messages" in present:
        return rows
    if "text" in present:

        def language_modelling(row: Mapping[str, Any], index: int) -> dict[str, Any]:
            text = row.get("text")
            if not isinstance(text, str) or not text:
                raise ValueError(
                    f"{name} row {index} column 'text' must hold a non-empty str, got "
                    f"{type(text).__name__} {text!r:.80}"
                )
            return {**row, "prompt": "", "completion": text}

        return RowView(rows, language_modelling, [*present, "prompt", "completion"])
    return rows  # validate_sft names the missing column
