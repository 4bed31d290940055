"""Small-batch predict latency (the serving case), ours beside its peers, in one process.

Part ``mlp``: ``hl.MLPClassifier`` (``predict``, ``predict_proba``) and ``hl.MLPRegressor`` (``predict``) of a
100 -> 256 -> 128 -> 10 network on 1, 10 and 100 rows, beside scikit-learn's ``MLPClassifier``/``MLPRegressor``
given the same weights and a bare ``torch.no_grad()`` forward of the same module (no input checks at all).
Part ``apps``: one item through each application's ``predict`` (ImageClassifier, TextClassifier,
SequenceClassifier, Autoencoder, Forecaster, Recommender, fitted for two epochs on small random data), and the
ImageClassifier at 1, 10 and 100 images with its one-thread rule (``training.inference_threads``) and without it
(the rule replaced by a no-op: the code before it), interleaved.
Prints median microseconds per call (wall clock, ``bench_predict.latency``) and ratios. Usage:
python benchmarks/bench_small_predict.py [--calls 300] [--part mlp|apps]
"""

from __future__ import annotations

import argparse
import contextlib
import warnings

import numpy as np
import torch
from bench_predict import latency
from sklearn.neural_network import MLPClassifier as SkClassifier
from sklearn.neural_network import MLPRegressor as SkRegressor

import hiddenlayers as hl

warnings.simplefilter("ignore")


def median_us(fn, calls: int) -> float:
    """Median µs of ``calls`` calls of ``fn`` after min(500, calls) warm-up calls (``bench_predict.latency``'s p50)."""
    return latency(fn, calls)[0]


def _same_weights(sk, ours) -> None:
    sk.coefs_ = [c.astype(np.float64) for c in ours.coefs_]
    sk.intercepts_ = [b.astype(np.float64) for b in ours.intercepts_]


