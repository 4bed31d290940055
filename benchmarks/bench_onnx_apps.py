"""Batch-1 latency of an exported ImageClassifier: ONNX Runtime against the app's own ``predict_proba``.

The CNN ``conv8k3:same,pool2,32`` is fitted on sklearn's digits as 8 x 8 uint8
images, exported with :func:`hiddenlayers.export_onnx` (pixel scaling and
standardisation in the graph), and one image is classified ``--calls`` times
each way: the app's ``predict_proba`` (input checks, standardisation, PyTorch)
and ONNX Runtime on one thread (the ``/ 255`` to float32 included in the call).
Prints p50/p99 in microseconds (as ``bench_predict.py``).
Usage: python benchmarks/bench_onnx_apps.py [--calls 2000]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import warnings

import numpy as np
from bench_predict import latency
from sklearn.datasets import load_digits

import hiddenlayers as hl
from hiddenlayers.apps import ImageClassifier

warnings.simplefilter("ignore")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=2000)
    args = ap.parse_args()
    d = load_digits()
    X, y = (d.images * (255 / 16)).astype(np.uint8), d.target
    clf = ImageClassifier("conv8k3:same,pool2,32", max_iter=5, device="cpu", random_state=0).fit(X[:1500], y[:1500])
    path = os.path.join(tempfile.mkdtemp(), "digits_cnn.onnx")
    report = hl.export_onnx(clf, path, X=X[1500:])
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    one = X[1500:1501]  # (1, 8, 8) uint8
    res = {
        "ImageClassifier.predict_proba": latency(lambda: clf.predict_proba(one), args.calls),
        "ONNX Runtime (1 thread)": latency(lambda: sess.run(None, {"X": one.astype(np.float32) / 255})[0], args.calls),
    }
    base = res["ImageClassifier.predict_proba"][0]
    print(f"\n## one 8x8 digits image, {args.calls} calls (parity {report.max_abs_diff:.2g})")
    print(f"{'implementation':32s} {'p50 us':>10s} {'p99 us':>10s} {'p50 / app':>10s}")
    for name, (p50, p99) in res.items():
        print(f"{name:32s} {p50:10.1f} {p99:10.1f} {p50 / base:10.2f}")


if __name__ == "__main__":
    main()
