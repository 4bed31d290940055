"""Training speed on a CUDA GPU: hiddenlayers' MLPClassifier beside a plain PyTorch loop, both on the GPU.

The same workloads as ``bench_training.py`` (a/b: 100k x 100 synthetic,
hidden (256, 128), adam, batch 256, 10 epochs; c: digits, hidden (64,), adam,
200 epochs), with the data and the network on the GPU for both peers. On a GPU
these small dense steps are bound by per-step launch and host overhead, not by
arithmetic, so the ratio measures how lean the fit loop is. scikit-learn has
no GPU path and is left out. Exits with a message where no GPU is present.

Prints median seconds over ``--repeats`` seeds, mean test accuracy, and
ratios (peer time / our time).
Usage: python benchmarks/bench_gpu.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
import warnings

import numpy as np
import torch
from bench_training import show, torch_accuracy, torch_loop  # the same plain loop, on the GPU here
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import hiddenlayers as hl

warnings.simplefilter("ignore", ConvergenceWarning)


def timed_seeds(fit, score, repeats):
    """Median seconds of ``fit(seed)`` (GPU work finished) over seeds, and mean ``score``."""
    times, scores = [], []
    for seed in range(repeats):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        model = fit(seed)
        torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
        scores.append(score(model))
    return statistics.median(times), float(np.mean(scores))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    if not torch.cuda.is_available():
        sys.exit("bench_gpu: no CUDA GPU here; run it on a machine with one.")
    print(f"GPU: {torch.cuda.get_device_name()}, host {platform.machine()}, torch {torch.__version__}")

    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X / 16.0, y, test_size=0.25, random_state=0)
    common = dict(hidden_layer_sizes=(64,), solver="adam", max_iter=200, device="cuda")
    hl.MLPClassifier(**{**common, "max_iter": 2}).fit(Xtr, ytr)  # CUDA context and kernels warm
    torch_loop(Xtr, ytr, (64,), 2, 200, device="cuda")
    rows = {
        "hiddenlayers (cuda)": timed_seeds(lambda s: hl.MLPClassifier(**common, random_state=s).fit(Xtr, ytr),
                                           lambda m: m.score(Xte, yte), args.repeats),
        "plain PyTorch loop (cuda)": timed_seeds(lambda s: torch_loop(Xtr, ytr, (64,), 200, 200, seed=s, device="cuda"),
                                                 lambda m: torch_accuracy(m, Xte, yte, device="cuda"), args.repeats),
    }
    show("c. digits, (64,), adam, 200 epochs, on the GPU", rows, "hiddenlayers (cuda)")

    X, y = make_classification(n_samples=100_000, n_features=100, n_informative=50, n_classes=10, random_state=0)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, random_state=0)
    sc = StandardScaler().fit(Xtr)
    Xtr, Xte = sc.transform(Xtr).astype(np.float32), sc.transform(Xte).astype(np.float32)
    common = dict(hidden_layer_sizes=(256, 128), solver="adam", batch_size=256, max_iter=10, tol=0.0,
                  n_iter_no_change=10**6, device="cuda")
    rows = {
        "hiddenlayers (cuda)": timed_seeds(lambda s: hl.MLPClassifier(**common, random_state=s).fit(Xtr, ytr),
                                           lambda m: m.score(Xte, yte), args.repeats),
        "plain PyTorch loop (cuda)": timed_seeds(lambda s: torch_loop(Xtr, ytr, (256, 128), 10, 256, seed=s, device="cuda"),
                                                 lambda m: torch_accuracy(m, Xte, yte, device="cuda"), args.repeats),
    }
    show("a/b. 100k x 100, (256, 128), adam, batch 256, 10 epochs, on the GPU", rows, "hiddenlayers (cuda)")
    steps = 10 * -(-Xtr.shape[0] // 256)
    print(f"\nper step: ours {rows['hiddenlayers (cuda)'][0] / steps * 1e6:.0f} us, "
          f"plain loop {rows['plain PyTorch loop (cuda)'][0] / steps * 1e6:.0f} us ({steps} steps)")


if __name__ == "__main__":
    main()
