"""Knowledge distillation on digits: a small student plain vs distilled from a bigger teacher (``hl.distill``).

sklearn's bundled digits (1,797 8x8 images), 70/30 stratified split. ``--teacher``: an RBF
SVM with Platt probabilities (``svc``: ``SVC(probability=True)``, deprecated in scikit-learn 1.9),
the same SVM calibrated by ``CalibratedClassifierCV(SVC(), ensemble=False)`` (``calibrated-svc``),
or ``MLPClassifier((256, 256))`` with early stopping (``mlp``; slow on 2 cores). Students ``(8,)`` and ``(16,)`` (Adam,
``max_iter`` epochs, no early stopping) are fitted per seed:

* plain: ``fit(X_train, y_train)``
* distilled: ``hl.distill(student, teacher, X_train, y_train, temperature=T, alpha=A)``
* half labelled: plain on half the training rows, vs distilled with the other half as ``X_unlabeled``

Printed per student: the median over seeds of test accuracy, agreement with the teacher's
labels and KL(teacher || student) on the test rows. Offline, about a minute on 2 cores.

    python benchmarks/bench_distill.py --seeds 5 [--teacher svc|calibrated-svc|mlp --temperature 2 --alpha 0.5]
"""

from __future__ import annotations

import argparse
import time
import warnings
from typing import Any

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

import hiddenlayers as hl


def _metrics(model: hl.MLPClassifier, X: np.ndarray, y: np.ndarray, p_teacher: np.ndarray) -> tuple[float, float, float]:
    """(accuracy, agreement with the teacher's labels, mean KL(teacher || student)) on ``X``."""
    q = model.predict_proba(X).astype(np.float64)
    kl = np.sum(p_teacher * (np.log(p_teacher + 1e-12) - np.log(q + 1e-12)), axis=1).mean()
    return float(np.mean(model.predict(X) == y)), float(np.mean(q.argmax(1) == p_teacher.argmax(1))), float(kl)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--temperature", type=float, default=2.0)
    ap.add_argument("--alpha", type=float, default=0.5)
    ap.add_argument("--max-iter", type=int, default=200)
    ap.add_argument("--sizes", default="8,16", help="student widths, one hidden layer each")
    ap.add_argument("--teacher", choices=("svc", "calibrated-svc", "mlp"), default="svc")
    args = ap.parse_args()
    warnings.simplefilter("ignore")  # ConvergenceWarning at max_iter: every fit runs the same epochs on purpose

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    t0 = time.perf_counter()
    teacher: Any
    if args.teacher == "mlp":
        teacher = hl.MLPClassifier((256, 256), max_iter=100, early_stopping=True, random_state=0).fit(Xtr, ytr)
    elif args.teacher == "calibrated-svc":
        teacher = CalibratedClassifierCV(SVC(), ensemble=False).fit(Xtr, ytr)
    else:
        teacher = SVC(probability=True, random_state=0).fit(Xtr, ytr)
    p_te = teacher.predict_proba(Xte)
    print(f"teacher {args.teacher}: test accuracy {teacher.score(Xte, yte):.4f} ({time.perf_counter() - t0:.1f} s)")
    print(f"T={args.temperature:g} alpha={args.alpha:g} max_iter={args.max_iter}, median over {args.seeds} seeds (0..{args.seeds - 1})")
    half = np.arange(len(ytr)) % 2 == 0  # labelled half; the other half goes in as X_unlabeled
    print("| student | fit | test accuracy | agreement with teacher | KL(teacher‖student) |")
    print("|---|---|---|---|---|")
    for width in (int(w) for w in args.sizes.split(",")):
        rows: dict[str, list[tuple[float, float, float]]] = {k: [] for k in ("plain", "distilled", "plain, half labelled", "distilled, half + X_unlabeled")}
        for seed in range(args.seeds):
            def new() -> hl.MLPClassifier:
                return hl.MLPClassifier((width,), max_iter=args.max_iter, random_state=seed)  # noqa: B023

            kw = {"temperature": args.temperature, "alpha": args.alpha}
            rows["plain"].append(_metrics(new().fit(Xtr, ytr), Xte, yte, p_te))
            rows["distilled"].append(_metrics(hl.distill(new(), teacher, Xtr, ytr, **kw), Xte, yte, p_te))
            rows["plain, half labelled"].append(_metrics(new().fit(Xtr[half], ytr[half]), Xte, yte, p_te))
            rows["distilled, half + X_unlabeled"].append(
                _metrics(hl.distill(new(), teacher, Xtr[half], ytr[half], X_unlabeled=Xtr[~half], **kw), Xte, yte, p_te))
        for name, vals in rows.items():
            acc, agree, kl = np.median(np.array(vals), axis=0)
            per_seed = " ".join(f"{v[0]:.3f}" for v in vals)
            print(f"| ({width},) | {name} | {acc:.4f} ({per_seed}) | {agree:.4f} | {kl:.3f} |")
    print(f"total {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
