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
import dataclasses
import json
import math
import os
import sys
from collections.abc import Sequence
from typing import Any

import torch

from mdpo.cli._args import bounded, parsed
from mdpo.cli._device import check_device

__all__ = [
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


@dataclasses.dataclass(frozen=True)
class Decoding:
    """The decoding protocol of one ``mdpo generate`` call.

    Args:
        max_new_tokens: Tokens generated per answer (>= 1).
        temperature: 0 for greedy decoding, else the sampling temperature (pure sampling:
            no top-k, no top-p).
        seed: Seed of ``torch``'s generator before each ``generate`` call.
        system: ``None`` (the chat template's default system prompt), a system prompt, or
            ``False`` (no system turn).

    Raises:
        ValueError: If ``max_new_tokens < 1`` or ``temperature`` is negative or not finite.

    Example:
        >>> from mdpo.cli.generate import Decoding
        >>> Decoding(max_new_tokens=8).as_dict()["strategy"]
        'greedy'
    """

    max_new_tokens: int = 64
    temperature: float = 0.0
    seed: int = 0
    system: str | bool | None = None

    def __post_init__(self) -> None:
        if isinstance(self.max_new_tokens, bool) or not isinstance(self.max_new_tokens, int):
            raise TypeError(f"max_new_tokens must be an int >= 1, got {self.max_new_tokens!r}")
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be an int >= 1, got {self.max_new_tokens!r}")
        if not math.isfinite(self.temperature) or self.temperature < 0:
            raise ValueError(
                f"temperature must be a finite number >= 0 (0 = greedy), got {self.temperature!r}"
            )

    @property
    def do_sample(self) -> bool:
        """True when sampling (temperature > 0)."""
        return self.temperature > 0

    def as_dict(self) -> dict[str, Any]:
        """The protocol as recorded in the JSON output.

        Returns:
            ``strategy`` ("greedy" or "sampling"), ``temperature``, ``top_k``, ``top_p``,
            ``max_new_tokens``, ``seed`` and ``system``.
        """
        return {
            "strategy": "sampling" if self.do_sample else "greedy",
            "temperature": self.temperature,
            "top_k": 0 if self.do_sample else None,
            "top_p": 1.0 if self.do_sample else None,
            "max_new_tokens": self.max_new_tokens,
            "seed": self.seed,
            "system": "template default" if self.system is None else self.system,
        }


def _chat_inputs(prompts: Sequence[str], system: str | bool | None) -> tuple[list[Any], Any]:
    """Prompts as chat inputs plus the ``system`` argument of :func:`encode_chats`."""
    if isinstance(system, str):
        convs = [
            [{"role": "system", "content": system}, {"role": "user", "content": p}] for p in prompts
        ]
        return convs, None
    return list(prompts), system


def _left_pad(rows: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(r) for r in rows)
    ids = torch.tensor([[pad_id] * (width - len(r)) + r for r in rows])
    mask = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rows])
    return ids, mask


def _generate_rows(
    policy: Any,
    tokenizer: Any,
    prompts: Sequence[str],
    preferences: torch.Tensor,
    decoding: Decoding,
) -> list[str]:
    """One ``generate`` call: row i answers ``prompts[i]`` at λ ``preferences[i]``.

    ``preferences`` may also be one λ ``[m]`` for all rows.
    """
    from mdpo.models import encode_chats
    from mdpo.policies import MODPolicy, PromptConditionedPolicy

    policy.set_preference(preferences)
    chats, system = _chat_inputs(prompts, decoding.system)
    text_conditioned = isinstance(policy, PromptConditionedPolicy)
    if text_conditioned:
        chats = policy.condition(chats)
    eos_id, pad_id = tokenizer.eos_token_id, tokenizer.pad_token_id
    ids, mask = _left_pad(encode_chats(tokenizer, chats, system=system), pad_id)
    device = next(policy.model.parameters()).device
    ids, mask = ids.to(device), mask.to(device)
    torch.manual_seed(decoding.seed)
    with torch.inference_mode():
        if isinstance(policy, MODPolicy):
            generator = torch.Generator(device=device).manual_seed(decoding.seed)
            out = policy.generate(
                ids,
                mask,
                max_new_tokens=decoding.max_new_tokens,
                do_sample=decoding.do_sample,
                temperature=decoding.temperature if decoding.do_sample else 1.0,
                eos_token_id=eos_id,
                generator=generator,
            )
        else:
            kwargs: dict[str, Any] = {
                "attention_mask": mask,
                "max_new_tokens": decoding.max_new_tokens,
                "do_sample": decoding.do_sample,
                "pad_token_id": pad_id,
                "eos_token_id": eos_id,
            }
            if decoding.do_sample:
                kwargs.update(temperature=decoding.temperature, top_k=0, top_p=1.0)
            generate = policy.model.generate if text_conditioned else policy.generate
            out = generate(ids, **kwargs)
    answers = []
    for row in out[:, ids.shape[1] :].tolist():
        if eos_id is not None and eos_id in row:
            row = row[: row.index(eos_id)]
        answers.append(tokenizer.decode(row, skip_special_tokens=True).strip())
    return answers


