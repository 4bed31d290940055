"""Which loss should the label check's model train on? The study that chose GCE with q = 0.2.

    python benchmarks/bench_label_loss.py                        # every variant (about 25 minutes on 2 cores)
    python benchmarks/bench_label_loss.py --variants ce,gce0.2   # some of them

On flips 0-3 (5% of labels, as bench_check.py) of seven tables (digits, breast
cancer, shuttle 20k, wine, and river's Phishing, Bananas, ImageSegments),
each variant's out-of-fold probabilities go through our confident learning
and are compared with cleanlab's find_label_issues on scikit-learn-MLP
probabilities (computed once per table and flip). A case is won when both
recall and precision are >= cleanlab's. The variants share one plain PyTorch
loop with the label model's settings (64 ReLU units, 40 epochs, batch 128,
Adam 3e-3, L2 1e-3, 5 folds, at most 10,000 training rows a fold), so only
the loss or the averaging differs. Figures: RESULTS.md, "A noise-robust loss
for the label model".
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from bench_check import _cleanlab_sk, _datasets, _flip, _other_datasets, _pr

from hiddenlayers.data._check.labels import find_label_issues

BENCH = ("breast_cancer", "digits", "shuttle 20k")

# name -> keyword arguments of _oof: the loss, its setting, extra rounds, fold splits averaged, epochs
VARIANTS: dict[str, dict[str, Any]] = {
    "ce": {}, "gce0.1": {"loss": "gce", "q": 0.1}, "gce0.15": {"loss": "gce", "q": 0.15}, "gce0.2": {"loss": "gce", "q": 0.2},
    "gce0.3": {"loss": "gce", "q": 0.3}, "gce0.5": {"loss": "gce", "q": 0.5}, "gce0.7": {"loss": "gce", "q": 0.7},
    "sce": {"loss": "sce"}, "smooth0.1": {"loss": "smooth"}, "boot0.8": {"loss": "boot"},
    "ce-second-round": {"rounds": 1}, "ce-2splits": {"splits": 2}, "gce0.3-2splits": {"loss": "gce", "q": 0.3, "splits": 2},
    "gce0.3-2splits-20ep": {"loss": "gce", "q": 0.3, "splits": 2, "epochs": 20}, "ce-2splits-20ep": {"splits": 2, "epochs": 20},
}


def _loss(z: torch.Tensor, y: torch.Tensor, k: int, loss: str, q: float) -> torch.Tensor:
    """Mean loss of one batch: cross entropy, GCE (Zhang & Sabuncu), symmetric CE (Wang et al., alpha = beta = 1,
    log 0 clipped at log 1e-4), label smoothing 0.1, or soft bootstrapping (Reed et al., beta = 0.8)."""
    if loss == "ce":
        return F.cross_entropy(z, y)
    if loss == "smooth":
        return F.cross_entropy(z, y, label_smoothing=0.1)
    if loss == "gce":
        p = torch.softmax(z, 1).gather(1, y[:, None]).squeeze(1).clamp_min(1e-7)
        return ((1 - p**q) / q).mean()
    if loss == "sce":
        P = torch.softmax(z, 1).clamp(1e-7, 1.0)
        onehot = F.one_hot(y, k).float().clamp(1e-4, 1.0)
        return F.cross_entropy(z, y) + (-(P * onehot.log()).sum(1)).mean()
    if loss == "boot":
        target = 0.8 * F.one_hot(y, k).float() + 0.2 * torch.softmax(z, 1).detach()
        return -(target * torch.log_softmax(z, 1)).sum(1).mean()
    raise ValueError(f"unknown loss {loss!r}")


def _fit_predict(Xtr: np.ndarray, ytr: np.ndarray, Xte: np.ndarray, k: int, *, loss: str, q: float, epochs: int, seed: int) -> np.ndarray:
    """Class probabilities of ``Xte`` from a 64-unit MLP trained on ``(Xtr, ytr)``."""
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    X, y = torch.as_tensor(Xtr, dtype=torch.float32), torch.as_tensor(ytr)
    net = torch.nn.Sequential(torch.nn.Linear(X.shape[1], 64), torch.nn.ReLU(), torch.nn.Linear(64, k))
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    for _ in range(epochs):
        perm = torch.randperm(len(y), generator=g)
        for i in range(0, len(y), 128):
            b = perm[i:i + 128]
            penalty = sum((m.weight**2).sum() for m in net if isinstance(m, torch.nn.Linear))
            total = _loss(net(X[b]), y[b], k, loss, q) + 0.5 * 1e-3 * penalty / len(b)
            opt.zero_grad()
            total.backward()
            opt.step()
    with torch.no_grad():
        return torch.softmax(net(torch.as_tensor(Xte, dtype=torch.float32)), 1).numpy().astype(np.float64)


def _oof(X: np.ndarray, codes: np.ndarray, *, loss: str = "ce", q: float = 0.7, rounds: int = 0, splits: int = 1, epochs: int = 40) -> np.ndarray:
    """The rows flagged by confident learning on this variant's out-of-fold probabilities.

    ``rounds``: refits without the rows flagged so far; ``splits``: fold splits whose probabilities are averaged.
    """
    from sklearn.model_selection import StratifiedKFold

    k = int(codes.max()) + 1
    flagged = np.empty(0, dtype=np.int64)
    for _ in range(rounds + 1):
        P = np.zeros((len(codes), k))
        for split in range(splits):
            rng = np.random.default_rng(split)
            for tr, te in StratifiedKFold(5, shuffle=True, random_state=split).split(X, codes):
                tr = np.setdiff1d(tr, flagged)
                if tr.size > 10000:
                    tr = rng.choice(tr, 10000, replace=False)
                P[te] += _fit_predict(X[tr], codes[tr], X[te], k, loss=loss, q=q, epochs=epochs, seed=split) / splits
        flagged = find_label_issues(P, codes)
    return flagged


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated, of: {', '.join(VARIANTS)}")
    ap.add_argument("--seeds", type=int, default=4, help="flip seeds 0..N-1")
    args = ap.parse_args()
    torch.set_num_threads(1)  # small networks: one thread is faster, and the runs repeat exactly
    data = _datasets(False) + _other_datasets()
    cases = [(name, X, seed, *_flip(y, 0.05, seed)) for name, X, y in data for seed in range(args.seeds)]
    t = time.perf_counter()
    cleanlab = {(name, seed): _pr(_cleanlab_sk(X, noisy), truth) for name, X, seed, noisy, truth in cases}
    print(f"cleanlab + skMLP on {len(cases)} (table, flip) cases: {time.perf_counter() - t:.0f} s")
    print("variant: cases won (benchmark tables, other tables) | mean precision / recall minus cleanlab's, per table")
    for name in args.variants.split(","):
        t, won, diffs = time.perf_counter(), {"bench": 0, "other": 0}, {}
        for table, X, seed, noisy, truth in cases:
            codes = np.unique(noisy, return_inverse=True)[1]
            p, r = _pr(_oof(X, codes, **VARIANTS[name]), truth)
            cp, cr = cleanlab[(table, seed)]
            won["bench" if table in BENCH else "other"] += bool(p >= cp and r >= cr)
            diffs.setdefault(table, []).append((p - cp, r - cr))
        per = "  ".join(f"{tb[:8]} {np.mean([d[0] for d in v]):+.3f}/{np.mean([d[1] for d in v]):+.3f}" for tb, v in diffs.items())
        print(f"{name:20} {won['bench'] + won['other']:2d} ({won['bench']}, {won['other']}) | {per}  [{time.perf_counter() - t:.0f} s]", flush=True)


if __name__ == "__main__":
    main()
