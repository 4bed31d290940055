"""`hiddenlayers serve` under load beside a naive FastAPI endpoint, measured with wrk on loopback.

Model: MLP 100 -> 256 -> 128 -> 10 trained briefly on synthetic data made here
(with the table preprocessing stored in the file, as `hiddenlayers train`
writes it). Servers, one at a time, each a subprocess on 127.0.0.1:

* naive: FastAPI + uvicorn, a ``def`` endpoint that builds a DataFrame from the
  JSON rows, applies the stored preprocessing and calls ``MLPClassifier.predict``
  (what a new user writes by hand);
* ours (.safetensors) and ours (.onnx): ``hiddenlayers serve``.

wrk sends one-row JSON requests at 8, 32 and 128 connections for ``--seconds``
each; printed: throughput, p50, p99, errors (non-2xx + socket errors), mean
batch size (rows per forward pass, from /metrics). Then the lone-request
overhead: wrk with one connection against ours (.onnx), p50, minus the p50 of
in-process ONNX Runtime on the same row. ``--pin`` puts the server on CPU 0
and wrk on CPU 1 (taskset). ``--apps``: instead, the table model beside a
TextClassifier of about the same size (embed64,gru64 on a 500-word
vocabulary, ~60k parameters; one 12-word text a request), both ``hiddenlayers
serve`` on .safetensors, and the ratio of their throughputs. Usage:
python benchmarks/bench_serve.py [--seconds 5] [--pin] [--apps]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import warnings

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
NAIVE = '''
import pandas as pd
from fastapi import FastAPI
import hiddenlayers as hl
from hiddenlayers.data import TablePreprocessor

model = hl.load({path!r})
pre = TablePreprocessor.from_dict(model.preprocessing_)
app = FastAPI()

@app.post("/predict")
def predict(body: dict):
    frame = pd.DataFrame(body["rows"])
    return {{"predictions": model.predict(pre.transform(frame).matrix).tolist()}}
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_models(folder: str, hidden: object = (256, 128), name: str = "model") -> tuple[str, str, dict]:
    """The table MLP 100 -> ``hidden`` -> 10 with its table preprocessing, saved as ``name``.safetensors and ``name``.onnx in
    ``folder``; and one request's row."""
    import hiddenlayers as hl
    from hiddenlayers.data import TablePreprocessor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(4000, 100))
    y = (X[:, :10] + 0.5 * rng.normal(size=(4000, 10))).argmax(1)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(100)])
    pre = TablePreprocessor().fit(frame)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = hl.MLPClassifier(hidden_layer_sizes=hidden, max_iter=20, random_state=0).fit(pre.transform(frame).matrix, y)
    model.preprocessing_ = {**pre.to_dict(), "target": "label", "task": "classification"}
    st, ox = os.path.join(folder, f"{name}.safetensors"), os.path.join(folder, f"{name}.onnx")
    model.save(st)
    hl.export_onnx(model, ox)
    return st, ox, {f"x{i}": round(float(v), 4) for i, v in enumerate(X[0])}


def make_text_model(folder: str) -> tuple[str, str]:
    """A TextClassifier about the table MLP's size (~60k parameters), saved; and one request's text (12 words)."""
    from hiddenlayers.apps import TextClassifier

    rng = np.random.default_rng(0)
    words = np.array([f"w{i}" for i in range(500)])
    texts = [" ".join(rng.choice(words, 12)) for _ in range(2000)]
    labels = [int(t.count("w1") > 1) for t in texts]
    clf = TextClassifier("embed64,gru64", max_iter=2, early_stopping=False, random_state=0, device="cpu").fit(texts, labels)
    path = os.path.join(folder, "text.safetensors")
    clf.save(path)
    return path, texts[0]


def write_post(path: str, body: dict) -> str:
    with open(path, "w") as fh:
        fh.write(f'wrk.method = "POST"\nwrk.body = {json.dumps(json.dumps(body))}\nwrk.headers["Content-Type"] = "application/json"\n')
    return path


def start(cmd: list[str], port: int, pin: str | None, env: dict) -> subprocess.Popen:
    if pin:
        cmd = ["taskset", "-c", pin, *cmd]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/docs" if "uvicorn" in cmd else f"http://127.0.0.1:{port}/health", timeout=1)
            return proc
        except Exception:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {proc.stderr.read().decode()[-2000:]}") from None
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start in 60 s")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def batch_stats(port: int) -> tuple[float, float]:
    """(sum, count) of rows-per-forward-pass from /metrics (0, 0 for the naive server)."""
    try:
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    except Exception:
        return 0.0, 0.0
    s = re.search(r"^hiddenlayers_batch_rows_sum\{[^}]*\} (\S+)", text, re.M)
    c = re.search(r"^hiddenlayers_batch_rows_count\{[^}]*\} (\S+)", text, re.M)
    return (float(s.group(1)), float(c.group(1))) if s and c else (0.0, 0.0)


def to_ms(text: str) -> float:
    num, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(num) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]


def wrk(port: int, conns: int, seconds: float, script: str, pin: str | None) -> dict:
    cmd = ["wrk", "-t1", f"-c{conns}", f"-d{seconds:g}s", "--latency", "--timeout", "5s", "-s", script, f"http://127.0.0.1:{port}/predict"]
    if pin:
        cmd = ["taskset", "-c", pin, *cmd]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = to_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = to_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(int(g) for g in sock.groups()) if sock else 0)
    return {"rps": rps, "p50": p50, "p99": p99, "errors": errors}


