"""The host work of a large fit before its first step, beside what a plain PyTorch loop does first.

    python benchmarks/bench_fit_setup.py [--rows 1000000] [--features 256] [--device cpu|cuda] [--repeats 5]

``MLPClassifier((2048, 2048, 1024)).fit(X, y)`` on ``rows x features`` float32
and ten integer classes, timed from the call until the loop's first hook
(``on_train_begin``, after input checks, labels, initialisation, the copy to
the device and the optimizer's set-up), where a callback stops it. The plain
loop's first work: ``torch.as_tensor`` of X and y on the device, an
``nn.Sequential`` of the same layers with PyTorch's default init, and a
(fused, on CUDA) Adam. On CUDA both include the host-to-device copy of X.
Prints the median seconds of each and the ratio; the part by part split of
ours comes from cProfile of one more fit.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time

import numpy as np
import torch

import hiddenlayers as hl
from hiddenlayers.training import Callback

HIDDEN = (2048, 2048, 1024)


class _Started(Exception):
    pass


class _StopAtFirstHook(Callback):
    def on_train_begin(self, **kwargs: object) -> None:
        raise _Started


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def ours(X: np.ndarray, y: np.ndarray, device: str) -> float:
    model = hl.MLPClassifier(HIDDEN, batch_size=4096, max_iter=1, random_state=0, device=device, callbacks=[_StopAtFirstHook()])
    t0 = time.perf_counter()
    try:
        model.fit(X, y)
    except _Started:
        pass
    _sync(device)
    return time.perf_counter() - t0


def plain(X: np.ndarray, y: np.ndarray, device: str) -> float:
    t0 = time.perf_counter()
    Xg = torch.as_tensor(X, device=device)
    yg = torch.as_tensor(y, dtype=torch.long, device=device)
    layers, width = [], X.shape[1]
    for h in HIDDEN:
        layers += [torch.nn.Linear(width, h), torch.nn.ReLU()]
        width = h
    model = torch.nn.Sequential(*layers, torch.nn.Linear(width, int(y.max()) + 1)).to(device)
    torch.optim.Adam(model.parameters(), lr=1e-3, fused=device == "cuda")
    _sync(device)
    del Xg, yg
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--features", type=int, default=256)
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    X = rng.standard_normal((args.rows, args.features), dtype=np.float32)
    y = rng.integers(0, 10, args.rows)
    ours(X[:1000], y[:1000], args.device)  # imports, kernels and allocator warm
    plain(X[:1000], y[:1000], args.device)
    times: dict[str, list[float]] = {"hiddenlayers": [], "plain PyTorch": []}
    for _ in range(args.repeats):  # interleaved, so both see the same machine
        times["hiddenlayers"].append(ours(X, y, args.device))
        times["plain PyTorch"].append(plain(X, y, args.device))
    print(f"{args.rows} x {args.features} float32, {HIDDEN}, device {args.device}; median of {args.repeats}")
    med = {k: statistics.median(v) for k, v in times.items()}
    for k, v in times.items():
        print(f"  {k:14s} {med[k]:.3f} s   ({', '.join(f'{t:.3f}' for t in v)})")
    print(f"  ours / plain: {med['hiddenlayers'] / med['plain PyTorch']:.2f}x, {med['hiddenlayers'] - med['plain PyTorch']:+.3f} s")
    pr = cProfile.Profile()
    pr.enable()
    ours(X, y, args.device)
    pr.disable()
    print("\nwhere ours goes (cProfile, one more fit, cumulative):")
    pstats.Stats(pr, stream=sys.stdout).sort_stats("cumulative").print_stats(r"hiddenlayers|validation|_label|multiclass|uniform|as_tensor", 18)


if __name__ == "__main__":
    main()
