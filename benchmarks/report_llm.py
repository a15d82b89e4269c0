"""The language-model section of ``report.md``: protocol, data, judges, points and answers.

:func:`format_llm_section` writes it from a task entry of ``results.json`` whose ``"llm"``
entry :meth:`~mdpo.benchmarks.tasks.base.LanguageModelTask.summarize_parts` made;
:func:`mdpo.benchmarks.report.write_report` puts it under the task's tables.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = ["format_llm_section"]


def _pick(prefs: list[list[float]], k: int) -> list[int]:
    """Indices of ``k`` preferences spread along λ_0 (all when there are fewer)."""
    order = sorted(range(len(prefs)), key=lambda i: (prefs[i][0], prefs[i][1:]))
    if len(order) <= k:
        return order
    return [order[round(j * (len(order) - 1) / (k - 1))] for j in range(k)]


def format_llm_section(task: Mapping[str, Any], n_lambdas: int = 5) -> str:
    """Markdown for the LLM part of a task's report.

    Args:
        task: A task entry of ``results.json`` with an ``"llm"`` entry.
        n_lambdas: How many λ the example answers show.

    Returns:
        Markdown: the protocol, the training data statistics, a per-point table (KL and
        degeneracy, first seed), HV bootstrap intervals over prompts and the example answers.
    """
    llm = task["llm"]
    dec = llm["decoding"]
    lines = [
        f"Model: {llm['model']}. Decoding: " + ", ".join(f"{k}={v}" for k, v in dec.items()) + ".",
        f"KL per point: {llm['kl_estimator']}.",
        f"Degeneracy: {llm['degeneracy_rule']}.",
        f"Intervals: {llm['intervals']}.",
        "No true front is known: the headline is the hypervolume of each front after min-max "
        "normalisation over the union of all compared points (HV ratio and IGD+ are n/a).",
        "",
    ]
    names = task["dim_names"]
    lines += _data_lines(llm.get("data"))
    lines += [
        "Hypervolume with a bootstrap interval over eval prompts (first seed):",
        "",
        "| method | HV | interval |",
        "|---|---|---|",
    ]
    for name, by_seed in llm["hv_bootstrap"].items():
        first = next(iter(by_seed.values()))
        lines.append(
            f"| {name} | {first['estimate']:.4f} | [{first['low']:.4f}, {first['high']:.4f}] |"
        )
    lines += _judge_lines(llm.get("judges"))
    lines += [
        "",
        "Per evaluated λ (first seed): scores, KL to the reference, degenerate share "
        "(any rule) and its parts:",
        "",
        "| method | λ | "
        + " | ".join(names)
        + " | KL | degenerate | empty | repetitive | repeated phrase | unfinished list "
        "| cut mid-sentence |",
        "|---|---|" + "---|" * (len(names) + 7),
    ]
    for name, method in task["methods"].items():
        part = next(iter(method["seeds"].values()))
        for point in part.get("llm", {}).get("points", []):
            lam = ",".join(f"{v:.2f}" for v in point["preference"])
            boot = point["bootstrap"]
            vals = " | ".join(
                f"{m:.3f} [{lo:.3f}, {hi:.3f}]"
                for m, lo, hi in zip(boot["mean"], boot["low"], boot["high"])
            )
            deg = point["degeneracy"]
            shares = " | ".join(
                _num(deg.get(k), ".0%")
                for k in (
                    "degenerate",
                    "empty",
                    "repetitive",
                    "repeated_phrase",
                    "unfinished_list",
                    "cut_mid_sentence",
                )
            )
            lines.append(f"| {name} | {lam} | {vals} | {point['kl']:.3f} | {shares} |")
    lines += ["", "### Example answers", ""]
    for name, ex in llm["examples"].items():
        picks = _pick(ex["preferences"], n_lambdas)
        lines += [f"#### {name}", ""]
        for p, prompt in enumerate(ex["prompts"]):
            lines.append(f"**Prompt:** {prompt}")
            lines.append("")
            for i in picks:
                lam = ", ".join(f"{n}={v:.2f}" for n, v in zip(names, ex["preferences"][i]))
                answer = ex["answers"][i][p].replace("\n", " ") or "*(empty)*"
                lines.append(f"- λ ({lam}): {answer}")
            lines.append("")
    return "\n".join(lines)


def _judge_lines(judges: Mapping[str, Any] | None) -> list[str]:
    """The independent judges' table as Markdown (nothing without judges)."""
    if not judges or not judges.get("methods"):
        return []
    dims = judges["dimensions"]
    specs = ", ".join(
        f"{d}: {judges['specs'][d]['scorer']}"
        + "".join(f" {k}={v}" for k, v in judges["specs"][d].get("kwargs", {}).items())
        for d in dims
    )
    lines = [
        "",
        f"Independent judges (evaluation only, never trained on; {specs}). The fronts "
        "rescored by them, normalised over the union of all judged points (first seed):",
        "",
        "| method | HV (judges) | " + " | ".join(f"controllability ρ {d}" for d in dims) + " |",
        "|---|---|" + "---|" * len(dims),
    ]
    for name, by_seed in judges["methods"].items():
        first = next(iter(by_seed.values()))
        rho = " | ".join(_num(r, "+.2f") for r in first["controllability"])
        lines.append(f"| {name} | {_num(first['hypervolume'], '.4f')} | {rho} |")
    return lines