def mlp_part(calls: int) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 100)).astype(np.float32)
    y = rng.integers(0, 10, 2000)
    yr = X[:, :3].sum(1)
    clf = hl.MLPClassifier(hidden_layer_sizes=(256, 128), max_iter=2, random_state=0).fit(X, y)
    reg = hl.MLPRegressor(hidden_layer_sizes=(256, 128), max_iter=2, random_state=0).fit(X, yr)
    sk_clf = SkClassifier(hidden_layer_sizes=(256, 128), max_iter=1, random_state=0).fit(X, y)
    sk_reg = SkRegressor(hidden_layer_sizes=(256, 128), max_iter=1, random_state=0).fit(X, yr)
    _same_weights(sk_clf, clf)
    _same_weights(sk_reg, reg)
    assert (sk_clf.predict(X[:500]) == clf.predict(X[:500])).mean() > 0.99
    nets = {"clf": clf.network_.eval(), "reg": reg.network_.eval()}
    print(f"\n## MLP 100-256-128-10, median us per call ({calls} calls; a third at 100 rows), torch threads {torch.get_num_threads()}")
    print(f"{'rows':>5s} {'call':22s} {'ours':>9s} {'sklearn':>9s} {'torch no_grad':>14s} {'sk / ours':>10s} {'ours / torch':>13s}")
    for rows in (1, 10, 100):
        x = X[:rows].copy()
        xt = torch.from_numpy(x)

        def bare(net, xt=xt):
            def run():
                with torch.no_grad():
                    return net(xt)
            return run

        arms = {
            "classifier predict": (lambda x=x: clf.predict(x), lambda x=x: sk_clf.predict(x), bare(nets["clf"])),
            "classifier proba": (lambda x=x: clf.predict_proba(x), lambda x=x: sk_clf.predict_proba(x), bare(nets["clf"])),
            "regressor predict": (lambda x=x: reg.predict(x), lambda x=x: sk_reg.predict(x), bare(nets["reg"])),
        }
        for name, (ours, sk, torch_fn) in arms.items():
            n = calls if rows < 100 else max(20, calls // 3)
            a, b, c = (median_us(f, n) for f in (ours, sk, torch_fn))
            print(f"{rows:5d} {name:22s} {a:9.1f} {b:9.1f} {c:14.1f} {b / a:10.2f} {a / c:13.2f}")


def _apps(rng):
    from sklearn.datasets import load_digits

    from hiddenlayers.apps import Autoencoder, Forecaster, ImageClassifier, Recommender, SequenceClassifier, TextClassifier

    images = rng.integers(0, 256, (200, 28, 28)).astype(np.uint8)
    digits = load_digits()
    texts = ["good movie great fun", "bad boring film", "great acting", "awful plot bad"] * 30
    seqs = rng.normal(size=(120, 20, 3)).astype(np.float32)
    table = rng.normal(size=(300, 20))
    series = np.sin(np.arange(400) / 5) + rng.normal(size=400) * 0.1
    pairs = np.column_stack([rng.integers(0, 50, 2000), rng.integers(0, 40, 2000)])
    fit = {"max_iter": 2, "random_state": 0}
    img = ImageClassifier(**fit).fit(images, rng.integers(0, 3, 200))  # the default CNN for 28 x 28
    small_img = ImageClassifier("conv8k3:same,pool2,32", **fit).fit((digits.images * 15).astype(np.uint8)[:300], digits.target[:300])
    models = {
        "ImageClassifier 28x28 (default CNN)": (img, lambda m: m.predict(images[:1])),
        "ImageClassifier 8x8 (conv8k3)": (small_img, lambda m: m.predict((digits.images[:1] * 15).astype(np.uint8))),
        "TextClassifier": (TextClassifier(**fit).fit(texts, [1, 0, 1, 0] * 30), lambda m: m.predict(texts[:1])),
        "SequenceClassifier": (SequenceClassifier(**fit).fit(seqs, rng.integers(0, 2, 120)), lambda m: m.predict(seqs[:1])),
        "Autoencoder": (Autoencoder(**fit).fit(table), lambda m: m.predict(table[:1])),
        "Forecaster": (Forecaster(**fit).fit(series), lambda m: m.predict(series[-60:].reshape(1, -1))),
        "Recommender": (Recommender(**fit).fit(pairs, rng.integers(1, 6, 2000).astype(float)), lambda m: m.predict(pairs[:1])),
    }
    return models, img, images


def apps_part(calls: int) -> None:
    import hiddenlayers.apps._image as image_module

    rng = np.random.default_rng(0)
    models, img, images = _apps(rng)
    rule = image_module.inference_threads
    print(f"\n## one item through each app's predict, median us ({calls} calls), torch threads {torch.get_num_threads()}")
    for name, (model, call) in models.items():
        print(f"{name:36s} {median_us(lambda call=call, model=model: call(model), calls):10.1f}")
    print("\n## ImageClassifier 28x28 (default CNN): predict with the one-thread rule and without (before), interleaved, median us")
    print(f"{'images':>7s} {'rule (now)':>12s} {'no rule':>12s} {'no rule / rule':>15s}")
    for n in (1, 10, 100):
        x = images[:n]
        each = max(10, calls // (10 * n) * 2)
        now, before = [], []
        for _ in range(3):  # interleaved: the machine's load moves between arms alike
            image_module.inference_threads = rule
            now.append(median_us(lambda x=x: img.predict(x), each))
            image_module.inference_threads = lambda *a, **k: contextlib.nullcontext()
            before.append(median_us(lambda x=x: img.predict(x), each))
        image_module.inference_threads = rule
        a, b = float(np.median(now)), float(np.median(before))
        print(f"{n:7d} {a:12.1f} {b:12.1f} {b / a:15.2f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--part", choices=("mlp", "apps", "all"), default="all")
    args = ap.parse_args()
    if args.part in ("mlp", "all"):
        mlp_part(args.calls)
    if args.part in ("apps", "all"):
        apps_part(args.calls)


if __name__ == "__main__":
    main()
