"""``predict`` of a table MLP with dropout and norms: the NumPy path against the PyTorch forward it took before, in one process.

Network 100 -> 256 (relu, batch norm, dropout 0.1) -> 128 (tanh, layer norm) -> 10. Before this change such a
network predicted through its PyTorch forward in blocks (``torch_forward``); now its norms' eval-mode maps run on
NumPy copies of the weights, as a plain dense network's do. Both routes are timed here on the same fitted model, the
old one by marking its NumPy copies unusable (what ``cache_weights`` decided for it before), with the plain dense
network 100 -> 256 -> 128 -> 10 beside them as the yardstick. Printed per batch size: the median CPU seconds
(``time.process_time``, all threads) per ``predict`` call, in microseconds, and the ratio old / new; the two routes'
answers are checked to agree first.

Usage: .venv/bin/python benchmarks/bench_predict_norms.py [--calls 2000]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from sklearn.datasets import make_classification

import hiddenlayers as hl


@contextmanager
def torch_route(est: Any) -> Iterator[None]:
    """``est.predict`` through the PyTorch forward, as a network with dropout or norms predicted before this change."""
    est.predict(np.zeros((1, est.n_features_in_), dtype=np.float32))  # NumPy copies fresh, so predict keeps the flag below
    est._np_ok = False
    try:
        yield
    finally:
        est._cache_weights()


def cpu_median(fn: Callable[[], Any], calls: int) -> float:
    """Median CPU microseconds of ``fn()`` over ``calls`` calls, after ``calls // 10`` unmeasured ones."""
    for _ in range(max(3, calls // 10)):
        fn()
    times = []
    for _ in range(calls):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return statistics.median(times) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="predict calls per one-row measurement (fewer for larger batches)")
    args = parser.parse_args()
    X, y = make_classification(n_samples=4000, n_features=100, n_informative=50, n_classes=10, random_state=0)
    X = X.astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        normed = hl.MLPClassifier("256:relu:batchnorm:dropout=0.1,128:tanh:layernorm", max_iter=3, random_state=0).fit(X, y)
        plain = hl.MLPClassifier((256, 128), max_iter=3, random_state=0).fit(X, y)
    new_p = normed.predict_proba(X[:1000])
    with torch_route(normed):
        old_p = normed.predict_proba(X[:1000])
    np.testing.assert_allclose(new_p, old_p, rtol=1e-4, atol=1e-6)
    assert (new_p.argmax(1) == old_p.argmax(1)).mean() > 0.999
    print("predict, median CPU microseconds per call (time.process_time, all threads)")
    print(f"{'rows':>6s} {'norms: torch (before)':>22s} {'norms: NumPy (now)':>19s} {'before/now':>11s} {'plain dense NumPy':>18s}")
    for rows in (1, 100, 10_000):
        x = X[:rows].copy()
        calls = args.calls if rows == 1 else max(30, args.calls // (10 if rows == 100 else 100))
        with torch_route(normed):
            before = cpu_median(lambda x=x: normed.predict(x), calls)
        now = cpu_median(lambda x=x: normed.predict(x), calls)
        base = cpu_median(lambda x=x: plain.predict(x), calls)
        print(f"{rows:6d} {before:22.1f} {now:19.1f} {before / now:10.2f}x {base:18.1f}")


if __name__ == "__main__":
    main()