def ort_p50(onnx_path: str, row: dict, calls: int = 3000) -> float:
    """In-process ONNX Runtime p50 in ms on the one row, feeds ready (the floor a server adds to)."""
    from hiddenlayers._onnx_run import OnnxModel

    m = OnnxModel(onnx_path)
    feeds, _ = m.feeds(pd.DataFrame([row]))
    for _ in range(300):
        m.session.run(None, feeds)
    ts = []
    for _ in range(calls):
        t0 = time.perf_counter_ns()
        m.session.run(None, feeds)
        ts.append(time.perf_counter_ns() - t0)
    return float(np.median(ts)) / 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=5.0, help="wrk duration per (server, connections)")
    ap.add_argument("--connections", default="8,32,128")
    ap.add_argument("--pin", action="store_true", help="server on CPU 0, wrk on CPU 1 (taskset)")
    ap.add_argument("--apps", action="store_true", help="the table model beside a TextClassifier of the same size, both served")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: run `bash .ci/system-deps.sh wrk` (make bench does).")
    spin, wpin = ("0", "1") if args.pin else (None, None)
    conns = [int(c) for c in args.connections.split(",")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([os.path.join(HERE, "..", "src"), os.environ.get("PYTHONPATH", "")])}
    if args.apps:
        apps_run(args.seconds, [int(c) for c in args.connections.split(",")], ("0", "1") if args.pin else (None, None), env)
        return
    with tempfile.TemporaryDirectory() as tmp:
        st, ox, row = make_models(tmp)
        script = os.path.join(tmp, "post.lua")
        with open(script, "w") as fh:
            body = json.dumps({"rows": [row]})
            fh.write(f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\nwrk.headers["Content-Type"] = "application/json"\n')
        with open(os.path.join(tmp, "naive.py"), "w") as fh:
            fh.write(NAIVE.format(path=st))
        cli = [sys.executable, "-c", "from hiddenlayers.cli import main; main()", "serve"]
        servers = {
            "naive FastAPI": lambda p: [sys.executable, "-m", "uvicorn", "--app-dir", tmp, "naive:app", "--port", str(p), "--log-level", "warning", "--no-access-log"],
            "ours .safetensors": lambda p: [*cli, st, "--port", str(p), "--log-level", "warning"],
            "ours .onnx": lambda p: [*cli, ox, "--port", str(p), "--log-level", "warning"],
        }
        results: dict[str, dict[int, dict]] = {}
        lone: dict[str, float] = {}
        for name, make_cmd in servers.items():
            port = free_port()
            proc = start(make_cmd(port), port, spin, env)
            try:
                wrk(port, 8, 1.0, script, wpin)  # warm-up
                results[name] = {}
                for c in conns:
                    s0, n0 = batch_stats(port)
                    r = wrk(port, c, args.seconds, script, wpin)
                    s1, n1 = batch_stats(port)
                    r["batch"] = (s1 - s0) / (n1 - n0) if n1 > n0 else float("nan")
                    results[name][c] = r
                    print(f"{name:18s} c={c:<4d} {r['rps']:9.0f} req/s  p50 {r['p50']:7.2f} ms  p99 {r['p99']:7.2f} ms  errors {r['errors']:5d}  mean batch {r['batch']:.1f}", flush=True)
                lone[name] = wrk(port, 1, min(args.seconds, 3.0), script, wpin)["p50"]
            finally:
                stop(proc)
        ort = ort_p50(ox, row)
        naive = results["naive FastAPI"]
        print("\nthroughput ratio over naive (same connections):")
        for name in ("ours .safetensors", "ours .onnx"):
            print(f"  {name:18s} " + "  ".join(f"c={c}: {results[name][c]['rps'] / naive[c]['rps']:.2f}x" for c in conns))
        print("\nlone request (wrk, 1 connection) p50: " + ", ".join(f"{k} {v:.3f} ms" for k, v in lone.items()))
        print(f"in-process ONNX Runtime p50 on the same row: {ort:.4f} ms; overhead of ours .onnx: {lone['ours .onnx'] - ort:.3f} ms (goal <= 1 ms)")


def apps_run(seconds: float, conns: list[int], pins: tuple[str | None, str | None], env: dict) -> None:
    """Served table MLP vs served TextClassifier of about its size: req/s at each connection count, and the ratio."""
    spin, wpin = pins
    with tempfile.TemporaryDirectory() as tmp:
        st, _, row = make_models(tmp)
        text, sentence = make_text_model(tmp)
        cli = [sys.executable, "-c", "from hiddenlayers.cli import main; main()", "serve"]
        servers = {"table MLP": (st, write_post(os.path.join(tmp, "rows.lua"), {"rows": [row]})),
                   "TextClassifier": (text, write_post(os.path.join(tmp, "texts.lua"), {"texts": [sentence]}))}
        results: dict[str, dict[int, dict]] = {}
        for name, (path, script) in servers.items():
            port = free_port()
            proc = start([*cli, path, "--port", str(port), "--log-level", "warning"], port, spin, env)
            try:
                wrk(port, 8, 1.0, script, wpin)  # warm-up
                results[name] = {}
                for c in conns:
                    s0, n0 = batch_stats(port)
                    r = wrk(port, c, seconds, script, wpin)
                    s1, n1 = batch_stats(port)
                    r["batch"] = (s1 - s0) / (n1 - n0) if n1 > n0 else float("nan")
                    results[name][c] = r
                    print(f"{name:15s} c={c:<4d} {r['rps']:9.0f} req/s  p50 {r['p50']:7.2f} ms  p99 {r['p99']:7.2f} ms  errors {r['errors']:5d}  mean batch {r['batch']:.1f}", flush=True)
            finally:
                stop(proc)
        print("\nTextClassifier throughput over the table MLP's: " + "  ".join(
            f"c={c}: {results['TextClassifier'][c]['rps'] / results['table MLP'][c]['rps']:.2f}x" for c in conns))


if __name__ == "__main__":
    main()
