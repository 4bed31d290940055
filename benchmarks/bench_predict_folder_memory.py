"""Peak memory of `predict MODEL DIR`: a ~200 MB Parquet folder scored batch by batch, against reading it whole.

One process, three phases in this order (a phase's peak is the largest RSS a psutil thread sees while it runs, polled
every 10 ms; the streamed phases first, so the whole-table phase's memory cannot lift theirs):

1. ``stream .onnx``: ``hiddenlayers predict model.onnx DIR --keep id --proba --out preds.parquet`` (cli/_score_stream,
   record batches of 65,536 rows through onnxruntime);
2. ``stream .safetensors``: the same with the model file (its stored preprocessing, the NumPy forward pass);
3. ``Python predict_proba(source)``: ``hl.load(model).predict_proba(ParquetSource(DIR, target=None, features=...))``;
4. ``whole .onnx``: ``pd.read_parquet(DIR)`` then ``OnnxModel.predict_proba`` on every row at once (the in-memory path).

The streamed output is checked against the whole table's probabilities (the same rows, the same order). The model is
a small MLPClassifier fitted with ``fit(ParquetSource)`` on 20,000 rows of the same generator (its preprocessing stored).

    .venv/bin/python benchmarks/bench_predict_folder_memory.py            # 4 files x 500,000 rows, ~200 MB
    .venv/bin/python benchmarks/bench_predict_folder_memory.py --rows 50000   # a quick look

``--file``: ``predict MODEL big.csv --out preds.csv`` on one CSV file (``--rows`` x ``--files`` rows, ~300 MB by default),
each code run as its own ``hiddenlayers`` process, one after the other: this checkout's (``src/``) and, with ``--base
SRC``, an older one's (``git worktree add --detach /tmp/base_sf d1588cee``; ``--base /tmp/base_sf/src``: predict FILE read
the file whole there). Per run: peak RSS (the child's ``ru_maxrss`` from ``os.wait4``), wall and CPU seconds (user +
system); the output files are compared byte for byte.

    .venv/bin/python benchmarks/bench_predict_folder_memory.py --file --base /tmp/base_sf/src

``--file --evaluate``: ``evaluate MODEL big.csv --json`` instead (the file's 0/1 label ``y`` scored), old and new alike; the
two JSON results are compared (equal metrics). ``evaluate FILE`` read the file whole until 0f795908 (``git archive
0f795908 src | tar -x -C /tmp/base_se``; ``--base /tmp/base_se/src``).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

NUMERIC = 12


def _frame(rows: int, seed: int, first_id: int) -> pd.DataFrame:
    """``rows`` rows: an id, 12 float64 columns, a 5-category text column and a 0/1 label that depends on them."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, NUMERIC))
    cat = rng.choice(np.array(["a", "b", "c", "d", "e"]), rows)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(NUMERIC)])
    frame.insert(0, "id", np.arange(first_id, first_id + rows, dtype=np.int64))
    frame["cat"] = cat
    frame["y"] = ((X[:, 0] + 0.5 * X[:, 1] - X[:, 2] + (cat == "a")) > 0).astype(np.int64)
    return frame


class _Peak:
    """The largest RSS (bytes) of this process while the ``with`` block runs, polled every ``interval`` seconds."""

    def __init__(self, interval: float = 0.01) -> None:
        import psutil

        self.proc, self.interval, self.peak, self._stop = psutil.Process(), interval, 0, threading.Event()

    def _poll(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(self.interval)

    def __enter__(self) -> _Peak:
        self.start = self.proc.memory_info().rss
        self.peak = self.start
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)


