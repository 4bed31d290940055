"""Wrong labels (scikit-learn's digits, 20% of the training labels moved at random): find them, drop them, or learn through them.

The test labels stay clean. Rows of the table, test accuracy of the same
MLPClassifier (64 units) trained on
  - the clean labels (the ceiling no real dataset gives),
  - the noisy labels with cross entropy, and with the generalized cross entropy (loss="gce"),
  - the noisy labels without the rows hl.check flags as likely mislabelled, with either loss.
It also prints the precision and recall of hl.check's flags against the moved
rows, and writes hl.check's report to examples/reports/noisy_labels_digits.html.

Run: python examples/noisy_labels_digits.py
     python examples/noisy_labels_digits.py --smoke   # seconds: 600 training rows, fewer epochs (not the RESULTS.md numbers)
"""

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

import hiddenlayers as hl

REPORTS = Path(__file__).parent / "reports"
NOISE = 0.2
SEEDS = (0, 1, 2)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line: ``--smoke`` for a seconds-long run on a slice, ``--out-dir`` for the report's folder."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--smoke", action="store_true", help="seconds-long check of the same code path: 600 training rows, one seed, 30 epochs")
    p.add_argument("--out-dir", type=Path, default=None, help=f"folder for the data report (default {REPORTS}, or {REPORTS / 'smoke'} with --smoke)")
    return p.parse_args(argv)


def move_labels(y: np.ndarray, rate: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``y`` with ``rate`` of its labels moved to another class at random, and the moved rows."""
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(y), int(round(rate * len(y))), replace=False)
    noisy = y.copy()
    noisy[rows] = (noisy[rows] + rng.integers(1, 10, rows.size)) % 10
    return noisy, rows


def main(argv: list[str] | None = None) -> None:
    """Train each arm on each seed's noise, print the accuracy table and the flags' precision and recall, save the report."""
    args = parse_args(argv)
    seeds, epochs = ((0,), 30) if args.smoke else (SEEDS, 100)
    out_dir = args.out_dir or (REPORTS / "smoke" if args.smoke else REPORTS)
    torch.set_num_threads(1)  # small networks: one thread is fastest, and the machine is shared
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    t0 = time.perf_counter()
    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X / 16, y, test_size=0.3, random_state=0, stratify=y)
    if args.smoke:
        Xtr, ytr = Xtr[:600], ytr[:600]
    print(f"digits: {len(Xtr)} training rows ({NOISE:.0%} of their labels moved), {len(Xte)} clean test rows, seeds {list(seeds)}")

    def accuracy(X_fit: np.ndarray, y_fit: np.ndarray, loss: str, seed: int) -> float:
        clf = hl.MLPClassifier((64,), max_iter=epochs, batch_size=64, learning_rate_init=3e-3, random_state=seed, loss=loss)
        return float(clf.fit(X_fit, y_fit).score(Xte, yte))

    arms: dict[str, list[float]] = {}
    found: list[tuple[float, float, int]] = []
    for seed in seeds:
        noisy, moved = move_labels(ytr, NOISE, seed)
        report = hl.check(Xtr, noisy, seed=seed)
        issues = [f for f in report.findings if f.check == "label_issues"]
        flagged = np.asarray(issues[0].rows if issues else (), dtype=np.int64)
        hits = np.intersect1d(flagged, moved).size
        found.append((hits / max(flagged.size, 1), hits / moved.size, flagged.size))
        X_kept, y_kept = report.clean(Xtr, noisy, drop=("label_issues",))
        for name, X_fit, y_fit, loss in [
            ("clean labels (ceiling)", Xtr, ytr, "log_loss"),
            ("noisy labels, cross entropy", Xtr, noisy, "log_loss"),
            ('noisy labels, loss="gce"', Xtr, noisy, "gce"),
            ("flagged rows dropped, cross entropy", X_kept, y_kept, "log_loss"),
            ('flagged rows dropped, loss="gce"', X_kept, y_kept, "gce"),
        ]:
            arms.setdefault(name, []).append(accuracy(np.asarray(X_fit), np.asarray(y_fit), loss, seed))
        if seed == seeds[0]:
            out_dir.mkdir(parents=True, exist_ok=True)
            report.save(out_dir / "noisy_labels_digits.html")
    p, r, n = np.mean(found, axis=0)
    print(f"hl.check's label flags: {n:.0f} rows a seed, precision {p:.3f}, recall {r:.3f} of the moved rows")
    print(f"{'arm':40s} test accuracy (mean ± sd over {len(seeds)} seed(s))")
    for name, accs in arms.items():
        print(f"  {name:38s} {np.mean(accs):.4f} ± {np.std(accs):.4f}")
    print(f"data report: {out_dir / 'noisy_labels_digits.html'}")
    print(f"wall time {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
