"""Right-sizing benchmarks, one run: search vs GridSearchCV, pruning vs Torch-Pruning, ONNX latency.

    .venv/bin/python benchmarks/bench_rightsize.py            # full (minutes)
    .venv/bin/python benchmarks/bench_rightsize.py --quick    # smaller grid and budgets
    .venv/bin/python benchmarks/bench_rightsize.py --only search --repeat 3   # medians of 3 runs
    .venv/bin/python benchmarks/bench_rightsize.py --only heldout             # prune's max_drop on unseen rows

a. hiddenlayers.search (TPE, 3-fold CV per trial, hopeless-trial stopping,
   refit on all training rows) vs scikit-learn's GridSearchCV (cv=3) over
   MLPClassifier(hidden_layer_sizes=...) on digits, same space of hidden
   layers: wall time and held-out test accuracy, each run and the medians.
b. hiddenlayers.prune on a 64->256->128->10 MLP trained on digits, beside
   Torch-Pruning (magnitude importance) at the same share of units removed,
   before and after the same fine-tuning budget; predict latency at batch 1
   and 4096 before and after, timed interleaved (prune's own report and
   repeated measurements here).
c. batch-1 latency of the same network: ONNX Runtime vs eager PyTorch vs
   hiddenlayers predict vs scikit-learn's predict (same weights copied in).
d. does prune's max_drop hold on rows it never saw? digits, breast cancer and
   wine, five seeds each: a 256,128 MLP fitted on 70%, pruned with the same
   70% (max_drop=0.005), scored on the other 30%; per dataset the median and
   worst held-out drop, the share of units removed and the time, beside
   Torch-Pruning (magnitude) cut at the same ratio with the same fine-tuning.

Medians of repeated timings; ratios printed. Shared or busy CPUs make timings
noisy: compare numbers from one run only.
"""

from __future__ import annotations

import argparse
import copy
import itertools
import os
import sys
import tempfile
import time
import warnings

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

import hiddenlayers as hl  # noqa: E402
from hiddenlayers.network import Dense, Network, Spec  # noqa: E402
from hiddenlayers.rightsize import (  # noqa: E402
    SearchSpace,
    search,
    time_calls,  # noqa: E402
)
from hiddenlayers.rightsize._prune.prune import _activations, _fine_tune, interleaved_latency, shrink, unit_scores  # noqa: E402

warnings.filterwarnings("ignore")


def med_us(fn, calls: int) -> float:
    return float(np.median(time_calls(fn, calls))) * 1e6


def data():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, test_size=0.25, random_state=0, stratify=y)


# ----------------------------------------------------------------------- a
def bench_search(quick: bool, repeat: int = 1) -> None:
    from sklearn.model_selection import GridSearchCV
    from sklearn.neural_network import MLPClassifier as SkMLP
    from threadpoolctl import threadpool_limits

    Xtr, Xte, ytr, yte = data()
    widths = (16, 64, 256) if quick else (16, 32, 64, 128, 256)
    layers = 2 if quick else 3
    grid = [c for n in range(1, layers + 1) for c in itertools.product(widths, repeat=n)]
    trials = 20 if quick else 40
    print(f"\n== a. search vs GridSearchCV: digits, {len(grid)} hidden-layer configs (1-{layers} layers x {widths}), "
          f"{trials} search trials, {repeat} run(s)")
    runs = []
    for run in range(repeat):
        t0 = time.perf_counter()
        with threadpool_limits(1):  # one BLAS thread, as search uses on small data: spare threads only spin on shared cores
            gs = GridSearchCV(SkMLP(max_iter=200, random_state=0), {"hidden_layer_sizes": grid}, cv=3, n_jobs=1).fit(Xtr, ytr)
        t_grid = time.perf_counter() - t0
        s_grid = gs.score(Xte, yte)
        space = SearchSpace(layers=(1, layers), widths=widths)
        t0 = time.perf_counter()
        found = search(Xtr, ytr, trials=trials, space=space, max_epochs=200, random_state=run)
        t_search = time.perf_counter() - t0
        s_search = found.best_model.score(Xte, yte)
        runs.append((t_grid, s_grid, t_search, s_search))
        print(f"run {run + 1}: GridSearchCV {t_grid:7.1f} s  test {s_grid:.4f}  best {gs.best_params_['hidden_layer_sizes']} | "
              f"hiddenlayers.rightsize._search {t_search:6.1f} s  test {s_search:.4f}  best {found.best['hidden']} "
              f"({found.n_complete} complete, {found.n_pruned} stopped early; cv score {found.best['score']:.4f}, "
              f"refit {found.best['best_epoch']} epochs) | time ratio {t_search / t_grid:.3f}")
    t_grid, s_grid, t_search, s_search = (float(np.median(col)) for col in zip(*runs))
    ratio = float(np.median([r[2] / r[0] for r in runs]))
    verdict = "equal or better" if s_search >= s_grid else f"worse by {s_grid - s_search:.4f}"
    print(f"medians: GridSearchCV {t_grid:.1f} s, test {s_grid:.4f}; search {t_search:.1f} s, test {s_search:.4f}; "
          f"time ratio {ratio:.3f} (target <= 0.2); test accuracy {verdict}")


