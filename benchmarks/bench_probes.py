"""The lens's linear probes on wide layers: the logistic regression on every feature beside the one solved in the rows' span.

    python benchmarks/bench_probes.py                 # medians of 3, one CPU thread
    python benchmarks/bench_probes.py --rows 100 300  # report-sized samples (the image examples' smoke reports read 100)

Wide inputs, as a report on a few hundred images or a wide table meets them: scikit-learn's digits (bundled, no
download) enlarged 4x to 32 x 32 pixels (1,024 inputs, each pixel a 4 x 4 block), an
``hl.MLPClassifier((512, 64), max_iter=30)`` fitted on 1,200 of them, its layers recorded on ``--rows`` others:
the input (1,024 features), hidden1 (512), hidden2 (64). Each probe
set is scored twice, as the report scores it (70/30 split, standardised, ``LogisticRegression(max_iter=500)``):
"full" fits the features themselves (the code before the change), "span" is ``probe_features`` (fewer training
rows than features: solved in the rows' span, ``_row_space``). Printed: CPU seconds of each (median of
``--repeats``), full / span, and both sets of held-out accuracies (the same optimum: equal up to the solver's
tolerance). Both sides run on one torch and one BLAS/OpenMP thread (``threadpool_limits(1)``): ``probe_features`` fits
under that limit itself since 0429a119, so "full" on the default threads would compare thread counts too.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np


def _full(features: dict[str, np.ndarray], y: np.ndarray) -> list[float]:
    """The probes as scored before the row-space path: the pipeline on every feature."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    tr, te = train_test_split(np.arange(y.size), test_size=0.3, random_state=0, stratify=y)
    scores = []
    for f in features.values():
        f2 = f.reshape(y.size, -1).astype(np.float64)
        est = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(f2[tr], y[tr])
        scores.append(float(est.score(f2[te], y[te])))
    return scores


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rows", type=int, nargs="+", default=[100, 300])
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    warnings.simplefilter("ignore")
    import torch
    from sklearn.datasets import load_digits
    from threadpoolctl import threadpool_limits

    import hiddenlayers as hl
    from hiddenlayers.lens._probes import probe_features

    torch.set_num_threads(1)
    X, y = load_digits(return_X_y=True)
    X = np.kron((X / 16).reshape(-1, 8, 8), np.ones((1, 4, 4))).reshape(len(X), -1).astype(np.float32)  # 32 x 32 pixels
    mlp = hl.MLPClassifier((512, 64), max_iter=30, random_state=0).fit(X[:1200], y[:1200])
    for rows in args.rows:
        Xr, yr = X[1200 : 1200 + rows], y[1200 : 1200 + rows]
        rec = hl.lens.record(mlp, Xr)
        feats = {"input": Xr, **{name: rec.features(name) for name in rec}}
        full_s, span_s = [], []
        for _ in range(args.repeats):  # alternated, so drifting machine load hits both alike
            with threadpool_limits(1):  # what probe_features sets for itself: both sides on one BLAS thread
                c = time.process_time()
                full = _full(feats, yr)
                full_s.append(time.process_time() - c)
                c = time.process_time()
                span = probe_features(feats, yr).test_score
                span_s.append(time.process_time() - c)
        f, s = statistics.median(full_s), statistics.median(span_s)
        widths = ", ".join(f"{k} {v.reshape(rows, -1).shape[1]}" for k, v in feats.items())
        print(f"{rows} rows ({widths} features): full {f:.2f} CPU-s, span {s:.2f} CPU-s, full/span {f / s:.1f}x")
        print(f"  held-out accuracy full: {', '.join(f'{v:.3f}' for v in full)}")
        print(f"  held-out accuracy span: {', '.join(f'{v:.3f}' for v in span)}")


if __name__ == "__main__":
    main()
