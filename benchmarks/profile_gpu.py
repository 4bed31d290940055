"""Where a GPU fit's time goes: the kernels of the big MLP's graph-replayed steps, and the host side of a fit at scale.

1. Big MLP (80k x 100 -> (256, 128) -> 10, adam, batch 256): torch.profiler over
   one epoch after a warm fit; prints the CUDA kernels by total time, and
   kernels per step.
2. At scale (1M x 256 -> (2048, 2048, 1024) -> 10, batch 4096, 1 epoch): cProfile
   of a whole fit; prints the host functions by cumulative time.
Usage (on a CUDA machine): python benchmarks/profile_gpu.py [--part big|scale]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time

import numpy as np
import torch
from torch.profiler import ProfilerActivity, profile

import hiddenlayers as hl


def big_mlp() -> None:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((80_000, 100), dtype=np.float32)
    y = rng.integers(0, 10, 80_000)
    kw = dict(hidden_layer_sizes=(256, 128), batch_size=256, tol=0.0, n_iter_no_change=10**6, device="cuda", random_state=0)
    hl.MLPClassifier(**kw, max_iter=2).fit(X, y)
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        hl.MLPClassifier(**kw, max_iter=1).fit(X, y)
        torch.cuda.synchronize()
    steps = -(-80_000 // 256)
    events = [e for e in prof.key_averages() if e.device_type.name == "CUDA"]
    total = sum(e.self_device_time_total for e in events)
    print(f"big MLP, one epoch of {steps} steps: {total / steps:.1f} us of kernels a step, "
          f"{sum(e.count for e in events) / steps:.1f} kernels a step")
    for e in sorted(events, key=lambda e: -e.self_device_time_total)[:25]:
        print(f"  {e.self_device_time_total / steps:7.2f} us/step  {e.count / steps:5.2f}/step  {e.key[:110]}")


def at_scale() -> None:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((1_000_000, 256), dtype=np.float32)
    y = rng.integers(0, 10, 1_000_000)
    kw = dict(hidden_layer_sizes=(2048, 2048, 1024), batch_size=4096, tol=0.0, n_iter_no_change=10**6, device="cuda", random_state=0)
    hl.MLPClassifier(**kw, max_iter=1).fit(X[:100_000], y[:100_000])
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    t_copy = time.perf_counter()
    torch.as_tensor(X, device="cuda")
    torch.cuda.synchronize()
    print(f"\nat scale: a plain host-to-GPU copy of X (1 GB, pageable): {time.perf_counter() - t_copy:.3f} s")
    pr = cProfile.Profile()
    t0 = time.perf_counter()
    pr.enable()
    m = hl.MLPClassifier(**kw, max_iter=1).fit(X, y)
    torch.cuda.synchronize()
    pr.disable()
    print(f"whole fit {time.perf_counter() - t0:.3f} s, loop {m.history_.time[-1]:.3f} s")
    pstats.Stats(pr, stream=sys.stdout).sort_stats("cumulative").print_stats(30)


def main() -> None:
    ap = argparse.ArgumentParser(description="Where a GPU fit's time goes (needs a CUDA GPU).")
    ap.add_argument("--part", choices=("big", "scale"), help="profile one part (default: both)")
    args = ap.parse_args()
    if not torch.cuda.is_available():
        sys.exit("profile_gpu: no CUDA GPU here; run it on a machine with one.")
    if args.part in (None, "big"):
        big_mlp()
    if args.part in (None, "scale"):
        at_scale()


if __name__ == "__main__":
    main()