# ----------------------------------------------------------------------- b
def tp_prune(clf, ratio: float):
    """A copy of ``clf`` cut by Torch-Pruning (L2 magnitude) at ``ratio`` of each hidden layer; None without it."""
    try:
        import torch_pruning as tp
    except ImportError:
        return None
    model = copy.deepcopy(clf)
    net = model.network_
    Pruner = getattr(tp.pruner, "MetaPruner", None) or tp.pruner.BasePruner
    pruner = Pruner(net, torch.randn(1, net.in_features), importance=tp.importance.MagnitudeImportance(p=2),
                    pruning_ratio=ratio, ignored_layers=[net.head])
    pruner.step()
    # Torch-Pruning cut the modules in place; the model gets a network built for the new widths (its spec is what a warm
    # fine-tuning fit checks hidden_layer_sizes against), holding the cut weights, as hl.prune's own cut model does
    widths = [layer.linear.out_features for layer in net.hidden_layers]
    layers = [Dense(w, layer.activation, layer.dropout, layer.norm) for layer, w in zip(net.spec, widths)]
    cut = Network(net.in_features, Spec(tuple(layers)), net.out_features, activation=net.default_activation, init="none")
    cut.load_state_dict(net.state_dict())
    model.hidden_layer_sizes = tuple(widths)
    model.replace_network(cut)
    return model


def torch_pruning_baseline(clf, Xtr, ytr, Xv, yv, Xte, yte, ratio: float, epochs: int) -> None:
    model = tp_prune(clf, ratio)
    if model is None:
        print("Torch-Pruning: not installed (pip install torch-pruning) - comparison skipped")
        return
    widths = [layer.out_features for layer in model.network_.hidden_layers]
    before_ft = model.score(Xte, yte)
    model, _ = _fine_tune(model, Xtr, ytr, Xv, yv, epochs)
    print(f"Torch-Pruning (magnitude, ratio {ratio}): units {widths}  test accuracy {before_ft:.4f} right after pruning, "
          f"{model.score(Xte, yte):.4f} after {epochs} fine-tune epochs")


