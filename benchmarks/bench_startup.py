"""Start-up time of the `hiddenlayers` command: `--help` and `info MODEL` must answer in < 0.5 s.

Runs each command several times as a fresh subprocess (as a user's shell
does) and prints the median and the best wall-clock time, next to
`python -c pass` and `import torch` for scale. Also reports which heavy
modules `info` imported (none of torch, sklearn, pandas, numpy expected).

Usage: .venv/bin/python benchmarks/bench_startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def timed(cmd: list[str], runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.strip()}")
    return statistics.median(times), min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    exe = str(BIN / "hiddenlayers")
    with tempfile.TemporaryDirectory() as tmp:
        model = str(Path(tmp) / "iris.safetensors")
        subprocess.run([exe, "train", "iris", "--hidden", "16", "--epochs", "5", "-q", "-o", model], check=True, capture_output=True)
        cases = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "python -c 'import torch'": [sys.executable, "-c", "import torch"],
            "hiddenlayers --help": [exe, "--help"],
            "hiddenlayers info MODEL": [exe, "info", model],
            "hiddenlayers info MODEL --json": [exe, "info", model, "--json"],
        }
        print(f"{'command':34s} {'median s':>9s} {'best s':>8s}   ({args.runs} runs each)")
        for name, cmd in cases.items():
            med, best = timed(cmd, args.runs)
            flag = "" if not name.startswith("hiddenlayers") else ("  ok (< 0.5 s)" if med < 0.5 else "  SLOW (>= 0.5 s)")
            print(f"{name:34s} {med:9.3f} {best:8.3f}{flag}")
        probe = (
            f"import sys; sys.argv=['hiddenlayers','info',{model!r}]\n"
            "from hiddenlayers.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "heavy=[m for m in ('torch','sklearn','pandas','numpy','scipy') if m in sys.modules]\n"
            "print('heavy modules imported by info:', heavy or 'none', file=sys.stderr)"
        )
        out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
        print(out.stderr.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
