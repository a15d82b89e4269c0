"""The table of a tuning sweep: validation fronts under the training scorers and the judges.

A tuning suite (``tune-smollm2d``) evaluates on the **validation** prompts
(``eval_split: validation``) and stores every answer (``example_prompts`` = the number of
validation prompts), so its fronts can be rescored by the task's independent judges from
``results.json`` alone, without a model: ``python -m mdpo.benchmarks.tuning RUN_DIR``.

Per method: the hypervolume under the training scorers (the suite's own normalisation over
all settings), the per-dimension controllability ρ, the worst degenerate share over the
front (:func:`~mdpo.benchmarks.tasks.degeneracy.degeneracy` on the stored answers; the
token limit is not known from text, so an answer counts as ended by the model unless it is
at least ``limit_words`` words long), the largest KL, and the same HV and ρ under the
judges, normalised over the union of all settings' judged points.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["judge_fronts", "select_settings", "sweep_report", "sweep_rows", "sweep_table"]

MIN_CONTROLLABILITY = 0.5
"""The selection rule's floor on every dimension's controllability ρ (both instruments)."""


def judge_fronts(task: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Rescore every method's stored answers (first seed) with the task's judges.

    Args:
        task: A task's entry of ``results.json`` whose examples hold every evaluated prompt.

    Returns:
        ``{method: {"points": [n, j], "preferences": [n, m], "hypervolume", "controllability"}}``
        with the hypervolume normalised over the union of all methods' judged points.

    Raises:
        ValueError: If the stored answers do not cover every evaluated prompt.
    """
    from mdpo.benchmarks.stats import judged_front_metrics
    from mdpo.benchmarks.tasks.llm import LLMTask, LLMTaskConfig

    task_obj = LLMTask(LLMTaskConfig(**task["params"]))
    judges = task_obj.judges()
    # results.json sorts its keys, so the dimension order comes from dim_names, not params.
    dims = [d for d in task["dim_names"] if d in judges]
    points: dict[str, np.ndarray] = {}
    prefs: dict[str, list[list[float]]] = {}
    for name, method in task["methods"].items():
        part = method["seeds"][sorted(method["seeds"], key=int)[0]]
        examples = part["llm"]["examples"]
        n_prompts = len(part["llm"]["per_prompt"][0])
        if len(examples["prompts"]) < n_prompts:
            raise ValueError(
                f"method {name!r} stored answers to {len(examples['prompts'])} of "
                f"{n_prompts} prompts; set example_prompts to the number of evaluated prompts"
            )
        rows = []
        for answers in examples["answers"]:
            rows.append(
                [float(judges[d](examples["prompts"], answers).double().mean()) for d in dims]
            )
        points[name] = np.asarray(rows, dtype=float)
        prefs[name] = examples["preferences"]
    metrics, _ = judged_front_metrics(points, prefs, [task["dim_names"].index(d) for d in dims])
    return {name: {**entry, "preferences": prefs[name]} for name, entry in metrics.items()}


def sweep_rows(results: Mapping[str, Any], *, limit_words: int = 24) -> list[dict[str, Any]]:
    """One row per (task, method) of a sweep's results.

    Args:
        results: A loaded ``results.json``.
        limit_words: Answers with at least this many words are taken as cut by the token
            limit (not ended by the model) in the degeneracy check.

    Returns:
        Dicts with ``task``, ``method``, ``hv``, ``rho`` (per dimension), ``degenerate``
        (worst point), ``kl`` (largest), ``hv_judges`` and ``rho_judges``.
    """
    from mdpo.benchmarks.tasks.degeneracy import degeneracy

    rows = []
    for task_name, task in results["tasks"].items():
        judged = judge_fronts(task)
        for name, method in task["methods"].items():
            part = method["seeds"][sorted(method["seeds"], key=int)[0]]
            metrics = part["metrics"]
            answers = part["llm"]["examples"]["answers"]
            worst = max(
                degeneracy(a, finished=[len(x.split()) < limit_words for x in a])["degenerate"]
                for a in answers
            )
            rows.append(
                {
                    "task": task_name,
                    "method": name,
                    "config": method["config"],
                    "hv": metrics["hypervolume"],
                    "rho": [metrics[f"controllability/{d}"] for d in task["dim_names"]],
                    "degenerate": worst,
                    "kl": max(p["kl"] for p in part["llm"]["points"]),
                    "hv_judges": judged[name]["hypervolume"],
                    "rho_judges": judged[name]["controllability"],
                }
            )
    return rows


def _setting(config: Mapping[str, Any]) -> str:
    keys = ("lr", "vertex_prob", "rank", "lr_schedule")
    parts = [f"{k}={config[k]}" for k in keys if config.get(k) is not None]
    parts += [f"{k}={v}" for k, v in sorted((config.get("adapter") or {}).items())]
    return ", ".join(parts) or "suite defaults"


