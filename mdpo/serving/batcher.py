"""Batching across requests: concurrent requests share one decoding batch.

The :class:`Batcher` holds a queue of :class:`~mdpo.serving.decode.Row`. A worker takes the
first waiting row, waits up to ``batch_wait_ms`` for more (up to ``max_batch_size``), decodes
them together in a worker thread (:func:`~mdpo.serving.decode.decode`), and resolves each
request with its own answer. The model runs on one thread at a time; the event loop stays
free to accept requests and stream pieces meanwhile.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from .decode import Completion, Row

__all__ = ["Batcher", "QueueFullError"]


class QueueFullError(RuntimeError):
    """More requests are waiting than the server takes."""


@dataclasses.dataclass
class _Job:
    row: Row
    future: asyncio.Future[Completion]


class Batcher:
    """Collect rows from concurrent requests into batches for one decoding function.

    Args:
        decode: ``decode(rows) -> completions``, run in a worker thread.
        max_batch_size: Most rows per batch (>= 1).
        batch_wait_ms: How long the first row of a batch waits for others.
        max_queue: Most rows waiting; :meth:`submit` raises :class:`QueueFullError` beyond.

    Attributes:
        batch_sizes: The size of every batch decoded so far (for statistics and tests).
    """

    def __init__(
        self,
        decode: Callable[[Sequence[Row]], list[Completion]],
        *,
        max_batch_size: int = 8,
        batch_wait_ms: float = 10.0,
        max_queue: int = 256,
    ) -> None:
        self._decode = decode
        self.max_batch_size = max_batch_size
        self.batch_wait_s = batch_wait_ms / 1000.0
        self.max_queue = max_queue
        self.batch_sizes: list[int] = []
        self._queue: asyncio.Queue[_Job] | None = None
        self._task: asyncio.Task[None] | None = None
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None

    async def start(self) -> None:
        """Start the worker on the running event loop."""
        self._queue = asyncio.Queue()
        self._executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="mdpo-decode")
        self._task = asyncio.create_task(self._work())

    async def stop(self) -> None:
        """Stop the worker; waiting requests fail with ``RuntimeError``."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        while self._queue is not None and not self._queue.empty():
            job = self._queue.get_nowait()
            if not job.future.done():
                job.future.set_exception(RuntimeError("the server is shutting down"))
        if self._executor is not None:
            self._executor.shutdown(wait=True)

    async def submit(self, row: Row) -> Completion:
        """Queue a row and wait for its answer.

        Args:
            row: The request.

        Returns:
            Its completion.

        Raises:
            QueueFullError: If ``max_queue`` rows are already waiting.
            RuntimeError: If the batcher is not started.
            Exception: Whatever decoding the batch raised.
        """
        if self._queue is None:
            raise RuntimeError("the batcher is not started; call start() first")
        if self._queue.qsize() >= self.max_queue:
            raise QueueFullError(f"{self._queue.qsize()} requests are waiting; try again later")
        future: asyncio.Future[Completion] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Job(row, future))
        return await future

    async def _collect(self) -> list[_Job]:
        """The next batch: the first waiting row plus those that arrive within the window."""
        assert self._queue is not None
        jobs = [await self._queue.get()]
        if self._queue.qsize() < self.max_batch_size - 1 and self.batch_wait_s > 0:
            await asyncio.sleep(self.batch_wait_s)
        while len(jobs) < self.max_batch_size and not self._queue.empty():
            jobs.append(self._queue.get_nowait())
        # A request whose client went away is not decoded.
        return [job for job in jobs if not job.future.done()]

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            jobs = await self._collect()
            if not jobs:
                continue
            self.batch_sizes.append(len(jobs))
            try:
                results: Any = await loop.run_in_executor(
                    self._executor, self._decode, [job.row for job in jobs]
                )
            except Exception as err:  # handed to every waiting request
                for job in jobs:
                    if not job.future.done():
                        job.future.set_exception(err)
                continue
            for job, result in zip(jobs, results):
                if not job.future.done():
                    job.future.set_result(result)