def _measure(name: str, run: Callable[[], Any]) -> tuple[Any, dict[str, float]]:
    cpu = time.process_time()
    with _Peak() as p:
        out = run()
    row = {"start_mb": p.start / 2**20, "peak_mb": p.peak / 2**20, "cpu_s": time.process_time() - cpu}
    print(f"{name:22s} RSS at start {row['start_mb']:7.0f} MB  peak {row['peak_mb']:7.0f} MB  "
          f"(+{row['peak_mb'] - row['start_mb']:5.0f} MB)  CPU {row['cpu_s']:6.1f} s", flush=True)
    return out, row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=500_000, help="rows per file (default 500,000: ~52 MB of Parquet each)")
    ap.add_argument("--files", type=int, default=4)
    ap.add_argument("--file", action="store_true", help="one CSV file of rows x files rows, scored by the CLI in a process (see above)")
    ap.add_argument("--base", help="with --file: the src folder of an older checkout to run too, for old vs new")
    ap.add_argument("--evaluate", action="store_true", help="with --file: evaluate MODEL big.csv --json, not predict")
    ap.add_argument("--repeats", type=int, default=1, help="with --file: rounds of new then old, interleaved; the medians")
    args = ap.parse_args()
    if args.file:
        _file_case(args.rows * args.files, args.base, args.evaluate, args.repeats)
        return

    import hiddenlayers as hl
    from hiddenlayers.cli._score_stream import predict_stream
    from hiddenlayers.data import ParquetSource
    from hiddenlayers.ship import OnnxModel

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "big").mkdir()
        (d / "small").mkdir()
        for i in range(args.files):  # one file at a time: the generator holds one file's rows
            _frame(args.rows, i, i * args.rows).to_parquet(d / "big" / f"part{i}.parquet", row_group_size=100_000)
        size = sum(f.stat().st_size for f in (d / "big").iterdir())
        print(f"folder: {args.files} files x {args.rows:,} rows = {args.files * args.rows:,} rows, {size / 2**20:.0f} MB of Parquet")
        _frame(20_000, 99, 0).to_parquet(d / "small" / "train.parquet")
        clf = hl.MLPClassifier(hidden_layer_sizes=(32, 16), max_iter=2, random_state=0)
        clf.fit(ParquetSource(str(d / "small"), target="y", features=[f"x{i}" for i in range(NUMERIC)] + ["cat"]))
        clf.save(d / "m.safetensors")
        hl.export_onnx(clf, d / "m.onnx")
        del clf

        def stream(model: str, out: str) -> int:
            return predict_stream(str(d / model), str(d / "big"), proba=True, out=str(d / out), keep=["id"])

        n, onnx_row = _measure("stream .onnx", lambda: stream("m.onnx", "onnx.parquet"))
        _, st_row = _measure("stream .safetensors", lambda: stream("m.safetensors", "st.parquet"))
        model = hl.load(d / "m.safetensors")
        features = [f"x{i}" for i in range(NUMERIC)] + ["cat"]
        P_src, py_row = _measure("Python predict_proba", lambda: model.predict_proba(ParquetSource(str(d / "big"), target=None, features=features)))

        def whole() -> np.ndarray:
            frame = pd.read_parquet(d / "big")
            return OnnxModel(d / "m.onnx").predict_proba(frame.drop(columns=["id", "y"]))

        P, whole_row = _measure("whole .onnx", whole)
        streamed = pd.read_parquet(d / "onnx.parquet")
        assert n == len(streamed) == len(P) == args.files * args.rows
        assert (streamed["id"].to_numpy() == np.arange(n)).all()
        gap = float(np.abs(streamed[["proba_0", "proba_1"]].to_numpy() - P).max())
        py_gap = float(np.abs(P_src - P).max())
        print(f"predict_proba(source) vs whole table: {len(P_src):,} rows, largest probability difference {py_gap:.2g}")
        print(f"streamed .onnx vs whole table: {n:,} rows in order, largest probability difference {gap:.2g}")
        print(f"peak RSS ratio whole / stream (.onnx): {whole_row['peak_mb'] / onnx_row['peak_mb']:.2f}; "
              f"growth while running: stream .onnx +{onnx_row['peak_mb'] - onnx_row['start_mb']:.0f} MB, "
              f"stream .safetensors +{st_row['peak_mb'] - st_row['start_mb']:.0f} MB, "
              f"predict_proba(source) +{py_row['peak_mb'] - py_row['start_mb']:.0f} MB, whole +{whole_row['peak_mb'] - whole_row['start_mb']:.0f} MB")
        os.sync()


