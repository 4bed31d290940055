"""Time one partial_fit of a small batch (64 x 32) on a (256, 128) MLP, with and without the failed-refit restore.

Calls alternate (with, without) on the same estimator so the machine's load drifts evenly over both;
also times the restore helper alone (enter + exit, no error). CPU time of this thread, medians.
Usage: OMP_NUM_THREADS=1 python benchmarks/bench_restore.py HISTORY_EPOCHS CALLS  (e.g. 0 200, then 2000 100)
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from typing import Any

import numpy as np
import torch

import hiddenlayers as hl
from hiddenlayers.estimators import _mlp_base


def _no_restore(*args: Any, **kwargs: Any) -> contextlib.AbstractContextManager[None]:
    return contextlib.nullcontext()


def _us(times: list[float]) -> float:
    return statistics.median(times) * 1e6


def main(epochs: int, calls: int) -> None:
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 32)).astype(np.float32)
    y = rng.integers(0, 3, 64)
    guard, clock = _mlp_base.restored_on_error, time.thread_time
    est = hl.MLPClassifier((256, 128), random_state=0)
    est.partial_fit(X, y, classes=[0, 1, 2])
    for _ in range(epochs):  # a streamed fit's history: one row per partial_fit
        est.partial_fit(X, y)
    history = len(est.history_)  # each timed call adds one more
    with_t, without_t, helper_t = [], [], []
    try:
        for _ in range(calls):
            _mlp_base.restored_on_error = guard
            t = clock()
            est.partial_fit(X, y)
            with_t.append(clock() - t)
            _mlp_base.restored_on_error = _no_restore  # type: ignore[assignment]
            t = clock()
            est.partial_fit(X, y)
            without_t.append(clock() - t)
            t = clock()
            with guard(est):
                pass
            helper_t.append(clock() - t)
    finally:
        _mlp_base.restored_on_error = guard
    print(f"history {history:>5} epochs at the start, {calls} calls each: partial_fit with restore {_us(with_t):7.0f} us, "
          f"without {_us(without_t):7.0f} us; the helper alone {_us(helper_t):7.0f} us")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description="partial_fit with and without the failed-refit restore.")
    ap.add_argument("history_epochs", nargs="?", type=int, default=0,
                    help="partial_fit calls made first, so the model carries that long a history (default 0)")
    ap.add_argument("calls", nargs="?", type=int, default=200, help="timed calls each way (default 200)")
    args = ap.parse_args()
    main(args.history_epochs, args.calls)
