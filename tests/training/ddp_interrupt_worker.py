"""One rank of ``hiddenlayers train DIR`` under torch.distributed, for tests/training/test_distributed_interrupt.py.

``python ddp_interrupt_worker.py CASES`` with ``RANK``, ``WORLD_SIZE`` and ``MASTER_ADDR`` set (two ranks on loopback, no
torchrun). ``CASES``: a JSON list of runs made one after the other in this process, each ``{"out": OUT, "where": WHERE,
"port": MASTER_PORT, "args": TRAIN_ARGS}``: its own process group (formed at ``port``, destroyed by the command at its end),
``HIDDENLAYERS_RESULT_FILE`` ``OUT/result.json``, and the command's exit status written to ``OUT/exit.RANK``. Before each
run the rank prints ``--- case N ---`` on stderr, so the test reads each run's lines apart; the process exits with the largest
status. (One pair of processes for every case: each start costs two interpreters and their torch and CLI imports.)
Test hooks, in this script only:

* ``WHERE`` ``read:P``: the read of pass ``P``'s first chunk (``ParquetSource.weighted_chunks``, run by the read-ahead thread)
  is slow: the rank writes ``OUT/waiting.RANK`` and waits for ``OUT/go`` (at most 20 s), so the test's SIGINT lands while
  every rank reads; ``step:K``: the same wait before the ``K``-th gradient all-reduce (``GradientSync``), inside a step;
* rank 0 keeps each whole epoch's weights (``OUT/epoch.N.pt``, after the epoch's steps) to compare with the saved model.
"""

from __future__ import annotations

import json
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
    cases = json.loads(sys.argv[1])
    from hiddenlayers.data import ParquetSource
    from hiddenlayers.estimators import _fit_stream
    from hiddenlayers.training import _distributed

    # the run under way: its folder, hook (kind and count) and the calls counted so far
    now: dict[str, Any] = {}

    def wait() -> None:
        (now["out"] / f"waiting.{os.environ['RANK']}").touch()
        deadline = time.monotonic() + 20
        while not (now["out"] / "go").exists() and time.monotonic() < deadline:
            time.sleep(0.01)

    real_chunks, real_sync, real_record = ParquetSource.weighted_chunks, _distributed.GradientSync.__call__, _fit_stream._record_pass

    def slow_chunks(self: Any, units: Any, **kw: Any) -> Any:
        now["calls"] += 1
        slow = now["where"] == "read" and now["calls"] == now["at"]
        for chunk in real_chunks(self, units, **kw):
            if slow:
                slow = False
                wait()
            yield chunk

    def slow_sync(self: Any, grad: Any, weight: Any = None) -> bool:
        now["steps"] += 1
        if now["where"] == "step" and now["steps"] == now["at"]:
            wait()
        return real_sync(self, grad, weight)  # type: ignore[no-any-return]

    def keep_epoch(est: Any, s: Any, history: Any, epoch: int, *args: Any) -> Any:
        if os.environ["RANK"] == "0":
            torch.save({k: v.clone() for k, v in est.network_.state_dict().items()}, now["out"] / f"epoch.{epoch}.pt")
        return real_record(est, s, history, epoch, *args)

    ParquetSource.weighted_chunks = slow_chunks  # type: ignore[method-assign]
    _distributed.GradientSync.__call__ = slow_sync  # type: ignore[method-assign]
    _fit_stream._record_pass = keep_epoch  # type: ignore[assignment]
    from hiddenlayers.cli import main as cli

    worst = 0
    for i, case in enumerate(cases):
        where, at = case["where"].split(":")
        now.update(out=Path(case["out"]), where=where, at=int(at), calls=0, steps=0)
        os.environ.update(MASTER_PORT=str(case["port"]), HIDDENLAYERS_RESULT_FILE=str(now["out"] / "result.json"))
        print(f"--- case {i} ---", file=sys.stderr, flush=True)
        sys.argv = ["hiddenlayers", *case["args"]]
        try:
            cli()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
        sys.stdout.flush()
        sys.stderr.flush()
        (now["out"] / f"exit.{os.environ['RANK']}").write_text(str(code))
        worst = max(worst, code)
    sys.exit(worst)


if __name__ == "__main__":
    main()
