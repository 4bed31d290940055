"""Lens benchmarks: recording overhead, CKA timing, full report time.

Run: ``.venv/bin/python benchmarks/bench_lens.py``. Prints medians and ratios.
Goals (issue 4): recording every hidden layer at batch 1,024 on
100->256->128->64->10 costs <= 1.2x a plain forward; the full report for
10,000 rows and 4 hidden layers takes < 30 s on 2 cores.
"""

from __future__ import annotations

import statistics
import time
import warnings
from collections.abc import Callable

import numpy as np
import torch


def median_time(fn: Callable[[], object], repeats: int = 30, warmup: int = 5) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def bench_recording() -> None:
    from hiddenlayers import Network
    from hiddenlayers.lens import record, recording

    torch.manual_seed(0)
    net = Network(100, "256,128,64", 10).eval()
    x = torch.randn(1024, 100)

    def plain() -> object:
        with torch.inference_mode():
            return net(x)

    def hooked() -> object:
        with torch.inference_mode(), recording(net, pre=False) as rec:
            net(x)
        return rec.outputs

    def hooked_pre() -> object:
        with torch.inference_mode(), recording(net) as rec:
            net(x)
        return rec.outputs

    # Interleave the three so background load on shared cores hits them alike.
    t_plain, t_hook, t_pre = [], [], []
    for _ in range(9):
        t_plain.append(median_time(plain, 30))
        t_hook.append(median_time(hooked, 30))
        t_pre.append(median_time(hooked_pre, 30))
    # The fastest round's median of each: the least disturbed by other work on shared cores.
    p, h, hp = min(t_plain), min(t_hook), min(t_pre)
    print("recording, 100->256->128->64->10, batch 1024")
    print(f"  plain forward            {p * 1e3:8.3f} ms")
    print(f"  hooks, outputs only      {h * 1e3:8.3f} ms   x{h / p:.2f}  (goal <= 1.2)")
    print(f"  hooks, + pre-activations {hp * 1e3:8.3f} ms   x{hp / p:.2f}")
    X = np.random.default_rng(0).normal(size=(10_000, 100)).astype(np.float32)
    r = median_time(lambda: record(net, X, stream=True, sample=1), 5, 1)
    print(f"  record(), 10,000 rows, streaming statistics: {r * 1e3:.1f} ms")


def bench_cka() -> None:
    from hiddenlayers.lens import cka

    rng = np.random.default_rng(0)
    A, B = rng.normal(size=(1000, 256)), rng.normal(size=(1000, 128))
    At, Bt = torch.from_numpy(A), torch.from_numpy(B)
    print("linear CKA, 1,000 rows, 256 x 128 features")
    for unbiased in (False, True):
        t = median_time(lambda u=unbiased: cka(At, Bt, unbiased=u), 30, 3)
        print(f"  {'unbiased' if unbiased else 'biased  '}  {t * 1e3:8.3f} ms")


def bench_report() -> None:
    import hiddenlayers as hl
    from hiddenlayers.lens import GradientFlow, report

    rng = np.random.default_rng(0)
    n, d = 10_000, 20
    X = rng.normal(size=(n, d)).astype(np.float32)
    y = (X[:, :3].sum(1) + 0.5 * np.sin(X[:, 3] * 2) > 0).astype(int) + (X[:, 4] > 1).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        clf = hl.MLPClassifier((128, 64, 32, 16), max_iter=10, random_state=0, callbacks=[GradientFlow(X[:512])]).fit(X, y)
        fit_s = time.perf_counter() - t
        t = time.perf_counter()
        rep = report(clf, X, y)
        html = rep.html
        rep_s = time.perf_counter() - t
    print(f"full report, {n:,} rows, 4 hidden layers (128,64,32,16): {rep_s:.1f} s (goal < 30 s); page {len(html) / 1e6:.2f} MB")
    print("  cumulative by stage: " + ", ".join(f"{k} {v:.1f}s" for k, v in rep.timings.items()))
    print(f"  (training 10 epochs with GradientFlow took {fit_s:.1f} s)")


if __name__ == "__main__":
    torch.set_num_threads(min(2, torch.get_num_threads()))
    import sys

    parts = sys.argv[1:] or ["recording", "cka", "report"]
    for part in parts:
        {"recording": bench_recording, "cka": bench_cka, "report": bench_report}[part]()
