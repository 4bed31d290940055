"""``data.category_texts`` of a categorical column, the column-at-a-time path beside the rule cell by cell, in one process.

Old: ``data._cells._category_texts_each`` (the loop ``category_texts`` ran before: ``is_missing``, the infinity check and
``category_text`` per cell, unchanged). New: ``category_texts`` (NumPy masks by type, ``str`` once per distinct number).
Columns of ``--cells`` object cells as ``TablePreprocessor``, the ONNX runner and ``predict FILE`` give them
(``Series.to_numpy(dtype=object)``), 2% missing: CSV text of 5 categories, whole floats of 9 codes (a code column with a
blank cell), fractional floats of 1,000 values, distinct floats (the worst case: each a float's ``repr``), text mixed with
ints and ``pd.NA``, and Decimals (not sped up: each by the rule). The results are checked equal. Median of ``--repeats``
wall seconds, old and new interleaved. Usage: python benchmarks/bench_category_texts.py [--cells 1000000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import time
from decimal import Decimal

import numpy as np
import pandas as pd

from hiddenlayers.data import category_texts
from hiddenlayers.data._cells import _category_texts_each


def _columns(n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)

    def with_missing(values: np.ndarray, missing: object = np.nan) -> np.ndarray:
        col = values.astype(object)
        col[::50] = missing
        return col

    mixed = rng.choice(np.array(["a", "b", 1, 2, True], dtype=object), n)
    return {
        "text, 5 categories": with_missing(rng.choice(np.array(["a", "b", "c", "d", "e"], dtype=object), n)),
        "whole floats, 9 codes": with_missing(rng.integers(0, 9, n).astype(np.float64)),
        "floats, 1,000 values": with_missing(np.round(rng.random(n) * 10, 2) + 0.001),
        "floats, all distinct": with_missing(rng.random(n)),
        "text, ints, bools, pd.NA": with_missing(mixed, pd.NA),
        "Decimals, 5 values": with_missing(rng.choice(np.array([Decimal("1.50"), Decimal("2"), Decimal("0.1"), Decimal("3.0"), Decimal("7")], dtype=object), n), None),
    }


def _seconds(fn, col: np.ndarray) -> tuple[float, list]:
    t = time.perf_counter()
    out = fn("c", col, None)
    return time.perf_counter() - t, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    print(f"{args.cells:,} cells per column, median of {args.repeats} (wall s)")
    print("| column | cell by cell (old) s | by column (new) s | new / old |\n|---|---|---|---|")
    for name, col in _columns(args.cells).items():
        old, new = [], []
        for _ in range(args.repeats):
            t_old, want = _seconds(_category_texts_each, col)
            t_new, got = _seconds(category_texts, col)
            assert got == want, name
            old.append(t_old)
            new.append(t_new)
        o, w = float(np.median(old)), float(np.median(new))
        print(f"| {name} | {o:.3f} | {w:.3f} | **{w / o:.3f}** |", flush=True)


if __name__ == "__main__":
    main()
