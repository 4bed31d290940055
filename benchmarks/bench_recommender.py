"""``Recommender.fit`` on MovieLens: seconds per epoch and held-out RMSE, three training loops side by side in one process.

    python benchmarks/bench_recommender.py --seeds 0,1,2
    python benchmarks/bench_recommender.py --seeds 0 --paths dense,library   # a subset

MovieLens (``hl.data.load_movielens()``, 100,004 ratings), the example's random 80/20 split
(``random_state=0``); every fit trains on the 80% (holding out 10% of it for early stopping, as
``Recommender`` does by default) and is scored on the 20%: RMSE with predictions clipped to
0.5-5 stars. Default parameters: 32-d embeddings, one hidden layer of 64, batch 256, rate 1e-3,
``reg=0.05``, ``alpha=1e-4``, early stopping (patience 3). Seed ``s`` is the model's ``random_state``.

* ``dense``: ``Recommender.fit`` with its training loop replaced by the loop it had before
  branch perf/recsparse (commit 4f67471, copied below): AdamW over one flat buffer of every
  parameter, so each step's backward pass and update cover every row of the four embedding tables.
* ``library``: ``Recommender.fit`` as this checkout has it.
* ``plain``: the peer, a plain PyTorch loop of the same model: ``nn.Embedding(sparse=True)`` tables
  updated by ``torch.optim.SparseAdam``, the MLP by ``torch.optim.AdamW`` (decay on its weights only),
  the same start (damped biases, zero head), loss, validation split and early stopping rule.

Per loop: the median seconds of an epoch (forward, backward and update over the training part,
then the validation error; each epoch timed apart, so set-up is left out), wall and this process's
CPU time (the machine is shared: CPU time moves less with its load), the epochs run, and the RMSE. Loops run round-robin per seed; printed at the end: medians over seeds and the ratios
dense / library and library / plain (epoch seconds).
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from typing import Any

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from torch import nn

import hiddenlayers as hl
from hiddenlayers.apps import _recommend
from hiddenlayers.training import Callback, FlatParams, History, LoopHooks, NoImprovement, make_optimizer


class EpochTimer(Callback):
    """A callback (``Recommender(callbacks=[...])``): the wall and CPU seconds between epoch ends (the first from the start)."""

    def __init__(self) -> None:
        self.seconds: list[float] = []
        self.cpu: list[float] = []
        self._t = self._c = 0.0

    def on_train_begin(self, **kwargs: Any) -> None:
        self._t, self._c = time.perf_counter(), time.process_time()

    def on_epoch_end(self, **kwargs: Any) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        self.seconds.append(now - self._t)
        self.cpu.append(cpu - self._c)
        self._t, self._c = now, cpu


def dense_loop(est: Any, net: Any, X: Any, Y: Any, validation: Any, gen: torch.Generator, history: Any = None,
               objective: Any = None) -> History:
    """``_fit_penalized`` as it was at commit 4f67471 (dense gradients, one AdamW over every parameter), called as the
    library calls it now (a fresh squared-error fit: ``history`` and ``objective`` are None) and giving the callbacks
    their hooks as the library's loop does (``LoopHooks``)."""
    assert history is None and objective is None, "the dense loop is the fresh squared-error fit's"
    device = X.device
    flat = FlatParams(net)
    opt = make_optimizer("adamw", flat, weight_decay=est.alpha)
    hist, best = History(), flat.data.clone()
    stop = NoImprovement("val_loss" if validation is not None else "train_loss", est.tol, est.n_iter_no_change)
    n = X.shape[0]
    acc_dtype = torch.float32 if device.type == "mps" else torch.float64
    if validation is not None:
        stop.update(float(((_recommend.forward_batches(net, validation[0]) - validation[1]) ** 2).mean()))
    hooks = LoopHooks(_recommend.fit_callbacks(est), net, hist)
    hooks.begin()
    for epoch in range(1, est.max_iter + 1):
        hooks.epoch_begin(epoch)
        net.train()
        perm = torch.randperm(n, generator=gen).to(device)
        total = torch.zeros((), dtype=acc_dtype, device=device)
        for start in range(0, n, est.batch_size):
            idx = perm[start : start + est.batch_size]
            xb, yb = X[idx], Y[idx]
            u, i = xb[:, 0], xb[:, 1]
            flat.grad.zero_()
            sq = ((net(xb) - yb) ** 2).sum()
            emb = net.user(u).pow(2).sum() + net.item(i).pow(2).sum() + net.user_bias(u).pow(2).sum() + net.item_bias(i).pow(2).sum()
            ((sq + est.reg * emb) / len(idx)).backward()
            opt.step(est.learning_rate_init)
            total += sq.detach().to(acc_dtype)
        train_loss = float(total) / n
        hist.epoch.append(epoch)
        hist.train_loss.append(train_loss)
        val = float(((_recommend.forward_batches(net, validation[0]) - validation[1]) ** 2).mean()) if validation is not None else float("nan")
        hist.val_loss.append(val)
        hist.val_score.append(-val)
        hist.lr.append(est.learning_rate_init)
        hooks.epoch_end()
        if stop.update(val if validation is not None else train_loss):
            best.copy_(flat.data)
            hist.best_epoch = epoch
        if stop(hist):
            hist.stop_reason = "no_improvement_validation_loss" if validation is not None else "no_improvement_train_loss"
            break
    else:
        hist.stop_reason = "max_epochs"
    flat.data.copy_(best)
    flat.release()
    net.eval()
    hooks.end()
    return hist


