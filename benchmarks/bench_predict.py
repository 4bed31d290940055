"""Prediction latency of hiddenlayers beside its peers, in one process.

Network 100 -> 256 -> 128 -> 10 (the same weights everywhere). One row and
10,000 rows: our ``predict`` (input validation included), scikit-learn's
``predict``, a raw ``torch.inference_mode()`` eager forward, and ONNX Runtime
on the same network. Prints p50/p99 in microseconds and ratios.
Usage: python benchmarks/bench_predict.py [--calls 5000]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import warnings

import numpy as np
import torch
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SkMLP

import hiddenlayers as hl

warnings.simplefilter("ignore", ConvergenceWarning)
warnings.filterwarnings("ignore", message=".*TracerWarning.*|.*Converting a tensor to a Python boolean.*")


def latency(fn, calls):
    for _ in range(min(500, calls)):
        fn()
    ts = []
    for _ in range(calls):
        t0 = time.perf_counter_ns()
        fn()
        ts.append(time.perf_counter_ns() - t0)
    ts.sort()
    return ts[len(ts) // 2] / 1e3, ts[int(len(ts) * 0.99)] / 1e3


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=5000)
    args = ap.parse_args()
    X, y = make_classification(n_samples=20_000, n_features=100, n_informative=50, n_classes=10, random_state=0)
    X = X.astype(np.float32)
    ours = hl.MLPClassifier((256, 128), max_iter=2, random_state=0).fit(X, y)
    sk = SkMLP((256, 128), max_iter=1, random_state=0).fit(X, y)
    sk.coefs_ = [c.astype(np.float64) for c in ours.coefs_]
    sk.intercepts_ = [b.astype(np.float64) for b in ours.intercepts_]
    net = ours.network_.eval()
    import onnxruntime as ort

    path = os.path.join(tempfile.mkdtemp(), "mlp.onnx")
    torch.onnx.export(net, (torch.zeros(1, 100),), path, input_names=["x"], output_names=["logits"],
                      dynamic_axes={"x": {0: "batch"}, "logits": {0: "batch"}}, dynamo=False)
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    assert (sk.predict(X[:1000]) == ours.predict(X[:1000])).mean() > 0.99

    for rows in (1, 10_000):
        x = X[:rows].copy()
        xt = torch.from_numpy(x)

        def eager(xt=xt):
            with torch.inference_mode():
                return net(xt).argmax(1)

        def onnx(x=x):
            return sess.run(None, {"x": x})[0].argmax(1)

        calls = args.calls if rows == 1 else max(50, args.calls // 100)
        res = {
            "hiddenlayers predict": latency(lambda x=x: ours.predict(x), calls),
            "ONNX Runtime (1 thread)": latency(onnx, calls),
            "torch eager inference_mode": latency(eager, calls),
            "sklearn predict": latency(lambda x=x: sk.predict(x), calls),
        }
        base = res["hiddenlayers predict"][0]
        print(f"\n## batch {rows}: {calls} calls")
        print(f"{'implementation':28s} {'p50 us':>10s} {'p99 us':>10s} {'p50 / ours':>11s}")
        for name, (p50, p99) in res.items():
            print(f"{name:28s} {p50:10.1f} {p99:10.1f} {p50 / base:11.2f}")
        if rows == 1:
            print(f"ours / ONNX Runtime at batch 1: {base / res['ONNX Runtime (1 thread)'][0]:.2f} (goal <= 2.0)")
            print(f"ours / torch eager at batch 1:  {base / res['torch eager inference_mode'][0]:.2f} (goal < 1.0)")


if __name__ == "__main__":
    main()
