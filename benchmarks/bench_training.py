"""Training speed of hiddenlayers' MLPClassifier beside its peers, in one process.

a. 100k x 100 synthetic, hidden (256, 128), adam, batch 256, 10 epochs, all run:
   vs scikit-learn's MLPClassifier on float64 and on float32 input.
b. the same vs a plain hand-written PyTorch loop; achieved GFLOP/s and the
   fraction of this machine's measured float32 matmul peak.
c. digits, hidden (64,), adam, default batch, 200 epochs: vs scikit-learn
   and a naive PyTorch loop.

Prints median times and mean test accuracy over ``--repeats`` seeds (seed r
for repeat r), and ratios (peer time / our time).
Usage: python benchmarks/bench_training.py [--repeats 3] [--quick]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
import warnings

import numpy as np
import torch
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SkMLP
from sklearn.preprocessing import StandardScaler

import hiddenlayers as hl

warnings.simplefilter("ignore", ConvergenceWarning)


def timed(fn, repeats):
    """Median seconds of ``fn()`` over ``repeats`` calls, and the last result."""
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def interleaved(peers, repeats, each_round=None, raw=None, around=None):
    """``{name: (median seconds, mean score)}`` for ``peers = {name: (fit, score)}``, run round-robin.

    ``raw``, a dict if given, receives every round's seconds per peer;
    ``around = {name: fn}`` calls ``fn()`` right before and right after that
    peer's fit, outside its timing.

    Each repeat uses another seed, so "equal accuracy" compares means over
    initialisations and batch orders, not one lucky or unlucky draw.

    Round r fits every peer once with seed r before the next round starts, so
    a slow spell of this shared host falls on all peers alike instead of on
    whichever one happened to be running (seen here: one peer's five
    consecutive fits all landing in a spell 1.5x slower).
    """
    times = {name: [] for name in peers}
    scores = {name: [] for name in peers}
    for seed in range(repeats):
        if each_round is not None:
            each_round()
        for name, (fit, score) in peers.items():
            hook = (around or {}).get(name)
            if hook:
                hook()
            t0 = time.perf_counter()
            model = fit(seed)
            times[name].append(time.perf_counter() - t0)
            if hook:
                hook()
            scores[name].append(score(model))
    if raw is not None:
        raw.update(times)
    print("seconds per round (this host's slow spells show here):")
    for name in peers:
        print(f"  {name:30s} " + " ".join(f"{t:6.2f}" for t in times[name]))
    return {name: (statistics.median(times[name]), float(np.mean(scores[name]))) for name in peers}


def torch_loop(Xtr, ytr, hidden, epochs, batch, lr=1e-3, alpha=1e-4, seed=0, device="cpu"):
    """The plain loop a PyTorch user writes: nn.Sequential, torch.optim.Adam, index batches.

    ``device="cuda"``: data, model and the shuffle on the GPU (no host sync per step).
    """
    torch.manual_seed(seed)
    layers, width = [], Xtr.shape[1]
    for h in hidden:
        layers += [torch.nn.Linear(width, h), torch.nn.ReLU()]
        width = h
    n_classes = int(ytr.max()) + 1
    model = torch.nn.Sequential(*layers, torch.nn.Linear(width, n_classes)).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=alpha / batch)  # sklearn scales alpha by batch
    X = torch.as_tensor(Xtr, dtype=torch.float32, device=device)
    y = torch.as_tensor(ytr, dtype=torch.long, device=device)
    g = torch.Generator(device=device).manual_seed(seed)
    n = X.shape[0]
    for _ in range(epochs):
        perm = torch.randperm(n, generator=g, device=device)
        for s in range(0, n, batch):
            idx = perm[s : s + batch]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(X[idx]), y[idx])
            loss.backward()
            opt.step()
    return model


def torch_accuracy(model, X, y, device="cpu"):
    with torch.inference_mode():
        out = model(torch.as_tensor(X, dtype=torch.float32, device=device))
    return float((out.argmax(1).cpu().numpy() == y).mean())


def matmul_peak():
    """Measured float32 matmul GFLOP/s (best of torch and NumPy, 2048^2, median of 5 products each)."""
    n = 2048
    best = 0.0
    a = torch.randn(n, n)
    b = torch.randn(n, n)
    torch.mm(a, b)
    t, _ = timed(lambda: torch.mm(a, b), 5)
    best = max(best, 2 * n**3 / t / 1e9)
    an, bn = a.numpy(), b.numpy()
    an @ bn
    t, _ = timed(lambda: an @ bn, 5)
    return max(best, 2 * n**3 / t / 1e9)


def bench_large(repeats, quick):
    n = 20_000 if quick else 100_000
    X, y = make_classification(n_samples=n, n_features=100, n_informative=50, n_classes=10, random_state=0)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, random_state=0)
    sc = StandardScaler().fit(Xtr)
    Xtr, Xte = sc.transform(Xtr), sc.transform(Xte)
    Xtr32, Xte32 = Xtr.astype(np.float32), Xte.astype(np.float32)
    common = dict(hidden_layer_sizes=(256, 128), solver="adam", batch_size=256, max_iter=10, tol=0.0,
                  n_iter_no_change=10**6)
    peaks = []  # the peak is measured in every round too: this host's speed drifts within a run
    beside = []  # and right before and after each of our float32 fits
    raw = {}
    rows = interleaved({
        "sklearn float64": (lambda s: SkMLP(**common, random_state=s).fit(Xtr, ytr), lambda m: m.score(Xte, yte)),
        "sklearn float32": (lambda s: SkMLP(**common, random_state=s).fit(Xtr32, ytr), lambda m: m.score(Xte32, yte)),
        "hiddenlayers (float64 input)": (lambda s: hl.MLPClassifier(**common, random_state=s).fit(Xtr, ytr), lambda m: m.score(Xte, yte)),
        "hiddenlayers (float32 input)": (lambda s: hl.MLPClassifier(**common, random_state=s).fit(Xtr32, ytr), lambda m: m.score(Xte32, yte)),
        "plain PyTorch loop": (lambda s: torch_loop(Xtr32, ytr, (256, 128), 10, 256, seed=s), lambda m: torch_accuracy(m, Xte32, yte)),
    }, repeats, each_round=lambda: peaks.append(matmul_peak()), raw=raw,
       around={"hiddenlayers (float32 input)": lambda: beside.append(matmul_peak())})
    flops_per_sample = 2 * (100 * 256 + 256 * 128 + 128 * 10)
    step_flops = 3 * flops_per_sample * Xtr.shape[0] * 10  # forward + 2x backward, 10 epochs
    # each round's fit paired with the mean of the peaks measured right before and right after it:
    # the round's first peak comes ~20 s earlier, and this host's slow spells last about that long
    around_fit = [(a + b) / 2 for a, b in zip(beside[::2], beside[1::2])]
    fractions = [step_flops / t / 1e9 / p for t, p in zip(raw["hiddenlayers (float32 input)"], around_fit)]
    print("b: peak beside each fit (GFLOP/s): " + " ".join(f"{a:.0f}|{b:.0f}" for a, b in zip(beside[::2], beside[1::2])))
    print("b: share of that peak per round:    " + " ".join(f"{f:.0%}" for f in fractions))
    return rows, step_flops, statistics.median(peaks), fractions


def bench_digits(repeats):
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0)
    common = dict(hidden_layer_sizes=(64,), solver="adam", max_iter=200)
    hl.MLPClassifier(**common).fit(Xtr, ytr)  # warm-up: first-call costs are reported below
    Xtr32, Xte32 = Xtr.astype(np.float32), Xte.astype(np.float32)
    return interleaved({
        "sklearn": (lambda s: SkMLP(**common, random_state=s).fit(Xtr, ytr), lambda m: m.score(Xte, yte)),
        "hiddenlayers": (lambda s: hl.MLPClassifier(**common, random_state=s).fit(Xtr, ytr), lambda m: m.score(Xte, yte)),
        "naive PyTorch loop": (lambda s: torch_loop(Xtr32, ytr, (64,), 200, 200, seed=s), lambda m: torch_accuracy(m, Xte32, yte)),
    }, repeats)


def show(title, rows, ours):
    print(f"\n## {title}")
    print(f"{'implementation':32s} {'median s':>9s} {'mean acc':>9s} {'time / ours':>12s}")
    t_ours = rows[ours][0]
    for name, (t, acc) in rows.items():
        print(f"{name:32s} {t:9.3f} {acc:9.4f} {t / t_ours:12.2f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="20k rows instead of 100k (smoke run)")
    ap.add_argument("--json", type=str, default=None)
    args = ap.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {torch.get_num_threads()} torch threads, "
          f"torch {torch.__version__}, numpy {np.__version__}")
    peak = matmul_peak()
    print(f"measured float32 matmul peak: {peak:.1f} GFLOP/s")
    rows_c = bench_digits(max(args.repeats, 5))
    show("c. digits, (64,), adam, 200 epochs", rows_c, "hiddenlayers")
    rows_a, flops, peak_rounds, fractions = bench_large(args.repeats, args.quick)
    show("a/b. 100k x 100, (256, 128), adam, batch 256, 10 epochs", rows_a, "hiddenlayers (float32 input)")
    print(f"matmul peak measured in the same rounds (median): {peak_rounds:.1f} GFLOP/s")
    t_ours64 = rows_a["hiddenlayers (float64 input)"][0]
    t_ours32 = rows_a["hiddenlayers (float32 input)"][0]
    gflops = flops / t_ours32 / 1e9
    summary = {
        "a_speedup_vs_sklearn_float64": rows_a["sklearn float64"][0] / t_ours64,
        "a_speedup_vs_sklearn_float32": rows_a["sklearn float32"][0] / t_ours32,
        "b_throughput_vs_plain_torch": rows_a["plain PyTorch loop"][0] / t_ours32,
        "b_gflops": gflops,
        "b_fraction_of_peak": gflops / peak,
        "b_fraction_of_peak_same_rounds": gflops / peak_rounds,
        "b_fraction_of_peak_round_median": statistics.median(fractions),
        "b_fraction_of_peak_round_best": max(fractions),
        "c_speedup_vs_sklearn": rows_c["sklearn"][0] / rows_c["hiddenlayers"][0],
        "c_speedup_vs_naive_torch": rows_c["naive PyTorch loop"][0] / rows_c["hiddenlayers"][0],
    }
    print("\n## summary")
    for k, v in summary.items():
        print(f"{k:34s} {v:8.2f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(summary, fh, indent=2)


if __name__ == "__main__":
    main()