def generate_answers(
    policy: Any,
    tokenizer: Any,
    prompts: Sequence[str],
    preferences: torch.Tensor,
    decoding: Decoding,
    *,
    batched: bool | None = None,
) -> list[list[str]]:
    """Answer every prompt at every preference.

    Args:
        policy: A :class:`~mdpo.policies.PreferenceConditionedPolicy` of a language model
            (as :func:`mdpo.policies.load_policy` builds it).
        tokenizer: Its tokenizer (with a chat template).
        prompts: P user messages.
        preferences: ``[L, m]`` preferences, each supported by the policy.
        decoding: The decoding protocol.
        batched: One ``generate`` over all P·L rows with per-row λ; by default when the
            policy is ``batched`` (Panacea, MOD, prompt conditioning). False loops over λ with the
            P prompts batched. Under greedy decoding both give the same answers.

    Returns:
        ``answers[p][l]``: the answer to prompt p at preference l.

    Raises:
        ValueError: If ``batched`` is requested for a policy that takes one λ at a time, or
            a preference is invalid or unsupported.
    """
    prompts = list(prompts)
    lam = preferences.reshape(-1, policy.n_dims)
    n = lam.shape[0]
    if batched is None:
        batched = bool(getattr(policy, "batched", False))
    if batched and not getattr(policy, "batched", False):
        raise ValueError(f"batched=True needs a policy with per-row λ, got {type(policy).__name__}")
    if batched:
        rows = [p for p in prompts for _ in range(n)]
        flat = _generate_rows(policy, tokenizer, rows, lam.repeat(len(prompts), 1), decoding)
        return [flat[i * n : (i + 1) * n] for i in range(len(prompts))]
    columns = [_generate_rows(policy, tokenizer, prompts, row, decoding) for row in lam]
    return [[columns[j][i] for j in range(n)] for i in range(len(prompts))]


def _format_lambda(lam: Sequence[float]) -> str:
    return "(" + ", ".join(f"{v:.3g}" for v in lam) + ")"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``generate`` subcommand.

    Args:
        subparsers: The dispatcher's ``add_subparsers()`` object.

    Returns:
        The ``generate`` parser.
    """
    parser = subparsers.add_parser(
        "generate",
        help="answer prompts with a trained run at one or several preferences",
        description=(
            "Load the policy of a run folder (run.json) and answer each PROMPT at each "
            "preference, printed side by side. Preferences are normalised: 1,3 is "
            "(0.25, 0.75). --sweep N: N evenly spaced λ for m=2; for m>2 the smallest "
            "Das-Dennis grid with at least N points; for a policy with a finite set of "
            "supported preferences, that set. Default: --sweep 3."
        ),
    )
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
    choice.add_argument(
        "--sweep",
        type=bounded(int, 2, "an integer >= 2"),
        metavar="N",
        help="N preferences spread over the simplex",
    )
    parser.add_argument(
        "--max-new-tokens",
        type=bounded(int, 1, "an integer >= 1"),
        default=64,
        help="tokens per answer (default 64)",
    )
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
    parser.add_argument("--device", default=None, help="torch device (default: CPU)")
    parser.set_defaults(handler=run)
    return parser


def _error(flag: str | None, message: str) -> int:
    prefix = f"argument {flag}: " if flag else ""
    print(f"mdpo generate: error: {prefix}{message}", file=sys.stderr)
    return 2


def _resolve_preferences(args: argparse.Namespace, manifest: Any) -> torch.Tensor | str:
    """The ``[L, m]`` preferences to use, or an error message for ``--preference``."""
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
                return f"invalid value {shown!r}: {err}"
        if len(weights) != m:
            shown = ",".join(f"{w:g}" for w in weights)
            return (
                f"invalid value {shown!r}: {len(weights)} weights, but the run has m={m} "
                f"dimensions ({names}); give {m} comma-separated non-negative weights"
            )
        rows.append(check_preference(weights, m, normalize=True, name="--preference"))
    return torch.stack(rows)


def run(args: argparse.Namespace) -> int:
    """Handle ``mdpo generate``.

    Args:
        args: Parsed arguments.

    Returns:
        0 on success, 2 on bad input (a non-run folder, a preference of the wrong length or
        one the policy does not support).
    """
    from mdpo.policies import load_policy, read_run_manifest

    device = check_device(args.device)
    if isinstance(device, str):
        return _error("--device", device)
    try:
        manifest = read_run_manifest(args.model)
    except ValueError as err:
        return _error("--model", str(err))
    prefs = _resolve_preferences(args, manifest)
    if isinstance(prefs, str):
        return _error("--preference", prefs)
    try:
        decoding = Decoding(
            max_new_tokens=args.max_new_tokens,
            temperature=float(args.temperature),
            seed=args.seed,
            system=False if args.no_system else args.system,
        )
        policy, tokenizer = load_policy(args.model, device=args.device)
    except (ValueError, TypeError, OSError) as err:
        return _error("--model", f"cannot load the run {os.fspath(args.model)!r}: {err}")
    supported = policy.supported_preferences
    if supported is not None:
        if args.preference is None:
            prefs = supported
        else:
            for lam in prefs:
                if not policy.supports(lam):
                    allowed = ", ".join(_format_lambda(s.tolist()) for s in supported)
                    return _error(
                        "--preference",
                        f"{_format_lambda(lam.tolist())} is not supported by this "
                        f"{manifest.method!r} run ({type(policy).__name__}); supported "
                        f"preferences: {allowed}",
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
