"""A fresh process's ``hiddenlayers cost FILE`` and ``hl.cost(model)``: this checkout against an older one, interleaved.

``cost`` counted FLOPs with ``torch.utils.flop_counter.FlopCounterMode`` alone, whose first use in a process imports
``torch._dynamo`` (about 3 s on a 2-core machine); it now counts the networks hiddenlayers builds from their layers'
shapes (``rightsize/_flops_hand``) and keeps the counter for other modules. Two models, made here in a temporary folder:

* ``hiddenlayers cost m.safetensors``: a digits MLPClassifier (64 -> 32 -> 10, 5 epochs), the command as a user runs it
  (``python -m hiddenlayers cost FILE --calls N --json``): wall and CPU seconds of the whole process;
* ``hl.cost(img, n_calls=N)`` of an ImageClassifier (digits 8 x 8, ``conv8k3,pool2,16``, 1 epoch) loaded from its file in a fresh
  process: seconds of the ``hl.cost`` call alone, and whether ``torch._dynamo`` is in ``sys.modules`` after it.

Each code runs in its own process with its ``src`` first on ``PYTHONPATH``: this checkout's, and with ``--base SRC`` an
older one's (``git worktree add --detach /tmp/base_cf 19e54a6c``; ``--base /tmp/base_cf/src``); ``--rounds`` rounds of
the two interleaved (the machine's load moves both alike), medians printed, then old / new ratios. The FLOPs both
report must be equal (checked, printed). ``--calls`` (default 100) is cost's ``n_calls``: the FLOP count is a fixed cost
per process, the timed calls and measuring windows grow with it (at the default 2000 a batch-1 convolution on a loaded
2-core machine, 10 ms a call where threads stall, drowns it in noise).

    .venv/bin/python benchmarks/bench_cost_start.py --base /tmp/base_cf/src --rounds 5
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
from pathlib import Path
from typing import Any

HERE_SRC = str(Path(__file__).resolve().parents[1] / "src")

CHILD = """
import json, sys, time
import hiddenlayers as hl
model = hl.load(sys.argv[1])
start = time.perf_counter()
report = hl.cost(model, n_calls=int(sys.argv[2]))
seconds = time.perf_counter() - start
print(json.dumps({"cost_s": seconds, "dynamo": "torch._dynamo" in sys.modules,
                  "flops": [report.flops_per_prediction, report.flops_per_train_step] + [[lc.flops_per_prediction, lc.flops_per_train_step] for lc in report.layers]}))
"""


def _make_models(folder: Path) -> tuple[Path, Path]:
    """``(mlp.safetensors, image.safetensors)``: the two models, fitted on scikit-learn's digits."""
    import warnings

    from sklearn.datasets import load_digits

    import hiddenlayers as hl
    from hiddenlayers.apps import ImageClassifier

    X, y = load_digits(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # not converged in 5 epochs: what is measured is the cost of the shapes
        mlp = hl.MLPClassifier((32,), max_iter=5, random_state=0).fit(X / 16, y)
    img = ImageClassifier(hidden_layer_sizes="conv8k3,pool2,16", max_iter=1, random_state=0).fit((X / 16).reshape(-1, 8, 8).astype("float32"), y)
    paths = folder / "mlp.safetensors", folder / "image.safetensors"
    hl.save(mlp, paths[0])
    hl.save(img, paths[1])
    return paths


def _cli(src: str, path: Path, calls: int) -> dict[str, Any]:
    """``hiddenlayers cost PATH --calls CALLS --json`` in a fresh process: wall seconds and the FLOPs it printed."""
    env = {**os.environ, "PYTHONPATH": src}
    before = os.times()
    wall = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "hiddenlayers", "cost", str(path), "--calls", str(calls), "--json"], env=env, capture_output=True, check=False)
    wall = time.perf_counter() - wall
    after = os.times()
    if done.returncode != 0:
        raise SystemExit(f"{src}: hiddenlayers cost failed: {done.stderr.decode()[-2000:]}")
    report = json.loads(done.stdout)
    flops = [report.get("flops_per_prediction"), report.get("flops_per_train_step")] + [
        [row.get("flops_per_prediction"), row.get("flops_per_train_step")] for row in report.get("layers", [])]
    cpu = (after.children_user + after.children_system) - (before.children_user + before.children_system)
    return {"wall_s": wall, "cpu_s": cpu, "flops": flops}


def _python(src: str, path: Path, calls: int) -> dict[str, Any]:
    """``hl.cost(hl.load(PATH), n_calls=CALLS)`` in a fresh process: the call's seconds, whether torch._dynamo was imported, the FLOPs."""
    env = {**os.environ, "PYTHONPATH": src}
    done = subprocess.run([sys.executable, "-c", CHILD, str(path), str(calls)], env=env, capture_output=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{src}: hl.cost failed: {done.stderr.decode()[-2000:]}")
    return json.loads(done.stdout.decode().strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", help="the src folder of an older checkout to run too, for old vs new")
    ap.add_argument("--rounds", type=int, default=5, help="rounds of the codes interleaved; medians printed")
    ap.add_argument("--calls", type=int, default=100, help="cost's n_calls (--calls): the timed batch-1 calls, which scale the measuring")
    args = ap.parse_args()
    sides = [("new", HERE_SRC)] + ([("old", args.base)] if args.base else [])
    with tempfile.TemporaryDirectory() as tmp:
        mlp, image = _make_models(Path(tmp))
        runs: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {name: [] for name, _ in sides}
        for r in range(args.rounds):
            for name, src in sides:
                cli, py = _cli(src, mlp, args.calls), _python(src, image, args.calls)
                runs[name].append((cli, py))
                print(f"round {r + 1} {name}: cost m.safetensors {cli['wall_s']:5.2f} s wall, {cli['cpu_s']:5.2f} s CPU; "
                      f"hl.cost(ImageClassifier) {py['cost_s']:5.2f} s, torch._dynamo imported: {py['dynamo']}", flush=True)
    medians = {name: {"cli_wall": statistics.median(c["wall_s"] for c, _ in rows), "cli_cpu": statistics.median(c["cpu_s"] for c, _ in rows),
                      "py_cost": statistics.median(p["cost_s"] for _, p in rows)} for name, rows in runs.items()}
    for name, m in medians.items():
        print(f"{name} medians of {args.rounds}: cost m.safetensors {m['cli_wall']:.2f} s wall, {m['cli_cpu']:.2f} s CPU; "
              f"hl.cost(ImageClassifier) {m['py_cost']:.2f} s")
    if args.base:
        new, old = medians["new"], medians["old"]
        same = all(runs["new"][0][i]["flops"] == runs["old"][0][i]["flops"] for i in (0, 1))
        print(f"FLOPs equal (CLI's MLP and Python's ImageClassifier, every row): {same}; old / new: cost m.safetensors wall "
              f"{old['cli_wall'] / new['cli_wall']:.2f}, CPU {old['cli_cpu'] / new['cli_cpu']:.2f}; hl.cost(ImageClassifier) "
              f"{old['py_cost'] / new['py_cost']:.2f}")


if __name__ == "__main__":
    main()