def bench_prune(quick: bool) -> None:
    Xtr, Xte, ytr, yte = data()
    print("\n== b. prune a 64->256->128->10 MLP on digits")
    clf = hl.MLPClassifier((256, 128), max_iter=200, random_state=0).fit(Xtr, ytr)
    base = clf.score(Xte, yte)
    t0 = time.perf_counter()
    small = hl.prune(clf, Xtr, ytr, max_drop=0.005, fine_tune_epochs=10, latency_calls=300 if quick else 1000)
    t_prune = time.perf_counter() - t0
    r = small.prune_report_
    after = small.score(Xte, yte)
    print(f"hiddenlayers.prune: units {r.units_before} -> {r.units_after} ({100 * r.units_removed_fraction:.1f}% removed), "
          f"params {r.params_before:,} -> {r.params_after:,}, {t_prune:.1f} s")
    print(f"test accuracy {base:.4f} -> {after:.4f} (lost {100 * (base - after):.2f} points; target <= 0.5 with >= 50% removed)")
    print(f"prune's report (interleaved, 1 BLAS thread): batch 1 {r.latency_b1_before_us:.1f} -> {r.latency_b1_after_us:.1f} µs "
          f"(x{r.speedup_b1:.2f}), batch {r.big_batch} {r.latency_big_before_ms:.2f} -> {r.latency_big_after_ms:.2f} ms (x{r.speedup_big:.2f})")
    b1, big = [], []
    for _ in range(5):  # repeated interleaved measurements: each is a median of many calls
        (b1a, bba), (b1b, bbb) = interleaved_latency([clf, small], Xte, big_batch=4096, calls=3000 if quick else 10000, threads=1)
        b1.append((b1a, b1b))
        big.append((bba, bbb))
        print(f"  batch 1 {b1a:6.1f} -> {b1b:6.1f} µs (x{b1a / b1b:.2f})   batch 4096 {bba:7.2f} -> {bbb:6.2f} ms (x{bba / bbb:.2f})")
    (b1a, b1b), (bba, bbb) = np.median(b1, axis=0), np.median(big, axis=0)
    print(f"predict latency batch 1   : {b1a:7.1f} -> {b1b:7.1f} µs (x{b1a / b1b:.2f} faster; median of 5)")
    print(f"predict latency batch 4096: {bba:7.2f} -> {bbb:7.2f} ms (x{bba / bbb:.2f} faster; median of 5, 1 BLAS thread)")
    # same share at ratio 0.5, before fine-tuning: what the ranking alone preserves
    from sklearn.model_selection import train_test_split as split

    Xt, Xv, yt, yv = split(Xtr, ytr, test_size=0.2, random_state=0, stratify=ytr)
    H = _activations(clf, Xt)
    lins = clf.network_.linears()
    keep = [np.argsort(-unit_scores(H[i], lins[i + 1].weight.detach().double().numpy()))[: H[i].shape[1] // 2] for i in range(len(H))]
    half = shrink(clf, keep, H)
    half_ft, _ = _fine_tune(copy.deepcopy(half), Xt, yt, Xv, yv, 10)
    print(f"hiddenlayers ranking + folding at ratio 0.5: test accuracy {half.score(Xte, yte):.4f} right after pruning, "
          f"{half_ft.score(Xte, yte):.4f} after 10 fine-tune epochs")
    torch_pruning_baseline(clf, Xt, yt, Xv, yv, Xte, yte, 0.5, 10)


# ----------------------------------------------------------------------- c
def bench_latency(quick: bool) -> None:
    import onnxruntime as ort
    from sklearn.neural_network import MLPClassifier as SkMLP

    Xtr, Xte, ytr, yte = data()
    print("\n== c. batch-1 latency of one network (64->256->128->10), median of many calls")
    clf = hl.MLPClassifier((256, 128), max_iter=50, random_state=0).fit(Xtr, ytr)
    sk = SkMLP((256, 128), max_iter=1, random_state=0).fit(Xtr, ytr)
    sk.coefs_, sk.intercepts_ = clf.coefs_, clf.intercepts_
    assert (sk.predict(Xte) == clf.predict(Xte)).mean() > 0.99
    calls = 2000 if quick else 10000
    x1 = np.ascontiguousarray(Xte[:1])
    x1f = x1.astype(np.float32)
    with tempfile.TemporaryDirectory() as d:
        rep = hl.export_onnx(clf, os.path.join(d, "m.onnx"), X=Xte, y=yte, quantize=True)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        sess = ort.InferenceSession(rep.path, opts, providers=["CPUExecutionProvider"])
        qsess = ort.InferenceSession(rep.quantized_path, opts, providers=["CPUExecutionProvider"])
        net = clf.network_.eval()
        xt = torch.as_tensor(x1f)

        def eager():
            with torch.inference_mode():
                return net(xt)

        rows = {
            "onnxruntime float32 (1 thread)": med_us(lambda: sess.run(None, {"X": x1f}), calls),
            "onnxruntime int8 (1 thread)": med_us(lambda: qsess.run(None, {"X": x1f}), calls),
            "eager PyTorch forward": med_us(eager, calls),
            "hiddenlayers predict": med_us(lambda: clf.predict(x1), calls),
            "scikit-learn predict": med_us(lambda: sk.predict(x1), calls),
        }
    print(f"ONNX parity: largest |onnx - torch| = {rep.max_abs_diff:.2g}; int8 accuracy {rep.score_before:.4f} -> {rep.score_after:.4f}")
    ref = rows["scikit-learn predict"]
    for name, us in rows.items():
        print(f"{name:32s} {us:8.1f} µs   (x{ref / us:.2f} vs scikit-learn)")


# ----------------------------------------------------------------------- d
def bench_heldout(quick: bool, seeds: int = 5) -> None:
    from sklearn.datasets import load_breast_cancer, load_wine
    from sklearn.preprocessing import StandardScaler

    seeds = 2 if quick else seeds
    max_drop = 0.005
    print(f"\n== d. held-out drop of prune(max_drop={max_drop}): 256,128 MLP fitted on 70%, pruned with the same 70%, "
          f"scored on the other 30%; {seeds} seed(s); Torch-Pruning (magnitude) cut at the same ratio, same 10 fine-tune epochs")
    for name, loader in (("digits", load_digits), ("breast cancer", load_breast_cancer), ("wine", load_wine)):
        X, y = loader(return_X_y=True)
        rows = []
        for seed in range(seeds):
            Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=seed, stratify=y)
            if name == "digits":
                Xtr, Xte = Xtr / 16.0, Xte / 16.0  # pixel intensities 0..16, as in parts a-c
            else:
                scaler = StandardScaler().fit(Xtr)  # fitted on the 70% only
                Xtr, Xte = scaler.transform(Xtr), scaler.transform(Xte)
            clf = hl.MLPClassifier((256, 128), max_iter=200, random_state=seed).fit(Xtr, ytr)
            base = clf.score(Xte, yte)
            t0 = time.perf_counter()
            small = hl.prune(clf, Xtr, ytr, max_drop=max_drop, latency_calls=0, random_state=seed)
            t = time.perf_counter() - t0
            r = small.prune_report_
            tp_drop = float("nan")
            if r.ratio > 0:
                tpm = tp_prune(clf, r.ratio)
                if tpm is not None:
                    tpm, _ = _fine_tune(tpm, Xtr, ytr, None, None, r.fine_tune_epochs)
                    tp_drop = base - tpm.score(Xte, yte)
            else:
                tp_drop = 0.0  # nothing cut: both keep the model
            rows.append((base - small.score(Xte, yte), r.units_removed_fraction, t, tp_drop))
            print(f"  {name} seed {seed}: units {r.units_before} -> {r.units_after}; held-out {base:.4f} -> {small.score(Xte, yte):.4f} "
                  f"(drop {100 * rows[-1][0]:+.2f} points); estimated {100 * r.drop:+.2f}, {100 * r.confidence:g}% interval "
                  f"[{100 * r.drop_low:+.2f}, {100 * r.drop_high:+.2f}] points on {r.validation_rows} rows"
                  f"{'' if r.resolved else ' (rows too few to confirm max_drop: nothing cut)'}; {t:.1f} s; "
                  f"Torch-Pruning same ratio: drop {100 * tp_drop:+.2f} points")
        drops, removed, times, tp = (np.array(c) for c in zip(*rows))
        ok = np.median(drops) <= max_drop and drops.max() <= 2 * max_drop
        print(f"{name:14s} held-out drop median {100 * np.median(drops):+.2f} worst {100 * drops.max():+.2f} points "
              f"(goal <= {100 * max_drop:.1f} / {200 * max_drop:.1f}: {'met' if ok else 'NOT met'}); units removed median "
              f"{100 * np.median(removed):.1f}% (min {100 * removed.min():.1f}%); prune {np.median(times):.1f} s median | "
              f"Torch-Pruning at the same ratio: median {100 * np.nanmedian(tp):+.2f} worst {100 * np.nanmax(tp):+.2f} points")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller grid and budgets")
    ap.add_argument("--only", choices=("search", "prune", "latency", "heldout"), help="run one part")
    ap.add_argument("--repeat", type=int, default=1, help="runs of the search comparison (medians printed)")
    args = ap.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), {os.cpu_count()} CPU(s)")
    parts = {"search": lambda q: bench_search(q, args.repeat), "prune": bench_prune, "latency": bench_latency, "heldout": bench_heldout}
    for name, fn in parts.items():
        if args.only in (None, name):
            fn(args.quick)


if __name__ == "__main__":
    main()