def fit_library(tr: Any, te: Any, seed: int, loop: Any = None) -> dict[str, Any]:
    """Fit ``hl.Recommender`` (its training loop replaced by ``loop`` if given); epoch seconds, epochs, test RMSE."""
    timer = EpochTimer()
    saved = _recommend._fit_penalized
    if loop is not None:
        _recommend._fit_penalized = loop
    try:
        rec = hl.Recommender(clip=(0.5, 5.0), random_state=seed, callbacks=[timer]).fit(tr[["userId", "movieId"]], tr.rating)
    finally:
        _recommend._fit_penalized = saved
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the unseen movies' fallback warning
        pred = rec.predict(te[["userId", "movieId"]])
    return {"epoch_s": timer.seconds, "cpu_s": timer.cpu, "epochs": rec.n_iter_, "rmse": float(np.sqrt(np.mean((pred - te.rating.to_numpy()) ** 2)))}


class PlainNet(nn.Module):
    """The Recommender's model in plain PyTorch: sparse-gradient embeddings, biases, a 64-unit ReLU MLP."""

    def __init__(self, n_users: int, n_items: int, k: int = 32, hidden: int = 64) -> None:
        super().__init__()
        self.user, self.item = nn.Embedding(n_users, k, sparse=True), nn.Embedding(n_items, k, sparse=True)
        self.user_bias, self.item_bias = nn.Embedding(n_users, 1, sparse=True), nn.Embedding(n_items, 1, sparse=True)
        self.mlp = nn.Sequential(nn.Linear(2 * k, hidden), nn.ReLU(), nn.Linear(hidden, 1))
        for emb in (self.user, self.item):
            nn.init.normal_(emb.weight, std=0.1)

    def forward(self, u: torch.Tensor, i: torch.Tensor) -> torch.Tensor:
        return self.user_bias(u) + self.item_bias(i) + self.mlp(torch.cat([self.user(u), self.item(i)], dim=1))


def damped(users: np.ndarray, items: np.ndarray, r: np.ndarray, nu: int, ni: int, lam: float = 5.0) -> tuple[np.ndarray, np.ndarray]:
    """User and item biases of ``r ≈ b_u + b_i`` by ten rounds of alternating damped means."""
    bu, cu, ci = np.zeros(nu), np.bincount(users, minlength=nu) + lam, np.bincount(items, minlength=ni) + lam
    for _ in range(10):
        bi = np.bincount(items, r - bu[users], minlength=ni) / ci
        bu = np.bincount(users, r - bi[items], minlength=nu) / cu
    return bu, bi


