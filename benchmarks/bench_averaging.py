"""Weight averaging side by side: plain training vs EMA vs SWA (with and without its own rate), held-out score and fit time.

Each setting (dataset x solver) fits the same network with the same seeds six ways: no averaging,
``weight_averaging="ema"`` at ``ema_decay=0.999`` and at the default 0.99, ``"swa"`` (``swa_start=0.75``) under the
solver's constant rate, and ``"swa"`` with ``swa_lr`` at 2x and at 0.5x the solver's ``learning_rate_init``
(``swa_anneal_epochs=3``: annealed over 3 of the 15 averaged epochs of a 60-epoch fit).
Every fit runs all ``--epochs`` (no early stopping, no stall rule: checked), so the times compare the same number of steps.
Prints each seed's held-out score, the median over seeds, and each mode's median fit time over plain's.
``--learning-rate invscaling`` (or ``adaptive``) runs the SGD fits under that decaying schedule (Adam's rate stays
constant, as scikit-learn's), the case ``swa_lr`` is for.

    python benchmarks/bench_averaging.py --seeds 3 --epochs 60
    python benchmarks/bench_averaging.py --seeds 3 --epochs 60 --learning-rate invscaling
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
import warnings

import numpy as np
import torch
from sklearn.datasets import load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import hiddenlayers as hl

MODES = {"plain": {}, "ema 0.999": {"weight_averaging": "ema", "ema_decay": 0.999}, "ema 0.99": {"weight_averaging": "ema"},
         "swa 0.75": {"weight_averaging": "swa"},
         # swa_lr as a multiple of the solver's learning_rate_init (set per solver in run)
         "swa lr x2": {"weight_averaging": "swa", "swa_lr": 2.0, "swa_anneal_epochs": 3},
         "swa lr x0.5": {"weight_averaging": "swa", "swa_lr": 0.5, "swa_anneal_epochs": 3}}
SOLVERS = {"adam": {"solver": "adam", "learning_rate_init": 0.003}, "sgd": {"solver": "sgd", "learning_rate_init": 0.05}}


def _data(name: str, seed: int) -> tuple[np.ndarray, ...]:
    if name == "digits":
        X, y = load_digits(return_X_y=True)
        parts = train_test_split(X / 16.0, y, test_size=0.3, random_state=seed, stratify=y)
    else:
        X, y = load_diabetes(return_X_y=True)
        parts = train_test_split(X, (y - y.mean()) / y.std(), test_size=0.3, random_state=seed)
        scaler = StandardScaler().fit(parts[0])
        parts = [scaler.transform(parts[0]), scaler.transform(parts[1]), parts[2], parts[3]]
    return tuple(parts)


def run(seeds: int, epochs: int, learning_rate: str = "constant") -> None:
    print(f"machine: {platform.machine()} {platform.processor() or ''}, torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"seeds {seeds}, epochs {epochs}, hidden (64,), batch 'auto' (200), learning_rate {learning_rate!r}; "
          "score: accuracy (digits), R^2 (diabetes)\n")
    for data in ("digits", "diabetes"):
        cls = hl.MLPClassifier if data == "digits" else hl.MLPRegressor
        for solver, skw in SOLVERS.items():
            scores: dict[str, list[float]] = {m: [] for m in MODES}
            times: dict[str, list[float]] = {m: [] for m in MODES}
            for seed in range(seeds):
                X_train, X_test, y_train, y_test = _data(data, seed)
                for mode, mkw in MODES.items():  # round-robin: every mode once per seed
                    if "swa_lr" in mkw:
                        mkw = {**mkw, "swa_lr": mkw["swa_lr"] * skw["learning_rate_init"]}
                    # n_iter_no_change=epochs: no stall rule ends a fit early (before swa_start's epoch, SWA would average nothing)
                    model = cls(hidden_layer_sizes=(64,), max_iter=epochs, n_iter_no_change=epochs, random_state=seed,
                                learning_rate=learning_rate, **skw, **mkw)
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", ConvergenceWarning)
                        warnings.filterwarnings("ignore", "ema_decay=0.999 averages over")  # the 0.999 row is run on purpose
                        t0 = time.perf_counter()
                        model.fit(X_train, y_train)
                        times[mode].append(time.perf_counter() - t0)
                    assert model.n_iter_ == epochs, (data, solver, mode, model.n_iter_)
                    scores[mode].append(model.score(X_test, y_test))
            base_t = statistics.median(times["plain"])
            print(f"{data} / {solver}")
            for mode in MODES:
                med = statistics.median(scores[mode])
                ratio = statistics.median(times[mode]) / base_t
                each = " ".join(f"{s:.4f}" for s in scores[mode])
                print(f"  {mode:11s} median score {med:.4f}  (seeds: {each})  median fit {statistics.median(times[mode]):.2f} s, "
                      f"time / plain {ratio:.2f}")
            print()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--learning-rate", default="constant", choices=("constant", "invscaling", "adaptive"))
    args = parser.parse_args()
    run(args.seeds, args.epochs, args.learning_rate)
