"""The Hugging Face path: paired preference datasets and reward models by name or path.

:class:`HFPreferenceSource` loads a dataset (a hub name, a folder written by
``save_to_disk``, a data folder, or a ``.json``/``.jsonl``/``.parquet``/``.csv`` file),
renames its columns into the paired multi-dimension schema that
:class:`mdpo.objectives.DPOObjective` reads, and validates it. :func:`reward_scorers` turns
reward models (hub names or local folders) into :class:`mdpo.scorers.RewardModelScorer`
scorers, never trusting remote code.

Hub names go through :func:`datasets.load_dataset`, so they need network access (or a
warm local cache); tests use local files only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from mdpo.data import PairedDPOConfig, label_to_index, validate_paired_dpo
from mdpo.data.sources import DATA_FILE_TYPES
from mdpo.scorers import RewardModelScorer, Scorer

__all__ = ["FILE_BUILDERS", "HFPreferenceSource", "reward_scorers"]

FILE_BUILDERS = DATA_FILE_TYPES
"""File suffixes loaded by :func:`datasets.load_dataset` with a packaged builder."""

_SCHEMA = ("prompt", "response_0", "response_1")


def _check_str_map(name: str, value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and k and isinstance(v, str) and v for k, v in value.items()
    ):
        raise TypeError(f"{name} must be a dict of non-empty str to str, got {value!r}")
    return dict(value)


class HFPreferenceSource:
    """A paired multi-dimension preference dataset from the Hugging Face ecosystem.

    :meth:`load` returns a :class:`datasets.Dataset` with exactly the columns ``prompt``,
    ``response_0``, ``response_1`` and one int64 label column per dimension, **named after
    the dimension** (0 or 1: the better response; -1: tie or unknown, masked), validated
    with :func:`mdpo.data.validate_paired_dpo`. Train on it with
    ``DPOObjective(label_columns=source.label_columns)``.

    Args:
        dataset: A hub dataset name, or a local path: a ``save_to_disk`` folder, a data
            folder, or a ``.json``/``.jsonl``/``.parquet``/``.csv`` file.
        split: The split to load (a single local file is the ``split`` split).
        columns: ``{source column: schema column}`` renames applied first, for datasets
            whose prompt or responses are named differently (e.g. ``{"question":
            "prompt"}``).
        dims: ``{dimension: label column}`` (the label column's name after renaming),
            holding the better response's index, or -1/None.
        max_rows: Keep only the first ``max_rows`` rows (None: all).
        load_kwargs: Extra keyword arguments for :func:`datasets.load_dataset` when
            loading a hub name or a data folder (e.g. ``{"name": "alpaca-7b"}`` for a
            dataset configuration, or ``{"revision": ...}``); ``split`` is given separately.

    Raises:
        TypeError: For ill-typed ``columns``/``dims``/``dataset``.
        ValueError: For empty ``dims``, a dimension named like a schema column, or a
            non-positive ``max_rows``.

    Example:
        >>> from mdpo.benchmarks.tasks.hf_source import HFPreferenceSource
        >>> source = HFPreferenceSource.pku_saferlhf("data/pku.jsonl", max_rows=100)
        >>> source.label_columns
        {'helpful': 'helpful', 'harmless': 'harmless'}
    """

    def __init__(
        self,
        dataset: str | os.PathLike[str],
        *,
        split: str = "train",
        columns: Mapping[str, str] | None = None,
        dims: Mapping[str, str],
        max_rows: int | None = None,
        load_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        if not isinstance(dataset, str | os.PathLike) or not os.fspath(dataset):
            raise TypeError(f"dataset must be a dataset name or a path, got {dataset!r}")
        if not isinstance(split, str) or not split:
            raise TypeError(f"split must be a non-empty str, got {split!r}")
        self.columns = _check_str_map("columns", columns or {})
        self.dims = _check_str_map("dims", dims)
        if not self.dims:
            raise ValueError("dims must name at least one dimension, got {}")
        clash = sorted(set(self.dims) & set(_SCHEMA))
        if clash:
            raise ValueError(f"dims keys {clash} clash with the schema columns {list(_SCHEMA)}")
        if max_rows is not None and (
            isinstance(max_rows, bool) or not isinstance(max_rows, int) or max_rows < 1
        ):
            raise ValueError(f"max_rows must be a positive int or None, got {max_rows!r}")
        if load_kwargs is not None and not isinstance(load_kwargs, Mapping):
            raise TypeError(f"load_kwargs must be a dict or None, got {load_kwargs!r}")
        self.load_kwargs = dict(load_kwargs or {})
        for key in ("split", "trust_remote_code"):
            if key in self.load_kwargs:
                raise ValueError(
                    f"load_kwargs must not set {key!r} (got {self.load_kwargs[key]!r}); "
                    + ("pass split=..." if key == "split" else "remote code is never trusted")
                )
        self.dataset = dataset
        self.split = split
        self.max_rows = max_rows

    @classmethod
    def pku_saferlhf(
        cls, path_or_name: str | os.PathLike[str] = "PKU-Alignment/PKU-SafeRLHF", **kwargs: Any
    ) -> HFPreferenceSource:
        """PKU-SafeRLHF: helpful (``better_response_id``), harmless (``safer_response_id``).

        The dataset's documented columns are ``prompt``, ``response_0``, ``response_1``,
        ``better_response_id`` and ``safer_response_id`` (each the index, 0 or 1, of the
        preferred response), among others that :meth:`load` drops. PKU-SafeRLHF is
        released under **CC BY-NC 4.0** (non-commercial use only): results trained on it
        inherit that restriction.

        Args:
            path_or_name: The hub name, or a local copy in the same schema.
            **kwargs: ``split``, ``columns``, ``max_rows``, ``load_kwargs``.

        Returns:
            The source.
        """
        dims = dict(PairedDPOConfig.pku_saferlhf().label_columns)
        return cls(path_or_name, dims=dims, **kwargs)

    @property
    def label_columns(self) -> dict[str, str]:
        """``{dimension: label column}`` of the loaded data (each named after its dimension)."""
        return {d: d for d in self.dims}

    def _raw(self) -> Any:
        from mdpo.data.sources import load_data_source

        return load_data_source(
            self.dataset, split=self.split, name="dataset", load_kwargs=self.load_kwargs
        )

    def load(self) -> Any:
        """Load, rename, normalise the labels and validate.

        Returns:
            A :class:`datasets.Dataset` with ``prompt``, ``response_0``, ``response_1`` and
            one label column per dimension (int64: 0, 1 or -1), in that order.

        Raises:
            ValueError: If a mapped column is missing (the message lists the columns
                present), a label is not 0, 1, -1 or None, or the data fail validation.
        """
        ds = self._raw()
        if self.max_rows is not None and len(ds) > self.max_rows:
            ds = ds.select(range(self.max_rows))
        present = list(ds.column_names)
        missing = [c for c in self.columns if c not in present]
        if missing:
            raise ValueError(
                f"columns maps source column(s) {missing} that {self.dataset!r} lacks; "
                f"columns present: {present}"
            )
        ds = ds.rename_columns(self.columns) if self.columns else ds
        present = list(ds.column_names)
        needed = [*_SCHEMA, *self.dims.values()]
        absent = [c for c in needed if c not in present]
        if absent:
            raise ValueError(
                f"{self.dataset!r} has no column(s) {absent} after renaming with "
                f"columns={self.columns}; columns present: {present}"
            )
        label_of = self.dims

        def normalise(row: dict[str, Any], index: int) -> dict[str, Any]:
            out = {c: row[c] for c in _SCHEMA}
            for dim, col in label_of.items():
                try:
                    out[dim] = label_to_index(row[col])
                except ValueError as err:
                    raise ValueError(
                        f"row {index}: label column {col!r} (dimension {dim!r}): {err}"
                    ) from err
            return out

        from datasets import Features, Value

        features = Features(
            {**{c: Value("string") for c in _SCHEMA}, **{d: Value("int64") for d in self.dims}}
        )
        ds = ds.map(
            normalise,
            with_indices=True,
            remove_columns=present,
            features=features,
            desc="paired preference schema",
        )
        validate_paired_dpo(ds, self.label_columns, name=f"dataset {self.dataset!r}")
        return ds

    def __repr__(self) -> str:
        return (
            f"HFPreferenceSource({os.fspath(self.dataset)!r}, split={self.split!r}, "
            f"columns={self.columns}, dims={self.dims}, max_rows={self.max_rows}, "
            f"load_kwargs={self.load_kwargs})"
        )


def reward_scorers(
    models: Mapping[str, str | os.PathLike[str] | Scorer], **kwargs: Any
) -> dict[str, Scorer]:
    """Reward models by hub name or local path, as scorers keyed by dimension.

    Args:
        models: ``{dimension: name or path}``; a value that already is a
            :class:`~mdpo.scorers.Scorer` is kept as is.
        **kwargs: Passed to :class:`~mdpo.scorers.RewardModelScorer` (``batch_size``,
            ``max_length``, ``device``, ``label_index``, ...). ``trust_remote_code`` is
            always False.

    Returns:
        ``{dimension: scorer}`` in the given order.

    Raises:
        TypeError: If ``models`` is not a mapping, a value is neither a path nor a scorer,
            or ``trust_remote_code`` is passed.
        ValueError: If ``models`` is empty.
    """
    if not isinstance(models, Mapping):
        raise TypeError(f"models must be a dict {{dimension: name or path}}, got {models!r}")
    if not models:
        raise ValueError("models must name at least one reward model, got {}")
    if "trust_remote_code" in kwargs:
        raise TypeError("reward_scorers never trusts remote code; do not pass trust_remote_code")
    out: dict[str, Scorer] = {}
    for dim, model in models.items():
        if isinstance(model, Scorer):
            out[dim] = model
        elif isinstance(model, str | os.PathLike) and os.fspath(model):
            out[dim] = RewardModelScorer(os.fspath(model), trust_remote_code=False, **kwargs)
        else:
            raise TypeError(
                f"models[{dim!r}] must be a reward model name or path, or a Scorer, got {model!r}"
            )
    return out
