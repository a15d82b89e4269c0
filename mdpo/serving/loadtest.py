"""A load test of ``mdpo serve`` on the loopback: batched against one-at-a-time serving.

``python -m mdpo.serving.loadtest RUN_DIR`` loads the run once and serves it twice, in turn,
on 127.0.0.1: once one request at a time (``max_batch_size`` 1) and once with batching
across requests. Each time it sends the same requests (prompts cycled, λ drawn uniformly
from the simplex, a share of them sampled with their own seed) from ``concurrency``
concurrent clients, and reports requests/s and latency percentiles. Every batched answer is
compared with the one-at-a-time answer to the same request: a lost or mixed-up answer shows
as a mismatch. The count and the time are bounded (``--requests``, ``--timeout``).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

__all__ = ["load_test", "main", "workload"]

DEFAULT_PROMPTS = (
    "How do I keep basil alive on a windowsill?",
    "Explain what a hash table is.",
    "Give me tips for a first marathon.",
    "Why is the sky blue?",
    "How should I prepare for a job interview?",
    "What is a good way to learn a new language?",
)


def workload(
    n: int, dim_names: Sequence[str], *, max_tokens: int, sampled_share: float = 0.25, seed: int = 0
) -> list[dict[str, Any]]:
    """The request bodies: prompts cycled, λ uniform on the simplex, some sampled.

    Args:
        n: Number of requests (>= 1).
        dim_names: The run's dimension names.
        max_tokens: ``max_tokens`` of every request.
        sampled_share: Share of requests decoded by sampling (temperature 0.8, own seed).
        seed: Seed of the draws.

    Returns:
        ``n`` JSON bodies for ``POST /v1/chat/completions``.

    Raises:
        ValueError: If ``n < 1`` or ``sampled_share`` is outside [0, 1].
    """
    from mdpo.preferences import sample_preferences

    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be an int >= 1, got {n!r}")
    if not 0 <= sampled_share <= 1:
        raise ValueError(f"sampled_share must be in [0, 1], got {sampled_share!r}")
    lams = sample_preferences(n, len(dim_names), generator=torch.Generator().manual_seed(seed))
    every = math.inf if sampled_share == 0 else 1 / sampled_share
    return [
        {
            "messages": [{"role": "user", "content": DEFAULT_PROMPTS[i % len(DEFAULT_PROMPTS)]}],
            "preference": [round(v, 6) for v in lams[i].tolist()],
            "max_tokens": max_tokens,
            "temperature": 0.8 if i % every < 1 and sampled_share > 0 else 0.0,
            "seed": i,
        }
        for i in range(n)
    ]


async def _drive(url: str, bodies: list[dict[str, Any]], concurrency: int, timeout: float) -> Any:
    import httpx

    results: list[Any] = [None] * len(bodies)
    latencies: list[float] = [math.nan] * len(bodies)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(len(bodies)):
        queue.put_nowait(i)

    async def client(http: Any) -> None:
        while not queue.empty():
            i = queue.get_nowait()
            start = time.perf_counter()
            response = await http.post("/v1/chat/completions", json=bodies[i])
            latencies[i] = time.perf_counter() - start
            if response.status_code == 200:
                results[i] = response.json()["choices"][0]["message"]["content"]
            else:
                results[i] = {"status": response.status_code, "body": response.text}

    start = time.perf_counter()
    async with httpx.AsyncClient(base_url=url, timeout=timeout) as http:
        await asyncio.wait_for(asyncio.gather(*(client(http) for _ in range(concurrency))), timeout)
    return results, latencies, time.perf_counter() - start


def _stats(latencies: list[float], elapsed: float, batch_sizes: list[int]) -> dict[str, Any]:
    lat = np.asarray(latencies) * 1000
    return {
        "requests_per_s": len(latencies) / elapsed,
        "elapsed_s": elapsed,
        "latency_ms": {f"p{q}": float(np.percentile(lat, q)) for q in (50, 90, 99)}
        | {"mean": float(lat.mean())},
        "batches": len(batch_sizes),
        "mean_batch_size": float(np.mean(batch_sizes)) if batch_sizes else 0.0,
        "max_batch_size_seen": max(batch_sizes, default=0),
    }


def load_test(
    policy: Any,
    tokenizer: Any,
    *,
    requests: int = 48,
    concurrency: int = 8,
    max_tokens: int = 32,
    max_batch_size: int = 8,
    batch_wait_ms: float = 10.0,
    timeout: float = 600.0,
    seed: int = 0,
) -> dict[str, Any]:
    """Serve ``policy`` one request at a time, then batched, under the same load.

    Args:
        policy: A loaded policy (:func:`mdpo.policies.load_policy`).
        tokenizer: Its tokenizer.
        requests: Number of requests per phase.
        concurrency: Concurrent clients.
        max_tokens: ``max_tokens`` of each request.
        max_batch_size: Batch size of the batched phase.
        batch_wait_ms: Batching window of the batched phase.
        timeout: Seconds each phase may take at most.
        seed: Seed of the workload.

    Returns:
        A dict with ``one_at_a_time`` and ``batched`` (requests/s, latency percentiles,
        batch sizes), ``speedup``, ``answers`` (``total``, ``identical``, ``lost``,
        ``mismatched``, ``distinct``) and ``settings``.

    Raises:
        TimeoutError: If a phase takes longer than ``timeout``.
    """
    from .app import create_app
    from .background import serve_in_background
    from .protocol import ServingLimits

    bodies = workload(requests, policy.dim_names, max_tokens=max_tokens, seed=seed)
    phases: dict[str, Any] = {}
    answers: dict[str, list[Any]] = {}
    for name, batch in (("one_at_a_time", 1), ("batched", max_batch_size)):
        limits = ServingLimits(
            max_tokens=max_tokens,
            max_batch_size=batch,
            batch_wait_ms=batch_wait_ms if batch > 1 else 0.0,
            max_queue=max(256, requests),
        )
        app = create_app(policy, tokenizer, model_id="loadtest", limits=limits)
        with serve_in_background(app) as url:
            results, latencies, elapsed = asyncio.run(_drive(url, bodies, concurrency, timeout))
        answers[name] = results
        phases[name] = _stats(latencies, elapsed, app.state.batcher.batch_sizes)
    reference, batched = answers["one_at_a_time"], answers["batched"]
    lost = sum(not isinstance(a, str) for a in batched)
    identical = sum(isinstance(a, str) and a == r for a, r in zip(batched, reference))
    return {
        **phases,
        "speedup": phases["batched"]["requests_per_s"] / phases["one_at_a_time"]["requests_per_s"],
        "answers": {
            "total": requests,
            "identical": identical,
            "lost": lost,
            "mismatched": requests - identical - lost,
            "distinct": len({a for a in batched if isinstance(a, str)}),
        },
        "settings": {
            "requests": requests,
            "concurrency": concurrency,
            "max_tokens": max_tokens,
            "max_batch_size": max_batch_size,
            "batch_wait_ms": batch_wait_ms,
            "threads": torch.get_num_threads(),
            "seed": seed,
        },
    }


def _table(report: dict[str, Any]) -> str:
    lines = [
        "| serving | requests/s | p50 ms | p90 ms | p99 ms | mean batch |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in ("one_at_a_time", "batched"):
        s = report[name]
        lat = s["latency_ms"]
        lines.append(
            f"| {name.replace('_', ' ')} | {s['requests_per_s']:.2f} | {lat['p50']:.0f} | "
            f"{lat['p90']:.0f} | {lat['p99']:.0f} | {s['mean_batch_size']:.1f} |"
        )
    a = report["answers"]
    lines.append("")
    lines.append(
        f"speedup ×{report['speedup']:.2f}; answers identical to one-at-a-time: "
        f"{a['identical']}/{a['total']} (lost {a['lost']}, mismatched {a['mismatched']})"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m mdpo.serving.loadtest RUN_DIR [--requests N] ...``.

    Args:
        argv: Arguments; ``sys.argv[1:]`` when None.

    Returns:
        0 when every answer matched, 1 when some were lost or mismatched, 2 on bad input.
    """
    parser = argparse.ArgumentParser(
        prog="python -m mdpo.serving.loadtest", description=__doc__.splitlines()[0]
    )
    parser.add_argument("run_dir", metavar="RUN_DIR")
    parser.add_argument("--requests", type=int, default=48)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--max-batch-size", type=int, default=8)
    parser.add_argument("--batch-wait-ms", type=float, default=10.0)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--device", default=None)
    parser.add_argument("--json", metavar="PATH", help="also write the report as JSON")
    parser.add_argument("--markdown", metavar="PATH", help="also write the table as Markdown")
    args = parser.parse_args(argv)
    for name in ("requests", "concurrency", "max_tokens", "max_batch_size"):
        if getattr(args, name) < 1:
            parser.error(f"argument --{name.replace('_', '-')}: must be >= 1")
    from mdpo._io import atomic_write, atomic_write_json
    from mdpo.policies import load_policy

    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        policy, tokenizer = load_policy(args.run_dir, device=args.device)
    except (ValueError, OSError) as err:
        parser.error(f"argument RUN_DIR: cannot load the run {args.run_dir!r}: {err}")
    report = load_test(
        policy,
        tokenizer,
        requests=args.requests,
        concurrency=args.concurrency,
        max_tokens=args.max_tokens,
        max_batch_size=args.max_batch_size,
        batch_wait_ms=args.batch_wait_ms,
        timeout=args.timeout,
    )
    report["run_dir"] = args.run_dir
    print(_table(report))
    if args.json:
        atomic_write_json(args.json, report)
    if args.markdown:
        settings = report["settings"]
        header = (
            f"{settings['requests']} requests, {settings['concurrency']} concurrent clients, "
            f"max_tokens {settings['max_tokens']}, batches of up to "
            f"{settings['max_batch_size']} (wait {settings['batch_wait_ms']:g} ms), "
            f"{settings['threads']} torch threads.\n\n"
        )
        text = header + _table(report) + "\n"
        atomic_write(args.markdown, lambda fh: fh.write(text), binary=False)
    answers = report["answers"]
    return 0 if answers["lost"] == 0 and answers["mismatched"] == 0 else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
