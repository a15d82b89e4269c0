"""``mdpo generate``: answer prompts with a trained run at one or several preferences λ.

The run folder's ``run.json`` says which policy to rebuild (:func:`mdpo.policies.load_policy`).
Preferences come from ``--preference`` (any non-negative weights, normalised: ``1,3`` is
(0.25, 0.75)), repeatable, or from ``--sweep N``:

- m = 2: N evenly spaced λ, ``preference_grid(2, N - 1)``;
- m > 2: the Das–Dennis grid with the smallest partition count p giving at least N points
  (all ``C(p + m - 1, m - 1)`` of them, so possibly more than N; p = 1 are the m vertices);
- a policy with a finite set of supported preferences (DPS, a LoRA trained at one λ): that
  set, whatever N.

Without either flag, the sweep is ``--sweep 3``. Every (prompt, λ) row goes into one batched
``generate`` when the policy takes one λ per row (Panacea, MOD, prompt conditioning); other
policies loop over λ with all prompts batched. Decoding is greedy at ``--temperature 0``
(the default), else pure sampling (``top_k=0``, ``top_p=1``) seeded by ``--seed``; the
protocol is printed and recorded in the ``--json`` output.
"""

from __future__ import annotations

import argparse
import json
import math
import os
from collections.abc import Sequence
from typing import Any

import torch

from mdpo.cli._args import Command, add_device, bounded, parsed, positive_int
from mdpo.cli._device import check_device
from mdpo.cli._errors import CommandError
from mdpo.cli.decoding import Decoding, generate_answers

__all__ = [
    "COMMAND",
    "Decoding",
    "add_parser",
    "generate_answers",
    "parse_preference",
    "run",
    "sweep_preferences",
]


def parse_preference(text: str) -> list[float] | dict[str, float]:
    """Parse ``"1,3"`` into weights ``[1.0, 3.0]``, or ``"formal=2,humorous=1"`` by name.

    Positional weights give one weight per dimension in order; named weights
    (``name=weight``) give some dimensions a weight and leave the others at 0. The names are
    checked against the run's dimensions later (:func:`mdpo.preferences.named_preference`).
    Neither form is normalised yet.

    Args:
        text: Comma-separated finite, non-negative numbers with a positive sum, either all
            positional or all ``name=weight``.

    Returns:
        The weights: a list (positional) or a ``{name: weight}`` dict (named).

    Raises:
        ValueError: If an entry is not a number, is negative or not finite, all are zero,
            their sum overflows, a name repeats, or positional and named entries are mixed.

    Example:
        >>> from mdpo.cli.generate import parse_preference
        >>> parse_preference("1, 3")
        [1.0, 3.0]
        >>> parse_preference("formal=2, humorous=1")
        {'formal': 2.0, 'humorous': 1.0}
        >>> parse_preference("1,x")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: invalid value '1,x': 'x' is not a number; expected comma-separated ...
    """
    allowed = (
        "expected comma-separated non-negative weights with a positive sum, e.g. 1,3, or "
        "weights by dimension name, e.g. helpful=1,concise=3"
    )
    parts = [part.strip() for part in text.split(",")]
    named = ["=" in part for part in parts]
    if any(named) and not all(named):
        raise ValueError(
            f"invalid value {text!r}: mixes positional and name=weight entries; {allowed}"
        )
    weights: list[float] = []
    names: list[str] = []
    for part in parts:
        key, _, number = part.rpartition("=")
        key = key.strip()
        if any(named) and (not key or key in names):
            problem = "an empty name" if not key else f"the name {key!r} twice"
            raise ValueError(f"invalid value {text!r}: {problem}; {allowed}")
        try:
            value = float(number)
        except ValueError:
            raise ValueError(
                f"invalid value {text!r}: {number.strip()!r} is not a number; {allowed}"
            ) from None
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"invalid value {text!r}: {number.strip()} is not allowed; {allowed}")
        weights.append(value)
        names.append(key)
    if sum(weights) <= 0:
        raise ValueError(f"invalid value {text!r}: the weights are all zero; {allowed}")
    if not math.isfinite(sum(weights)):
        raise ValueError(f"invalid value {text!r}: the weights are too large to add up; {allowed}")
    return dict(zip(names, weights)) if any(named) else weights


