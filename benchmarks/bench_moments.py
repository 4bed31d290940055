"""The streaming statistics pass (``ParquetSource.scan``) with the target's moments summed by a BLAS dot, as before, or by numpy's sum.

``data.Moments.add`` runs on every batch of every pass (the target's weighted mean and
variance). It summed with ``np.dot``, which OpenBLAS spreads over its threads for a long
vector: on a 2-core machine that spin-waiting cost ~10x the CPU of numpy's own pairwise
sum, most of the pass. Both sides run in this process, alternated, on one generated file
(``--dir``, never committed; reused when present), with the library's default threads;
CPU seconds (``time.process_time``, pyarrow's and OpenBLAS's threads included) and wall
seconds, medians over ``--repeats``. Run: ``python benchmarks/bench_moments.py``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np


def dot_add(self, values: np.ndarray, weights: np.ndarray | None = None) -> None:  # type: ignore[no-untyped-def]
    """``Moments.add`` as it was (np.dot), the peer."""
    y = np.asarray(values, dtype=np.float64).ravel()
    w = np.ones_like(y) if weights is None else np.asarray(weights, dtype=np.float64).ravel()
    wb = float(w.sum())
    if not wb > 0:
        return
    with np.errstate(invalid="ignore", over="ignore"):
        mb = float(np.dot(w, y) / wb)
        m2b = float(np.dot(w, (y - mb) ** 2))
    total = self.weight + wb
    delta = mb - self._mean
    self._mean += delta * (wb / total)
    self._m2 += m2b + delta * delta * (self.weight * wb / total)
    self.weight = total


def generate(path: str, rows: int, features: int = 16, per_group: int = 131_072) -> None:
    """``rows`` rows of float32 features and a float target, in row groups of ``per_group``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    tmp = path + ".part"
    schema = pa.schema([*(pa.field(f"x{i}", pa.float32()) for i in range(features)), pa.field("y", pa.float64())])
    with pq.ParquetWriter(tmp, schema) as wr:
        for start in range(0, rows, per_group):
            X = rng.normal(size=(min(per_group, rows - start), features)).astype(np.float32)
            cols = {f"x{i}": X[:, i] for i in range(features)}
            wr.write_table(pa.table({**cols, "y": X.sum(axis=1).astype(np.float64)}), row_group_size=per_group)
    os.replace(tmp, path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--dir", default="/tmp/hl_bench_moments")
    args = ap.parse_args()
    from hiddenlayers.data import Moments, ParquetSource

    os.makedirs(args.dir, exist_ok=True)
    path = os.path.join(args.dir, f"regression_{args.rows}.parquet")
    if not os.path.exists(path):
        generate(path, args.rows)
    ours = Moments.add
    sides = {"np.dot (before)": dot_add, "numpy sum (now)": ours}
    cpu: dict[str, list[float]] = {k: [] for k in sides}
    wall: dict[str, list[float]] = {k: [] for k in sides}
    means = {}
    for _ in range(args.repeats):
        for name, add in sides.items():
            Moments.add = add  # type: ignore[method-assign]
            src = ParquetSource(path, target="y")
            c, t = time.process_time(), time.perf_counter()
            scan = src.scan()
            cpu[name].append(time.process_time() - c)
            wall[name].append(time.perf_counter() - t)
            means[name] = scan.target_moments.mean if scan.target_moments is not None else float("nan")
    Moments.add = ours  # type: ignore[method-assign]
    print(f"statistics pass of {args.rows:,} rows ({os.path.getsize(path) / 1e6:.0f} MB), medians of {args.repeats}:")
    for name in sides:
        print(f"  {name:16s} CPU {statistics.median(cpu[name]):6.2f} s  wall {statistics.median(wall[name]):6.2f} s  target mean {means[name]:.12g}")
    a, b = (statistics.median(cpu[k]) for k in sides)
    aw, bw = (statistics.median(wall[k]) for k in sides)
    print(f"now / before: CPU {b / a:.2f}, wall {bw / aw:.2f}")


if __name__ == "__main__":
    main()
