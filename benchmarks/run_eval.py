"""Score the front of one trained run (``mdpo eval``), the way the LLM benchmark scores its fronts.

:func:`evaluate_run` loads a run folder (:func:`mdpo.policies.load_policy`), answers the
bundled prompts of a split at a Das–Dennis grid of preferences (the run's own preferences
for DPS or a one-λ LoRA), scores the answers with one scorer per dimension, and writes into
the output folder:

- ``eval.json``: per λ the mean scores with bootstrap intervals over prompts, the KL to the
  base model, degeneracy, the independent judges' scores where the scorers have one;
  controllability (Spearman ρ between λ_i and the score of dimension i) under both; the
  decoding protocol; a few example answers;
- ``report.md``: the same as tables;
- ``front.png``: the front, joined in λ order with λ marked and each point's bootstrap
  interval as error bars (2-D projections for m = 3, parallel coordinates for m > 3).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

__all__ = ["evaluate_run", "parse_scorer"]


def parse_scorer(text: str) -> tuple[str, dict[str, Any]]:
    """Parse ``DIM=SCORER`` or ``DIM=SCORER:key=value,key=value`` (values read as YAML).

    Args:
        text: The option's value.

    Returns:
        ``(dimension, {"scorer": SCORER, "kwargs": {...}})``.

    Raises:
        ValueError: If the text has no ``=``, an empty name, or a malformed keyword.

    Example:
        >>> from mdpo.benchmarks.run_eval import parse_scorer
        >>> parse_scorer("concise=length:unit=tokens,sign=-1")
        ('concise', {'scorer': 'length', 'kwargs': {'unit': 'tokens', 'sign': -1}})
    """
    import yaml

    allowed = "expected DIM=SCORER or DIM=SCORER:key=value,... (e.g. concise=length:sign=-1)"
    dim, sep, rest = text.partition("=")
    scorer, _, kwargs_text = rest.partition(":")
    if not sep or not dim.strip() or not scorer.strip():
        raise ValueError(f"invalid value {text!r}: {allowed}")
    kwargs: dict[str, Any] = {}
    for item in filter(None, (p.strip() for p in kwargs_text.split(","))):
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise ValueError(f"invalid value {text!r}: {item!r} is not key=value; {allowed}")
        kwargs[key.strip()] = yaml.safe_load(value)
    return dim.strip(), {"scorer": scorer.strip(), "kwargs": kwargs}


def _front_preferences(policy: Any, m: int, partitions: int) -> torch.Tensor:
    from mdpo.preferences import preference_grid

    supported = policy.supported_preferences
    if supported is not None:
        return supported.double()
    return preference_grid(m, partitions).double()


def evaluate_run(
    run_dir: str | os.PathLike[str],
    scorers: Mapping[str, Mapping[str, Any]],
    *,
    out_dir: str | os.PathLike[str],
    split: str = "eval",
    n_prompts: int = 12,
    partitions: int = 4,
    max_new_tokens: int = 40,
    temperature: float = 0.0,
    gen_batch_size: int = 16,
    device: str | None = None,
    examples: int = 3,
) -> dict[str, Any]:
    """Score a run's front and write ``eval.json``, ``report.md`` and ``front.png``.

    Args:
        run_dir: A run folder with ``run.json``.
        scorers: One entry per dimension of the run, ``{dim: {"scorer": key, "kwargs":
            {...}}}`` (:func:`mdpo.scorers.get_scorer` keys).
        out_dir: Where to write (created).
        split: Bundled prompt split, ``"eval"`` or ``"validation"``.
        n_prompts: Prompts of the split to answer.
        partitions: Das–Dennis partitions of the evaluated preferences (ignored for a run
            with a finite set of supported preferences).
        max_new_tokens: Tokens per answer.
        temperature: 0 for greedy decoding, else sampling at this temperature.
        gen_batch_size: Rows per ``generate`` call.
        device: Torch device (CPU when None).
        examples: Example answers kept per λ.

    Returns:
        The content of ``eval.json``.

    Raises:
        ValueError: If the scorers do not name exactly the run's dimensions, or a setting is
            out of range.
    """
    from mdpo._io import atomic_write_json
    from mdpo.benchmarks.stats import bootstrap_interval
    from mdpo.benchmarks.tasks.llm import LLMTask, LLMTaskConfig
    from mdpo.metrics import controllability
    from mdpo.policies import load_policy, read_run_manifest

    manifest = read_run_manifest(run_dir)
    names = list(manifest.dim_names)
    if sorted(scorers) != sorted(names):
        raise ValueError(
            f"scorers must give one scorer per dimension of the run ({', '.join(names)}), got "
            f"{', '.join(scorers) or 'none'}"
        )
    if split not in ("eval", "validation"):
        raise ValueError(f"split must be 'eval' or 'validation', got {split!r}")
    greedy = temperature == 0
    counts = {"eval": "eval_prompts", "validation": "val_prompts"}
    config = LLMTaskConfig(
        model=manifest.base_model,
        dims={name: dict(scorers[name]) for name in names},
        eval_split=split,
        greedy=greedy,
        temperature=temperature if not greedy else 1.0,
        max_new_tokens=max_new_tokens,
        gen_batch_size=gen_batch_size,
        device=device,
        example_prompts=examples,
        **{counts[split]: n_prompts},
    )
    task = LLMTask(config)
    policy, _ = load_policy(run_dir, device=device)
    prefs = _front_preferences(policy, len(names), partitions)
    evals = task.evaluate_points(policy, prefs)
    values = np.stack([r.values.numpy() for r in evals])
    rho = controllability(values, prefs.numpy())
    judged = None
    if evals[0].judged is not None:
        judged_names = [n for n in names if n in (config.judges or {})]
        judged_values = np.stack([r.judged.mean(dim=0).numpy() for r in evals])
        judged = {
            "judges": {n: dict(config.judges[n]) for n in judged_names},
            "points": {n: judged_values[:, k].tolist() for k, n in enumerate(judged_names)},
            "controllability": {
                n: _spearman(prefs[:, names.index(n)].numpy(), judged_values[:, k])
                for k, n in enumerate(judged_names)
            },
        }
    prompts = task.eval_prompts()
    result: dict[str, Any] = {
        "run_dir": os.fspath(manifest.run_dir),
        "method": manifest.method,
        "base_model": manifest.base_model,
        "dimension_names": names,
        "scorers": {n: dict(scorers[n]) for n in names},
        "prompts": {"split": split, "count": len(prompts)},
        "decoding": config.decoding(),
        "points": [
            {
                "preference": lam.tolist(),
                "scores": r.values.tolist(),
                "bootstrap": bootstrap_interval(
                    r.per_prompt, samples=config.bootstrap_samples, seed=config.decode_seed
                ),
                "kl": r.kl,
                "degeneracy": r.degeneracy,
                "examples": [
                    {"prompt": p, "answer": a} for p, a in zip(prompts[:examples], r.answers)
                ],
            }
            for lam, r in zip(prefs, evals)
        ],
        "controllability": rho.tolist(),
        "judged": judged,
    }
    out = Path(out_dir)
    atomic_write_json(out / "eval.json", result)
    _write_report(out, result)
    _plot(out, result)
    return result


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's ρ, NaN when either side is constant (as :func:`mdpo.metrics.controllability`)."""
    from scipy.stats import spearmanr

    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(spearmanr(a, b).statistic)