def fit_plain(tr: Any, te: Any, seed: int, reg: float = 0.05, alpha: float = 1e-4, lr: float = 1e-3, batch: int = 256) -> dict[str, Any]:
    """The peer loop: SparseAdam on the tables, AdamW on the MLP, early stopping on 10% of the training ratings."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed + 1)
    users, items = {u: k for k, u in enumerate(tr.userId.unique())}, {m: k for k, m in enumerate(tr.movieId.unique())}
    codes = np.stack([tr.userId.map(users).to_numpy(), tr.movieId.map(items).to_numpy()], axis=1)
    fit_rows, val_rows = train_test_split(np.arange(len(tr)), test_size=0.1, random_state=seed)
    X, Y = torch.as_tensor(codes[fit_rows]), torch.as_tensor(tr.rating.to_numpy()[fit_rows, None], dtype=torch.float32)
    Xv, Yv = torch.as_tensor(codes[val_rows]), torch.as_tensor(tr.rating.to_numpy()[val_rows, None], dtype=torch.float32)
    mean = float(tr.rating.mean())
    net = PlainNet(len(users), len(items))
    bu, bi = damped(X[:, 0].numpy(), X[:, 1].numpy(), Y[:, 0].double().numpy() - mean, len(users), len(items))
    with torch.no_grad():
        net.user_bias.weight[:, 0], net.item_bias.weight[:, 0] = torch.as_tensor(bu), torch.as_tensor(bi)
        head: Any = net.mlp[2]
        head.weight.zero_()
        head.bias.zero_()
    tables = [net.user.weight, net.item.weight, net.user_bias.weight, net.item_bias.weight]
    sparse = torch.optim.SparseAdam(tables, lr=lr)
    dense = torch.optim.AdamW([{"params": [net.mlp[0].weight, net.mlp[2].weight], "weight_decay": alpha},
                               {"params": [net.mlp[0].bias, net.mlp[2].bias], "weight_decay": 0.0}], lr=lr)

    def val_mse() -> float:
        with torch.no_grad():
            return float(((mean + net(Xv[:, 0], Xv[:, 1]) - Yv) ** 2).mean())

    best_loss, best, bad, seconds, cpu = val_mse(), {k: v.clone() for k, v in net.state_dict().items()}, 0, [], []
    torch.set_num_threads(1)
    for _ in range(100):
        t, c = time.perf_counter(), time.process_time()
        perm = torch.randperm(len(X), generator=gen)
        for start in range(0, len(X), batch):
            idx = perm[start : start + batch]
            u, i, yb = X[idx, 0], X[idx, 1], Y[idx]
            sparse.zero_grad()
            dense.zero_grad()
            sq = ((mean + net(u, i) - yb) ** 2).sum()
            emb = net.user(u).pow(2).sum() + net.item(i).pow(2).sum() + net.user_bias(u).pow(2).sum() + net.item_bias(i).pow(2).sum()
            ((sq + reg * emb) / len(idx)).backward()
            sparse.step()
            dense.step()
        loss = val_mse()
        seconds.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        if loss < best_loss - 1e-4:
            best_loss, best, bad = loss, {k: v.clone() for k, v in net.state_dict().items()}, 0
        else:
            bad += 1
            if bad >= 3:
                break
    net.load_state_dict(best)
    u = te.userId.map(users).fillna(-1).astype(int).to_numpy()
    i = te.movieId.map(items).fillna(-1).astype(int).to_numpy()
    ok = (u >= 0) & (i >= 0)
    pred = np.full(len(te), mean)
    with torch.no_grad():
        pred[ok] += net(torch.as_tensor(u[ok]), torch.as_tensor(i[ok]))[:, 0].double().numpy()
        ub, ib = net.user_bias.weight[:, 0].double().numpy(), net.item_bias.weight[:, 0].double().numpy()
    pred[~ok] += np.where(u[~ok] >= 0, ub[np.maximum(u[~ok], 0)], 0.0) + np.where(i[~ok] >= 0, ib[np.maximum(i[~ok], 0)], 0.0)
    pred = np.clip(pred, 0.5, 5.0)
    return {"epoch_s": seconds, "cpu_s": cpu, "epochs": len(seconds), "rmse": float(np.sqrt(np.mean((pred - te.rating.to_numpy()) ** 2)))}


PATHS = {"dense": lambda tr, te, s: fit_library(tr, te, s, dense_loop), "library": fit_library, "plain": fit_plain}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="0,1,2", help="comma-separated random_state values (default 0,1,2)")
    ap.add_argument("--paths", default="dense,library,plain", help=f"comma-separated subset of {','.join(PATHS)}")
    args = ap.parse_args()
    seeds, paths = [int(s) for s in args.seeds.split(",")], args.paths.split(",")
    df = hl.data.load_movielens()
    tr, te = train_test_split(df, test_size=0.2, random_state=0)
    print(f"MovieLens {len(df)} ratings; train {len(tr)}, test {len(te)}; torch {torch.__version__}, {torch.get_num_threads()} threads outside fits")
    rows: dict[str, list[dict[str, Any]]] = {p: [] for p in paths}
    for seed in seeds:
        for p in paths:
            r = PATHS[p](tr, te, seed)
            rows[p].append(r)
            print(f"seed {seed} {p:8s} epoch median {statistics.median(r['epoch_s']):6.3f} s wall, {statistics.median(r['cpu_s']):6.3f} s CPU  "
                  f"(epochs {r['epochs']:3d}, wall: {' '.join(f'{s:.2f}' for s in r['epoch_s'])})  RMSE {r['rmse']:.4f}", flush=True)
    print("\nover seeds: median of each fit's median epoch seconds (wall, and CPU of this process); RMSE mean (min-max)")
    med = {}
    for p in paths:
        rm = [r["rmse"] for r in rows[p]]
        med[p] = [statistics.median(statistics.median(r[k]) for r in rows[p]) for k in ("epoch_s", "cpu_s")]
        print(f"  {p:8s} {med[p][0]:6.3f} s/epoch wall, {med[p][1]:6.3f} s CPU  RMSE {np.mean(rm):.4f} ({min(rm):.4f}-{max(rm):.4f})  "
              f"epochs {[r['epochs'] for r in rows[p]]}")
    for a, b, goal in (("dense", "library", "goal >= 3"), ("library", "plain", "goal <= 1.5")):
        if a in med and b in med:
            print(f"  {a} / {b} = {med[a][0] / med[b][0]:.2f}x wall, {med[a][1] / med[b][1]:.2f}x CPU  ({goal})")


if __name__ == "__main__":
    main()