def _cli_run(src: str, args: list[str], stdout: Path | None = None) -> dict[str, float]:
    """``python -m hiddenlayers ARGS`` with ``src`` first on the path, as its own process: peak RSS (MB), wall and CPU seconds
    (its standard output to the file ``stdout``; None: discarded)."""
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": src}
    wall = time.perf_counter()
    with open(stdout if stdout is not None else os.devnull, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "hiddenlayers", *args], env=env, stdout=out, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - wall
    err = proc.stderr.read().decode() if proc.stderr else ""
    if status != 0:
        raise SystemExit(f"{src}: predict failed ({status}): {err}")
    return {"peak_mb": usage.ru_maxrss / 1024, "wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime}


def _file_case(rows: int, base: str | None, evaluate: bool = False, repeats: int = 1) -> None:
    """``predict m.safetensors big.csv --out preds.csv`` (``evaluate``: ``evaluate m.safetensors big.csv --json``), this
    checkout's code and ``base``'s, each in its own process, ``repeats`` rounds of the two interleaved (the machine's load
    moves both alike); each figure the median of its rounds."""
    import filecmp
    import json
    import statistics

    import hiddenlayers as hl
    from hiddenlayers.data import ParquetSource

    here = str(Path(__file__).resolve().parents[1] / "src")
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        big = d / "big.csv"
        step = 500_000
        for i, first in enumerate(range(0, rows, step)):  # a part at a time: the generator holds one part's rows
            _frame(min(step, rows - first), i, first).to_csv(big, mode="a", header=i == 0, index=False)
        print(f"file: {rows:,} rows, {big.stat().st_size / 2**20:.0f} MB of CSV", flush=True)
        (d / "small").mkdir()
        _frame(20_000, 99, 0).to_parquet(d / "small" / "train.parquet")
        clf = hl.MLPClassifier(hidden_layer_sizes=(32, 16), max_iter=2, random_state=0)
        clf.fit(ParquetSource(str(d / "small"), target="y", features=[f"x{i}" for i in range(NUMERIC)] + ["cat"]))
        clf.save(d / "m.safetensors")
        runs = [("new (streamed)", here, d / "new.csv")] + ([("old (read whole)", base, d / "old.csv")] if base else [])
        _frame(1_000, 7, 0).to_csv(d / "tiny.csv", index=False)
        floor = _cli_run(here, ["predict", str(d / "m.safetensors"), str(d / "tiny.csv"), "--out", str(d / "tiny_out.csv")])
        print(f"{'floor (1,000 rows)':18s} peak RSS {floor['peak_mb']:7.0f} MB  wall {floor['wall_s']:6.1f} s  CPU {floor['cpu_s']:6.1f} s", flush=True)
        rounds: dict[str, list[dict[str, float]]] = {name: [] for name, _, _ in runs}
        for _ in range(repeats):
            for name, src, out in runs:
                if evaluate:  # the metrics' JSON to `out`
                    row = _cli_run(src, ["evaluate", str(d / "m.safetensors"), str(big), "--json"], stdout=out)
                else:
                    row = _cli_run(src, ["predict", str(d / "m.safetensors"), str(big), "--keep", "id", "--proba", "--force", "--out", str(out)])
                rounds[name].append(row)
                print(f"{name:18s} peak RSS {row['peak_mb']:7.0f} MB  wall {row['wall_s']:6.1f} s  CPU {row['cpu_s']:6.1f} s", flush=True)
        found = {name: {k: statistics.median(r[k] for r in rows) for k in rows[0]} for name, rows in rounds.items()}
        if repeats > 1:
            for name, row in found.items():
                print(f"{name:18s} medians of {repeats}: peak RSS {row['peak_mb']:7.0f} MB  wall {row['wall_s']:6.1f} s  CPU {row['cpu_s']:6.1f} s", flush=True)
        if base:
            new, old = found["new (streamed)"], found["old (read whole)"]
            if evaluate:
                m_new, m_old = (json.loads((d / f"{side}.csv").read_text())["metrics"] for side in ("new", "old"))
                same = m_new == m_old
                for key in (k for k in m_old if m_old[k] != m_new.get(k)):
                    print(f"  {key}: old {m_old[key]}, new {m_new.get(key)}")
            else:
                same = filecmp.cmp(d / "new.csv", d / "old.csv", shallow=False)
            print(f"{'metrics' if evaluate else 'outputs byte for byte'} equal: {same}; old / new: peak RSS {old['peak_mb'] / new['peak_mb']:.2f}, "
                  f"wall {old['wall_s'] / new['wall_s']:.2f}, CPU {old['cpu_s'] / new['cpu_s']:.2f}; growth over the floor: "
                  f"new +{new['peak_mb'] - floor['peak_mb']:.0f} MB, old +{old['peak_mb'] - floor['peak_mb']:.0f} MB")


if __name__ == "__main__":
    main()
