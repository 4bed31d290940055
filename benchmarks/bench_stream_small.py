"""A streamed fit of a small folder of CSV files: every pass reading the files again, against its rows kept after one read.

    .venv/bin/python benchmarks/bench_stream_small.py                    # 8 files of digits rows, 30 passes, 3 rounds

The data: scikit-learn's bundled digits (1,797 rows, 64 pixel columns) with a text column added (the digit's parity as
"even"/"odd", a one-hot block in the preprocessing), written as ``--files`` CSV files in a temporary folder. One process,
three fits per round, alternating, each ``MLPClassifier((64,), max_iter=--passes, early_stopping=True,
n_iter_no_change=--passes)`` (one file held out and scored after each pass), ``random_state=0``:

- ``read``: ``fit(ParquetSource(folder))`` with the cache off (``data._unit_cache.CACHE_BYTES = 0``): every pass reads and
  preprocesses every file again, as before ``data.UnitCache``;
- ``kept``: the same fit as shipped (the preprocessed rows, some 0.5 MB, kept after the first pass);
- ``memory``: the in-memory fit of the same rows, ``fit(X, y)`` on the source's preprocessed matrix (early stopping on a
  random 10% of it, scikit-learn's way), the peer a user would compare with.

Wall seconds per fit (median over rounds), rows trained per second, and the ratios. ``read`` and ``kept`` must learn the
same weights (checked: the script stops if not). The statistics pass (``src.scan()``) is taken before the timed fits, once
per source object, as every fit's first step, and is not in the figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np


def write_folder(folder: Path, files: int) -> None:
    """Digits as ``files`` CSV files of about equal rows, with a text column and the label ``y``."""
    import pandas as pd
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    frame = pd.DataFrame(X, columns=[f"p{i}" for i in range(X.shape[1])])
    frame["parity"] = np.where(y % 2 == 0, "even", "odd")
    frame["y"] = y
    for i, part in enumerate(np.array_split(np.arange(len(frame)), files)):
        frame.iloc[part].to_csv(folder / f"part-{i:02d}.csv", index=False)


def one_fit(folder: Path, passes: int, how: str) -> tuple[float, Any]:
    """``(seconds, fitted model)`` of one fit ``how`` (``read``, ``kept`` or ``memory``)."""
    import hiddenlayers as hl
    import hiddenlayers.data._unit_cache as unit_cache

    src = hl.data.ParquetSource(str(folder), target="y")
    scan = src.scan()  # the statistics pass: not timed (every fit takes it once)
    model = hl.MLPClassifier((64,), max_iter=passes, early_stopping=True, n_iter_no_change=passes, random_state=0)
    if how == "memory":
        import pandas as pd

        frame = pd.concat(pd.read_csv(f) for f in sorted(folder.glob("*.csv")))
        X, y = scan.preprocessor.transform(frame.drop(columns="y")).matrix.astype(np.float32), frame["y"].to_numpy()
        t = time.perf_counter()
        model.fit(X, y)
        return time.perf_counter() - t, model
    keep = unit_cache.CACHE_BYTES
    unit_cache.CACHE_BYTES = 0 if how == "read" else keep
    try:
        t = time.perf_counter()
        model.fit(src)
        return time.perf_counter() - t, model
    finally:
        unit_cache.CACHE_BYTES = keep


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=8, help="CSV files the 1,797 digits rows are written to (default 8)")
    ap.add_argument("--passes", type=int, default=30, help="passes (epochs) per fit (default 30)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of the three fits, alternating (default 3)")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")  # not converged in --passes
    print(f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs; {args.files} files, {args.passes} passes, {args.rounds} rounds")
    times: dict[str, list[float]] = {"read": [], "kept": [], "memory": []}
    rows = 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_folder(folder, args.files)
        one_fit(folder, 1, "kept")  # imports and first-use costs, outside the figures
        for _ in range(args.rounds):
            fitted = {}
            for how in times:
                seconds, fitted[how] = one_fit(folder, args.passes, how)
                times[how].append(seconds)
            a, b = fitted["read"], fitted["kept"]
            if not (all(np.array_equal(x, z) for x, z in zip(a.coefs_, b.coefs_)) and a.loss_curve_ == b.loss_curve_):
                raise SystemExit("read and kept learned different weights: the cache changed the chunks")
            rows = int(round(1797 * (1 - 1 / args.files))) * b.n_iter_  # rows trained per fit (one file held out)
    med = {how: statistics.median(v) for how, v in times.items()}
    print("| fit | seconds (median) | rows trained / s |")
    print("|---|---|---|")
    for how, s in med.items():
        trained = rows if how != "memory" else 1797 * (1 - 0.1) * args.passes  # memory: validation_fraction 0.1 held out
        print(f"| {how} | {s:.2f} | {trained / s:,.0f} |")
    print(f"kept vs read: {med['read'] / med['kept']:.2f}x as fast; kept / memory time: {med['kept'] / med['memory']:.2f}; "
          f"read / memory time: {med['read'] / med['memory']:.2f}")
    print(f"load average after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