def sweep_preferences(m: int, n: int) -> torch.Tensor:
    """The preferences of ``--sweep n`` for m dimensions (see the module docstring).

    Args:
        m: Number of dimensions (>= 1).
        n: Requested number of preferences (>= 2).

    Returns:
        ``[n, m]`` for m = 2, else ``[K, m]`` with K >= n the smallest Das–Dennis grid.

    Raises:
        ValueError: If ``n < 2`` or ``m < 1``.

    Example:
        >>> from mdpo.cli.generate import sweep_preferences
        >>> sweep_preferences(2, 3).tolist()
        [[0.0, 1.0], [0.5, 0.5], [1.0, 0.0]]
        >>> sweep_preferences(3, 4).shape  # p = 2: 6 points
        torch.Size([6, 3])
    """
    from mdpo.preferences import preference_grid

    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise ValueError(f"n must be an int >= 2, got {n!r}")
    if isinstance(m, bool) or not isinstance(m, int) or m < 1:
        raise ValueError(f"m must be an int >= 1, got {m!r}")
    if m == 1:
        return torch.ones(1, 1)
    p = 1
    while math.comb(p + m - 1, m - 1) < n:
        p += 1
    return preference_grid(m, n - 1 if m == 2 else p)


def _format_lambda(lam: Sequence[float]) -> str:
    return "(" + ", ".join(f"{v:.3g}" for v in lam) + ")"


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("prompts", nargs="+", metavar="PROMPT", help="user message(s)")
    parser.add_argument("--model", required=True, metavar="RUN_DIR", help="a run folder")
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument(
        "--preference",
        action="append",
        type=parsed(parse_preference),
        metavar="W1,W2,...|NAME=W,...",
        help=(
            "comma-separated non-negative weights, one per dimension, or by name "
            "(helpful=1,concise=3; unnamed dimensions get 0); repeatable"
        ),
    )
    sweep = bounded(int, 2, "an integer >= 2")
    spread = "N preferences spread over the simplex"
    choice.add_argument("--sweep", type=sweep, metavar="N", help=spread)
    tokens = "tokens per answer (default 64)"
    parser.add_argument("--max-new-tokens", type=positive_int, default=64, help=tokens)
    parser.add_argument(
        "--temperature",
        type=bounded(float, 0.0, "a number >= 0 (0 = greedy)"),
        default=0.0,
        help="0 = greedy (default), else pure sampling at this temperature",
    )
    parser.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    system = parser.add_mutually_exclusive_group()
    system.add_argument("--system", default=None, metavar="TEXT", help="system prompt")
    system.add_argument(
        "--no-system", action="store_true", help="no system turn (default: the template's)"
    )
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    add_device(parser)


def _resolve_preferences(args: argparse.Namespace, manifest: Any) -> torch.Tensor:
    """The ``[L, m]`` preferences to use.

    Raises:
        CommandError: For a ``--preference`` that does not fit the run's dimensions.
    """
    from mdpo.preferences import check_preference, named_preference

    m, names = manifest.n_dims, ", ".join(manifest.dim_names)
    if args.preference is None:
        return sweep_preferences(m, 3 if args.sweep is None else args.sweep)
    rows = []
    for weights in args.preference:
        if isinstance(weights, dict):
            try:
                weights = named_preference(weights, manifest.dim_names, name="--preference")
            except ValueError as err:
                shown = ",".join(f"{k}={v:g}" for k, v in weights.items())
                raise CommandError(
                    f"argument --preference: invalid value {shown!r}: {err}"
                ) from None
        if len(weights) != m:
            shown = ",".join(f"{w:g}" for w in weights)
            raise CommandError(
                f"argument --preference: invalid value {shown!r}: {len(weights)} weights, but "
                f"the run has m={m} dimensions ({names}); give {m} comma-separated "
                "non-negative weights"
            )
        rows.append(check_preference(weights, m, normalize=True, name="--preference"))
    return torch.stack(rows)


