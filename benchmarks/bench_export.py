"""Table-MLP ONNX export: the direct graph writer (``ship/_dense_graph``) against torch's exporter, side by side.

Two MLPClassifiers on scikit-learn's digits (64 inputs, 10 classes): ``small`` (32,) and ``wide`` (512, 512). Each
way is the whole ``export_onnx`` call (graph, parity check with onnxruntime, file written); torch's way is the same
call with the direct writer switched off (``_export.dense_graph`` returning None), so torch.onnx.export runs as before.

* first in a fresh process: ``--fresh`` new Python processes per way and model, each loading the saved model (which
  imports torch) and timing its first ``export_onnx`` (for torch's way: importing torch._dynamo/torch.export, the
  torchlib registry, the trace);
* warm: in one process, after one warm-up export each way, ``--exports`` exports per way, alternating.

Prints median CPU and wall seconds per export, and the ratios torch / direct. One torch thread.

    OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/bench_export.py --fresh 3 --exports 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

MODELS = {"small": (32,), "wide": (512, 512)}
WAYS = ("direct", "torch")


def _use(way: str) -> None:
    """Export the torch way by switching the direct writer off (as for a model it cannot write)."""
    if way == "torch":
        from hiddenlayers.ship import _export

        _export.dense_graph = lambda *args, **kwargs: None  # type: ignore[assignment]


def _timed(fn: Any) -> tuple[float, float]:
    c, w = time.process_time(), time.perf_counter()
    fn()
    return time.process_time() - c, time.perf_counter() - w


def _child(model: str, way: str, out: str) -> None:
    """In a fresh process: load the model, time its first export, print ``[cpu, wall]`` as JSON."""
    import torch

    import hiddenlayers as hl

    torch.set_num_threads(1)
    clf = hl.load(model)
    _use(way)
    print(json.dumps(_timed(lambda: hl.export_onnx(clf, out))))


def _fit(folder: Path) -> dict[str, Path]:
    import numpy as np
    from sklearn.datasets import load_digits

    import hiddenlayers as hl

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    paths = {}
    for name, sizes in MODELS.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clf = hl.MLPClassifier(hidden_layer_sizes=sizes, max_iter=5, random_state=0).fit(X.astype(np.float32), y)
        paths[name] = folder / f"{name}.safetensors"
        hl.save(clf, paths[name])
    return paths


def _fresh(paths: dict[str, Path], folder: Path, runs: int) -> dict[tuple[str, str], list[tuple[float, float]]]:
    times: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for i in range(runs):
        for name, path in paths.items():
            for way in WAYS:
                cmd = [sys.executable, __file__, "--child", str(path), way, str(folder / f"{name}-{way}-{i}.onnx")]
                out = subprocess.run(cmd, check=True, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
                times.setdefault((name, way), []).append(tuple(json.loads(out.stdout.strip().splitlines()[-1])))
    return times


def _warm(paths: dict[str, Path], folder: Path, exports: int) -> dict[tuple[str, str], list[tuple[float, float]]]:
    import torch

    import hiddenlayers as hl
    from hiddenlayers.ship import _export

    torch.set_num_threads(1)
    direct = _export.dense_graph
    times: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for name, path in paths.items():
        clf = hl.load(path)
        for i in range(exports + 1):
            for way in WAYS:
                _export.dense_graph = direct if way == "direct" else (lambda *a, **k: None)  # type: ignore[assignment]
                t = _timed(lambda m=clf, out=folder / f"warm-{name}-{way}.onnx": hl.export_onnx(m, out))
                if i:  # the first round warms up each way
                    times.setdefault((name, way), []).append(t)
    _export.dense_graph = direct  # type: ignore[assignment]
    return times


def _show(title: str, times: dict[tuple[str, str], list[tuple[float, float]]]) -> None:
    print(title)
    for name in MODELS:
        cpu = {w: statistics.median(c for c, _ in times[(name, w)]) for w in WAYS}
        wall = {w: statistics.median(s for _, s in times[(name, w)]) for w in WAYS}
        print(f"  {name:5s} direct CPU {cpu['direct']:.3f} s wall {wall['direct']:.3f} s | torch CPU {cpu['torch']:.3f} s wall "
              f"{wall['torch']:.3f} s | torch / direct: CPU x{cpu['torch'] / cpu['direct']:.1f}, wall x{wall['torch'] / wall['direct']:.1f}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(*sys.argv[2:5])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh", type=int, default=3, help="fresh processes per way and model (default 3)")
    parser.add_argument("--exports", type=int, default=5, help="warm exports per way and model (default 5)")
    args = parser.parse_args()
    import torch

    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        paths = _fit(folder)
        print(f"torch {torch.__version__}; medians per export (CPU = this process's, or the child's)")
        _show(f"first export in a fresh process ({args.fresh} processes per way and model):", _fresh(paths, folder, args.fresh))
        _show(f"warm, one process ({args.exports} exports per way and model, alternating):", _warm(paths, folder, args.exports))


if __name__ == "__main__":
    main()
