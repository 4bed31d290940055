"""Several processes on one machine: `hiddenlayers train DIR --workers N` (PyTorch DDP, gloo), N = 1 and 2.

Each process gets one thread (OMP/MKL/OpenBLAS = 1), so N processes use N cores.
The data is a folder of Parquet files the script writes to --dir (never
committed). Each measurement is a whole command run: process start, torch
import, the streaming preprocessing pass, ``--epochs`` epochs and the rank-0
save. The fixed part is estimated by a 1-epoch run and subtracted, so the
figures below are per extra epoch: rows/s per training epoch, and the scaling
efficiency = (rows/s with N) / (N x rows/s with 1).

Usage: python benchmarks/bench_ddp.py [--rows 400000] [--epochs 4] [--repeats 2] [--batch 256]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

FEATURES, CLASSES = 32, 10


def write_data(folder: str, rows: int, files: int = 8) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(0)
    w = rng.normal(size=(FEATURES, CLASSES))
    per = rows // files
    for i in range(files):
        X = rng.normal(size=(per, FEATURES)).astype(np.float32)
        y = np.argmax(X @ w + rng.normal(0, 1.0, size=(per, CLASSES)), axis=1).astype(np.int32)
        cols = {f"x{j}": X[:, j] for j in range(FEATURES)}
        pq.write_table(pa.table({**cols, "y": y}), os.path.join(folder, f"part{i}.parquet"), row_group_size=per // 4)


def run(folder: str, out: str, workers: int, epochs: int, batch: int) -> float:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "hiddenlayers", "train", folder, "--target", "y", "--hidden", "256,128", "--batch-size", str(batch),
           "--epochs", str(epochs), "--no-early-stopping", "-q", "--force", "--out", out, "--workers", str(workers)]
    t = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    if proc.returncode:
        raise SystemExit(f"workers={workers} failed: {proc.stderr.strip()[-500:]}")
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=400_000)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--batch", type=int, default=256, help="global batch (each of N processes takes batch / N rows a step)")
    ap.add_argument("--dir", default="/tmp/hl_bench_ddp")
    args = ap.parse_args()
    data = os.path.join(args.dir, "data")
    if not os.path.isdir(data):
        write_data(data, args.rows)
    out = os.path.join(args.dir, "model.safetensors")
    print(f"{args.rows:,} rows x {FEATURES} features in 8 Parquet files; hidden (256, 128), adam, batch {args.batch} (global), "
          f"one thread per process; {os.cpu_count()} CPUs")
    per_epoch: dict[int, list[float]] = {1: [], 2: []}
    for r in range(args.repeats):  # alternate, so a slow spell of the host hits both
        for n in (1, 2):
            base = run(data, out, n, 1, args.batch)
            full = run(data, out, n, args.epochs, args.batch)
            per_epoch[n].append((full - base) / (args.epochs - 1))
            print(f"  round {r + 1}, {n} process(es): 1 epoch {base:.1f} s, {args.epochs} epochs {full:.1f} s -> {per_epoch[n][-1]:.2f} s per epoch")
    rate = {n: args.rows / statistics.median(v) for n, v in per_epoch.items()}
    print(f"median rows/s per epoch: 1 process {rate[1]:,.0f}, 2 processes {rate[2]:,.0f}")
    print(f"speed-up {rate[2] / rate[1]:.2f}x, scaling efficiency {rate[2] / (2 * rate[1]):.0%}")


if __name__ == "__main__":
    main()
