"""Wall time of :func:`mdpo.metrics.hypervolume` for m = 2, 3, 5 and 10 at n = 100.

Run ``python -m mdpo.benchmarks.perf.metrics [--out FILE.json]``. The points lie on the
positive unit sphere (mutually non-dominated), the reference point is the protocol's -0.1.
Each call is timed against its backend called directly on the same arrays in the same process
(pymoo's ``HV`` for m <= 5, ``moocore.hv_approx`` beyond), interleaved, and the medians and
their ratio are printed; the ratio is the cost of input conversion and validation.
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from mdpo.metrics import REF_MARGIN, hypervolume, hypervolume_method
from mdpo.metrics.hypervolume import backend_hypervolume

__all__ = ["main", "run", "sphere_points"]


def sphere_points(n: int, m: int, *, seed: int = 0) -> np.ndarray:
    """``n`` points drawn uniformly on the positive part of the unit sphere in R^m.

    Args:
        n: Number of points.
        m: Number of objectives.
        seed: Seed of the numpy generator.

    Returns:
        A float64 array ``[n, m]`` of mutually non-dominated points with unit norm.
    """
    x = np.abs(np.random.default_rng(seed).standard_normal((n, m)))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _time(fn: Callable[[], float]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run(
    ms: Sequence[int] = (2, 3, 5, 10), n: int = 100, repeats: int = 5, seed: int = 0
) -> list[dict[str, Any]]:
    """Time :func:`hypervolume` and its backend, interleaved, for each m.

    Args:
        ms: Numbers of objectives.
        n: Number of points.
        repeats: Timed repetitions per m (after one warm-up call each).
        seed: Seed of the points.

    Returns:
        One row per m: ``m``, ``n``, the method description of
        :func:`~mdpo.metrics.hypervolume_method`, ``hypervolume``, ``median_s``,
        ``backend_median_s`` and ``ratio`` (mdpo / backend).
    """
    rows = []
    for m in ms:
        points = sphere_points(n, m, seed=seed)
        ref = np.full(m, -REF_MARGIN)
        info = hypervolume_method(m)
        ours = functools.partial(hypervolume, points, ref)
        peer = functools.partial(backend_hypervolume, points, ref, info)
        value = ours()
        peer()  # warm-up (imports, caches)
        t_ours, t_peer = [], []
        for _ in range(repeats):
            t_ours.append(_time(ours))
            t_peer.append(_time(peer))
        med, peer_med = statistics.median(t_ours), statistics.median(t_peer)
        rows.append(
            {
                "m": m,
                "n": n,
                **info,
                "hypervolume": value,
                "median_s": med,
                "backend_median_s": peer_med,
                "ratio": med / peer_med if peer_med > 0 else float("nan"),
            }
        )
    return rows


def main(argv: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Command-line entry point: print the table and optionally write JSON.

    Args:
        argv: Arguments (default: ``sys.argv[1:]``).

    Returns:
        The rows of :func:`run`.
    """
    parser = argparse.ArgumentParser(prog="python -m mdpo.benchmarks.perf.metrics")
    parser.add_argument("--m", type=int, nargs="+", default=[2, 3, 5, 10], help="objectives")
    parser.add_argument("--n", type=int, default=100, help="points per set")
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats per m")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="write the rows as JSON here")
    args = parser.parse_args(argv)
    for name in ("n", "repeats"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be >= 1, got {getattr(args, name)}")
    if any(m < 1 for m in args.m):
        parser.error(f"--m values must be >= 1, got {args.m}")
    rows = run(args.m, args.n, args.repeats, args.seed)
    print(f"hypervolume, n = {args.n}, median of {args.repeats} (backend called directly)")
    print(f"{'m':>3} {'method':<28} {'HV':>10} {'mdpo ms':>9} {'backend ms':>10} {'ratio':>6}")
    for r in rows:
        how = r["method"] if r["method"] == "exact" else f"mc {r['approx_method']} {r['n_samples']}"
        print(
            f"{r['m']:>3} {how:<28} {r['hypervolume']:>10.6f} {1e3 * r['median_s']:>9.2f} "
            f"{1e3 * r['backend_median_s']:>10.2f} {r['ratio']:>6.2f}"
        )
    if args.out is not None:
        from mdpo._io import atomic_write_json

        payload = {
            "benchmark": "mdpo.metrics.hypervolume",
            "points": "uniform on the positive unit sphere",
            "ref_point": -REF_MARGIN,
            "repeats": args.repeats,
            "seed": args.seed,
            "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count()},
            "versions": {pkg: version(pkg) for pkg in ("mdpo", "pymoo", "moocore", "numpy")},
            "rows": rows,
        }
        atomic_write_json(args.out, payload)
        print(f"wrote {args.out}")
    return rows


if __name__ == "__main__":
    main()
