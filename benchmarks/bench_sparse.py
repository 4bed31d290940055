"""fit on a SciPy sparse X (hashed-text-like), ours beside scikit-learn's MLPClassifier, in one process.

    .venv/bin/python benchmarks/bench_sparse.py                       # the default sizes, float64 and float32
    .venv/bin/python benchmarks/bench_sparse.py --sizes 2000x65536x100 --epochs 10 --repeats 3

Each size ``NxDxK`` is a CSR matrix of N rows, D columns and K stored values a row (values in [0, 1) at
random columns, as ``HashingVectorizer``/``TfidfVectorizer`` make), two classes by a known rule (a fifth of a
row's values in its class's 200 "topic" columns), and 1,000 held-out rows of the same rule. Both models: one hidden layer
of 100 ReLU units, adam, batch 200, learning rate 1e-3, alpha 1e-4, exactly ``--epochs`` epochs (tol=0 and
n_iter_no_change past the epochs, so neither stops early), float64 or float32 (scikit-learn computes in X's
dtype, so X is given in that dtype to both). The fits alternate, ours then theirs, ``--repeats`` times; the
medians of the wall times (``time.perf_counter``) and of the process's CPU times (``time.process_time``: the
steadier figure on a loaded machine) are printed with ``ratio`` = theirs / ours (above 1: ours is faster),
and each model's held-out accuracy after its last fit.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SkMLP

import hiddenlayers as hl

warnings.simplefilter("ignore", ConvergenceWarning)


def make_data(n: int, d: int, k: int, seed: int = 0) -> tuple[sp.csr_matrix, np.ndarray, sp.csr_matrix, np.ndarray]:
    """``(X, y, X_test, y_test)``: ``n`` and 1,000 rows of ``d`` columns, ``k`` stored values a row, two classes.

    A row of class c has a fifth of its values in its class's 200 "topic" columns (as a text's topic words),
    the rest at random columns; the values are in [0, 1).
    """
    rng = np.random.default_rng(seed)
    m = n + 1000
    y = rng.integers(0, 2, m)
    cols = rng.integers(0, d, (m, k))
    topic = k // 5
    cols[:, :topic] = y[:, None] * 200 + rng.integers(0, 200, (m, topic))
    X = sp.csr_matrix((rng.random(m * k), (np.repeat(np.arange(m), k), cols.ravel())), shape=(m, d))
    X.sum_duplicates()
    return X[:n], y[:n], X[n:], y[n:]


def _settings(epochs: int) -> dict:
    return dict(hidden_layer_sizes=(100,), solver="adam", batch_size=200, learning_rate_init=1e-3, alpha=1e-4,
                max_iter=epochs, tol=0.0, n_iter_no_change=epochs + 1, random_state=0)


def run(size: str, dtype: str, epochs: int, repeats: int) -> dict:
    """Median fit times of both models on one size and dtype, with held-out accuracies."""
    n, d, k = (int(v) for v in size.split("x"))
    X, y, Xt, yt = make_data(n, d, k)
    X, Xt = X.astype(dtype), Xt.astype(dtype)
    times: dict[str, list[float]] = {"ours": [], "sklearn": [], "ours_cpu": [], "sklearn_cpu": []}
    acc: dict[str, float] = {}
    for _ in range(repeats):
        for name in ("ours", "sklearn"):
            est = hl.MLPClassifier(**_settings(epochs), dtype=dtype) if name == "ours" else SkMLP(**_settings(epochs))
            t0, c0 = time.perf_counter(), time.process_time()
            est.fit(X, y)
            times[name].append(time.perf_counter() - t0)
            times[name + "_cpu"].append(time.process_time() - c0)
            acc[name] = float(est.score(Xt, yt))
    med = {k: statistics.median(v) for k, v in times.items()}
    return dict(size=size, dtype=dtype, **med, ratio=med["sklearn"] / med["ours"], cpu_ratio=med["sklearn_cpu"] / med["ours_cpu"],
                acc_ours=acc["ours"], acc_sklearn=acc["sklearn"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000x16384x50,2000x65536x100,4000x131072x100", help="comma-separated NxDxK")
    ap.add_argument("--dtypes", default="float64,float32")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    print(f"{'size':>18} {'dtype':>8} {'ours s':>7} {'sklearn s':>9} {'ratio':>6} {'ours cpu':>8} {'sk cpu':>7} {'ratio':>6} "
          f"{'acc ours':>8} {'acc sk':>7}")
    for size in args.sizes.split(","):
        for dtype in args.dtypes.split(","):
            r = run(size, dtype, args.epochs, args.repeats)
            print(f"{r['size']:>18} {r['dtype']:>8} {r['ours']:7.2f} {r['sklearn']:9.2f} {r['ratio']:6.2f} {r['ours_cpu']:8.2f} "
                  f"{r['sklearn_cpu']:7.2f} {r['cpu_ratio']:6.2f} {r['acc_ours']:8.3f} {r['acc_sklearn']:7.3f}", flush=True)


if __name__ == "__main__":
    main()
