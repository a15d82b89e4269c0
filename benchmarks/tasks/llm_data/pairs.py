"""The pair schema of the preference data: which samples pair up, labels, and checked inputs.

Every prompt contributes its :func:`pair_indices` pairs (all ``(i, j)`` with ``i < j`` of its
samples); :func:`score_labels` turns two responses' scores into a label. The checks validate
the inputs of :func:`~mdpo.benchmarks.tasks.llm_data.build_preference_data`.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from mdpo._numbers import check_real
from mdpo.scorers.base import Scorer

__all__ = [
    "RESPONSES",
    "check_prompts",
    "check_scorers",
    "check_systems",
    "pair_indices",
    "score_labels",
    "tie_tolerances",
]

RESPONSES = ("response_0", "response_1")
"""The two response columns of a pair."""


def pair_indices(n_samples: int) -> list[tuple[int, int]]:
    """The pairs of sample indices built for each prompt: all ``(i, j)`` with ``i < j``.

    Args:
        n_samples: Samples per prompt ``n``.

    Returns:
        ``n(n−1)/2`` index pairs in lexicographic order.

    Raises:
        ValueError: If ``n_samples`` is not an int ≥ 2.

    Example:
        >>> from mdpo.benchmarks.tasks.llm_data import pair_indices
        >>> pair_indices(3)
        [(0, 1), (0, 2), (1, 2)]
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 2:
        raise ValueError(f"n_samples must be an int >= 2 to form pairs, got {n_samples!r}")
    return list(itertools.combinations(range(n_samples), 2))


def score_labels(
    score_0: torch.Tensor, score_1: torch.Tensor, tolerance: float = 0.0
) -> torch.Tensor:
    """Paired-DPO labels from two responses' scores (higher is better).

    Args:
        score_0: ``[n]`` scores of the first responses.
        score_1: ``[n]`` scores of the second responses.
        tolerance: Score differences ``|s0 − s1| <= tolerance`` are ties.

    Returns:
        ``[n]`` int64: 0 where ``response_0`` is better, 1 where ``response_1`` is, -1 for a
        tie or a NaN score (masked).

    Raises:
        ValueError: If the shapes differ or ``tolerance`` is negative or not finite.

    Example:
        >>> import torch
        >>> from mdpo.benchmarks.tasks.llm_data import score_labels
        >>> score_labels(torch.tensor([1.0, 0.0, 2.0]), torch.tensor([0.0, 1.0, 2.05]), 0.1)
        tensor([ 0,  1, -1])
    """
    _check_tolerance("tolerance", tolerance)
    if score_0.shape != score_1.shape:
        raise ValueError(
            f"score_0 and score_1 must have the same shape, got {tuple(score_0.shape)} and "
            f"{tuple(score_1.shape)}"
        )
    diff = score_1.double() - score_0.double()
    labels = torch.full(diff.shape, -1, dtype=torch.long)
    labels[diff < -tolerance] = 0
    labels[diff > tolerance] = 1
    return labels


def _check_tolerance(name: str, value: Any) -> float:
    """A tie tolerance as a float, refusing a negative or non-finite one."""
    return check_real(name, value, low=0.0, noun="number")


def tie_tolerances(tie_tolerance: Mapping[str, float] | float, dims: list[str]) -> dict[str, float]:
    """The tie tolerance of each dimension.

    Args:
        tie_tolerance: One value, or ``{dimension: value}`` (missing dimensions: 0).
        dims: The dimensions.

    Returns:
        ``{dimension: tolerance}`` in ``dims`` order.

    Raises:
        ValueError: If a value is negative or not finite, or a dimension is unknown.
    """
    if isinstance(tie_tolerance, Mapping):
        unknown = sorted(set(tie_tolerance) - set(dims))
        if unknown:
            raise ValueError(
                f"tie_tolerance names unknown dimension(s) {unknown}; dimensions are {dims}"
            )
        return {
            d: _check_tolerance(f"tie_tolerance[{d!r}]", tie_tolerance.get(d, 0.0)) for d in dims
        }
    value = _check_tolerance("tie_tolerance", tie_tolerance)
    return dict.fromkeys(dims, value)


def check_scorers(scorers: Any) -> dict[str, Scorer]:
    """Validate the ``{dimension: scorer}`` of a build.

    Args:
        scorers: The mapping; its keys become label columns.

    Returns:
        A new dict.

    Raises:
        TypeError: If it is not a non-empty mapping of callables.
        ValueError: If a key is empty, holds ``/`` or clashes with a column of the pair schema.
    """
    if not isinstance(scorers, Mapping) or not scorers:
        raise TypeError(f"scorers must be a non-empty dict {{dimension: Scorer}}, got {scorers!r}")
    for dim, scorer in scorers.items():
        if not isinstance(dim, str) or not dim or "/" in dim:
            raise ValueError(f"scorers keys must be non-empty names without '/', got {dim!r}")
        if dim in {"prompt", *RESPONSES, "prompt_index", "sample_0", "sample_1"}:
            raise ValueError(f"scorers key {dim!r} clashes with a column of the pair schema")
        if not callable(scorer):
            raise TypeError(f"scorers[{dim!r}] must be a Scorer, got {type(scorer).__name__}")
    return dict(scorers)


def check_systems(systems: Any, name: str = "sample_systems") -> list[str | bool | None]:
    """Validate a list of system prompts to draw samples under.

    Args:
        systems: The list: a str, None (the template's default) or False (none) per entry.
        name: The parameter's name, for the error message.

    Returns:
        A new list.

    Raises:
        ValueError: If it is not a non-empty list of such entries.
    """
    if isinstance(systems, str | bytes) or not isinstance(systems, Sequence) or not systems:
        raise ValueError(
            f"{name} must be a non-empty list of system prompts (str, None for the "
            f"template's default, False for none), got {systems!r}"
        )
    for k, system in enumerate(systems):
        if not (system is None or system is False or isinstance(system, str)):
            raise ValueError(f"{name}[{k}] must be a str, None or False, got {system!r}")
    return list(systems)


def check_prompts(prompts: Any) -> list[str]:
    """Validate the prompts of a build.

    Args:
        prompts: A non-empty list of str.

    Returns:
        A new list.

    Raises:
        TypeError: If it is not a non-empty list of str.
    """
    if isinstance(prompts, str) or not isinstance(prompts, Sequence) or not prompts:
        raise TypeError(f"prompts must be a non-empty list of str, got {prompts!r:.80}")
    for i, p in enumerate(prompts):
        if not isinstance(p, str):
            raise TypeError(f"prompts[{i}] must be a str, got {type(p).__name__} {p!r:.80}")
    return list(prompts)
