"""Training speed on a CUDA GPU: hiddenlayers' MLPClassifier beside a plain PyTorch loop, both on the GPU.

The same workloads as ``bench_training.py`` (a/b: 100k x 100 synthetic,
hidden (256, 128), adam, batch 256, 10 epochs; c: digits, hidden (64,), adam,
200 epochs), with the data and the network on the GPU for both peers. On a GPU
these small dense steps are bound by per-step launch and host overhead, not by
arithmetic, so the ratio measures how lean the fit loop is. scikit-learn has
no GPU path and is left out. Exits with a message where no GPU is present.

Prints median seconds over ``--repeats`` seeds, mean test accuracy, and
ratios (peer time / our time). Workload a/b also runs scikit-learn on this
machine's CPU cores (the issue's goal: ours >= 20x it). Workload d is at
scale: 1M x 256 -> (2048, 2048, 1024) -> 10, batch 4096, 2 epochs, ours
beside a plain fused-Adam loop, in fp32, TF32 and bf16, with TFLOP/s from the
FLOP count (forward 2 x MACs, backward 4 x MACs less the first layer's input
gradient, per row).
Usage: python benchmarks/bench_gpu.py [--repeats 3] [--skip-sklearn]
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
    ap.add_argument("--skip-sklearn", action="store_true")
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
    if not args.skip_sklearn:
        from sklearn.neural_network import MLPClassifier as SkMLP

        sk_kw = {k: v for k, v in common.items() if k != "device"}
        rows["scikit-learn (CPU cores)"] = timed_seeds(lambda s: SkMLP(**sk_kw, random_state=s).fit(Xtr, ytr),
                                                       lambda m: m.score(Xte, yte), args.repeats)
    show("a/b. 100k x 100, (256, 128), adam, batch 256, 10 epochs, on the GPU", rows, "hiddenlayers (cuda)")
    steps = 10 * -(-Xtr.shape[0] // 256)
    print(f"\nper step: ours {rows['hiddenlayers (cuda)'][0] / steps * 1e6:.0f} us, "
          f"plain loop {rows['plain PyTorch loop (cuda)'][0] / steps * 1e6:.0f} us ({steps} steps)")
    at_scale(args.repeats)


def plain_fused_loop(X, y, hidden, epochs, batch, precision, seed=0, alpha=1e-4):
    """The plain loop a PyTorch user writes for speed: nn.Sequential, fused Adam, batches indexed on the GPU."""
    torch.manual_seed(seed)
    layers, width = [], X.shape[1]
    for h in hidden:
        layers += [torch.nn.Linear(width, h), torch.nn.ReLU()]
        width = h
    model = torch.nn.Sequential(*layers, torch.nn.Linear(width, int(y.max()) + 1)).cuda()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=alpha / batch, fused=True)
    Xg = torch.as_tensor(X, device="cuda")
    yg = torch.as_tensor(y, dtype=torch.long, device="cuda")
    before = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision("high" if precision == "tf32" else "highest")
    try:
        for _ in range(epochs):
            perm = torch.randperm(len(Xg), device="cuda")
            for s in range(0, len(Xg), batch):
                idx = perm[s : s + batch]
                opt.zero_grad(set_to_none=True)
                with torch.autocast("cuda", dtype=torch.bfloat16, enabled=precision == "bf16"):
                    out = model(Xg[idx])
                torch.nn.functional.cross_entropy(out.float(), yg[idx]).backward()
                opt.step()
    finally:
        torch.set_float32_matmul_precision(before)
    return model


def at_scale(repeats):
    hidden, n, d, batch, epochs = (2048, 2048, 1024), 1_000_000, 256, 4096, 2
    g = torch.Generator(device="cuda").manual_seed(0)
    X = torch.randn(n + 50_000, d, device="cuda", generator=g)
    R = torch.randn(d, 10, device="cuda", generator=g)
    y = (torch.tanh(X[:, :64] @ R[:64]) + 0.3 * (X @ R)).argmax(1)  # learnable, not linearly trivial
    Xtr, Xte = X[:n].cpu().numpy(), X[n:].cpu().numpy()
    ytr, yte = y[:n].cpu().numpy(), y[n:].cpu().numpy()
    del X, y
    widths = [d, *hidden, 10]
    macs = sum(a * b for a, b in zip(widths, widths[1:]))
    flops = epochs * n * (6 * macs - 2 * widths[0] * widths[1])
    common = dict(hidden_layer_sizes=hidden, solver="adam", batch_size=batch, max_iter=epochs, tol=0.0,
                  n_iter_no_change=10**6, device="cuda")
    hl.MLPClassifier(**{**common, "max_iter": 1}).fit(Xtr[:100_000], ytr[:100_000])  # kernels and heuristics warm
    plain_fused_loop(Xtr[:100_000], ytr[:100_000], hidden, 1, batch, "fp32")
    rows = {}
    for precision in ("fp32", "tf32", "bf16"):
        loops = []
        rows[f"hiddenlayers {precision}"] = timed_seeds(
            lambda s, p=precision: hl.MLPClassifier(**common, precision=p, random_state=s).fit(Xtr, ytr),
            lambda m, loops=loops: loops.append(m.history_.time[-1]) or m.score(Xte, yte), repeats)
        rows[f"hiddenlayers {precision}, loop only"] = (statistics.median(loops), rows[f"hiddenlayers {precision}"][1])
        rows[f"plain fused-Adam loop {precision}"] = timed_seeds(
            lambda s, p=precision: plain_fused_loop(Xtr, ytr, hidden, epochs, batch, p, seed=s),
            lambda m: torch_accuracy(m, Xte, yte, device="cuda"), repeats)
    show("d. 1M x 256, (2048, 2048, 1024), adam, batch 4096, 2 epochs, on the GPU", rows, "hiddenlayers fp32")
    print(f"\n{flops / 1e12:.1f} TFLOP per fit (whole fit timed: input checks and host-to-GPU copy included)")
    for name, (sec, acc) in rows.items():
        print(f"  {name:32s} {flops / sec / 1e12:6.1f} TFLOP/s  accuracy {acc:.4f}")
    for p in ("fp32", "tf32", "bf16"):
        print(f"  ours / plain loop, {p}: {rows[f'plain fused-Adam loop {p}'][0] / rows[f'hiddenlayers {p}'][0]:.2f}x")


if __name__ == "__main__":
    main()
