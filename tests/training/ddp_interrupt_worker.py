"""One rank of ``hiddenlayers train DIR`` under torch.distributed, for tests/training/test_distributed_interrupt.py.

``python ddp_interrupt_worker.py OUT WHERE TRAIN_ARGS...`` with ``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR`` and ``MASTER_PORT``
set (two ranks on loopback, no torchrun). Test hooks, in this script only:

* ``WHERE`` ``read:P``: the read of pass ``P``'s first chunk (``ParquetSource.weighted_chunks``, run by the read-ahead thread)
  is slow: the rank writes ``OUT/waiting.RANK`` and waits for ``OUT/go`` (at most 20 s), so the test's SIGINT lands while
  every rank reads; ``step:K``: the same wait before the ``K``-th gradient all-reduce (``GradientSync``), inside a step;
* rank 0 keeps each whole epoch's weights (``OUT/epoch.N.pt``, after the epoch's steps) to compare with the saved model.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import torch


def main() -> None:
    # a pytest-xdist worker ignores SIGINT, and a child started from it inherits SIG_IGN (Python then installs no
    # KeyboardInterrupt handler): give this rank what a terminal's Ctrl-C reaches, Python's default handler
    signal.signal(signal.SIGINT, signal.default_int_handler)
    torch.set_num_threads(1)
    out, (where, at), argv = Path(sys.argv[1]), sys.argv[2].split(":"), sys.argv[3:]
    from hiddenlayers.data import ParquetSource
    from hiddenlayers.estimators import _fit_stream
    from hiddenlayers.training import _distributed

    def wait() -> None:
        (out / f"waiting.{os.environ['RANK']}").touch()
        deadline = time.monotonic() + 20
        while not (out / "go").exists() and time.monotonic() < deadline:
            time.sleep(0.01)

    real_chunks, real_sync, calls, steps = ParquetSource.weighted_chunks, _distributed.GradientSync.__call__, [0], [0]

    def slow_chunks(self: Any, units: Any, **kw: Any) -> Any:
        calls[0] += 1
        slow = where == "read" and calls[0] == int(at)
        for chunk in real_chunks(self, units, **kw):
            if slow:
                slow = False
                wait()
            yield chunk

    def slow_sync(self: Any, grad: Any, weight: Any = None) -> bool:
        steps[0] += 1
        if where == "step" and steps[0] == int(at):
            wait()
        return real_sync(self, grad, weight)  # type: ignore[no-any-return]

    real_record = _fit_stream._record_pass

    def keep_epoch(est: Any, s: Any, history: Any, epoch: int, *args: Any) -> Any:
        if os.environ["RANK"] == "0":
            torch.save({k: v.clone() for k, v in est.network_.state_dict().items()}, out / f"epoch.{epoch}.pt")
        return real_record(est, s, history, epoch, *args)

    ParquetSource.weighted_chunks = slow_chunks  # type: ignore[method-assign]
    _distributed.GradientSync.__call__ = slow_sync  # type: ignore[method-assign]
    _fit_stream._record_pass = keep_epoch  # type: ignore[assignment]
    from hiddenlayers.cli import main as cli

    sys.argv = ["hiddenlayers", *argv]
    cli()


if __name__ == "__main__":
    main()
