"""Paired multi-dimension preference data built from a reference LLM's own samples.

:func:`build_preference_data` samples ``n_samples`` responses per prompt from the reference
model (chat template, left padding, fixed seed: :func:`sample_responses`), scores every
response once with each scorer, and pairs the responses of each prompt.

**Pairing.** For every prompt, all ``n(n−1)/2`` pairs ``(i, j)`` with ``i < j`` of its
samples, in that order: ``response_0`` is sample ``i`` and ``response_1`` sample ``j``
(``n_samples=4`` gives 6 candidate pairs per prompt). Since the samples are i.i.d., which of
the two is better is not biased by position. Pairs whose two texts are identical carry no
preference and are dropped.

**Columns** (one row per pair):

- ``prompt`` (the user message, a string), ``response_0``, ``response_1``;
- ``prompt_index``, ``sample_0``, ``sample_1``: which prompt and which samples were paired;
- one label column per dimension, named after it: 0 when ``response_0`` scores higher, 1
  when ``response_1`` does, -1 (masked) when the two scores are within the dimension's
  ``tie_tolerance`` or one is NaN;
- ``score_0/<dim>`` and ``score_1/<dim>``: the raw scores (higher is better);
- with reference log-probs, ``ref_response_0_logps`` and ``ref_response_1_logps``
  (:func:`mdpo.objectives.reference_column`), read by :class:`mdpo.objectives.DPOObjective`
  so that training never runs the reference forward again.

Build counts and settings travel with the dataset (:func:`preference_data_info`), and
:func:`summarize_dimensions` measures each dimension's spread, ties and conflicts.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import math
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from mdpo.benchmarks.tasks.smollm_dimensions import sample_responses, spread_stats
from mdpo.metrics.controllability import spearman as rank_correlation
from mdpo.scorers.base import Scorer
from mdpo.seeding import derive_seed

if TYPE_CHECKING:
    from mdpo.models.chat import SystemPrompt

__all__ = [
    "build_preference_data",
    "check_systems",
    "model_fingerprint",
    "pair_indices",
    "preference_data_info",
    "reference_logps",
    "score_labels",
    "summarize_dimensions",
]

logger = logging.getLogger(__name__)

_RESPONSES = ("response_0", "response_1")
_INFO_TAG = "mdpo.preference_data"
_FORMAT_VERSION = 1


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
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def _tolerances(tie_tolerance: Mapping[str, float] | float, dims: list[str]) -> dict[str, float]:
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


def _check_scorers(scorers: Any) -> dict[str, Scorer]:
    if not isinstance(scorers, Mapping) or not scorers:
        raise TypeError(f"scorers must be a non-empty dict {{dimension: Scorer}}, got {scorers!r}")
    for dim, scorer in scorers.items():
        if not isinstance(dim, str) or not dim or "/" in dim:
            raise ValueError(f"scorers keys must be non-empty names without '/', got {dim!r}")
        if dim in {"prompt", *_RESPONSES, "prompt_index", "sample_0", "sample_1"}:
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


def _check_prompts(prompts: Any) -> list[str]:
    if isinstance(prompts, str) or not isinstance(prompts, Sequence) or not prompts:
        raise TypeError(f"prompts must be a non-empty list of str, got {prompts!r:.80}")
    for i, p in enumerate(prompts):
        if not isinstance(p, str):
            raise TypeError(f"prompts[{i}] must be a str, got {type(p).__name__} {p!r:.80}")
    return list(prompts)


# --------------------------------------------------------------------------- cache keys


def _digest(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:20]


def model_fingerprint(model: Any, tokenizer: Any) -> str:
    """A stable identity of a model and tokenizer for cache keys.

    Hashes the model's config, every parameter's name, shape and (float64) sum and absolute
    sum, and the tokenizer's name, size and chat template: two models with different
    weights or configs get different fingerprints, the same model loaded twice the same.

    Args:
        model: A torch module (with an optional ``config``).
        tokenizer: Its tokenizer.

    Returns:
        A hex digest.
    """
    config = getattr(model, "config", None)
    config_text = config.to_json_string(use_diff=False) if config is not None else ""
    with torch.no_grad():
        params = [
            [
                name,
                list(p.shape),
                float(p.sum(dtype=torch.float64)),
                float(p.abs().sum(dtype=torch.float64)),
            ]
            for name, p in model.named_parameters()
        ]
    tok = [
        getattr(tokenizer, "name_or_path", ""),
        len(tokenizer),
        getattr(tokenizer, "chat_template", None),
    ]
    return _digest([type(model).__qualname__, config_text, params, tok])


def _scorer_identity(scorer: Any) -> str:
    text = repr(scorer)
    # Default object reprs carry a memory address: fall back to the class and name.
    if " at 0x" in text:
        text = (
            f"{type(scorer).__module__}.{type(scorer).__qualname__}:{getattr(scorer, 'name', '')}"
        )
    return text


# --------------------------------------------------------------------------- disk cache


def _save_atomic(dataset: Any, target: Path) -> None:
    """``save_to_disk`` into a temporary folder next to ``target``, then rename it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))
    try:
        dataset.save_to_disk(os.fspath(tmp))
        os.replace(tmp, target)
    except OSError:
        # Another process finished the same key first: keep its copy.
        shutil.rmtree(tmp, ignore_errors=True)
        if not target.is_dir():
            raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _load_cached(path: Path | None) -> Any:
    if path is None or not path.is_dir():
        return None
    from datasets import load_from_disk

    return load_from_disk(os.fspath(path))


