"""Reference log-probs of the preference data, tokenized as DPO tokenizes each pair.

:func:`reference_logps` scores responses under the reference model;
:func:`pair_reference_columns` fills the ``ref_response_{0,1}_logps`` columns of the pairs,
forwarding each distinct response once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

__all__ = ["pair_reference_columns", "reference_logps"]


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


def pair_reference_columns(
    model: Any,
    tokenizer: Any,
    prompts: list[str],
    responses: list[list[str]],
    pairs: list[tuple[int, int, int]],
    *,
    batch_size: int,
    collate: dict[str, Any],
) -> tuple[dict[str, list[float | None]], int]:
    """Reference log-probs per pair side, each distinct response forwarded once.

    Args:
        model: The reference causal LM.
        tokenizer: Its tokenizer.
        prompts: The ``P`` prompts.
        responses: ``[P][n]`` sampled responses.
        pairs: ``(prompt, i, j)`` of each pair.
        batch_size: Sequences per forward pass.
        collate: ``chat_template``, ``max_length`` and ``max_prompt_length`` of the DPO
            tokenization.

    Returns:
        ``(columns, n)``: the columns ``ref_response_0_logps`` and ``ref_response_1_logps``
        (:func:`mdpo.objectives.reference_column`) with the log-probs of each pair's two
        responses (None where the pair's truncation depends on its partner), and the number
        of such pairs.
    """
    from mdpo.data import CompletionCollator
    from mdpo.objectives import reference_column

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
    columns = {reference_column("response_0"): col0, reference_column("response_1"): col1}
    return columns, usable.count(False)
