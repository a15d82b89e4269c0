"""``mdpo bench run SUITE_OR_CONFIG --out DIR``, ``mdpo bench report DIR``, ``mdpo bench list``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from mdpo.cli._args import Command, add_lock_timeout, add_trust_remote_code

__all__ = ["COMMAND", "add_parser"]


def _options(parser: argparse.ArgumentParser) -> None:
    """The ``run``, ``report`` and ``list`` actions of ``mdpo bench``."""
    actions = parser.add_subparsers(dest="bench_command", metavar="ACTION")
    run = actions.add_parser(
        "run",
        help="run (or resume) a suite",
        description=(
            "Train and evaluate every (task, method, seed) of a suite. Finished runs are kept "
            "in DIR/parts and skipped on a re-run; writes DIR/results.json, DIR/report.md and "
            "PNG plots."
        ),
    )
    run.add_argument("suite", help="a built-in suite name (quick, bandit10, ...) or a YAML file")
    run.add_argument("--out", required=True, help="output directory")
    run.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    run.add_argument(
        "--threads", type=int, default=1, help="torch threads (default 1: fastest for tiny models)"
    )
    run.add_argument(
        "--time-budget",
        type=float,
        default=None,
        metavar="SECONDS",
        help="start no new run after this many seconds; the finished ones are reported and a "
        "re-run resumes the rest",
    )
    add_lock_timeout(run, "an output folder")
    run.add_argument(
        "--allow-suite-change",
        action="store_true",
        help="run into a folder made by another suite, replacing its results and report",
    )
    add_trust_remote_code(run, "the suite")
    run.add_argument(
        "--executor",
        choices=["sequential", "ray"],
        default="sequential",
        help="where the runs execute: this process (default) or one Ray task per run "
        "(pip install 'mdpo[ray]'; same results)",
    )
    run.add_argument(
        "--ray-address",
        default=None,
        metavar="ADDRESS",
        help="Ray cluster to join ('auto', 'ray://host:10001'); default: a local Ray",
    )
    run.add_argument(
        "--gpus-per-run",
        type=float,
        default=0.0,
        metavar="N",
        help="GPUs each run reserves on Ray (e.g. 1 for suites with device: cuda)",
    )
    run.set_defaults(handler=_run, command_name="bench run")
    report = actions.add_parser(
        "report",
        help="re-write report.md and the plots of a run directory",
        description="Re-write DIR/report.md and the PNG plots from DIR/results.json.",
    )
    report.add_argument("dir", help="a run directory holding results.json")
    add_lock_timeout(report, "a folder")
    report.set_defaults(handler=_report, command_name="bench report")
    listing = actions.add_parser(
        "list",
        help="list the built-in suites",
        description="List the built-in suites, one line each: name and what it runs.",
    )
    listing.set_defaults(handler=_list, command_name="bench list")
    parser.set_defaults(handler=lambda args: _help(parser))


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _run(args: argparse.Namespace) -> int:
    from mdpo._paths import check_output_dir
    from mdpo.benchmarks.config import load_suite
    from mdpo.benchmarks.report import format_table
    from mdpo.benchmarks.runner import run_suite
    from mdpo.cli._errors import CommandError

    if args.threads is not None and args.threads < 1:
        raise CommandError(f"--threads must be >= 1, got {args.threads}")
    if args.time_budget is not None and not 0 < args.time_budget < float("inf"):
        raise CommandError(f"--time-budget must be > 0 seconds, got {args.time_budget}")
    for flag, given in (("--ray-address", args.ray_address), ("--gpus-per-run", args.gpus_per_run)):
        if given and args.executor != "ray":
            raise CommandError(f"{flag} applies to --executor ray, got --executor {args.executor}")
    if not 0 <= args.gpus_per_run < 1e6:
        raise CommandError(f"--gpus-per-run must be a number >= 0, got {args.gpus_per_run}")
    check_output_dir(args.out, "--out")
    suite = load_suite(args.suite, trust_remote_code=args.trust_remote_code)
    summary = run_suite(
        suite,
        args.out,
        progress=not args.no_progress,
        threads=args.threads,
        time_budget=args.time_budget,
        lock_timeout=args.lock_timeout,
        allow_suite_change=args.allow_suite_change,
        executor=args.executor,
        address=args.ray_address,
        gpus_per_run=args.gpus_per_run,
    )
    _print_tables(Path(args.out), format_table)
    for label, reason in summary.stale.items():
        print(f"RECOMPUTED {label} (its stored result was stale: {reason})", file=sys.stderr)
    for label in summary.failed:
        print(f"FAILED {label} (see {Path(args.out) / 'failures.json'})", file=sys.stderr)
    for label in summary.skipped:
        print(f"NOT STARTED {label} (time budget; re-run to resume)", file=sys.stderr)
    print(summary.line(suite.name))
    return 0 if summary.ok else 1


def _print_tables(out: Path, format_table: Any) -> None:
    import json

    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    for name, task in results["tasks"].items():
        if task["methods"]:
            print(f"\n{name} (m = {task['n_dims']})\n{format_table(task)}")
    print()


def _list(args: argparse.Namespace) -> int:
    from mdpo.benchmarks.config import suite_summaries

    summaries = suite_summaries()
    width = max(len(name) for name in summaries)
    for name, line in summaries.items():
        print(f"{name:<{width}}  {line}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from mdpo._lock import folder_lock
    from mdpo.benchmarks.report import write_report

    folder = Path(args.dir)
    if not (folder / "results.json").is_file():
        raise ValueError(f"{args.dir!r} is not a run folder: it holds no results.json")
    with folder_lock(folder, "mdpo bench report", timeout=args.lock_timeout):
        path = write_report(folder)
    print(f"wrote {path}")
    return 0


COMMAND = Command(
    "bench",
    help="run benchmark suites and write their reports",
    description="Run a benchmark suite (built-in name or YAML file) or re-write a report.",
    options=_options,
)
add_parser = COMMAND.add_parser
