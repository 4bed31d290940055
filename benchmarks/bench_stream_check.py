"""The streamed data check (``ParquetSource.check``) beside the in-memory ``check(fast=True)`` of the same rows, and
the cost of comparing duplicates (row hashes) and near duplicates (a second read) over every row against older code.

    python benchmarks/bench_stream_check.py                        # 1,000,000 rows x 10 columns, this checkout
    python benchmarks/bench_stream_check.py --rows 200000 --old /tmp/oldsrc/src   # also the pass of another checkout
    python benchmarks/bench_stream_check.py --rows 4000000 --no-check-memory --old /tmp/oldsrc/src   # what --no-check saves

``--no-check-memory``: one Parquet file of ``--rows`` rows of 30 float64 columns (random: ~250 bytes a row on disk), a text
column of 5 values and a 3-class target (in a temp folder, removed after), and the peak RSS
(psutil, polled every 20 ms) of the statistics pass alone (``ParquetSource.scan()``)
with the data check's bookkeeping and without it (``data_checks=False``, what ``train DIR --no-check`` passes), and
of ``hiddenlayers train DIR --target y --epochs 1 --no-check``; ``--old``: the same pass and command on another checkout
(before ``data_checks``, the pass kept the bookkeeping whatever the command).

Each variant runs in its own process (``PYTHONPATH`` picks the code): the scan (the one streaming pass) plus the report,
and the peak resident memory (``ru_maxrss``). The table: 6 numeric columns (one 20% missing), 2 text columns of 5 and 50
values, an integer ID, a constant; 2% of rows repeated, 0.1% near duplicates (x1 moved by 0.0005); a 3-class target. Also printed: the tracemalloc peak of
:meth:`RowHashes.findings` alone, in bytes per row (what the 15M-row cap is sized by).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd

_CHILD = r"""
import json, resource, sys, time, warnings
warnings.simplefilter("ignore")
import pandas as pd
from hiddenlayers.data import ParquetSource, check
d, how = sys.argv[1], sys.argv[2]
t = time.perf_counter()
if how == "stream":
    report = ParquetSource(d, target="y").check("classification")
else:
    whole = pd.read_parquet(d)
    report = check(whole.drop(columns="y"), whole["y"], task="classification", fast=True)
seconds = time.perf_counter() - t
dup, near = (next((f.message.split(" row(s)")[0] for f in report.findings if f.check == c), "0") for c in ("duplicates", "near_duplicates"))
print(json.dumps({"seconds": seconds, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "duplicates": dup, "near": near}))
"""


def _table(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({f"x{j}": rng.normal(size=rows).round(3) for j in range(6)})
    frame.loc[rng.random(rows) < 0.2, "x0"] = np.nan
    frame["t5"] = pd.Series(rng.choice(["a", "b", "c", "d", "e"], rows), dtype=object)
    frame["t50"] = pd.Series(rng.choice([f"v{i}" for i in range(50)], rows), dtype=object)
    frame["c"] = 1.0
    frame["y"] = rng.integers(0, 3, rows)
    rep = rng.choice(rows, rows // 50 + rows // 500, replace=False)
    near, rep = rep[: rows // 500], rep[rows // 500 :]
    frame.iloc[rep[: rep.size // 2]] = frame.iloc[rep[rep.size // 2 :]].to_numpy()
    # near duplicates: another row's values with x1 moved by 0.0005 (1/20 of the 0.01-SD grid)
    frame.iloc[near[: near.size // 2]] = frame.iloc[near[near.size // 2 :]].to_numpy()
    frame.loc[near[: near.size // 2], "x1"] += 0.0005
    frame.insert(0, "id", np.arange(rows))
    return frame


_PASS = r"""
import json, resource, sys, warnings
warnings.simplefilter("ignore")
from hiddenlayers.data import ParquetSource
d, checks = sys.argv[1], sys.argv[2] == "1"
try:
    src = ParquetSource(d, target="y", data_checks=checks)
except TypeError:  # a checkout before data_checks: its pass always keeps the bookkeeping
    src = ParquetSource(d, target="y")
