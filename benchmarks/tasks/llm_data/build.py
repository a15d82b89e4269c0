"""Build the paired m-label DPO data from a reference LLM's own samples.

:func:`build_preference_data` runs named steps: ``_sample`` (the responses, cached),
``_score`` (each response once per dimension), ``_pair_columns`` (pairs, labels and raw
scores) and :func:`~mdpo.benchmarks.tasks.llm_data.reference.pair_reference_columns` (the
reference log-probs), and stores a record of counts and settings with the dataset
(:func:`preference_data_info`).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from mdpo.benchmarks.tasks.llm_data.cache import (
    digest,
    load_cached,
    model_fingerprint,
    save_atomic,
    scorer_identity,
)
from mdpo.benchmarks.tasks.llm_data.pairs import (
    RESPONSES,
    check_prompts,
    check_scorers,
    check_systems,
    pair_indices,
    score_labels,
    tie_tolerances,
)
from mdpo.benchmarks.tasks.llm_data.reference import pair_reference_columns
from mdpo.benchmarks.tasks.smollm_dimensions import sample_responses
from mdpo.scorers.base import Scorer
from mdpo.seeding import derive_seed

if TYPE_CHECKING:
    from mdpo.models.chat import SystemPrompt

__all__ = ["FORMAT_VERSION", "INFO_TAG", "build_preference_data", "preference_data_info"]

logger = logging.getLogger("mdpo.benchmarks.tasks.llm_data")

INFO_TAG = "mdpo.preference_data"
"""The key that marks the build record in a dataset's description."""

FORMAT_VERSION = 1
"""The version of the data's layout (part of the samples' cache key)."""


def build_preference_data(
    model: Any,
    tokenizer: Any,
    prompts: list[str],
    scorers: dict[str, Scorer],
    *,
    n_samples: int = 4,
    max_new_tokens: int = 64,
    temperature: float = 1.0,
    top_p: float = 1.0,
    seed: int = 0,
    batch_size: int = 16,
    tie_tolerance: dict[str, float] | float = 0.0,
    cache_dir: str | os.PathLike[str] | None = None,
    with_reference_logps: bool = True,
    chat_template: bool | None = True,
    max_length: int | None = 512,
    max_prompt_length: int | None = None,
    sample_systems: Sequence[SystemPrompt] | None = None,
) -> Any:
    """Sample, score and pair the reference model's responses into paired m-label DPO data.

    Steps: :func:`sample_responses` draws ``n_samples`` responses per prompt (batched,
    left-padded, chat template, seeded); each scorer scores all ``P × n_samples`` responses
    in one batched call; every prompt contributes its :func:`pair_indices` pairs minus
    those with identical texts; labels come from :func:`score_labels`. See the module
    docstring for the columns. Counts (pairs, ties per dimension, dropped pairs) and the
    settings are logged and returned by :func:`preference_data_info`.

    Reference log-probs are computed once per distinct response, tokenized as
    :class:`mdpo.objectives.DPOObjective` with the same ``chat_template``, ``max_length``
    and ``max_prompt_length`` tokenizes it (train with those settings). A pair whose
    truncation depends on its partner (``prompt + longer response > max_length``) gets
    ``None`` there, and the objective computes that batch's reference itself.

    With ``cache_dir``, the samples go to ``samples-<key>`` (key: model fingerprint,
    prompts, sampling parameters, seed, batch size) and the dataset to ``pairs-<key>``
    (adding the scorers, tie tolerances and reference settings), each written with
    ``save_to_disk`` into a temporary folder and renamed into place; a later call with the
    same key loads them instead of generating or scoring again.

    Args:
        model: The reference causal LM (without adapter).
        tokenizer: Its tokenizer (with a chat template).
        prompts: ``P`` user messages.
        scorers: ``{dimension: scorer}``; the dimension names become the label columns.
        n_samples: Responses per prompt (≥ 2).
        max_new_tokens: Generation length limit.
        temperature: Sampling temperature.
        top_p: Nucleus sampling mass.
        seed: Sampling seed.
        batch_size: Sequences per ``generate`` call and per reference forward.
        tie_tolerance: Score differences within this are ties (masked): one value, or
            ``{dimension: value}`` (missing dimensions: 0).
        cache_dir: Folder for the cached samples and dataset, or None.
        with_reference_logps: Add ``ref_response_0_logps`` / ``ref_response_1_logps``.
        chat_template: Prompt tokenization for the reference log-probs.
        max_length: Maximum prompt + response tokens for the reference log-probs.
        max_prompt_length: Maximum prompt tokens for the reference log-probs.
        sample_systems: System prompts to draw the samples under, cycled over each
            prompt's samples (sample j under ``sample_systems[j % len]``; ``None`` in the
            list is the template's default, ``False`` none). None draws every sample under
            the default. Pairs, labels and reference log-probs always use the training
            prompt (the default system prompt), so samples drawn under, say, "Answer in one
            short sentence." are off-policy responses that widen the range a dimension
            such as length covers.

    Returns:
        A :class:`datasets.Dataset` with one row per kept pair.

    Raises:
        TypeError: For non-string prompts or a scorers value that is not a dict of scorers.
        ValueError: For ``n_samples < 2``, bad tolerances, clashing dimension names or a
            scorer returning the wrong number of scores.
    """
    from datasets import Dataset

    prompts = check_prompts(prompts)
    scorers = check_scorers(scorers)
    dims = list(scorers)
    pair_ij = pair_indices(n_samples)
    tolerances = tie_tolerances(tie_tolerance, dims)
    sampling = _sampling(n_samples, max_new_tokens, temperature, top_p, seed, batch_size)
    if sample_systems is not None:
        sampling["systems"] = check_systems(sample_systems)
    collate = {
        "chat_template": chat_template,
        "max_length": max_length,
        "max_prompt_length": max_prompt_length,
    }
    reference = collate if with_reference_logps else None
    fingerprint = model_fingerprint(model, tokenizer)
    sample_key, data_key = _cache_keys(
        fingerprint, prompts, sampling, scorers, tolerances, reference
    )
    root = Path(cache_dir) if cache_dir is not None else None
    data_path = root / f"pairs-{data_key}" if root else None
    cached = load_cached(data_path)
    if cached is not None:
        logger.info("reusing cached preference data %s", data_path)
        return cached

    responses = _sample(
        model, tokenizer, prompts, sampling, root / f"samples-{sample_key}" if root else None
    )
    scores = _score(scorers, prompts, responses, n_samples)
    candidates = [(p, i, j) for p in range(len(prompts)) for i, j in pair_ij]
    pairs = [(p, i, j) for p, i, j in candidates if responses[p][i] != responses[p][j]]
    columns, counts = _pair_columns(prompts, responses, pairs, scores, tolerances)
    partner_truncated = 0
    if with_reference_logps:
        reference_columns, partner_truncated = pair_reference_columns(
            model, tokenizer, prompts, responses, pairs, batch_size=batch_size, collate=collate
        )
        columns.update(reference_columns)
    flat = [r for rs in responses for r in rs]
    info = {
        INFO_TAG: FORMAT_VERSION,
        "dims": dims,
        "counts": {
            "prompts": len(prompts),
            "responses": len(flat),
            "empty_responses": sum(not r for r in flat),
            "candidate_pairs": len(candidates),
            "pairs": len(pairs),
            "dropped_identical": len(candidates) - len(pairs),
            **counts,
            "reference_not_precomputed": partner_truncated,
        },
        "pairing": f"all {len(pair_ij)} pairs (i < j) of {n_samples} samples per prompt",
        "decoding": {"sampling": True, "top_k": 0, "chat_template": "default system prompt"}
        | sampling,
        "tie_tolerance": tolerances,
        "scorers": {d: scorer_identity(s) for d, s in scorers.items()},
        "reference": reference,
        "model_fingerprint": fingerprint,
        "cache_key": data_key,
    }
    logger.info(
        "built %d pairs from %d prompts (%d identical dropped, ties %s)",
        len(pairs),
        len(prompts),
        len(candidates) - len(pairs),
        counts["ties"],
    )
    dataset = Dataset.from_dict(columns, features=_features(dims, with_reference_logps))
    dataset.info.description = json.dumps(info, sort_keys=True)
    if data_path is not None:
        save_atomic(dataset, data_path)
    return dataset


