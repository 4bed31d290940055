"""Requests queued together into one :class:`MicroBatcher` in this process (no server): what each gets, and how many passes ran."""

from __future__ import annotations

import asyncio
from typing import Any

from hiddenlayers.ship._batcher import MicroBatcher


class _Counted:
    """``model`` with its ``predict`` calls counted (rows per call), so a test sees whether a request was run twice."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.calls: list[int] = []

    def predict(self, rows: list[Any], proba: bool) -> list[Any]:
        self.calls.append(len(rows))
        return self.model.predict(rows, proba)  # type: ignore[no-any-return]


def batched(model: Any, requests: list[list[Any]], proba: bool = False) -> tuple[list[Any], list[tuple[int, int]], list[int]]:
    """Each request's outcome (its answer, or the exception it gets), the batches as (rows, requests), the rows of each ``predict`` call.

    All the requests are queued before the batcher's task runs, so they share one batch.
    """
    counted = _Counted(model)
    batches: list[tuple[int, int]] = []

    async def go() -> list[Any]:
        b = MicroBatcher(on_batch=lambda n, k: batches.append((n, k)))
        b.start()
        try:
            return await asyncio.gather(*(b.submit(counted, r, proba) for r in requests), return_exceptions=True)
        finally:
            await b.drain()

    return asyncio.run(go()), batches, counted.calls
