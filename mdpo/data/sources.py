"""Where a run's data come from: a local folder or file, or a dataset on the Hugging Face Hub."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

__all__ = ["DATA_FILE_TYPES", "is_data_file", "load_data_source"]

DATA_FILE_TYPES = {
    ".json": "json",
    ".jsonl": "json",
    ".parquet": "parquet",
    ".csv": "csv",
}
"""File suffixes read as data files, and the :func:`datasets.load_dataset` builder of each."""

_SAVED_MARKERS = ("dataset_info.json", "state.json", "dataset_dict.json")


def is_data_file(source: str | os.PathLike[str]) -> bool:
    """Whether ``source`` names a data file by its suffix (``.json``, ``.parquet``, ...).

    Args:
        source: A path or a Hub dataset name.

    Returns:
        True for a suffix of :data:`DATA_FILE_TYPES`.
    """
    return Path(source).suffix.lower() in DATA_FILE_TYPES


def load_data_source(
    source: str | os.PathLike[str],
    *,
    split: str = "train",
    name: str = "data",
    load_kwargs: dict[str, Any] | None = None,
) -> Any:
    """A dataset from a local folder or file, or from the Hub.

    - A folder written by :meth:`datasets.Dataset.save_to_disk` (a ``DatasetDict`` gives
      ``split``), or any other folder of data files (read by
      :func:`datasets.load_dataset`).
    - A ``.json``, ``.jsonl``, ``.parquet`` or ``.csv`` file.
    - Anything else that does not exist locally is a Hub dataset name (``"owner/name"``),
      read by ``datasets.load_dataset(source, split=split)``; offline (``HF_HUB_OFFLINE``)
      that only works for datasets already in the local cache.

    Args:
        source: The folder, file or Hub name.
        split: The split to read from a ``DatasetDict`` folder or the Hub.
        name: What the source is, for error messages (e.g. ``"dimensions['helpful'].data"``).
        load_kwargs: Further keyword arguments of :func:`datasets.load_dataset` for a Hub
            dataset or a folder of data files (e.g. ``name``, ``revision``).

    Returns:
        A :class:`datasets.Dataset`.

    Raises:
        FileNotFoundError: If a data file does not exist.
        ValueError: If the file type is not supported, the split does not exist, or the
            Hub could not provide the dataset (the message names ``name`` and the source).
    """
    import datasets

    path = Path(source)
    text = os.fspath(source)
    if path.is_dir() and any((path / marker).is_file() for marker in _SAVED_MARKERS):
        return _pick_split(datasets.load_from_disk(text), split, name, text)
    if path.is_file():
        builder = DATA_FILE_TYPES.get(path.suffix.lower())
        if builder is None:
            raise ValueError(
                f"{name} {text!r} has an unsupported suffix ({path.suffix or 'none'}); mdpo "
                f"reads {', '.join(DATA_FILE_TYPES)} files, a dataset folder or a Hub name"
            )
        return datasets.load_dataset(builder, data_files={split: text}, split=split)
    if not path.is_dir() and (is_data_file(path) or path.is_absolute() or text.startswith(".")):
        raise FileNotFoundError(f"{name} {text!r} does not exist")
    try:
        return datasets.load_dataset(text, split=split, **(load_kwargs or {}))
    except (ConnectionError, FileNotFoundError, OSError) as err:
        raise ValueError(
            f"{name} {text!r} is no local file or folder, and the Hub dataset of that name "
            f"(split {split!r}) could not be loaded: {err}"
        ) from err


def _pick_split(ds: Any, split: str, name: str, text: str) -> Any:
    import datasets

    if isinstance(ds, datasets.DatasetDict):
        if split not in ds:
            raise ValueError(f"{name}: split {split!r} is not in {text!r}; splits: {list(ds)}")
        return ds[split]
    return ds
