"""Per-call cost of ``MLPClassifier.partial_fit`` on small data, beside scikit-learn's, and old code against new.

    .venv/bin/python benchmarks/bench_partial_fit.py                      # this checkout, ours vs sklearn
    .venv/bin/python benchmarks/bench_partial_fit.py --against OLD/src    # old vs new, alternating processes

Digits (standardised), the first 1,437 rows, ``hidden_layer_sizes=(64,)``, CPU, batch ``"auto"``:

- ``epoch``: each call is one epoch over all 1,437 rows (8 steps of 200 rows);
- ``stream``: each call is the next 64-row chunk (one step), as a streamed fit makes.

Per case, median wall time of one call (``time.perf_counter``), ours and scikit-learn's
``MLPClassifier.partial_fit`` on the same data in the same process, calls alternating so
the machine's load drifts over both alike; ``steps`` is the part of our call spent in the
training loop itself (the epoch's entry in ``history_.time``: entering the loop's thread limits,
batches, forward, backward, optimizer steps), ``overhead`` = call - steps (input checks, tensors,
plans, the restore guard, fitted attributes). ``--against`` runs this script ``--rounds`` times on each source tree,
alternating old and new processes, and prints the medians of the per-process medians.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import warnings
from typing import Any

import numpy as np

CASES = {"epoch": 1437, "stream": 64}  # rows per call


def _data() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits
    from sklearn.preprocessing import StandardScaler

    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X)[:1437], y[:1437]


def measure(calls: int) -> dict[str, dict[str, float]]:
    """``{case: {ours, steps, overhead, sklearn, ratio}}`` in milliseconds (ratio: ours / sklearn)."""
    from sklearn.neural_network import MLPClassifier as SkMLP

    import hiddenlayers as hl

    X, y = _data()
    classes = np.unique(y)
    out: dict[str, dict[str, float]] = {}
    for case, rows in CASES.items():
        ours = hl.MLPClassifier((64,), random_state=0, device="cpu")
        theirs = SkMLP((64,), random_state=0)
        chunks = [(X[i:i + rows], y[i:i + rows]) for i in range(0, X.shape[0] - rows + 1, rows)]
        ours.partial_fit(*chunks[0], classes=classes)
        theirs.partial_fit(*chunks[0], classes=classes)
        t_ours, t_steps, t_sk = [], [], []
        for k in range(calls):
            Xc, yc = chunks[k % len(chunks)]
            t = time.perf_counter()
            ours.partial_fit(Xc, yc)
            t_ours.append(time.perf_counter() - t)
            times = ours.history_.time
            t_steps.append(times[-1] - times[-2])
            t = time.perf_counter()
            theirs.partial_fit(Xc, yc)
            t_sk.append(time.perf_counter() - t)
        o, s, k = (statistics.median(v) * 1e3 for v in (t_ours, t_steps, t_sk))
        out[case] = {"ours": o, "steps": s, "overhead": o - s, "sklearn": k, "ratio": o / k}
    return out


def _table(results: dict[str, dict[str, float]], title: str) -> str:
    lines = [f"{title}", "| case | ours (ms) | of which steps | overhead | sklearn (ms) | ours / sklearn |", "|---|---|---|---|---|---|"]
    for case, r in results.items():
        lines.append(f"| {case} ({CASES[case]} rows) | {r['ours']:.2f} | {r['steps']:.2f} | {r['overhead']:.2f} | {r['sklearn']:.2f} | {r['ratio']:.2f} |")
    return "\n".join(lines)


def _run(src: str, calls: int) -> dict[str, dict[str, float]]:
    env = {**os.environ, "PYTHONPATH": src}
    proc = subprocess.run([sys.executable, __file__, "--json", "--calls", str(calls)], env=env, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _median_of(runs: list[dict[str, dict[str, float]]]) -> dict[str, dict[str, float]]:
    return {case: {key: statistics.median(r[case][key] for r in runs) for key in runs[0][case]} for case in runs[0]}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=200, help="timed calls per case and process (default 200)")
    ap.add_argument("--against", metavar="SRC", help="another checkout's src/ (the old code): alternate processes old, new")
    ap.add_argument("--rounds", type=int, default=5, help="processes per side with --against (default 5)")
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    if args.json:
        print(json.dumps(measure(args.calls)))
        return
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}, {os.cpu_count()} CPUs")
    if not args.against:
        print(_table(measure(args.calls), "this checkout"))
        return
    here = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
    old: list[Any] = []
    new: list[Any] = []
    for _ in range(args.rounds):
        old.append(_run(args.against, args.calls))
        new.append(_run(here, args.calls))
    print(_table(_median_of(old), f"old ({args.against}), median of {args.rounds} processes"))
    print(_table(_median_of(new), f"new ({here}), median of {args.rounds} processes"))
    for case in CASES:
        o, n = _median_of(old)[case]["ours"], _median_of(new)[case]["ours"]
        print(f"{case}: old / new = {o / n:.2f}x per call")
    print(f"load average after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
