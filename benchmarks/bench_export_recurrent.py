"""Recurrent ONNX exports with the LSTM/GRU shapes given directly (``ship/_rnn_shapes``, what ``export_onnx`` does) against
torch's own path, which runs PyTorch's step-by-step Python decomposition of the layer on fake tensors in each pass.

Side by side in one process, alternating the two ways so load drifts hit both, after one warm-up export of each model:
``--exports`` exports of each model each way. SequenceClassifiers on 80 random frame sequences of ``--longest`` / 2 to
``--longest`` steps (a fixed-step bidirectional GRU, whose graph is traced at the fitted length; a dynamic-step LSTM;
a dynamic two-layer bidirectional LSTM) and a TextClassifier (bidirectional GRU over words). Prints CPU seconds per
export (medians) and the ratio torch's path / direct shapes; parity with PyTorch (``max_abs_diff`` < 1e-4) is
asserted on every export, and the two ways' graphs are compared node by node (operators and attributes) and weight by
weight.

    python benchmarks/bench_export_recurrent.py --exports 2 --longest 60
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any


def _graph(path: Path) -> tuple[list[Any], list[Any]]:
    """Nodes as (operator, attributes) and initializers as (name, bytes): what does not depend on node names."""
    import onnx

    model = onnx.load(str(path))
    nodes = [(n.op_type, sorted((a.name, str(onnx.helper.get_attribute_value(a))) for a in n.attribute)) for n in model.graph.node]
    return nodes, sorted((i.name, i.SerializeToString()) for i in model.graph.initializer)


def _models(longest: int) -> list[tuple[str, Any, Any]]:
    """(label, fitted model, parity X) for each model timed."""
    import numpy as np

    from hiddenlayers.apps import SequenceClassifier, TextClassifier

    rng = np.random.default_rng(0)
    X = [(rng.normal(size=(int(t), 4)) * 2 + 1).astype(np.float32) for t in rng.integers(longest // 2, longest + 1, size=80)]
    y = np.array([x[:, 0].mean() > 1 for x in X])
    out = [(f"seq {spec}", SequenceClassifier(spec, max_iter=1, early_stopping=False, device="cpu", random_state=0).fit(X, y), X[:20])
           for spec in ("gru16:bi:seq,gap", "lstm16", "lstm8:bi:layers=2")]
    words = [f"w{i}" for i in range(50)]
    texts = [" ".join(rng.choice(words, size=int(rng.integers(longest // 2, longest + 1)))) for _ in range(80)]
    text = TextClassifier("embed8,gru8:bi", max_iter=1, early_stopping=False, device="cpu", random_state=0).fit(texts, y)
    return [*out, ("text embed8,gru8:bi", text, texts[:20])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exports", type=int, default=2, help="timed exports of each model each way (default 2)")
    parser.add_argument("--longest", type=int, default=60, help="the longest sequence (steps, words) in fit (default 60)")
    args = parser.parse_args()
    import hiddenlayers.ship._export as export
    from hiddenlayers.ship import export_onnx

    warnings.simplefilter("ignore")
    direct = export.shape_only_recurrence
    ways = {"torch": contextlib.nullcontext, "direct": direct}
    with tempfile.TemporaryDirectory() as d:
        for label, model, X in _models(args.longest):
            export_onnx(model, Path(d) / "warm.onnx", X=X)
            cpu: dict[str, list[float]] = {w: [] for w in ways}
            for _ in range(args.exports):
                for way, context in ways.items():
                    export.shape_only_recurrence = context  # type: ignore[assignment]
                    c = time.process_time()
                    r = export_onnx(model, Path(d) / f"{way}.onnx", X=X)
                    cpu[way].append(time.process_time() - c)
                    assert r.max_abs_diff < 1e-4
            export.shape_only_recurrence = direct
            assert _graph(Path(d) / "torch.onnx") == _graph(Path(d) / "direct.onnx"), label
            a, b = statistics.median(cpu["torch"]), statistics.median(cpu["direct"])
            print(f"{label:24s} longest {args.longest}: torch's path {a:.2f} CPU-s, direct shapes {b:.2f} CPU-s per export, "
                  f"ratio {a / b:.2f}x (same graph)", flush=True)


if __name__ == "__main__":
    main()
