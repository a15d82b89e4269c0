"""Where a suite's (task, method, seed) runs execute: in this process, or on a Ray cluster.

:func:`mdpo.benchmarks.runner.run_suite` decides which runs are due (the others resume from
their part files), hands them to an executor as :class:`Job` objects and writes each part file
itself, atomically, as results come back, so resuming works the same with either executor.

- ``sequential``: one run after the other in this process; the tasks (and a language model's
  weights and data) are built once and shared by every method.
- ``ray``: every run is a Ray task (``pip install 'mdpo[ray]'``). A worker builds the task it
  needs once per worker process and keeps it for the next run of the same task. Runs are
  seeded from their (seed, method, ...) alone, so the results equal the sequential ones.
  ``address=None`` starts a local Ray on this machine; ``"auto"`` or ``"ray://host:10001"``
  joins a cluster. The output folder must be on a file system every worker can write
  (language-model runs save their adapters under ``DIR/runs``); part files, results and the
  report are written by the driver.
"""

from __future__ import annotations

import dataclasses
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

__all__ = ["EXECUTORS", "Job", "Outcome", "RayExecutor", "SequentialExecutor", "make_executor"]

EXECUTORS = ("sequential", "ray")
"""Executor names accepted by ``mdpo bench run --executor``."""


@dataclasses.dataclass(frozen=True)
class Job:
    """One (task, method, seed) run, everything a worker needs to compute it.

    Attributes:
        label: ``task/method/seed<k>``.
        task_cfg: The task's :class:`~mdpo.benchmarks.config.TaskConfig`.
        method: The :class:`~mdpo.benchmarks.config.MethodConfig`.
        suite: The :class:`~mdpo.benchmarks.config.SuiteConfig`.
        seed: The seed.
        out: The output folder.
    """

    label: str
    task_cfg: Any
    method: Any
    suite: Any
    seed: int
    out: Path


@dataclasses.dataclass
class Outcome:
    """What a run returned: its part (a dict) or the error that stopped it.

    Attributes:
        job: The job.
        part: The result part, None on failure.
        error: ``"Type: message"`` on failure.
        traceback: The formatted traceback on failure.
    """

    job: Job
    part: dict[str, Any] | None = None
    error: str | None = None
    traceback: str | None = None


def _compute(job: Job, task: Any) -> Outcome:
    from mdpo.benchmarks.runner import run_job

    try:
        return Outcome(job, part=run_job(job, task))
    except Exception as err:
        return Outcome(job, error=f"{type(err).__name__}: {err}", traceback=traceback.format_exc())


class SequentialExecutor:
    """Runs the jobs one after the other in this process, on tasks built once."""

    name = "sequential"

    def run(
        self, jobs: Sequence[Job], tasks: dict[str, Any], over_budget: Callable[[], bool]
    ) -> Iterator[Outcome | Job]:
        """Compute the jobs in order.

        Args:
            jobs: The runs due.
            tasks: ``{task name: built task}``.
            over_budget: True once no new run may start.

        Yields:
            An :class:`Outcome` per computed job, or the :class:`Job` itself when it was
            left for lack of time.
        """
        for job in jobs:
            if over_budget():
                yield job
                continue
            yield _compute(job, tasks[job.task_cfg.name])


_WORKER_TASKS: dict[str, Any] = {}
"""Tasks a Ray worker process has built, by a key of the task's configuration."""


def _worker(job: Job, threads: int | None) -> Outcome:
    """A Ray task's body: build (or reuse) the task in this worker and compute the job."""
    import json

    import torch

    if threads is not None:
        torch.set_num_threads(threads)
    key = json.dumps(dataclasses.asdict(job.task_cfg), sort_keys=True, default=str)
    if key not in _WORKER_TASKS:
        _WORKER_TASKS.clear()  # one task's model at a time in a worker
        _WORKER_TASKS[key] = job.task_cfg.build()
    return _compute(job, _WORKER_TASKS[key])