# --------------------------------------------------------------------------- reference


def _fits_alone(collator: Any, prompt_ids: list[int], a: list[int], b: list[int]) -> bool:
    """Whether a pair truncates each response exactly as that response alone would."""
    from mdpo.data import fit_lengths

    together = fit_lengths(
        prompt_ids,
        [a, b],
        max_length=collator.max_length,
        max_prompt_length=collator.max_prompt_length,
    )
    for i, ids in enumerate((a, b)):
        p, (c,) = fit_lengths(
            prompt_ids,
            [ids],
            max_length=collator.max_length,
            max_prompt_length=collator.max_prompt_length,
        )
        if p != together[0] or c != together[1][i] or not c:
            return False
    return True


def reference_logps(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[Any],
    responses: Sequence[str],
    *,
    batch_size: int = 16,
    chat_template: bool | None = True,
    max_length: int | None = 512,
    max_prompt_length: int | None = None,
) -> torch.Tensor:
    """Summed log-probs of ``n`` responses under ``model``, tokenized as DPO tokenizes them.

    Each response is tokenized by a :class:`mdpo.data.CompletionCollator` with the given
    settings (the same token ids :class:`mdpo.data.PairCollator` builds for a pair that
    needs no pair-dependent truncation), batched by length, and scored by
    :func:`mdpo.data.sequence_logps` without gradients, in eval mode.

    Args:
        model: The reference causal LM.
        tokenizer: Its tokenizer.
        prompts: ``n`` prompts (strings or conversations).
        responses: ``n`` response strings.
        batch_size: Sequences per forward pass.
        chat_template: As for :class:`mdpo.objectives.DPOObjective`.
        max_length: As for :class:`mdpo.objectives.DPOObjective`.
        max_prompt_length: As for :class:`mdpo.objectives.DPOObjective`.

    Returns:
        ``[n]`` float32 log-probs; NaN for a response that truncation empties.

    Raises:
        ValueError: If the lengths differ or ``batch_size`` is not positive.

    Example:
        >>> from mdpo.benchmarks.tasks.llm_data import reference_logps
        >>> from mdpo.testing import tiny_causal_lm, tiny_chat_tokenizer
        >>> lp = reference_logps(tiny_causal_lm(), tiny_chat_tokenizer(), ["Hi", "Hi"], ["a", "bc"])
        >>> lp.shape, bool((lp < 0).all())
        (torch.Size([2]), True)
    """
    from mdpo.data import CompletionCollator, sequence_logps

    if len(prompts) != len(responses):
        raise ValueError(
            f"prompts and responses must have the same length, got {len(prompts)} and "
            f"{len(responses)}"
        )
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    collator = CompletionCollator(
        tokenizer,
        max_length=max_length,
        max_prompt_length=max_prompt_length,
        chat_template=chat_template,
    )
    out = torch.full((len(responses),), float("nan"), dtype=torch.float32)
    order = sorted(range(len(responses)), key=lambda i: len(responses[i]))
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            batch = collator([{"prompt": prompts[i], "completion": responses[i]} for i in rows])
            kept = [rows[k] for k in batch["kept"].tolist()]
            if not kept:
                continue
            with torch.inference_mode():
                total, _ = sequence_logps(
                    model,
                    batch["input_ids"].to(device),
                    batch["attention_mask"].to(device),
                    batch["completion_mask"].to(device),
                )
            out[kept] = total.float().cpu()
    finally:
        model.train(was_training)
    return out