def _num(value: Any, spec: str = ".3f") -> str:
    return "n/a" if value is None or not math.isfinite(value) else format(value, spec)


def _data_lines(data: Mapping[str, Any] | None) -> list[str]:
    """The training-data statistics as Markdown (spread per dimension, conflicts)."""
    if not data:
        return []
    lines = [f"Training pairs: {data.get('n_pairs')} ({data.get('pairing') or 'given'})."]
    counts = data.get("counts")
    if counts:
        lines[-1] += (
            f" Prompts {counts.get('prompts')}, responses {counts.get('responses')} "
            f"({counts.get('empty_responses')} empty), dropped identical "
            f"{counts.get('dropped_identical')}, ties per dimension {counts.get('ties')}."
        )
    decoding = data.get("decoding")
    if decoding:
        systems = decoding.get("systems")
        drawn = (
            "under the default system prompt"
            if not systems
            else "cycling over the system prompts "
            + ", ".join("(default)" if s is None else repr(s) for s in systems)
        )
        lines += [
            "",
            f"Training answers: {decoding.get('n_samples')} per prompt, sampled at temperature "
            f"{decoding.get('temperature')}, top-p {decoding.get('top_p')}, at most "
            f"{decoding.get('max_new_tokens')} new tokens, seed {decoding.get('seed')}, {drawn}; "
            "pairs and reference log-probs use the default system prompt.",
        ]
    summary = data.get("summary")
    if summary:
        lines += [
            "",
            "| dimension | mean | std | IQR | zeros | tie share |",
            "|---|---|---|---|---|---|",
        ]
        for dim, st in summary["dimensions"].items():
            lines.append(
                f"| {dim} | {_num(st.get('mean'))} | {_num(st.get('std'))} | "
                f"{_num(st.get('iqr'))} | {_num(st.get('zero_share'), '.0%')} | "
                f"{_num(st.get('tie_share'), '.0%')} |"
            )
        lines += [
            "",
            "| pair | Spearman (responses) | Spearman (pair differences) | label agreement |",
            "|---|---|---|---|",
        ]
        for pair, rho in summary.get("spearman", {}).items():
            lines.append(
                f"| {pair.replace('|', ' / ')} | {_num(rho, '+.3f')} | "
                f"{_num(summary.get('spearman_pairs', {}).get(pair), '+.3f')} | "
                f"{_num(summary.get('label_agreement', {}).get(pair), '.0%')} |"
            )
    return [*lines, ""]
