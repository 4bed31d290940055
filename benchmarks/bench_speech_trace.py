"""SpeechRecognizer ONNX exports with a dynamic steps axis: traced on the longest parity utterance (the old sample) against
a short sample (``ship/_app_graph_ctc.trace_steps``, what ``export_onnx`` uses).

Side by side in one process, alternating the two ways so load drifts hit both, after one warm-up export per spec:
``--exports`` exports of each spec each way, fitted on 24 toy utterances (``--repeat`` words each: longer utterances),
parity on 8 of them. Prints CPU seconds per export (medians), whether the file's steps axis is dynamic each way (it must
be the same), and the ratio longest / short.

    python benchmarks/bench_speech_trace.py --exports 2
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import warnings
from pathlib import Path

SPECS = ("conv8k3,pool2,gru8:bi", "conv8k3:same,pool2,gru8", "lstm8:bi,lstm8:bi", "conv8k3,pool2,lstm8",
         "conv8k3:same,pool2,conv8k3:same", "conv8k3:same,avgpool2,gru8")


def utterances(n: int, repeat: int, seed: int = 0) -> tuple[list, list[str]]:
    """``n`` utterances of ``repeat`` letters a/b, each letter its own feature high for 4 frames then 1-2 frames of noise."""
    import numpy as np

    rng = np.random.default_rng(seed)
    X, y = [], []
    for _ in range(n):
        text = "".join(rng.choice(["a", "b"], size=repeat))
        parts = []
        for c in text:
            block = rng.normal(0, 0.1, size=(4, 3))
            block[:, "ab".index(c)] += 2.0
            parts += [block, rng.normal(0, 0.1, size=(int(rng.integers(1, 3)), 3))]
        X.append(np.concatenate(parts).astype(np.float32))
        y.append(text)
    return X, y


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exports", type=int, default=2, help="timed exports of each spec each way (default 2)")
    parser.add_argument("--repeat", type=int, default=3, help="words per utterance (default 3: 15-18 frames)")
    args = parser.parse_args()
    import hiddenlayers.ship._app_graph_ctc as graph
    from hiddenlayers.apps import SpeechRecognizer
    from hiddenlayers.ship import SpeechOnnx, export_onnx

    warnings.simplefilter("ignore")
    X, y = utterances(24, args.repeat)
    short = graph.trace_steps
    ways = {"longest": lambda network, min_length, width: width, "short": short}
    with tempfile.TemporaryDirectory() as d:
        for spec in SPECS:
            rec = SpeechRecognizer(spec, max_iter=2, early_stopping=False, random_state=0).fit(X, y)
            export_onnx(rec, Path(d) / "warm.onnx", X=X[:8])
            cpu: dict[str, list[float]] = {w: [] for w in ways}
            dynamic: dict[str, set[bool]] = {w: set() for w in ways}
            for _ in range(args.exports):
                for way, steps in ways.items():
                    graph.trace_steps = steps  # type: ignore[assignment]
                    c = time.process_time()
                    r = export_onnx(rec, Path(d) / f"{way}.onnx", X=X[:8])
                    cpu[way].append(time.process_time() - c)
                    assert r.max_abs_diff < 1e-4
                    dynamic[way].add(SpeechOnnx(Path(d) / f"{way}.onnx").steps is None)
            graph.trace_steps = short
            a, b = statistics.median(cpu["longest"]), statistics.median(cpu["short"])
            longest = max(len(x) for x in X[:8])
            print(f"{spec:34s} longest {longest}: longest-utterance trace {a:.2f} CPU-s (dynamic {sorted(dynamic['longest'])}), "
                  f"short trace {b:.2f} CPU-s (dynamic {sorted(dynamic['short'])}), ratio {a / b:.2f}x", flush=True)


if __name__ == "__main__":
    main()
