"""Adaptive micro-batching: requests that arrive together share one forward pass.

One asyncio task takes *whatever is queued right now* (up to ``max_batch``
rows), runs it in a worker thread as one forward pass per (model, endpoint),
answers every request, and repeats. While a pass runs, new requests queue up
and form the next batch, so batches grow with the load by themselves and a
lone request is never kept waiting for others. ``max_wait_us`` adds an
optional wait for more rows, taken only when the previous batch held several
requests (there is load to wait for), never for a request that comes alone.

Each request carries the model that was current when it was accepted, so a
reload never changes the model under a request already in the queue.

A pass that fails is retried request by request, so one request's failure is
its own; a pass that fails only some rows (:class:`RowFailures`, e.g. one
client's huge value making its output infinite) answers every request from
its own rows at once, with no retry.
"""

from __future__ import annotations

import asyncio
import collections
import time
from abc import ABCMeta, abstractmethod
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol


class Runner(Protocol):
    def predict(self, rows: list[list[Any]], proba: bool) -> list[Any]: ...


class Overloaded(RuntimeError):
    """The queue is full (or the server is draining): answer 503 at once rather than queue forever."""


class RowFailures(Exception, metaclass=ABCMeta):
    """Raised by a :class:`Runner`'s ``predict`` when a pass answered some rows and failed others (e.g. a non-finite output).

    The batcher then answers each request from :meth:`split` of its own rows
    instead of re-running the requests one by one: one client's bad rows fail
    only that client's request, at the cost of no second forward pass.
    """

    @abstractmethod
    def split(self, start: int, stop: int) -> tuple[bool, Any]:
        """``(True, answers)`` for the pass's rows ``start:stop`` when none failed, else ``(False, the request's exception)``."""


@dataclass
class _Job:
    model: Runner
    rows: list[list[Any]]
    proba: bool
    future: asyncio.Future[list[Any]] = field(repr=False)


class MicroBatcher:
    """Queue requests and answer them in batches from one task.

    Parameters
    ----------
    max_batch
        Most rows in one forward pass (a larger single request runs alone).
    max_wait_us
        Extra wait for a batch to fill, in microseconds; 0 (the default in
        the CLI) never waits. Only taken under load (see the module docstring).
    max_queue
        Most requests waiting; past it :meth:`submit` raises :class:`Overloaded`.
    on_batch
        Called with (rows, requests) after each forward pass (metrics).
    """

    def __init__(self, *, max_batch: int = 256, max_wait_us: int = 0, max_queue: int = 2048, on_batch: Any = None) -> None:
        if max_batch < 1 or max_wait_us < 0 or max_queue < 1:
            raise ValueError(f"max_batch and max_queue must be >= 1 and max_wait_us >= 0. Received: {max_batch}, {max_queue}, {max_wait_us}.")
        self.max_batch, self.max_wait, self.max_queue = max_batch, max_wait_us / 1e6, max_queue
        self.on_batch = on_batch
        self._queue: collections.deque[_Job] = collections.deque()
        self._wake = asyncio.Event()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hl-forward")
        self._task: asyncio.Task[None] | None = None
        self._last_requests = 0
        self.closing = False
        self.busy = False

    @property
    def depth(self) -> int:
        """Requests waiting (not counting the batch being computed)."""
        return len(self._queue)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop())

    async def submit(self, model: Runner, rows: list[list[Any]], proba: bool) -> list[Any]:
        """Queue ``rows`` for ``model`` and wait for their answers (exceptions of the pass are raised here)."""
        if self.closing:
            raise Overloaded("the server is shutting down: retry on another instance.")
        if len(self._queue) >= self.max_queue:
            raise Overloaded(f"the server is overloaded ({len(self._queue)} requests queued): retry later.")
        fut: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        self._queue.append(_Job(model, rows, proba, fut))
        self._wake.set()
        return await fut

    async def drain(self) -> None:
        """Refuse new requests, answer every queued one, then stop the task and the thread."""
        self.closing = True
        while self._queue or self.busy:
            await asyncio.sleep(0.001)
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        self._pool.shutdown(wait=True)

    def _take(self) -> tuple[list[_Job], int]:
        batch, n = [self._queue.popleft()], 0
        n = len(batch[0].rows)
        while self._queue and n + len(self._queue[0].rows) <= self.max_batch:
            job = self._queue.popleft()
            batch.append(job)
            n += len(job.rows)
        return batch, n

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if not self._queue:
                self._wake.clear()
                await self._wake.wait()
            self.busy = True
            try:
                batch, n = self._take()
                if self.max_wait and self._last_requests > 1 and n < self.max_batch:
                    deadline = time.perf_counter() + self.max_wait
                    while n < self.max_batch and (left := deadline - time.perf_counter()) > 0:
                        self._wake.clear()
                        try:
                            await asyncio.wait_for(self._wake.wait(), left)
                        except TimeoutError:
                            break
                        while self._queue and n + len(self._queue[0].rows) <= self.max_batch:
                            job = self._queue.popleft()
                            batch.append(job)
                            n += len(job.rows)
                        if self._queue:  # the next one does not fit: go now
                            break
                batch = [j for j in batch if not j.future.done()]  # a client that left needs no answer
                if batch:
                    results = await loop.run_in_executor(self._pool, _run, batch)
                    for job, (ok, value) in zip(batch, results):
                        if not job.future.done():
                            (job.future.set_result if ok else job.future.set_exception)(value)
                    if self.on_batch is not None:
                        self.on_batch(n, len(batch))
                self._last_requests = len(batch)
            finally:
                self.busy = False


def _run(batch: list[_Job]) -> list[tuple[bool, Any]]:
    """One forward pass per (model, endpoint) group of ``batch``; a failing group is retried request by request.

    A :class:`RowFailures` is no failure of the whole pass: each request is answered from its own rows of it, without a retry.
    """
    out: list[tuple[bool, Any]] = [(False, None)] * len(batch)
    groups: dict[tuple[int, bool], list[int]] = {}
    for i, job in enumerate(batch):
        groups.setdefault((id(job.model), job.proba), []).append(i)
    for idx in groups.values():
        first = batch[idx[0]]
        rows = [r for i in idx for r in batch[i].rows] if len(idx) > 1 else first.rows
        try:
            res = first.model.predict(rows, first.proba)
        except RowFailures as failed:  # each request contributed known rows: answer it from them, no second pass
            start = 0
            for i in idx:
                k = len(batch[i].rows)
                out[i] = failed.split(start, start + k)
                start += k
            continue
        except Exception:
            if len(idx) == 1:
                out[idx[0]] = (False, _exc())
                continue
            for i in idx:  # find out whose rows failed: each request alone
                try:
                    out[i] = (True, batch[i].model.predict(batch[i].rows, batch[i].proba))
                except Exception:
                    out[i] = (False, _exc())
            continue
        start = 0
        for i in idx:
            k = len(batch[i].rows)
            out[i] = (True, res[start:start + k])
            start += k
    return out


def _exc() -> BaseException:
    import sys

    exc = sys.exc_info()[1]
    assert exc is not None
    return exc


__all__ = ["MicroBatcher", "Overloaded", "RowFailures"]