def sweep_table(rows: Sequence[Mapping[str, Any]]) -> str:
    """The sweep as a Markdown table.

    Args:
        rows: :func:`sweep_rows`' output.

    Returns:
        Markdown.
    """

    def _num(value: float | None, spec: str = ".3f") -> str:
        return "n/a" if value is None or not math.isfinite(value) else format(value, spec)

    def rho(values: Sequence[float | None]) -> str:
        return ", ".join(_num(v, "+.2f") for v in values)

    lines = [
        "| method | setting | HV | ρ per dim | worst degenerate | max KL | HV (judges) "
        "| ρ (judges) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['method']} | {_setting(r['config'])} | {_num(r['hv'])} | {rho(r['rho'])} | "
            f"{r['degenerate']:.0%} | {r['kl']:.1f} | {_num(r['hv_judges'])} | "
            f"{rho(r['rho_judges'])} |"
        )
    return "\n".join(lines)


def select_settings(
    rows: Sequence[Mapping[str, Any]], *, min_rho: float = MIN_CONTROLLABILITY
) -> dict[str, Mapping[str, Any]]:
    """The selection rule: per method kind, the best eligible setting.

    A setting is eligible when its controllability ρ is at least ``min_rho`` on every
    dimension under both the training scorers and the judges (a front that does not follow
    λ, or follows it backwards, is not chosen however large its hypervolume); among the
    eligible ones of a kind (``panacea``, ``rs``, ``mod``, ``dps``), the largest
    ``HV(scorers) + HV(judges)`` wins.

    Args:
        rows: :func:`sweep_rows`' output.
        min_rho: The controllability floor.

    Returns:
        ``{kind: row}`` for every kind with an eligible setting.
    """

    def eligible(row: Mapping[str, Any]) -> bool:
        values = [*row["rho"], *row["rho_judges"]]
        return all(v is not None and math.isfinite(v) and v >= min_rho for v in values)

    best: dict[str, Mapping[str, Any]] = {}
    for row in rows:
        if not eligible(row) or row["hv"] is None or row["hv_judges"] is None:
            continue
        kind = row["config"]["kind"]
        score = row["hv"] + row["hv_judges"]
        if kind not in best or score > best[kind]["hv"] + best[kind]["hv_judges"]:
            best[kind] = row
    return best


def sweep_report(rows: Sequence[Mapping[str, Any]]) -> str:
    """The sweep table followed by the settings the rule selects, as Markdown.

    Args:
        rows: :func:`sweep_rows`' output.

    Returns:
        Markdown.
    """
    lines = [
        "# Tuning sweep: validation fronts",
        "",
        "HV: hypervolume under the training scorers, normalised over every setting of the "
        "sweep (DPS on its own grid); HV (judges): the same under the independent judges; "
        "ρ: controllability per dimension; worst degenerate: the largest share of degenerate "
        "answers at any λ; max KL: the largest KL to the reference at any λ (nats per answer).",
        "",
        sweep_table(rows),
        "",
        f"Selection rule: among the settings whose ρ is at least {MIN_CONTROLLABILITY} on every "
        "dimension under both the training scorers and the judges, per method kind the "
        "largest HV + HV (judges).",
        "",
    ]
    chosen = select_settings(rows)
    for kind, row in chosen.items():
        lines.append(
            f"- **{kind}**: `{row['method']}` ({_setting(row['config'])}): HV "
            f"{row['hv']:.3f}, HV (judges) {row['hv_judges']:.3f}"
        )
    # A kind with no setting above the floor: what the rule without the floor would take,
    # said to have failed it (so a suite can still include the kind, flagged).
    for kind, row in select_settings(rows, min_rho=-math.inf).items():
        if kind in chosen:
            continue
        lines.append(
            f"- **{kind}**: no setting reaches ρ ≥ {MIN_CONTROLLABILITY} on every dimension "
            f"under both instruments; without the floor the rule takes `{row['method']}` "
            f"({_setting(row['config'])}): HV {row['hv']:.3f}, HV (judges) "
            f"{row['hv_judges']:.3f}, ρ {_rhos(row['rho'])}, ρ (judges) {_rhos(row['rho_judges'])}"
        )
    return "\n".join(lines) + "\n"


def _rhos(values: Sequence[Any]) -> str:
    return "/".join("–" if v is None or not math.isfinite(v) else f"{v:.2f}" for v in values)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m mdpo.benchmarks.tuning RUN_DIR``: print the sweep's table and selection."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m mdpo.benchmarks.tuning RUN_DIR", file=sys.stderr)
        return 2
    path = Path(args[0]) / "results.json"
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        print(f"mdpo.benchmarks.tuning: error: cannot read {path}: {err}", file=sys.stderr)
        return 2
    try:
        table = sweep_report(sweep_rows(results))
    except ValueError as err:
        print(f"mdpo.benchmarks.tuning: error: {err}", file=sys.stderr)
        return 2
    print(table, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
