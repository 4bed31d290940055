"""The fast data checks (``check(X, y, fast=True)``) on wide and narrow tables: this checkout beside another one.

    python benchmarks/bench_check_wide.py                                  # this checkout only
    python benchmarks/bench_check_wide.py --old /tmp/oldsrc/src --repeats 3  # also the src folder of another checkout

Three tables, each made from a fixed seed inside the child process (not timed), 3-class target:

* ``tfidf``: 300 rows x 16,384 TF-IDF-like columns (98% zeros, rows L2-normalised), the shape of
  examples/genes_dna.py's hashed k-mers;
* ``dense``: 5,000 rows x 2,000 normal columns;
* ``narrow``: 50,000 rows x 50 normal columns (rounded to 2 decimals: repeated values), which must not get slower.

Each variant runs in its own process (``PYTHONPATH`` picks the code) and times ``repeats`` calls; printed: the median
seconds, old / new, and whether the two gave the same findings (``Finding.to_dict``, details included).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

_CHILD = r"""
import hashlib, json, sys, time, warnings
warnings.simplefilter("ignore")
import numpy as np
from hiddenlayers.data import check
which, repeats = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(0)
if which == "tfidf":
    n, p = 300, 16384
    X = rng.random((n, p)) * (rng.random((n, p)) < 0.02)
    X /= np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)
elif which == "dense":
    n, p = 5000, 2000
    X = rng.normal(size=(n, p))
else:
    n, p = 50000, 50
    X = rng.normal(size=(n, p)).round(2)
y = rng.integers(0, 3, n)
seconds, found = [], None
for _ in range(repeats):
    t = time.perf_counter()
    report = check(X, y, fast=True)
    seconds.append(time.perf_counter() - t)
    found = json.dumps([f.to_dict() for f in report.findings], sort_keys=True, default=str)
print(json.dumps({"seconds": seconds, "findings": hashlib.sha256(found.encode()).hexdigest()[:12],
                  "checks": sorted({f.check for f in report.findings})}))
"""

TABLES = {"tfidf": "300 x 16,384 TF-IDF-like", "dense": "5,000 x 2,000 dense normal", "narrow": "50,000 x 50 narrow"}


def _run(src: str, which: str, repeats: int) -> dict:
    env = {**os.environ, "PYTHONPATH": src}
    out = subprocess.run([sys.executable, "-c", _CHILD, which, str(repeats)], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old", help="src folder of another checkout (e.g. git archive of main's src), run the same way")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--tables", default=",".join(TABLES), help=f"comma-separated, of {', '.join(TABLES)}")
    args = ap.parse_args()
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
    print(f"load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} CPUs; median of {args.repeats} calls of check(X, y, fast=True)")
    for which in args.tables.split(","):
        new = _run(here, which, args.repeats)
        line = f"  {TABLES[which]:28s} new {statistics.median(new['seconds']):7.3f} s"
        if args.old:
            old = _run(args.old, which, args.repeats)
            ratio = statistics.median(old["seconds"]) / statistics.median(new["seconds"])
            same = "same findings" if old["findings"] == new["findings"] else f"FINDINGS DIFFER {old['checks']} vs {new['checks']}"
            line += f"  old {statistics.median(old['seconds']):7.3f} s  old/new x{ratio:5.2f}  {same} {new['checks']}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