def _sampling(
    n_samples: int,
    max_new_tokens: int,
    temperature: float,
    top_p: float,
    seed: int,
    batch_size: int,
) -> dict[str, Any]:
    """The sampling settings of the responses (part of their cache key and of the record)."""
    return {
        "n_samples": n_samples,
        "max_new_tokens": max_new_tokens,
        "temperature": float(temperature),
        "top_p": float(top_p),
        "seed": seed,
        "batch_size": batch_size,
    }


def _cache_keys(
    fingerprint: str,
    prompts: list[str],
    sampling: dict[str, Any],
    scorers: dict[str, Scorer],
    tolerances: dict[str, float],
    reference: dict[str, Any] | None,
) -> tuple[str, str]:
    """``(samples key, pairs key)``: the pairs key adds the scorers, ties and reference."""
    sample_key = digest(
        {"v": FORMAT_VERSION, "model": fingerprint, "prompts": digest(prompts), **sampling}
    )
    data_key = digest(
        {
            "samples": sample_key,
            "scorers": {d: scorer_identity(s) for d, s in scorers.items()},
            "tie_tolerance": tolerances,
            "reference": reference,
        }
    )
    return sample_key, data_key


def _score(
    scorers: dict[str, Scorer], prompts: list[str], responses: list[list[str]], n_samples: int
) -> dict[str, torch.Tensor]:
    """Step 2: every response scored once per dimension, ``{dim: [P, n]}`` float64.

    Raises:
        ValueError: If a scorer returns another number of scores than responses.
    """
    flat_prompts = [p for p in prompts for _ in range(n_samples)]
    flat = [r for rs in responses for r in rs]
    scores: dict[str, torch.Tensor] = {}
    for dim, scorer in scorers.items():
        values = torch.as_tensor(scorer(flat_prompts, flat)).double().reshape(-1)
        if values.numel() != len(flat):
            raise ValueError(
                f"scorers[{dim!r}] returned {values.numel()} scores for {len(flat)} responses"
            )
        scores[dim] = values.reshape(len(prompts), n_samples)
    return scores


