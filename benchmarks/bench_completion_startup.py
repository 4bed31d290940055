"""Start-up cost of Typer's shell completion options (``--install-completion``, ``--show-completion``) on ``hiddenlayers --help``.

Why: the app had ``add_completion=False``; enabling it adds two root options (Typer imports its completion modules and
``shellingham`` either way) and the completion variable's check. This runs ``hiddenlayers --help`` as a fresh child process with completion off and on (the same
script, only ``app._add_completion`` differs), alternating the two so the shared machine's load falls on both alike,
and prints each side's median CPU seconds (the child's user + system time, ``resource.getrusage(RUSAGE_CHILDREN)``)
and wall seconds, and the difference and ratio of the medians.

Usage: .venv/bin/python benchmarks/bench_completion_startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time

CHILD = (
    "import sys\n"
    "from hiddenlayers.cli import _app\n"
    "_app.app._add_completion = {flag}\n"
    "sys.argv = ['hiddenlayers', '--help']\n"
    "_app.main()\n"
)


def one_run(flag: bool) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one child answering ``--help`` with completion ``flag``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CHILD.format(flag=flag)], capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0 or "Usage" not in proc.stdout:
        raise SystemExit(f"--help (completion {flag}) failed: {proc.stderr.strip()}")
    if flag != ("--show-completion" in proc.stdout):
        raise SystemExit(f"--help with completion {flag} did not list --show-completion as expected")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    one_run(False)  # warm the file cache (bytecode, site-packages) for both sides
    runs: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
    for i in range(args.runs):
        for flag in (False, True) if i % 2 == 0 else (True, False):
            runs[flag].append(one_run(flag))
    med = {flag: (statistics.median(c for c, _ in r), statistics.median(w for _, w in r)) for flag, r in runs.items()}
    print(f"hiddenlayers --help, {args.runs} runs each (median)   CPU s    wall s")
    for flag, label in ((False, "completion off"), (True, "completion on")):
        print(f"  {label:38s} {med[flag][0]:7.3f}  {med[flag][1]:7.3f}")
    cpu_diff, wall_diff = med[True][0] - med[False][0], med[True][1] - med[False][1]
    print(f"  on - off: CPU {cpu_diff * 1000:+.0f} ms (ratio {med[True][0] / med[False][0]:.2f}), wall {wall_diff * 1000:+.0f} ms")


if __name__ == "__main__":
    main()
