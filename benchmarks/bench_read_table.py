"""Reading a CSV: ``hiddenlayers.read_table`` beside a bare ``pandas.read_csv`` of the same file.

``read_table`` must report rows with too few or too many fields (pandas pads
short rows with NaN in silence) without slowing large reads noticeably. It
reads a clean file with pandas' C reader alone (plus a look at the first two
records); only when pandas' result shows a possibly ragged row (a NaN in the
last column, a long row) does it scan the file record by record with the
csv module. Three files of the same size are timed, round-robin:

- clean: every row full, no missing value: the fast path;
- one ragged row: a short row near the end: the scan, then pandas on the kept rows;
- missing last values: 1% of the rows miss their last value (no ragged row):
  pandas cannot tell those from short rows, so this pays for the scan too.

Prints the median seconds of each reader on each file and the ratio
``read_table / read_csv``.
Usage: python benchmarks/bench_read_table.py [--rows 300000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from hiddenlayers.data import read_table


def make_files(folder: Path, rows: int) -> dict[str, Path]:
    """The three CSV files: 20 float columns and an integer label, ``rows`` data rows each."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(rows, 20)).round(4), columns=[f"x{i}" for i in range(20)])
    frame["label"] = rng.integers(0, 3, rows)
    files = {"clean": folder / "clean.csv", "one ragged row": folder / "ragged.csv", "missing last values": folder / "missing.csv"}
    frame.to_csv(files["clean"], index=False)
    text = files["clean"].read_text().splitlines(keepends=True)
    text[-10] = ",".join(text[-10].split(",")[:5]) + "\n"  # one short row
    files["one ragged row"].write_text("".join(text))
    holes = frame.astype({"label": "Int64"})
    holes.loc[rng.random(rows) < 0.01, "label"] = pd.NA
    holes.to_csv(files["missing last values"], index=False)
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"{platform.processor() or platform.machine()}, pandas {pd.__version__}, {args.rows:,} rows x 21 columns, median of {args.repeats}")
    with tempfile.TemporaryDirectory() as tmp:
        files = make_files(Path(tmp), args.rows)
        readers = {
            "pandas.read_csv": lambda p: pd.read_csv(p, skipinitialspace=True),
            "read_table": lambda p: read_table(p).frame,
        }
        times: dict[tuple[str, str], list[float]] = {(f, r): [] for f in files for r in readers}
        for _ in range(args.repeats):  # round-robin: a slow spell of the machine hits every peer alike
            for fname, path in files.items():
                for rname, read in readers.items():
                    start = time.perf_counter()
                    read(path)
                    times[fname, rname].append(time.perf_counter() - start)
        size = {f: p.stat().st_size / 2**20 for f, p in files.items()}
    print(f"{'file':<22}{'MiB':>6}{'read_csv s':>12}{'read_table s':>14}{'ratio':>8}")
    for fname in files:
        a, b = (statistics.median(times[fname, r]) for r in readers)
        print(f"{fname:<22}{size[fname]:>6.1f}{a:>12.3f}{b:>14.3f}{b / a:>8.2f}")


if __name__ == "__main__":
    main()
