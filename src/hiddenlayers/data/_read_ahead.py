"""Read the next chunk while the network trains on this one.

A streamed epoch alternates reading (Parquet decoding, preprocessing) and
training. Both mostly run in NumPy, pyarrow and BLAS calls that release the
GIL, so one background thread that reads ahead overlaps them: on two cores the
small-network fit (one BLAS thread) and the reader each get a core.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

_DONE = object()


class _Failed:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def read_ahead(items: Iterable[T], depth: int = 2) -> Iterator[T]:
    """The items of ``items`` in order, produced by a background thread up to ``depth`` ahead.

    An error in the producer is raised here, at the item where it happened. If the consumer stops early (an error in
    training, ``break``), the producer stops at its next item: nothing keeps running or holding memory.

    Parameters
    ----------
    items : iterable
        What the thread produces.
    depth : int
        Items produced ahead of the consumer.
    """
    if depth < 1:
        raise ValueError(f"depth must be an integer >= 1. Received: depth={depth!r}.")
    out: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                out.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            put(_Failed(exc))
            return
        put(_DONE)

    worker = threading.Thread(target=produce, name="hiddenlayers-read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            item = out.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.exc
            yield item
    finally:
        stop.set()
        worker.join(timeout=5)
