"""Training from a Parquet file larger than memory: peak RSS and throughput against in memory.

Generates ``--gb`` GB of Parquet in ``--dir`` (a /tmp folder, never committed;
reused when present), then runs, each in its own process so that each one's
peak RSS is its own:

* ``memory``: the first ``--rows`` rows loaded and preprocessed into one
  array, then ``fit(X, y)`` for one epoch: the in-memory peer;
* ``stream``: the streaming preprocessing pass over the *whole* file (timed
  apart), then ``MLPClassifier(...).fit(ParquetSource(...))`` for one epoch
  over the row groups that hold the same first rows (an epoch over all of a
  5 GB file takes hours on a shared 2-core machine; the memory bound does not
  depend on how many row groups an epoch reads).

Throughput is rows per second of training (the epoch), medians over
``--repeats``, with the ratio stream / memory. Run:
``python benchmarks/bench_scale.py --gb 5``.

``--validation-gb G`` measures instead what a validation source (``fit(src, X_val=ParquetSource(...))``,
``train DIR --validation``) costs before training, on a G GB file: its statistics pass and the check of
every row through the training preprocessing (``refuse_unreadable``) as two reads, as before, against
the one read that now serves both (the source made as ``train DIR --validation`` makes it, ``data_checks=False``:
its pass keeps no data-check tallies); both sides in this process, alternated, CPU seconds
(``time.process_time``, pyarrow's threads included) and wall seconds, medians over ``--repeats``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

FEATURES = 32
CLASSES = 10


def generate(path: str, gb: float, rows_per_group: int = 262_144) -> int:
    """Write about ``gb`` GB of float32 features and an int label; returns the rows."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    w = rng.normal(size=(FEATURES, CLASSES)).astype(np.float32)
    names = [f"x{i}" for i in range(FEATURES)]
    rows = 0
    tmp = path + ".part"
    with pq.ParquetWriter(tmp, pa.schema([*(pa.field(n, pa.float32()) for n in names), pa.field("y", pa.int32())]), compression="none") as wr:
        while os.path.exists(tmp) and os.path.getsize(tmp) < gb * 1e9:
            X = rng.normal(2.0, 3.0, size=(rows_per_group, FEATURES)).astype(np.float32)
            y = np.argmax(X @ w + rng.normal(0, 2.0, size=(rows_per_group, CLASSES)).astype(np.float32), axis=1).astype(np.int32)
            wr.write_table(pa.table({**{n: X[:, i] for i, n in enumerate(names)}, "y": y}), row_group_size=rows_per_group)
            rows += rows_per_group
    os.replace(tmp, path)
    return rows


def child(mode: str, path: str, memory_rows: int, hidden: tuple[int, ...], batch: int) -> dict:
    """One measurement in this process: ``{"rows", "seconds", "scan_s"}``."""
    import numpy as np

    import hiddenlayers as hl
    from hiddenlayers.data import ParquetSource

    kw = dict(hidden_layer_sizes=hidden, batch_size=batch, max_iter=1, random_state=0, early_stopping=False, n_iter_no_change=10**6)
    src = ParquetSource(path, target="y")
    t = time.perf_counter()
    scan = src.scan()
    scan_s = time.perf_counter() - t
    if mode == "memory":
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        frames, n = [], 0
        for b in pf.iter_batches(batch_size=65_536):
            frames.append(b.to_pandas())
            n += b.num_rows
            if n >= memory_rows:
                break
        import pandas as pd

        df = pd.concat(frames).iloc[:memory_rows]
        y = df.pop("y").to_numpy()
        X = scan.preprocessor.transform(df).matrix.astype(np.float32)
        del df, frames
        clf = hl.MLPClassifier(**kw)
        t = time.perf_counter()
        clf.fit(X, y)
        return {"rows": len(y), "seconds": time.perf_counter() - t, "scan_s": scan_s}
    if mode == "stream":  # the same first rows, streamed: only the first units
        units, total = [], 0
        for i, r in enumerate(scan.units_rows):
            if total >= memory_rows:
                break
            units.append(i)
            total += r
        src.units = src.units[: len(units)]
        src._scan = type(scan)(scan.preprocessor, scan.units_rows[: len(units)], scan.classes, scan.target_numeric)
    clf = hl.MLPClassifier(**kw)
    t = time.perf_counter()
    clf.fit(src)
    return {"rows": src.scan().n_rows, "seconds": time.perf_counter() - t, "scan_s": scan_s}


