"""SequenceClassifier ONNX exports with a dynamic steps axis: traced on the longest sequence in fit (the old sample)
against a short sample (``ship/_app_graph_seq.trace_steps``, what ``export_onnx`` uses).

Side by side in one process, alternating the two ways so load drifts hit both, after one warm-up export: ``--exports``
exports of each spec each way, on 120 random frame sequences of 4 to ``--longest`` steps. Prints CPU seconds per export
(medians) and the ratio fitted-length / short.

    python benchmarks/bench_seq_trace.py --exports 2 --longest 12
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import warnings
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exports", type=int, default=2, help="timed exports of each spec each way (default 2)")
    parser.add_argument("--longest", type=int, default=12, help="the longest sequence in fit (default 12)")
    args = parser.parse_args()
    import numpy as np

    import hiddenlayers.ship._app_graph_seq as graph
    from hiddenlayers.apps import SequenceClassifier
    from hiddenlayers.ship import export_onnx

    warnings.simplefilter("ignore")
    rng = np.random.default_rng(0)
    X = [(rng.normal(size=(int(t), 3)) * 2 + 1).astype(np.float32) for t in rng.integers(4, args.longest + 1, size=120)]
    y = np.array([x[:, 0].mean() > 1 for x in X])
    short = graph.trace_steps
    ways = {"fitted": lambda m: int(m.max_len_), "short": short}
    with tempfile.TemporaryDirectory() as d:
        for spec in ("lstm8,6", "gru3:bi,2"):
            clf = SequenceClassifier(spec, max_iter=1, early_stopping=False, device="cpu", random_state=0).fit(X, y)
            export_onnx(clf, Path(d) / "warm.onnx", X=X[:30])
            cpu: dict[str, list[float]] = {w: [] for w in ways}
            for _ in range(args.exports):
                for way, steps in ways.items():
                    graph.trace_steps = steps  # type: ignore[assignment]
                    c = time.process_time()
                    r = export_onnx(clf, Path(d) / f"{way}.onnx", X=X[:30])
                    cpu[way].append(time.process_time() - c)
                    assert r.max_abs_diff < 1e-4
            graph.trace_steps = short
            a, b = statistics.median(cpu["fitted"]), statistics.median(cpu["short"])
            print(f"{spec:10s} longest {args.longest}: fitted-length trace {a:.2f} CPU-s, short trace {b:.2f} CPU-s per export, ratio {a / b:.2f}x")


if __name__ == "__main__":
    main()