def run(args: argparse.Namespace) -> int:
    """Handle ``mdpo generate``.

    Args:
        args: Parsed arguments.

    Returns:
        0 on success.

    Raises:
        CommandError: On bad input (a non-run folder, a preference of the wrong length or
            one the policy does not support): one error line, exit status 2.
    """
    from mdpo.policies import load_policy, read_run_manifest

    device = check_device(args.device)
    if isinstance(device, str):
        raise CommandError(f"argument --device: {device}")
    try:
        manifest = read_run_manifest(args.model)
    except ValueError as err:
        raise CommandError(f"argument --model: {err}") from None
    prefs = _resolve_preferences(args, manifest)
    try:
        decoding = Decoding(
            max_new_tokens=args.max_new_tokens,
            temperature=float(args.temperature),
            seed=args.seed,
            system=False if args.no_system else args.system,
        )
        policy, tokenizer = load_policy(args.model, device=args.device)
    except (ValueError, TypeError, OSError) as err:
        raise CommandError(
            f"argument --model: cannot load the run {os.fspath(args.model)!r}: {err}"
        ) from None
    supported = policy.supported_preferences
    if supported is not None:
        if args.preference is None:
            prefs = supported
        else:
            for lam in prefs:
                if not policy.supports(lam):
                    allowed = ", ".join(_format_lambda(s.tolist()) for s in supported)
                    raise CommandError(
                        f"argument --preference: {_format_lambda(lam.tolist())} is not "
                        f"supported by this {manifest.method!r} run ({type(policy).__name__}); "
                        f"supported preferences: {allowed}"
                    )
    answers = generate_answers(policy, tokenizer, args.prompts, prefs, decoding)
    report = {
        "run_dir": os.fspath(manifest.run_dir),
        "method": manifest.method,
        "policy": type(policy).__name__,
        "base_model": manifest.base_model,
        "dimension_names": manifest.dim_names,
        "decoding": {**decoding.as_dict(), "batched": bool(getattr(policy, "batched", False))},
        "preferences": prefs.tolist(),
        "results": [
            {
                "prompt": prompt,
                "answers": [
                    {"preference": lam, "text": text} for lam, text in zip(prefs.tolist(), row)
                ],
            }
            for prompt, row in zip(args.prompts, answers)
        ],
    }
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(_render(report))
    return 0


COMMAND = Command(
    "generate",
    help="answer prompts with a trained run at one or several preferences",
    description=(
        "Load the policy of a run folder (run.json) and answer each PROMPT at each "
        "preference, printed side by side. Preferences are normalised: 1,3 is "
        "(0.25, 0.75). --sweep N: N evenly spaced λ for m=2; for m>2 the smallest "
        "Das-Dennis grid with at least N points; for a policy with a finite set of "
        "supported preferences, that set. Default: --sweep 3."
    ),
    options=_options,
    handler=run,
)
add_parser = COMMAND.add_parser


def _render(report: dict[str, Any]) -> str:
    """The human-readable output: one block per prompt, one section per λ."""
    names = report["dimension_names"]
    d = report["decoding"]
    protocol = (
        "greedy" if d["strategy"] == "greedy" else f"sampling T={d['temperature']:g}, no top-k/p"
    )
    lines = [
        f"run: {report['run_dir']} ({report['method']}, {report['policy']}); "
        f"dimensions: {', '.join(names)}",
        f"decoding: {protocol}, max_new_tokens={d['max_new_tokens']}, seed={d['seed']}, "
        f"system: {d['system']}",
    ]
    n = len(report["results"])
    for i, result in enumerate(report["results"], start=1):
        lines += ["", f"=== prompt {i}/{n}: {result['prompt']}"]
        for answer in result["answers"]:
            lam = answer["preference"]
            label = " ".join(f"{name}={v:.2f}" for name, v in zip(names, lam))
            lines += [f"--- λ = {_format_lambda(lam)}  [{label}]", answer["text"] or "(empty)"]
    return "\n".join(lines)
