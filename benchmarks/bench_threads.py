"""How many torch threads small convolutional and recurrent fits should use on this machine.

    python benchmarks/bench_threads.py [--repeats 3]

Each case trains the same network, seed and rows with torch set to 1 and to
every core (``training``'s thread rule switched off), and as shipped (every
core offered, the rule deciding), first on an otherwise idle machine, then
with one background process keeping one core busy (a shared machine: another
user's job, a second fit). It prints the median seconds per fit, the ratio
all cores / 1 thread (above 1: one thread is faster) and the forward
multiply-adds per batch, which is what the rule reads
(``training._loop.SMALL_BATCH_MACS``).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import time
import warnings

import numpy as np
import torch

import hiddenlayers as hl
from hiddenlayers.training import _loop, _macs


def _spin(stop: mp.synchronize.Event) -> None:
    x = 0
    while not stop.is_set():
        x += 1


def _cases() -> list[tuple[str, object, np.ndarray, np.ndarray]]:
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    imgs = (X / 16.0).astype(np.float32).reshape(-1, 8, 8)
    rng = np.random.default_rng(0)
    big = rng.random((2000, 28, 28), dtype=np.float32)
    ybig = rng.integers(0, 10, 2000)
    return [
        ("CNN conv32,pool,conv64,pool,128 on 8x8, batch 32", hl.ImageClassifier("conv32k3:same,pool2,conv64k3:same,pool2,128", max_iter=3, batch_size=32, early_stopping=False, random_state=0), imgs, y),
        ("CNN 3 convs on 8x8, batch 32", hl.ImageClassifier("conv32k3:same,conv32k3:same,pool2,conv64k3:same,pool2,128", max_iter=3, batch_size=32, early_stopping=False, random_state=0), imgs, y),
        ("CNN conv32,pool,conv64,pool,128 on 28x28, batch 128", hl.ImageClassifier("conv32k3:same,pool2,conv64k3:same,pool2,128", max_iter=1, batch_size=128, early_stopping=False, random_state=0), big, ybig),
    ]


def _macs_per_batch(model: object, X: np.ndarray) -> float:
    """The forward multiply-adds of one batch, counted as the thread rule counts them."""
    net = model.network_  # type: ignore[attr-defined]
    sample = torch.as_tensor(X[:1]).unsqueeze(1) if X.ndim == 3 else torch.as_tensor(X[:1])
    return _macs.row_macs_of(net, sample.to(next(net.parameters()).dtype)) * model.batch_size


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    repeats = args.repeats
    warnings.simplefilter("ignore")
    cores = os.cpu_count() or 1
    print(f"machine: {cores} CPUs, torch {torch.__version__}; median of {args.repeats} fits per cell")
    print(f"| case | MACs per batch | idle: 1 thread / {cores} threads / as shipped, s | ratio | busy: 1 thread / {cores} threads / as shipped, s | ratio |")
    print("|---|---|---|---|---|---|")
    rule = _loop._one_thread_pays
    for name, model, X, y in _cases():
        cells = []
        for busy in (False, True):
            stop = mp.Event()
            spinner = mp.Process(target=_spin, args=(stop,)) if busy else None
            if spinner is not None:
                spinner.start()
            try:
                for threads, shipped in ((1, False), (cores, False), (cores, True)):
                    torch.set_num_threads(threads)
                    _loop._one_thread_pays = rule if shipped else (lambda *a, **k: False)
                    times = []
                    for _ in range(repeats):
                        t = time.perf_counter()
                        model.fit(X, y)  # type: ignore[attr-defined]
                        times.append(time.perf_counter() - t)
                    cells.append(float(np.median(times)))
            finally:
                _loop._one_thread_pays = rule
                if spinner is not None:
                    stop.set()
                    spinner.join()
        macs = _macs_per_batch(model, X)
        idle, busy_ = cells[:3], cells[3:]
        print(f"| {name} | {macs / 1e6:.1f} M | {' / '.join(f'{v:.2f}' for v in idle)} | {idle[1] / idle[0]:.2f} | "
              f"{' / '.join(f'{v:.2f}' for v in busy_)} | {busy_[1] / busy_[0]:.2f} |", flush=True)


if __name__ == "__main__":
    main()
