"""ONNX exports in one process: torch's torchlib registry rebuilt for each export (torch as shipped) against built once
(``ship/_torchlib_registry.reused_registry``, which ``export_onnx`` runs each export inside).

Side by side in one process, alternating the two ways so load drifts hit both: ``--exports`` exports of one small
MLPClassifier each way, after one warm-up export of each (imports, first build). Prints CPU and wall seconds per export
(medians) and the ratio shipped / reused. Both ways go through torch's exporter: the direct graph writer that a table MLP
of dense layers takes since (``_export.dense_graph``, which never builds the registry) is switched off here, as
``bench_export.py``'s torch way does, so the figures measure the registry, not the writer.

    python benchmarks/bench_export_registry.py --exports 6
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any


def _timed(export: Any) -> tuple[float, float]:
    c, w = time.process_time(), time.perf_counter()
    export()
    return time.process_time() - c, time.perf_counter() - w


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exports", type=int, default=6, help="timed exports each way (default 6)")
    args = parser.parse_args()

    import contextlib

    import numpy as np
    import torch

    import hiddenlayers as hl
    from hiddenlayers.ship import _export

    torch.set_num_threads(1)
    X = np.random.default_rng(0).normal(size=(200, 8))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = hl.MLPClassifier(hidden_layer_sizes=(16,), max_iter=20, random_state=0).fit(X, (X[:, 0] > 0).astype(int))
    shipped = _export.reused_registry  # what export_onnx enters; the shipped way swaps in a no-op
    direct = _export.dense_graph
    _export.dense_graph = lambda *args, **kwargs: None  # type: ignore[assignment]  # torch's exporter for both ways
    times: dict[str, list[tuple[float, float]]] = {"shipped": [], "reused": []}
    with tempfile.TemporaryDirectory() as d:
        for i in range(args.exports + 1):
            for way in ("shipped", "reused"):
                _export.reused_registry = contextlib.nullcontext if way == "shipped" else shipped  # type: ignore[assignment]
                t = _timed(lambda out=Path(d) / f"{way}{i}.onnx": hl.export_onnx(clf, out))
                if i:  # the first round warms up: imports and the first registry build
                    times[way].append(t)
    _export.reused_registry, _export.dense_graph = shipped, direct  # type: ignore[assignment]
    cpu = {w: statistics.median(c for c, _ in ts) for w, ts in times.items()}
    wall = {w: statistics.median(s for _, s in ts) for w, ts in times.items()}
    print(f"torch {torch.__version__}, {args.exports} exports each way, medians per export")
    for way in ("shipped", "reused"):
        print(f"  {way:8s} CPU {cpu[way]:.3f} s   wall {wall[way]:.3f} s")
    print(f"  shipped / reused: CPU x{cpu['shipped'] / cpu['reused']:.2f}, wall x{wall['shipped'] / wall['reused']:.2f}; "
          f"saved per export: CPU {cpu['shipped'] - cpu['reused']:.3f} s")


if __name__ == "__main__":
    main()
