r"""Which scorers make real, conflicting dimensions on SmolLM2? Measure them on its own samples.

A dimension is only worth aligning if the reference model's answers vary along it (a
lexicon that scores every sample 0 is no dimension), and a trade-off only exists where two
dimensions conflict (negative correlation). :func:`measure_dimensions` samples several
responses per prompt from the reference model, scores them with each scorer, and returns each
dimension's spread and the pairwise Spearman correlations, both pooled and within prompt
(after subtracting each prompt's mean, which is what paired preference data sees).

Run it on the bundled model::

    python -m mdpo.benchmarks.tasks.smollm_dimensions --n-prompts 40

or on the ten style dimensions of the ``smollm10d`` suite (``--styles``), writing the tables
and a heatmap of the within-prompt correlations as well::

    python -m mdpo.benchmarks.tasks.smollm_dimensions --styles --n-prompts 16 \
        --max-new-tokens 40 --json study.json --markdown study.md --heatmap study.png
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from mdpo.metrics.controllability import spearman
from mdpo.models.chat import SystemPrompt, encode_chats
from mdpo.models.padding import with_padding_side
from mdpo.scorers.base import Scorer
from mdpo.seeding import derive_seed

__all__ = [
    "DEFAULT_SCORERS",
    "conflict_matrix",
    "format_report",
    "measure_dimensions",
    "sample_responses",
    "spread_stats",
]

DEFAULT_SCORERS = ("sentiment", "length", "relevance", "readability", "profanity")
"""The registry keys scored by the command line by default."""


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


def sample_responses(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[str],
    *,
    n_samples: int = 4,
    max_new_tokens: int = 48,
    seed: int = 0,
    batch_size: int = 16,
    temperature: float = 1.0,
    top_p: float = 1.0,
    system: SystemPrompt = None,
) -> list[list[str]]:
    """Sample ``n_samples`` responses per prompt: chat template, left padding, fixed seed.

    Prompts are processed in chunks of ``max(1, batch_size // n_samples)`` prompts (so about
    ``batch_size`` sequences per ``generate`` call). Each chunk draws from a torch RNG seeded
    with ``derive_seed(seed, "sample", chunk_index)``, so results do not depend on what ran
    before.

    Args:
        model: A causal LM.
        tokenizer: Its tokenizer (with a chat template).
        prompts: ``P`` user messages.
        n_samples: Responses per prompt.
        max_new_tokens: Generation length limit.
        seed: Base seed.
        batch_size: Sequences per ``generate`` call.
        temperature: Sampling temperature.
        top_p: Nucleus sampling mass.
        system: System prompt choice for :func:`mdpo.models.apply_chat`.

    Returns:
        ``P`` lists of ``n_samples`` decoded responses (special tokens removed, stripped).

    Raises:
        ValueError: For non-positive counts.
    """
    _positive_int("n_samples", n_samples)
    _positive_int("max_new_tokens", max_new_tokens)
    _positive_int("batch_size", batch_size)
    gen_tok = with_padding_side(tokenizer, "left")
    per_chunk = max(1, batch_size // n_samples)
    device = next(model.parameters()).device
    out: list[list[str]] = []
    for chunk_index, start in enumerate(range(0, len(prompts), per_chunk)):
        chunk = list(prompts[start : start + per_chunk])
        ids = encode_chats(gen_tok, chunk, system=system)
        batch = gen_tok.pad({"input_ids": ids}, padding=True, return_tensors="pt").to(device)
        with torch.random.fork_rng(devices=[] if device.type == "cpu" else [device]):
            torch.manual_seed(derive_seed(seed, "sample", chunk_index))
            with torch.inference_mode():
                generated = model.generate(
                    **batch,
                    do_sample=True,
                    temperature=temperature,
                    top_p=top_p,
                    top_k=0,
                    max_new_tokens=max_new_tokens,
                    num_return_sequences=n_samples,
                    pad_token_id=gen_tok.pad_token_id,
                )
        texts = gen_tok.batch_decode(
            generated[:, batch["input_ids"].shape[1] :], skip_special_tokens=True
        )
        out.extend(
            [t.strip() for t in texts[i * n_samples : (i + 1) * n_samples]]
            for i in range(len(chunk))
        )
    return out


def spread_stats(values: np.ndarray) -> dict[str, float]:
    """Spread of one dimension's scores.

    Args:
        values: Scores, shape ``[n]``.

    Returns:
        ``mean``, ``std``, ``iqr`` (75th − 25th percentile), ``min``, ``max`` and
        ``zero_share`` (the fraction of scores exactly 0).

    Example:
        >>> import numpy as np
        >>> from mdpo.benchmarks.tasks.smollm_dimensions import spread_stats
        >>> spread_stats(np.array([0.0, 0.0, 1.0, 3.0]))["zero_share"]
        0.5
    """
    q25, q75 = np.percentile(values, [25, 75])
    return {
        "mean": float(values.mean()),
        "std": float(values.std()),
        "iqr": float(q75 - q25),
        "min": float(values.min()),
        "max": float(values.max()),
        "zero_share": float((values == 0).mean()),
    }


def measure_dimensions(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[str],
    scorers: Mapping[str, Scorer] | Sequence[Scorer],
    *,
    n_samples: int = 4,
    max_new_tokens: int = 48,
    seed: int = 0,
    batch_size: int = 16,
    temperature: float = 1.0,
    top_p: float = 1.0,
) -> dict[str, Any]:
    """Sample from the reference model and measure each scorer's spread and the conflicts.

    Args:
        model: The reference causal LM.
        tokenizer: Its tokenizer.
        prompts: ``P`` user messages.
        scorers: ``{name: scorer}``, or scorers named by their ``name`` attribute.
        n_samples: Responses per prompt (``N = P × n_samples`` scored samples).
        max_new_tokens: Generation length limit.
        seed: Sampling seed.
        batch_size: Sequences per ``generate`` call.
        temperature: Sampling temperature.
        top_p: Nucleus sampling mass.

    Returns:
        A JSON-ready dict: ``decoding`` (the protocol), ``n_prompts``, ``n_samples``,
        ``empty_share`` (responses with no text), ``cut_share`` (responses that reach the
        length limit, within one token, when re-tokenised: cut off), ``length_within``
        (``{name: rho}``: Spearman of each dimension with the answer's token count, within
        prompt; how much a scorer just follows length), ``dimensions`` (``{name:``
        :func:`spread_stats` ``}``), ``spearman`` and ``spearman_within`` (``{"a|b": rho}``
        over all samples, and over prompt-centred scores; NaN where a dimension is
        constant), ``examples`` (the first prompt's responses with their scores) and
        ``top_answers`` (``{name: {"prompt", "response", "score"}}``: the highest-scoring
        response of each dimension, to see what a scorer rewards).

    Raises:
        ValueError: If ``prompts`` or ``scorers`` is empty, or names repeat.
    """
    if not prompts:
        raise ValueError("prompts must not be empty")
    named = dict(scorers) if isinstance(scorers, Mapping) else {s.name: s for s in scorers}
    if not named or (not isinstance(scorers, Mapping) and len(named) != len(scorers)):
        raise ValueError(f"scorers must be non-empty with distinct names, got {scorers!r}")
    responses = sample_responses(
        model,
        tokenizer,
        prompts,
        n_samples=n_samples,
        max_new_tokens=max_new_tokens,
        seed=seed,
        batch_size=batch_size,
        temperature=temperature,
        top_p=top_p,
    )
    flat_prompts = [p for p in prompts for _ in range(n_samples)]
    flat = [r for rs in responses for r in rs]
    scores = {name: scorer(flat_prompts, flat).numpy() for name, scorer in named.items()}
    grids = {name: v.reshape(len(prompts), n_samples) for name, v in scores.items()}
    centred = {name: (g - g.mean(1, keepdims=True)).ravel() for name, g in grids.items()}
    pairs = list(itertools.combinations(named, 2))
    tokens = np.array(
        [len(tokenizer(r, add_special_tokens=False)["input_ids"]) for r in flat], dtype=float
    )
    token_grid = tokens.reshape(len(prompts), n_samples)
    tokens_centred = (token_grid - token_grid.mean(1, keepdims=True)).ravel()
    return {
        "decoding": {
            "sampling": True,
            "temperature": temperature,
            "top_p": top_p,
            "max_new_tokens": max_new_tokens,
            "seed": seed,
            "chat_template": "default system prompt",
        },
        "n_prompts": len(prompts),
        "n_samples": n_samples,
        "empty_share": float(np.mean([not r for r in flat])),
        "cut_share": float(np.mean(tokens >= max_new_tokens - 1)),
        "length_within": {name: spearman(centred[name], tokens_centred) for name in named},
        "dimensions": {name: spread_stats(v) for name, v in scores.items()},
        "spearman": {f"{a}|{b}": spearman(scores[a], scores[b]) for a, b in pairs},
        "spearman_within": {f"{a}|{b}": spearman(centred[a], centred[b]) for a, b in pairs},
        "examples": [
            {"prompt": prompts[0], "response": r, **{n: float(scores[n][i]) for n in named}}
            for i, r in enumerate(responses[0])
        ],
        "top_answers": {
            name: {
                "prompt": flat_prompts[int(np.argmax(v))],
                "response": flat[int(np.argmax(v))],
                "score": float(np.max(v)),
            }
            for name, v in scores.items()
        },
    }


def format_report(result: Mapping[str, Any]) -> str:
    """Render :func:`measure_dimensions`' result as two Markdown tables.

    Args:
        result: The dict returned by :func:`measure_dimensions`.

    Returns:
        Markdown text: one row per dimension (spread), one row per pair (correlations).
    """
    length = result.get("length_within")
    cut = result.get("cut_share")
    lines = [
        f"{result['n_prompts']} prompts x {result['n_samples']} samples, "
        f"temperature={result['decoding']['temperature']}, top_p={result['decoding']['top_p']}, "
        f"max_new_tokens={result['decoding']['max_new_tokens']}, "
        f"empty responses: {result['empty_share']:.1%}"
        + ("" if cut is None else f", cut at the token limit: {cut:.1%}"),
        "",
        "| dimension | mean | std | IQR | min | max | zeros |"
        + (" ρ with length (within prompt) |" if length else ""),
        "|---|---|---|---|---|---|---|" + ("---|" if length else ""),
    ]
    for name, s in result["dimensions"].items():
        lines.append(
            f"| {name} | {s['mean']:.3f} | {s['std']:.3f} | {s['iqr']:.3f} | {s['min']:.3f} "
            f"| {s['max']:.3f} | {s['zero_share']:.0%} |"
            + (f" {length[name]:+.2f} |" if length else "")
        )
    if len(result["dimensions"]) > 5:
        return "\n".join([*lines, "", *_matrix_lines(result), *_top_lines(result)])
    lines += ["", "| pair | Spearman (all) | Spearman (within prompt) |", "|---|---|---|"]
    for pair, rho in result["spearman"].items():
        lines.append(
            f"| {pair.replace('|', ' / ')} | {rho:+.3f} | {result['spearman_within'][pair]:+.3f} |"
        )
    return "\n".join(lines)


def conflict_matrix(result: Mapping[str, Any], key: str = "spearman_within") -> np.ndarray:
    """The pairwise Spearman correlations of a result as a symmetric ``[m, m]`` matrix.

    Args:
        result: The dict returned by :func:`measure_dimensions`.
        key: ``"spearman_within"`` (prompt-centred, what pairs see) or ``"spearman"``.

    Returns:
        The matrix in the order of ``result["dimensions"]``, 1 on the diagonal, NaN where a
        dimension is constant.

    Raises:
        ValueError: If ``key`` is not one of the two.
    """
    if key not in ("spearman_within", "spearman"):
        raise ValueError(f"key must be 'spearman_within' or 'spearman', got {key!r}")
    names = list(result["dimensions"])
    out = np.eye(len(names))
    for pair, rho in result[key].items():
        a, b = pair.split("|")
        out[names.index(a), names.index(b)] = out[names.index(b), names.index(a)] = rho
    return out


def _matrix_lines(result: Mapping[str, Any]) -> list[str]:
    """Both correlation matrices as Markdown: within prompt above the diagonal, pooled below."""
    names = list(result["dimensions"])
    within = conflict_matrix(result, "spearman_within")
    pooled = conflict_matrix(result, "spearman")
    lines = [
        "Spearman correlations: **within prompt** (prompt-centred scores, what paired "
        "preference data sees) above the diagonal, over all samples below it. Negative: the "
        "two dimensions conflict.",
        "",
        "| | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for i, a in enumerate(names):
        cells = []
        for j in range(len(names)):
            value = within[i, j] if j > i else pooled[i, j]
            cells.append("" if i == j else "n/a" if not math.isfinite(value) else f"{value:+.2f}")
        lines.append(f"| **{a}** | " + " | ".join(cells) + " |")
    return lines


def _top_lines(result: Mapping[str, Any]) -> list[str]:
    """The highest-scoring response of each dimension as Markdown (nothing without them)."""
    top = result.get("top_answers")
    if not top:
        return []
    lines = ["", "The highest-scoring response of each dimension:", ""]
    for name, entry in top.items():
        text = " ".join(entry["response"].split()) or "*(empty)*"
        lines.append(f"- **{name}** ({entry['score']:+.2f}; prompt: {entry['prompt']}): {text}")
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: measure the default scorers on SmolLM2 with the first train prompts.

    Args:
        argv: Arguments (default: ``sys.argv[1:]``).
    """
    from mdpo.benchmarks.tasks.prompts import load_prompts
    from mdpo.models import load_causal_lm
    from mdpo.scorers import get_scorer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--n-prompts", type=int, default=40)
    parser.add_argument("--n-samples", type=int, default=4)
    parser.add_argument("--max-new-tokens", type=int, default=48)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--top-p", type=float, default=1.0)
    parser.add_argument("--scorers", default=",".join(DEFAULT_SCORERS))
    parser.add_argument(
        "--styles",
        action="store_true",
        help="measure the ten style dimensions of the smollm10d suite instead of --scorers",
    )
    parser.add_argument("--json", dest="json_path", default=None, help="also write the result here")
    parser.add_argument("--markdown", default=None, help="also write the tables here")
    parser.add_argument(
        "--heatmap", default=None, help="also draw the within-prompt correlations as a PNG here"
    )
    args = parser.parse_args(argv)

    rows = load_prompts("train")
    # Spread the selection over the categories: every k-th train prompt.
    step = max(1, len(rows) // max(args.n_prompts, 1))
    prompts = [r["prompt"] for r in rows[::step][: args.n_prompts]]
    model, tokenizer = load_causal_lm(args.model)
    if args.styles:
        from mdpo.benchmarks.tasks.style_dims import style_scorers

        scorers = style_scorers(tokenizer)
    else:
        scorers = {name: get_scorer(name) for name in args.scorers.split(",") if name}
    start = time.perf_counter()
    result = measure_dimensions(
        model,
        tokenizer,
        prompts,
        scorers,
        n_samples=args.n_samples,
        max_new_tokens=args.max_new_tokens,
        seed=args.seed,
        batch_size=args.batch_size,
        temperature=args.temperature,
        top_p=args.top_p,
    )
    result["model"] = args.model
    result["wall_s"] = time.perf_counter() - start
    text = format_report(result)
    print(text)
    from mdpo._io import atomic_write

    if args.json_path:
        atomic_write(args.json_path, lambda fh: json.dump(result, fh, indent=2), binary=False)
    if args.markdown:
        atomic_write(args.markdown, lambda fh: fh.write(text + "\n"), binary=False)
    if args.heatmap:
        from mdpo.benchmarks.plots_many import plot_conflicts

        title = (
            f"{args.model}: Spearman ρ within prompt, {result['n_prompts']} prompts x "
            f"{result['n_samples']} samples x {args.max_new_tokens} tokens (negative: conflict)"
        )
        plot_conflicts(list(result["dimensions"]), conflict_matrix(result), args.heatmap, title)


if __name__ == "__main__":
    main()
