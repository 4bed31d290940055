"""A search over adam and sgd with one shared learning-rate range vs a range per solver: the best held-out score found.

Each seed splits a bundled table (25% held out, stratified; X standardized on the training rows) and runs
:func:`hiddenlayers.search` on the training rows three ways, the same trials, epochs, space and seed each:

- ``shared``: ``learning_rate_init=(3e-4, 3e-2)`` for both solvers (the default before per-solver ranges);
- ``shared wide``: ``(3e-4, 0.1)``, one range spanning both solvers' defaults;
- ``per solver``: the default ``DEFAULT_LEARNING_RATES`` (adam 3e-4..3e-2, sgd 3e-3..0.1), each sampled under its
  solver's name so TPE models them apart.

Prints, per seed and arm, the best trial's validation score, its solver and rate, the refitted best model's score
on the held-out rows, and the best validation score among each solver's complete trials (how well that solver's
rates were explored); then the mean of each and the ratios per solver / shared. Quality only: no timing.

    python benchmarks/bench_search_rates.py --seeds 3 --trials 16 --epochs 30
"""

from __future__ import annotations

import argparse
import platform
import statistics
import warnings

import numpy as np
import torch
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import hiddenlayers as hl
from hiddenlayers.rightsize import DEFAULT_LEARNING_RATES, SearchSpace

ARMS = {"shared": (3e-4, 3e-2), "shared wide": (3e-4, 0.1), "per solver": dict(DEFAULT_LEARNING_RATES)}
TABLES = {"digits": load_digits, "breast_cancer": load_breast_cancer}


def _split(table: str, seed: int) -> tuple[np.ndarray, ...]:
    X, y = TABLES[table](return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=seed, stratify=y)
    scaler = StandardScaler().fit(Xtr)
    return scaler.transform(Xtr), scaler.transform(Xte), ytr, yte


def run(table: str, seeds: int, trials: int, epochs: int) -> dict[str, list[tuple[float, ...]]]:
    """``{arm: [(validation score, held-out score, best adam trial, best sgd trial) per seed]}``, each seed's line printed as it finishes."""
    out: dict[str, list[tuple[float, ...]]] = {arm: [] for arm in ARMS}
    for seed in range(seeds):
        Xtr, Xte, ytr, yte = _split(table, seed)
        for arm, lr in ARMS.items():
            space = SearchSpace(layers=(1, 2), widths=(32, 64, 128), solvers=("adam", "sgd"), learning_rate_init=lr)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                found = hl.search(Xtr, ytr, space=space, trials=trials, max_epochs=epochs, cv=1, random_state=seed,
                                  threads=1, progress=False)
            best, test = found.best, float(found.best_model.score(Xte, yte))
            trials_table = found.trials_table()
            done = trials_table[trials_table["state"] == "complete"]
            by_solver = [float(done.loc[done["solver"] == s, "score"].max()) for s in ("adam", "sgd")]  # NaN: none complete
            out[arm].append((float(best["score"]), test, *by_solver))
            counts = trials_table["solver"].value_counts().to_dict()
            print(f"{table} seed {seed} {arm:>11}: validation {best['score']:.4f}  held-out {test:.4f}  best {best['solver']} "
                  f"lr {best['learning_rate_init']:.3g}  best adam / sgd trial {by_solver[0]:.4f} / {by_solver[1]:.4f}  "
                  f"trials by solver {counts}", flush=True)
    return out


def _mean_of_known(values: list[float]) -> float:
    """The mean of the values that are not NaN; NaN when every one is (no complete trial of that solver in any seed, as
    a few ``--trials`` can give)."""
    known = [v for v in values if v == v]
    return statistics.fmean(known) if known else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--trials", type=int, default=16)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--tables", default="digits,breast_cancer")
    args = ap.parse_args()
    torch.set_num_threads(1)
    print(f"{platform.machine()} {platform.processor() or ''}; torch {torch.__version__}, hiddenlayers {hl.__version__}; "
          f"{args.seeds} seeds, {args.trials} trials, {args.epochs} epochs, cv=1")
    for table in args.tables.split(","):
        res = run(table, args.seeds, args.trials, args.epochs)
        for i, what in enumerate(("validation", "held-out", "best adam trial's validation", "best sgd trial's validation")):
            means = {arm: _mean_of_known([v[i] for v in vals]) for arm, vals in res.items()}
            shown = ", ".join(f"{arm} {m:.4f}" for arm, m in means.items())
            print(f"{table} mean {what}: {shown}; per solver / shared = {means['per solver'] / means['shared']:.4f}, "
                  f"per solver / shared wide = {means['per solver'] / means['shared wide']:.4f}", flush=True)


if __name__ == "__main__":
    main()