def _num(value: float) -> str:
    return "–" if value is None or not np.isfinite(value) else f"{value:.3f}"


def _write_report(out: Path, result: Mapping[str, Any]) -> None:
    from mdpo._io import atomic_write

    names = result["dimension_names"]
    d = result["decoding"]
    protocol = d["mode"] + (f" T={d['temperature']:g}" if d["mode"] == "sampling" else "")
    lines = [
        f"# Front of `{result['run_dir']}`",
        "",
        f"Method `{result['method']}` on `{result['base_model']}`; {result['prompts']['count']} "
        f"{result['prompts']['split']} prompts; decoding: {protocol}, "
        f"max_new_tokens={d['max_new_tokens']}, seed={d['seed']}.",
        "",
        "| λ | " + " | ".join(f"{n} (95 % CI)" for n in names) + " | KL | degenerate |",
        "|---|" + "---|" * len(names) + "---|---|",
    ]
    for point in result["points"]:
        boot = point["bootstrap"]
        cells = [
            f"{m:.3f} [{lo:.3f}, {hi:.3f}]"
            for m, lo, hi in zip(boot["mean"], boot["low"], boot["high"])
        ]
        lam = ", ".join(f"{v:.2f}" for v in point["preference"])
        share = point["degeneracy"]["degenerate"]
        lines.append(f"| ({lam}) | " + " | ".join(cells) + f" | {point['kl']:.2f} | {share:.0%} |")
    lines += [
        "",
        "Controllability (Spearman ρ of λ_i and the score of dimension i; +1 is perfect): "
        + ", ".join(f"{n} {_num(v)}" for n, v in zip(names, result["controllability"]))
        + ".",
    ]
    if result["judged"] is not None:
        rho = result["judged"]["controllability"]
        lines.append(
            "Under the independent judges: "
            + ", ".join(f"{n} {_num(v)}" for n, v in rho.items())
            + "."
        )
    lines += ["", "![front](front.png)", ""]
    text = "\n".join(lines)
    atomic_write(out / "report.md", lambda fh: fh.write(text), binary=False)


def _plot(out: Path, result: Mapping[str, Any]) -> None:
    from mdpo.benchmarks.plots import plot_fronts

    name = Path(result["run_dir"]).name
    task = {
        "n_dims": len(result["dimension_names"]),
        "dim_names": result["dimension_names"],
        "true_front": None,
        "method_order": [name],
        "methods": {
            name: {
                "seeds": {
                    "0": {
                        "front": {
                            "points": [p["scores"] for p in result["points"]],
                            "preferences": [p["preference"] for p in result["points"]],
                        },
                        "llm": {"points": result["points"]},  # bootstrap intervals: error bars
                    }
                }
            }
        },
        "llm": {"intervals": f"bootstrap over the {result['prompts']['count']} prompts"},
    }
    made = plot_fronts(name, task, out)
    made.replace(out / "front.png")
