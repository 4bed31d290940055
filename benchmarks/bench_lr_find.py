"""Does ``hl.lr_find``'s suggestion train well? Digits, sgd, 10 epochs at the suggestion vs at the default rate.

Run: ``.venv/bin/python benchmarks/bench_lr_find.py [--seeds 3]``. Prints one row per seed and the medians.

scikit-learn's digits, 70/30 stratified split (random_state 0), standardised on
the training part; ``MLPClassifier((64,), solver="sgd")`` with each seed as its
``random_state``: ``hl.lr_find`` (defaults: 1e-7 to 10 over 100 steps) on the
training part, then 10 epochs of sgd at the suggestion and at the default
``learning_rate_init=1e-3``; validation accuracy of each.
"""

from __future__ import annotations

import argparse
import statistics
import warnings

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import hiddenlayers as hl


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    X, y = load_digits(return_X_y=True)
    X_tr, X_va, y_tr, y_va = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    scaler = StandardScaler().fit(X_tr)
    X_tr, X_va = scaler.transform(X_tr), scaler.transform(X_va)
    rows = []
    print("seed  suggestion  acc@suggestion  acc@1e-3")
    for seed in range(args.seeds):
        found = hl.lr_find(hl.MLPClassifier((64,), solver="sgd", random_state=seed), X_tr, y_tr)
        accs = []
        for lr in (found.suggestion, 1e-3):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # 10 epochs do not converge at 1e-3
                clf = hl.MLPClassifier((64,), solver="sgd", learning_rate_init=lr, max_iter=10, random_state=seed).fit(X_tr, y_tr)
            accs.append(clf.score(X_va, y_va))
        rows.append((found.suggestion, *accs))
        print(f"{seed:4d}  {found.suggestion:10.3g}  {accs[0]:14.4f}  {accs[1]:8.4f}")
    med = [statistics.median(col) for col in zip(*rows)]
    print(f"median  {med[0]:8.3g}  {med[1]:14.4f}  {med[2]:8.4f}")


if __name__ == "__main__":
    main()