print(json.dumps({"rows": src.scan().n_rows, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _polled(cmd: list[str], env: dict) -> float:
    """psutil's peak RSS of running ``cmd``, polled every 20 ms, in MB."""
    import psutil
    from _rss import peak_rss  # benchmarks/_rss.py, beside this script (its folder is on sys.path when run)

    proc = psutil.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = peak_rss(proc, 0.02)
    err = proc.stderr.read()  # type: ignore[union-attr]
    if proc.returncode:
        raise SystemExit(f"{cmd[2:4]} failed (exit {proc.returncode}): {err[-2000:]}")
    return peak / 2**20


def _no_check_memory(args: argparse.Namespace, here: str) -> None:
    """Peak RSS of the statistics pass with and without the data check's bookkeeping, and of train --no-check (see the docstring)."""
    with tempfile.TemporaryDirectory() as d:
        rng = np.random.default_rng(0)
        frame = pd.DataFrame(rng.normal(size=(args.rows, 30)), columns=[f"x{j}" for j in range(30)])
        frame["t5"] = pd.Series(rng.choice(["a", "b", "c", "d", "e"], args.rows), dtype=object)
        frame["y"] = rng.integers(0, 3, args.rows)
        frame.to_parquet(os.path.join(d, "big.parquet"), row_group_size=250_000, index=False)
        del frame
        mb = os.path.getsize(os.path.join(d, "big.parquet")) / 2**20
        print(f"{args.rows:,} rows x 31 feature columns, one Parquet file of {mb:.0f} MB (row groups of 250,000 rows)")
        for name, src in [("this checkout", here), *([("--old", args.old)] if args.old else [])]:
            env = {**os.environ, "PYTHONPATH": src}
            for label, flag in (("pass, check bookkeeping", "1"), ("pass, data_checks=False", "0")):
                polled = _polled([sys.executable, "-c", _PASS, d, flag], env)
                print(f"  {name:14s} {label:26s} peak RSS {polled:6.0f} MB (psutil)")
            out = os.path.join(d, "m.safetensors")
            polled = _polled([sys.executable, "-m", "hiddenlayers", "train", d, "--target", "y", "--epochs", "1", "--no-check",
                                 "--out", out, "--force"], env)
            print(f"  {name:14s} {'train --epochs 1 --no-check':26s} peak RSS {polled:6.0f} MB (psutil)")


def _run(src: str, d: str, how: str) -> dict:
    env = {**os.environ, "PYTHONPATH": src}
    out = subprocess.run([sys.executable, "-c", _CHILD, d, how], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _hash_peak(rows: int) -> float:
    """Bytes per row at the peak of RowHashes.findings (tracemalloc: numpy's buffers), after the batches were added."""
    import tracemalloc

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
    from hiddenlayers.data._check.stream_rows import RowHashes

    frame = _table(rows)
    y = frame.pop("y")
    kept = RowHashes()
    for lo in range(0, rows, 65_536):
        kept.add(frame.iloc[lo : lo + 65_536], y.iloc[lo : lo + 65_536])
    tracemalloc.start()
    kept.findings({"id"}, True, 10_000)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    stored = sum(a.nbytes for a in kept._rows + kept._labels) + sum(a.nbytes for v in kept._maybe_id.values() for a in v)
    return (peak + stored) / rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--old", help="src folder of another checkout, run the same way (its streamed pass)")
    ap.add_argument("--no-check-memory", action="store_true", help="only the peak RSS of the pass with and without the check's bookkeeping")
    args = ap.parse_args()
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
    if args.no_check_memory:
        _no_check_memory(args, here)
        return
    with tempfile.TemporaryDirectory() as d:
        frame = _table(args.rows)
        for i, part in enumerate(np.array_split(np.arange(args.rows), 4)):
            frame.iloc[part].to_parquet(os.path.join(d, f"p{i}.parquet"), row_group_size=250_000, index=False)
        print(f"{args.rows:,} rows x {frame.shape[1] - 1} columns, 4 Parquet files; {int(frame.drop(columns=['id', 'y']).duplicated().sum()):,} "
              "repeated rows (without the ID)")
        runs = {"stream (this checkout)": _run(here, d, "stream"), "in memory check(fast=True)": _run(here, d, "memory")}
        if args.old:
            runs["stream (--old)"] = _run(args.old, d, "stream")
        base = runs["stream (this checkout)"]["seconds"]
        for name, r in runs.items():
            print(f"  {name:28s} {r['seconds']:7.2f} s  x{r['seconds'] / base:5.2f}  peak RSS {r['rss_mb']:7.0f} MB  duplicates {r['duplicates']}"
                  f"  near duplicates {r['near']}")
    t = time.perf_counter()
    per_row = _hash_peak(args.rows)
    print(f"RowHashes.findings peak, stored arrays included: {per_row:.1f} bytes a row (x HASH_CAP 15M rows = {per_row * 1.5e7 / 1e9:.2f} GB); "
          f"{time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    main()
