"""Fresh-process time of a small application fit: what ``hiddenlayers train --app image|sequence`` pays before its data.

Each round runs, in new Python processes one after the other, a script that fits a small ImageClassifier and a small
SequenceClassifier (2 epochs on 40 random 8x8 images / sequences) and predicts one row with each, with this checkout's
code (``src/``) and, with ``--base SRC``, an older checkout's (``git worktree add --detach /tmp/base_as HEAD~1``;
``--base /tmp/base_as/src``); a third process only imports torch and scikit-learn, the floor every run pays. Rounds are
interleaved, so the machine's load moves every arm alike; the medians and the ratios come from the same run. Each
process also says whether it imported ``torch._dynamo`` (PyTorch's ``FlopCounterMode`` does on first use, ~3 s).

    .venv/bin/python benchmarks/bench_app_start.py --rounds 5 --base /tmp/base_as/src
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: the child's work: fit and predict two small apps, then say whether torch._dynamo was imported
FIT = """
import json, sys
import numpy as np
from hiddenlayers.apps import ImageClassifier, SequenceClassifier
X = np.random.default_rng(0).random((40, 8, 8)).astype(np.float32)
y = np.arange(40) % 2
ImageClassifier("conv4k3,pool2,8", max_iter=2, random_state=0).fit(X, y).predict(X[:1])
SequenceClassifier("lstm4,4", max_iter=2, random_state=0).fit(X, y).predict(X[:1])
print(json.dumps({"dynamo": "torch._dynamo" in sys.modules}))
"""
#: the floor: the imports every fit process pays
FLOOR = "import json, torch, sklearn.base; print(json.dumps({'dynamo': False}))"


def _run(code: str, src: str) -> tuple[float, bool]:
    """Seconds of one fresh ``python -c code`` with ``src`` first on the path, and whether it imported torch._dynamo."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))}
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    return time.perf_counter() - start, bool(json.loads(out.strip().splitlines()[-1])["dynamo"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds of the arms (default 5)")
    ap.add_argument("--base", help="the src folder of an older checkout to run too, for old vs new")
    args = ap.parse_args()
    here = str(ROOT / "src")
    arms = [("imports only (torch, sklearn)", FLOOR, here), ("this checkout", FIT, here)]
    if args.base:
        arms.append(("base (--base)", FIT, args.base))
    times: dict[str, list[float]] = {name: [] for name, _, _ in arms}
    dynamo: dict[str, bool] = {}
    for _ in range(args.rounds):
        for name, code, src in arms:
            seconds, imported = _run(code, src)
            times[name].append(seconds)
            dynamo[name] = imported
    print(f"{'arm':32} {'median s':>9} {'min s':>7}  torch._dynamo imported")
    for name, _, _ in arms:
        print(f"{name:32} {statistics.median(times[name]):9.2f} {min(times[name]):7.2f}  {dynamo[name]}")
    if args.base:
        new, old = statistics.median(times["this checkout"]), statistics.median(times["base (--base)"])
        floor = statistics.median(times["imports only (torch, sklearn)"])
        print(f"this checkout / base: {new / old:.2f} (beyond the imports: {(new - floor) / max(old - floor, 1e-9):.2f})")


if __name__ == "__main__":
    main()