def _pair_columns(
    prompts: list[str],
    responses: list[list[str]],
    pairs: list[tuple[int, int, int]],
    scores: dict[str, torch.Tensor],
    tolerances: dict[str, float],
) -> tuple[dict[str, list[Any]], dict[str, dict[str, int]]]:
    """Step 3: the columns of the kept pairs, and their ``ties`` and ``nan_scores`` per dim."""
    pi = torch.tensor([p for p, _, _ in pairs], dtype=torch.long)
    si = torch.tensor([i for _, i, _ in pairs], dtype=torch.long)
    sj = torch.tensor([j for _, _, j in pairs], dtype=torch.long)
    columns: dict[str, list[Any]] = {
        "prompt": [prompts[p] for p, _, _ in pairs],
        "response_0": [responses[p][i] for p, i, _ in pairs],
        "response_1": [responses[p][j] for p, _, j in pairs],
        "prompt_index": pi.tolist(),
        "sample_0": si.tolist(),
        "sample_1": sj.tolist(),
    }
    ties: dict[str, int] = {}
    nan_scores: dict[str, int] = {}
    for dim, tolerance in tolerances.items():
        s0, s1 = scores[dim][pi, si], scores[dim][pi, sj]
        labels = score_labels(s0, s1, tolerance)
        columns[dim] = labels.tolist()
        columns[f"score_0/{dim}"] = s0.tolist()
        columns[f"score_1/{dim}"] = s1.tolist()
        ties[dim] = int((labels == -1).sum())
        nan_scores[dim] = int(scores[dim].isnan().sum())
    return columns, {"ties": ties, "nan_scores": nan_scores}


def _features(dims: list[str], with_reference: bool) -> Any:
    """The dataset's column types (an empty dataset keeps them too)."""
    from datasets import Features, Value

    from mdpo.objectives import reference_column

    cols = {
        "prompt": Value("string"),
        "response_0": Value("string"),
        "response_1": Value("string"),
        "prompt_index": Value("int64"),
        "sample_0": Value("int64"),
        "sample_1": Value("int64"),
    }
    cols.update({d: Value("int64") for d in dims})
    for d in dims:
        cols[f"score_0/{d}"] = Value("float64")
        cols[f"score_1/{d}"] = Value("float64")
    if with_reference:
        cols.update({reference_column(c): Value("float64") for c in RESPONSES})
    return Features(cols)


def _sample(
    model: Any,
    tokenizer: Any,
    prompts: list[str],
    sampling: dict[str, Any],
    path: Path | None,
) -> list[list[str]]:
    """Step 1: ``n_samples`` responses ``[P][n]`` per prompt, from the cache at ``path`` or drawn.

    With ``systems`` in ``sampling``, slot j of every prompt is drawn under
    ``systems[j % len(systems)]``.
    """
    cached = load_cached(path)
    if cached is not None:
        logger.info("reusing cached samples %s", path)
        return [list(r) for r in cached["responses"]]
    sampling = dict(sampling)
    systems = sampling.pop("systems", None)
    if systems is None:
        responses = sample_responses(model, tokenizer, prompts, **sampling)
    else:
        # Slot j of every prompt is drawn under systems[j % len(systems)]; each system's
        # slots come from one seeded call of their own.
        n = sampling.pop("n_samples")
        seed = sampling.pop("seed")
        responses = [[""] * n for _ in prompts]
        for k, system in enumerate(systems):
            slots = list(range(k, n, len(systems)))
            if not slots:
                continue
            drawn = sample_responses(
                model,
                tokenizer,
                prompts,
                n_samples=len(slots),
                seed=derive_seed(seed, "system", k),
                system=system,
                **sampling,
            )
            for row, texts in zip(responses, drawn):
                for j, text in zip(slots, texts):
                    row[j] = text
    if path is not None:
        from datasets import Dataset

        save_atomic(Dataset.from_dict({"prompt": prompts, "responses": responses}), path)
    return responses


def preference_data_info(dataset: Any) -> dict[str, Any]:
    """Counts and settings :func:`build_preference_data` stored with a dataset.

    Args:
        dataset: A dataset returned (or loaded from the cache) by
            :func:`build_preference_data`.

    Returns:
        A dict with ``dims``, ``counts`` (``prompts``, ``responses``, ``empty_responses``,
        ``candidate_pairs``, ``pairs``, ``dropped_identical``, ``ties`` and ``nan_scores``
        per dimension, ``reference_not_precomputed``), ``pairing``, ``decoding``,
        ``tie_tolerance``, ``scorers``, ``reference``, ``model_fingerprint`` and
        ``cache_key``.

    Raises:
        ValueError: If the dataset carries no such record.
    """
    description = getattr(getattr(dataset, "info", None), "description", None) or ""
    try:
        info = json.loads(description)
    except ValueError:
        info = None
    if not isinstance(info, dict) or INFO_TAG not in info:
        raise ValueError(
            "dataset carries no build record: it was not made by build_preference_data"
        )
    return info