def _pair_reference_columns(
    model: Any,
    tokenizer: Any,
    prompts: list[str],
    responses: list[list[str]],
    pairs: list[tuple[int, int, int]],
    *,
    batch_size: int,
    collate: dict[str, Any],
) -> tuple[list[float | None], list[float | None], int]:
    """Reference log-probs per pair side, each distinct response forwarded once."""
    from mdpo.data import CompletionCollator

    collator = CompletionCollator(tokenizer, **collate)
    flat_index = {}
    flat_prompts: list[str] = []
    flat_responses: list[str] = []
    for p, rs in enumerate(responses):
        for s, r in enumerate(rs):
            flat_index[(p, s)] = len(flat_prompts)
            flat_prompts.append(prompts[p])
            flat_responses.append(r)
    prompt_ids = [collator.prompt_ids(p) for p in prompts]
    resp_ids = {key: collator.completion_ids(flat_responses[i]) for key, i in flat_index.items()}
    usable = [
        _fits_alone(collator, prompt_ids[p], resp_ids[(p, i)], resp_ids[(p, j)])
        for p, i, j in pairs
    ]
    needed = sorted(
        {flat_index[(p, s)] for (p, i, j), ok in zip(pairs, usable) if ok for s in (i, j)}
    )
    values = reference_logps(
        model,
        tokenizer,
        [flat_prompts[k] for k in needed],
        [flat_responses[k] for k in needed],
        batch_size=batch_size,
        **collate,
    )
    by_flat = dict(zip(needed, values.tolist()))
    col0: list[float | None] = []
    col1: list[float | None] = []
    for (p, i, j), ok in zip(pairs, usable):
        col0.append(by_flat[flat_index[(p, i)]] if ok else None)
        col1.append(by_flat[flat_index[(p, j)]] if ok else None)
    return col0, col1, usable.count(False)


# --------------------------------------------------------------------------- build


def _features(dims: list[str], with_reference: bool) -> Any:
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
        cols.update({reference_column(c): Value("float64") for c in _RESPONSES})
    return Features(cols)


