"""Breast-cancer diagnosis (scikit-learn's Wisconsin data): 5-fold accuracy, hiddenlayers vs scikit-learn MLP.

Both are the same Pipeline(StandardScaler, MLP with one hidden layer of 100
units, adam, max_iter=500, random_state=0) scored on the same stratified
5 folds. Finally one hiddenlayers model is fitted on all rows (with gradient
flow recorded) and its lens report is written to
examples/reports/medical_breast_cancer.html.

Run: python examples/medical_breast_cancer.py
     python examples/medical_breast_cancer.py --smoke   # seconds: 300 rows, 3 folds, 30 epochs (not the RESULTS.md numbers)
"""

import argparse
import time
import warnings
from pathlib import Path

import torch
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold, cross_val_score, train_test_split
from sklearn.neural_network import MLPClassifier as SkMLP
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import hiddenlayers as hl

REPORTS = Path(__file__).parent / "reports"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line: ``--smoke`` for a seconds-long run on a slice, ``--out-dir`` for the lens report's folder."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--smoke", action="store_true", help="seconds-long check of the same code path: 300 rows, 3 folds, 30 epochs")
    p.add_argument("--out-dir", type=Path, default=None, help=f"folder for the lens report (default {REPORTS}, or {REPORTS / 'smoke'} with --smoke)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Cross-validate both MLPs, print the accuracy table, write the lens report."""
    args = parse_args(argv)
    n_folds, max_iter = (3, 30) if args.smoke else (5, 500)
    out_dir = args.out_dir or (REPORTS / "smoke" if args.smoke else REPORTS)
    torch.set_num_threads(1)  # small networks: one thread is fastest, and the machine is shared
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    t0 = time.perf_counter()
    data = load_breast_cancer()
    X, y = data.data, data.target
    if args.smoke:  # a stratified slice of 300 patients
        X, _, y, _ = train_test_split(X, y, train_size=300, stratify=y, random_state=0)
    folds = StratifiedKFold(n_folds, shuffle=True, random_state=0)
    print(f"breast cancer: {X.shape[0]} patients, {X.shape[1]} features, {y.mean():.1%} benign")
    for name, clf in [("hiddenlayers.MLPClassifier", hl.MLPClassifier((100,), max_iter=max_iter, random_state=0)), ("sklearn MLPClassifier", SkMLP((100,), max_iter=max_iter, random_state=0))]:
        t = time.perf_counter()
        acc = cross_val_score(make_pipeline(StandardScaler(), clf), X, y, cv=folds)
        print(f"  {name:28s} {n_folds}-fold accuracy {acc.mean():.4f} ± {acc.std():.4f}  ({time.perf_counter() - t:.1f} s)")

    # Look inside: one model on all rows (standardized, as in the pipeline), 300 rows for the report.
    t = time.perf_counter()
    Xs = StandardScaler().fit_transform(X)
    clf = hl.MLPClassifier((100,), max_iter=max_iter, random_state=0, callbacks=[hl.lens.GradientFlow(Xs[:200])]).fit(Xs, y)
    report_path = out_dir / "medical_breast_cancer.html"
    report_path.parent.mkdir(parents=True, exist_ok=True)
    sample = slice(0, 300)
    title = "Inside a breast-cancer MLP" + (" (smoke run)" if args.smoke else "")
    hl.lens.report(clf, Xs[sample], y[sample], title=title, feature_names=list(data.feature_names)).save(report_path)
    print(f"lens report: {report_path} ({time.perf_counter() - t:.1f} s)")
    print(f"wall time {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