class RayExecutor:
    """Sends every job to Ray as one task; results come back as they finish.

    Args:
        address: Ray cluster address (``"auto"``, ``"ray://host:10001"``), or None to start
            a local Ray (or use the one already initialised in this process).
        threads: Torch threads per run; also the CPUs each Ray task reserves.
        gpus: GPUs each run reserves (e.g. 1 for suites with ``device: cuda``); Ray then
            runs at most as many at once as the cluster has GPUs for, and sets
            ``CUDA_VISIBLE_DEVICES`` for each.

    Raises:
        ImportError: If Ray is not installed (``pip install 'mdpo[ray]'``).
        ValueError: If ``gpus`` is negative or not a number.
    """

    name = "ray"

    def __init__(
        self, address: str | None = None, threads: int | None = 1, gpus: float = 0.0
    ) -> None:
        if isinstance(gpus, bool) or not isinstance(gpus, int | float) or not 0 <= gpus < 1e6:
            raise ValueError(f"gpus must be a number >= 0 of GPUs per run, got {gpus!r}")
        try:
            import ray
        except ImportError as err:
            raise ImportError(
                "the ray executor needs Ray: pip install 'mdpo[ray]' (or pip install ray)"
            ) from err
        self._ray = ray
        self.address = address
        self.threads = threads
        self.gpus = float(gpus)
        self._started = False

    def _init(self) -> None:
        ray = self._ray
        if not ray.is_initialized():
            if self.address is None:
                ray.init(include_dashboard=False, log_to_driver=False)
            else:
                ray.init(address=self.address, log_to_driver=False)
            self._started = True

    def run(
        self, jobs: Sequence[Job], tasks: dict[str, Any], over_budget: Callable[[], bool]
    ) -> Iterator[Outcome | Job]:
        """Compute the jobs on Ray, at most as many at once as the cluster has CPUs for.

        Args:
            jobs: The runs due.
            tasks: Unused (workers build their own tasks).
            over_budget: True once no new run may start.

        Yields:
            An :class:`Outcome` per computed job (in the order they finish), or the
            :class:`Job` itself when it was left for lack of time.
        """
        del tasks
        if not jobs:
            return
        self._init()
        ray = self._ray
        cpus = max(1, int(self.threads or 1))
        remote = ray.remote(num_cpus=cpus, num_gpus=self.gpus)(_worker)
        resources = ray.cluster_resources()
        capacity = max(1, int(resources.get("CPU", 1)) // cpus)
        if self.gpus > 0:
            capacity = min(capacity, max(1, int(resources.get("GPU", 0) / self.gpus)))
        pending = list(jobs)
        running: dict[Any, Job] = {}
        try:
            while pending or running:
                while pending and len(running) < capacity:
                    job = pending.pop(0)
                    if over_budget():
                        yield job
                        continue
                    running[remote.remote(job, self.threads)] = job
                if not running:
                    continue
                done, _ = ray.wait(list(running), num_returns=1)
                for ref in done:
                    job = running.pop(ref)
                    try:
                        yield ray.get(ref)
                    except Exception as err:  # the worker itself died
                        yield Outcome(
                            job,
                            error=f"{type(err).__name__}: {err}",
                            traceback=traceback.format_exc(),
                        )
        finally:
            for ref in running:
                ray.cancel(ref)
            if self._started:
                ray.shutdown()
                self._started = False


def make_executor(
    name: str, *, address: str | None = None, threads: int | None = 1, gpus: float = 0.0
) -> SequentialExecutor | RayExecutor:
    """The executor called ``name``.

    Args:
        name: One of :data:`EXECUTORS`.
        address: The Ray address (``ray`` only).
        threads: Torch threads per run.
        gpus: GPUs per run (``ray`` only).

    Raises:
        ValueError: If ``name`` is unknown, or an address or GPUs are given to the
            sequential one.
    """
    if name not in EXECUTORS:
        raise ValueError(f"executor must be one of {list(EXECUTORS)}, got {name!r}")
    if name == "sequential":
        for field, value, unset in (("address", address, None), ("gpus", gpus, 0.0)):
            if value != unset:
                raise ValueError(
                    f"{field} applies to the ray executor only, got {field}={value!r} with "
                    "executor 'sequential'"
                )
        return SequentialExecutor()
    return RayExecutor(address, threads, gpus)