def _sample(
    model: Any,
    tokenizer: Any,
    prompts: list[str],
    sampling: dict[str, Any],
    path: Path | None,
) -> list[list[str]]:
    cached = _load_cached(path)
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

        _save_atomic(Dataset.from_dict({"prompt": prompts, "responses": responses}), path)
    return responses


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

    prompts = _check_prompts(prompts)
    scorers = _check_scorers(scorers)
    dims = list(scorers)
    pair_ij = pair_indices(n_samples)
    tolerances = _tolerances(tie_tolerance, dims)
    sampling = {
        "n_samples": n_samples,
        "max_new_tokens": max_new_tokens,
        "temperature": float(temperature),
        "top_p": float(top_p),
        "seed": seed,
        "batch_size": batch_size,
    }
    if sample_systems is not None:
        sampling["systems"] = check_systems(sample_systems)
    collate = {
        "chat_template": chat_template,
        "max_length": max_length,
        "max_prompt_length": max_prompt_length,
    }
    fingerprint = model_fingerprint(model, tokenizer)
    sample_key = _digest(
        {"v": _FORMAT_VERSION, "model": fingerprint, "prompts": _digest(prompts), **sampling}
    )
    data_key = _digest(
        {
            "samples": sample_key,
            "scorers": {d: _scorer_identity(s) for d, s in scorers.items()},
            "tie_tolerance": tolerances,
            "reference": collate if with_reference_logps else None,
        }
    )
    root = Path(cache_dir) if cache_dir is not None else None
    data_path = root / f"pairs-{data_key}" if root else None
    cached = _load_cached(data_path)
    if cached is not None:
        logger.info("reusing cached preference data %s", data_path)
        return cached

    responses = _sample(
        model, tokenizer, prompts, sampling, root / f"samples-{sample_key}" if root else None
    )
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

    candidates = [(p, i, j) for p in range(len(prompts)) for i, j in pair_ij]
    pairs = [(p, i, j) for p, i, j in candidates if responses[p][i] != responses[p][j]]
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
    for dim in dims:
        s0, s1 = scores[dim][pi, si], scores[dim][pi, sj]
        labels = score_labels(s0, s1, tolerances[dim])
        columns[dim] = labels.tolist()
        columns[f"score_0/{dim}"] = s0.tolist()
        columns[f"score_1/{dim}"] = s1.tolist()
        ties[dim] = int((labels == -1).sum())
        nan_scores[dim] = int(scores[dim].isnan().sum())
    partner_truncated = 0
    if with_reference_logps:
        from mdpo.objectives import reference_column

        col0, col1, partner_truncated = _pair_reference_columns(
            model, tokenizer, prompts, responses, pairs, batch_size=batch_size, collate=collate
        )
        columns[reference_column("response_0")] = col0
        columns[reference_column("response_1")] = col1

    info = {
        _INFO_TAG: _FORMAT_VERSION,
        "dims": dims,
        "counts": {
            "prompts": len(prompts),
            "responses": len(flat),
            "empty_responses": sum(not r for r in flat),
            "candidate_pairs": len(candidates),
            "pairs": len(pairs),
            "dropped_identical": len(candidates) - len(pairs),
            "ties": ties,
            "nan_scores": nan_scores,
            "reference_not_precomputed": partner_truncated,
        },
        "pairing": f"all {len(pair_ij)} pairs (i < j) of {n_samples} samples per prompt",
        "decoding": {"sampling": True, "top_k": 0, "chat_template": "default system prompt"}
        | sampling,
        "tie_tolerance": tolerances,
        "scorers": {d: _scorer_identity(s) for d, s in scorers.items()},
        "reference": collate if with_reference_logps else None,
        "model_fingerprint": fingerprint,
        "cache_key": data_key,
    }
    logger.info(
        "built %d pairs from %d prompts (%d identical dropped, ties %s)",
        len(pairs),
        len(prompts),
        len(candidates) - len(pairs),
        ties,
    )
    dataset = Dataset.from_dict(columns, features=_features(dims, with_reference_logps))
    dataset.info.description = json.dumps(info, sort_keys=True)
    if data_path is not None:
        _save_atomic(dataset, data_path)
    return dataset


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
    if not isinstance(info, dict) or _INFO_TAG not in info:
        raise ValueError(
            "dataset carries no build record: it was not made by build_preference_data"
        )
    return info


# --------------------------------------------------------------------------- summary