def validation_reads(path: str, repeats: int) -> None:
    """The validation source's checks before training: two reads (its pass, then ``refuse_unreadable``) against one (both in its pass)."""
    from hiddenlayers.data import ParquetSource, refuse_unreadable

    pre = ParquetSource(path, target="y").scan().preprocessor  # the training preprocessing's stand-in: the same columns
    reads = {"units": 0}
    real = ParquetSource.read_unit

    def counted(src: ParquetSource, i: int):  # type: ignore[no-untyped-def]
        reads["units"] += 1
        return real(src, i)

    ParquetSource.read_unit = counted  # type: ignore[method-assign]

    def two_reads(src: ParquetSource) -> None:  # before: the pass, then every row again
        src.scan()
        refuse_unreadable(src, pre)

    def one_read(src: ParquetSource) -> None:  # now: the check inside the pass
        refuse_unreadable(src, pre)
        src.scan()

    sides = {"two reads (before)": two_reads, "one read (now)": one_read}
    cpu: dict[str, list[float]] = {k: [] for k in sides}
    wall: dict[str, list[float]] = {k: [] for k in sides}
    units = {}
    for _ in range(repeats):
        for name, fn in sides.items():  # alternated in one process
            src = ParquetSource(path, target="y", data_checks=False)  # as train DIR --validation makes it
            reads["units"] = 0
            c, t = time.process_time(), time.perf_counter()
            fn(src)
            cpu[name].append(time.process_time() - c)
            wall[name].append(time.perf_counter() - t)
            units[name] = (reads["units"], len(src.units))
    for name in sides:
        r, n = units[name]
        print(f"  {name:20s} {r} unit reads of {n}  CPU {statistics.median(cpu[name]):6.2f} s  wall {statistics.median(wall[name]):6.2f} s (medians of {repeats})")
    a, b = (statistics.median(cpu[k]) for k in sides)
    aw, bw = (statistics.median(wall[k]) for k in sides)
    print(f"one read / two reads: CPU {b / a:.2f}, wall {bw / aw:.2f}")


def run_child(args: argparse.Namespace, mode: str) -> dict:
    import psutil
    from _rss import peak_rss  # benchmarks/_rss.py, beside this script (its folder is on sys.path when run)

    cmd = [sys.executable, __file__, "--child", mode, "--gb", str(args.gb), "--dir", args.dir, "--rows", str(args.rows), "--hidden", args.hidden, "--batch", str(args.batch)]
    proc = psutil.Popen(cmd, stdout=subprocess.PIPE, text=True)
    peak = peak_rss(proc, 0.05)
    out = proc.stdout.read()  # type: ignore[union-attr]
    if proc.returncode:
        raise SystemExit(f"{mode} run failed (exit {proc.returncode})")
    res = json.loads(out.strip().splitlines()[-1])
    res["peak_rss_mb"] = peak / 2**20
    res["rows_per_s"] = res["rows"] / res["seconds"]
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gb", type=float, default=5.0, help="size of the generated Parquet file")
    ap.add_argument("--dir", default="/tmp/hl_bench_scale")
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows trained on, in memory and streamed")
    ap.add_argument("--hidden", default="64")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--validation-gb", type=float, default=None, help="measure a validation source's checks before training on a file this size instead")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.validation_gb is not None:
        os.makedirs(args.dir, exist_ok=True)
        vpath = os.path.join(args.dir, f"valid_{args.validation_gb:g}gb.parquet")
        if not os.path.exists(vpath):
            generate(vpath, args.validation_gb)
        print(f"validation file {vpath}: {os.path.getsize(vpath) / 1e9:.2f} GB")
        validation_reads(vpath, args.repeats)
        return
    path = os.path.join(args.dir, f"big_{args.gb:g}gb.parquet")
    hidden = tuple(int(h) for h in args.hidden.split(","))
    if args.child:
        print(json.dumps(child(args.child, path, args.rows, hidden, args.batch)))
        return
    os.makedirs(args.dir, exist_ok=True)
    if not os.path.exists(path):
        t = time.perf_counter()
        rows = generate(path, args.gb)
        print(f"generated {path}: {os.path.getsize(path) / 1e9:.2f} GB, {rows:,} rows in {time.perf_counter() - t:.0f} s", flush=True)
    print(f"file {path}: {os.path.getsize(path) / 1e9:.2f} GB; network {FEATURES}->{args.hidden}->{CLASSES}, adam, batch {args.batch}, 1 epoch")
    results: dict[str, list[dict]] = {"memory": [], "stream": []}
    for _ in range(args.repeats):
        for mode in results:  # peers interleaved in one run
            results[mode].append(run_child(args, mode))
            r = results[mode][-1]
            print(f"  {mode:12s} rows {r['rows']:>11,}  {r['seconds']:8.1f} s  {r['rows_per_s']:>10,.0f} rows/s  peak RSS {r['peak_rss_mb']:7.0f} MB  (scan of the whole file {r['scan_s']:.1f} s)", flush=True)
    med = {m: statistics.median(r["rows_per_s"] for r in rs) for m, rs in results.items()}
    rss = {m: max(r["peak_rss_mb"] for r in rs) for m, rs in results.items()}
    print(f"median rows/s: memory {med['memory']:,.0f}, stream {med['stream']:,.0f}")
    print(f"stream / memory throughput: {med['stream'] / med['memory']:.2f} (goal >= 0.70)")
    print(f"peak RSS: stream {rss['stream']:.0f} MB (goal < 1024), memory peer {rss['memory']:.0f} MB")


if __name__ == "__main__":
    main()
