"""Start-up of `hiddenlayers serve`: process start to the first answered request, and where it goes.

What a restarting or autoscaled worker pays before it serves (and what every
server the test suite starts pays). Four model files, made here in a temporary
folder: a table MLP 100 -> 256 -> 128 -> 10 with its table preprocessing
(``.safetensors``, as ``hiddenlayers train`` writes it), its ``.onnx`` export,
the same MLP with dropout, a batch norm and a layer norm (``.safetensors``), and
a TextClassifier (``embed64,gru64``, an application file).

For each file, ``--runs`` fresh ``hiddenlayers serve FILE`` processes on
127.0.0.1; the client posts one request from the moment the process starts
until one is answered. Printed per file: the median wall seconds to that
answer, and the median CPU seconds the server process had used by then
(``utime + stime`` from ``/proc``, 10 ms ticks; the client's own polling is
not counted). Wall time follows the machine's load; compare CPU seconds.

Then the breakdown, so a figure can be compared across commits: in one fresh
process each, the CPU seconds of importing the server module, of opening the
model file (``_Server``: load, describe, plan), of checking and predicting one
request (``rows`` + ``predict``), and which heavy packages are in
``sys.modules`` once it has answered; and from one run under
``python -X importtime``, the import time (self, summed) per top-level package,
largest first (``-X importtime`` clocks wall time: on a loaded machine, compare
the shares, not the seconds). Linux only (``/proc``).

Bytecode: an installed package has its ``.pyc`` files, but an editable install
run with ``PYTHONDONTWRITEBYTECODE=1`` (as on the shared machine) compiles
every hiddenlayers module from source at each start. By default the servers
here cache bytecode under a temporary ``PYTHONPYCACHEPREFIX`` (the unmeasured
first start writes it), as a deployment runs; ``--as-is`` keeps the
environment's setting, which is what the test suite's servers pay.

Usage: .venv/bin/python benchmarks/bench_serve_start.py [--runs 5] [--top 12] [--as-is]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
EXE = os.path.join(os.path.dirname(sys.executable), "hiddenlayers")
HEAVY = ("torch", "torch._dynamo", "sklearn", "scipy", "scipy.stats", "pandas", "pyarrow", "onnxruntime", "onnx", "rich", "matplotlib", "typer")
TICK = os.sysconf("SC_CLK_TCK")

PHASES = """
import json, sys, time
t0 = time.process_time()
from hiddenlayers.ship._serve.serve import ServeConfig, _Server
t1 = time.process_time()
server = _Server(ServeConfig(model=sys.argv[1]))
t2 = time.process_time()
model = server.model
answer = model.predict(model.rows(json.loads(sys.argv[2]), 10), False)
t3 = time.process_time()
heavy = [m for m in json.loads(sys.argv[3]) if m in sys.modules]
print(json.dumps({"import": t1 - t0, "open": t2 - t1, "first": t3 - t2, "answer": answer, "heavy": heavy}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (its own, not its children's)."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


ENV = dict(os.environ)  # the servers' environment: main() sets the bytecode cache


def first_answer(model: str, body: dict, log: str, importtime: bool = False) -> tuple[float, float, dict]:
    """Start ``hiddenlayers serve model`` (its stderr to the file ``log``); (wall s, server CPU s, the answer) at its
    first answered ``POST /predict``. An error answer or an exit stops the benchmark with the server's words."""
    port = free_port()
    data = json.dumps(body).encode()
    cmd = [sys.executable, *(["-X", "importtime"] if importtime else []), EXE, "serve", model, "--port", str(port), "--log-level", "warning"]
    with open(log, "w") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=ENV)
        try:
            answer = _poll(port, data, proc, start, log)
            wall, cpu = time.perf_counter() - start, cpu_seconds(proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    return wall, cpu, answer


def _poll(port: int, data: bytes, proc: subprocess.Popen, start: float, log: str) -> dict:
    """POST ``data`` to /predict until the server answers (refused connections are retried every 10 ms)."""
    while True:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/predict", data=data, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as resp:
                return json.loads(resp.read())  # type: ignore[no-any-return]
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"the server answered {exc.code}: {exc.read().decode()[:500]}") from None
        except OSError:
            if proc.poll() is not None:
                with open(log) as fh:
                    raise RuntimeError(f"the server exited before answering: {fh.read()[-2000:]}") from None
            if time.perf_counter() - start > 120:
                raise RuntimeError("no answer in 120 s") from None
            time.sleep(0.01)


def by_package(importtime: str) -> list[tuple[str, float]]:
    """Import seconds (self time, summed) per top-level package from a ``-X importtime`` log; hiddenlayers per stage."""
    totals: collections.Counter[str] = collections.Counter()
    with open(importtime) as fh:
        for line in fh:
            if not line.startswith("import time:") or "self [us]" in line:
                continue
            self_us, _, name = line[len("import time:"):].split("|")
            parts = name.strip().split(".")
            top = ".".join(parts[:2]) if parts[0] == "hiddenlayers" else parts[0]
            totals[top] += int(self_us) / 1e6
    return totals.most_common()


NORMED = "256:relu:batchnorm:dropout=0.1,128:tanh:layernorm"  # the table MLP with dropout and norms (hl.load's before the NumPy path took them)


def make_files(folder: str) -> dict[str, tuple[str, dict]]:
    from bench_serve import make_models, make_text_model

    st, ox, row = make_models(folder)
    normed, _, _ = make_models(folder, NORMED, "normed")
    text, words = make_text_model(folder)
    return {"table .safetensors": (st, {"rows": [row]}), "table .onnx": (ox, {"rows": [row]}),
            "table norms .safetensors": (normed, {"rows": [row]}), "text app .safetensors": (text, {"texts": [words]})}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh server processes per model file")
    parser.add_argument("--top", type=int, default=12, help="packages shown in the import breakdown")
    parser.add_argument("--as-is", action="store_true", help="keep the environment's bytecode setting (PYTHONDONTWRITEBYTECODE)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if not args.as_is:
            ENV.pop("PYTHONDONTWRITEBYTECODE", None)
            ENV["PYTHONPYCACHEPREFIX"] = os.path.join(tmp, "pyc")
        bytecode = "never cached (PYTHONDONTWRITEBYTECODE)" if ENV.get("PYTHONDONTWRITEBYTECODE") else "cached"
        files = make_files(tmp)
        print(f"first answered request of `hiddenlayers serve FILE`, median of {args.runs} fresh processes "
              f"(python {sys.version.split()[0]}, bytecode {bytecode})")
        print(f"{'file':24s} {'CPU s':>7s} {'wall s':>7s}   (min CPU, max CPU)")
        for name, (path, body) in files.items():
            log = os.path.join(tmp, "stderr.txt")
            first_answer(path, body, log)  # one unmeasured start: the page cache (and bytecode cache) hold the files
            runs = [first_answer(path, body, log) for _ in range(args.runs)]
            cpus, walls = [r[1] for r in runs], [r[0] for r in runs]
            print(f"{name:24s} {statistics.median(cpus):7.2f} {statistics.median(walls):7.2f}   ({min(cpus):.2f}, {max(cpus):.2f})")
        print("\nbreakdown, in-process (CPU s): import the server module | open the file | first request (rows + predict)")
        for name, (path, body) in files.items():
            out = subprocess.run([sys.executable, "-c", PHASES, path, json.dumps(body), json.dumps(HEAVY)], capture_output=True, text=True,
                                 check=True, env=ENV)
            p = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{name:24s} {p['import']:6.2f} | {p['open']:6.2f} | {p['first']:6.3f}   heavy modules loaded: {', '.join(p['heavy']) or 'none'}")
        print(f"\nimport wall time (self, summed) per package under -X importtime, top {args.top}, one `hiddenlayers serve` start each")
        for name, (path, body) in files.items():
            log = os.path.join(tmp, "importtime.txt")
            first_answer(path, body, log, importtime=True)
            rows = by_package(log)
            total = sum(s for _, s in rows)
            shown = ", ".join(f"{pkg} {s:.2f}" for pkg, s in rows[: args.top])
            print(f"{name:24s} total {total:.2f}: {shown}")


if __name__ == "__main__":
    main()