def summarize_dimensions(dataset: Any, dims: Sequence[str]) -> dict[str, Any]:
    """Spread, ties and conflicts of each dimension of built preference data, for reports.

    Statistics over responses count each distinct response once (by ``prompt_index`` and
    sample index when present, else by text), although it appears in several pairs.

    Args:
        dataset: A :class:`datasets.Dataset` or a dict of columns, with ``score_0/<dim>``,
            ``score_1/<dim>`` and ``<dim>`` label columns.
        dims: The dimensions to summarise (at least one).

    Returns:
        A JSON-ready dict: ``n_pairs``, ``n_responses``, ``dimensions`` (per dimension:
        :func:`~mdpo.benchmarks.tasks.smollm_dimensions.spread_stats` of the raw scores
        plus ``tie_share``, the share of masked labels, and ``share_1``, the share of
        labelled pairs where ``response_1`` wins), ``spearman`` (``{"a|b": rho}`` between
        raw scores over responses), ``spearman_pairs`` (between the pairs' score
        differences, which is what the labels see) and ``label_agreement`` (share of
        pairs labelled on both dimensions where the labels agree; below 0.5 is conflict).
        Undefined values (a constant dimension, no labelled pair) are NaN.

    Raises:
        ValueError: If ``dims`` is empty or a needed column is missing.

    Example:
        >>> from mdpo.benchmarks.tasks.llm_data import summarize_dimensions
        >>> rows = {"prompt": ["q", "q"], "response_0": ["a", "b"], "response_1": ["bb", "ccc"],
        ...         "score_0/len": [1.0, 1.0], "score_1/len": [2.0, 3.0], "len": [1, 1]}
        >>> summarize_dimensions(rows, ["len"])["dimensions"]["len"]["tie_share"]
        0.0
    """
    dims = list(dims)
    if not dims or not all(isinstance(d, str) for d in dims):
        raise ValueError(f"dims must be a non-empty list of dimension names, got {dims!r}")
    present = list(dataset.column_names) if hasattr(dataset, "column_names") else list(dataset)
    for d in dims:
        for col in (d, f"score_0/{d}", f"score_1/{d}"):
            if col not in present:
                raise ValueError(
                    f"dataset is missing column {col!r} for dimension {d!r}; "
                    f"columns present: {present}"
                )

    def column(name: str) -> list[Any]:
        return list(dataset[name])

    if {"prompt_index", "sample_0", "sample_1"} <= set(present):
        keys_0 = list(zip(column("prompt_index"), column("sample_0")))
        keys_1 = list(zip(column("prompt_index"), column("sample_1")))
    else:
        keys_0 = list(zip(column("prompt"), column("response_0")))
        keys_1 = list(zip(column("prompt"), column("response_1")))
    raw: dict[str, np.ndarray] = {}
    diffs: dict[str, np.ndarray] = {}
    labels: dict[str, np.ndarray] = {}
    for d in dims:
        s0 = np.asarray(column(f"score_0/{d}"), dtype=np.float64)
        s1 = np.asarray(column(f"score_1/{d}"), dtype=np.float64)
        unique = dict(zip(keys_0, s0)) | dict(zip(keys_1, s1))
        raw[d] = np.asarray(list(unique.values()), dtype=np.float64)
        diffs[d] = s1 - s0
        labels[d] = np.asarray([-1 if v is None else int(v) for v in column(d)])
    n_pairs = len(keys_0)
    dimensions = {}
    for d in dims:
        labelled = labels[d] >= 0
        finite = raw[d][np.isfinite(raw[d])]
        stats = spread_stats(finite) if finite.size else {}
        stats["tie_share"] = float((~labelled).mean()) if n_pairs else math.nan
        stats["share_1"] = float((labels[d][labelled] == 1).mean()) if labelled.any() else math.nan
        dimensions[d] = stats
    spearman, spearman_pairs, agreement = {}, {}, {}
    for a, b in itertools.combinations(dims, 2):
        spearman[f"{a}|{b}"] = _finite_spearman(raw[a], raw[b])
        spearman_pairs[f"{a}|{b}"] = _finite_spearman(diffs[a], diffs[b])
        both = (labels[a] >= 0) & (labels[b] >= 0)
        agreement[f"{a}|{b}"] = (
            float((labels[a][both] == labels[b][both]).mean()) if both.any() else math.nan
        )
    return {
        "n_pairs": n_pairs,
        "n_responses": len(set(keys_0) | set(keys_1)),
        "dimensions": dimensions,
        "spearman": spearman,
        "spearman_pairs": spearman_pairs,
        "label_agreement": agreement,
    }


def _finite_spearman(a: np.ndarray, b: np.ndarray) -> float:
    ok = np.isfinite(a) & np.isfinite(b)
    return rank_correlation(a[ok], b[ok]) if ok.sum() >= 2 else math.nan
