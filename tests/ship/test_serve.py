"""`hiddenlayers serve`: the real server on a free loopback port (a subprocess), and its row encoding."""

from __future__ import annotations

import http.client
import json
import os
import pickle
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("uvicorn")
pytest.importorskip("starlette")

import hiddenlayers as hl  # noqa: E402
from cli_helpers import run  # noqa: E402
from hiddenlayers.data import TablePreprocessor  # noqa: E402
from hiddenlayers.ship._serve.model import RequestError, ServedModel  # noqa: E402
from serve_helpers import Client  # noqa: E402

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _table(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    f = pd.DataFrame({"age": rng.integers(18, 80, n).astype(float), "income": rng.normal(50000, 15000, n),
                      "city": rng.choice(["Lyon", "Paris", "Nice", "Lille"], n), "score": rng.normal(size=n)})
    f.loc[rng.random(n) < 0.1, "income"] = np.nan
    f.loc[rng.random(n) < 0.1, "city"] = None
    return f


def _fit(seed: int) -> hl.MLPClassifier:
    X = _table(400, 0)
    y = np.where((X["age"] > 45) ^ (X["city"] == "Lyon"), "yes", "no")
    pre = TablePreprocessor().fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = hl.MLPClassifier(hidden_layer_sizes=(16,), max_iter=30, random_state=seed).fit(pre.transform(X).matrix, y)
    m.preprocessing_ = {**pre.to_dict(), "target": "label", "task": "classification"}
    return m


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict:
    d = tmp_path_factory.mktemp("serve")
    a, b = _fit(0), _fit(1)
    a.save(d / "a.safetensors")
    b.save(d / "b.safetensors")
    hl.export_onnx(a, d / "a.onnx")
    return {"dir": d, "a": a, "b": b}


def _rows(n: int, seed: int) -> list[dict]:
    f = _table(n, seed).astype(object)
    return [{k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()} for r in f.to_dict("records")]


def _offline(model, rows: list[dict]) -> list:
    A = TablePreprocessor.from_dict(model.preprocessing_).transform(pd.DataFrame(rows)).matrix
    return model.predict(A).tolist()


def _offline_each(model, requests: list[list[dict]]) -> list[list]:
    """``_offline`` of each request's rows, computed as one batch (the preprocessing and the network work row by row)."""
    flat = _offline(model, [r for rows in requests for r in rows])
    ends = np.cumsum([len(rows) for rows in requests]).tolist()
    return [flat[e - len(rows):e] for e, rows in zip(ends, requests, strict=True)]


def _onnx_each(model, requests: list[list[dict]]) -> list[list]:
    """An ``OnnxModel``'s labels for each request's rows, computed as one batch, as ``_offline_each``."""
    flat = model.predict(pd.DataFrame([r for rows in requests for r in rows])).tolist()
    ends = np.cumsum([len(rows) for rows in requests]).tolist()
    return [flat[e - len(rows):e] for e, rows in zip(ends, requests, strict=True)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, model: Path, *flags: str) -> None:
        self.port = _free_port()
        env = {**os.environ, "PYTHONPATH": SRC}
        cmd = [sys.executable, "-c", "from hiddenlayers.cli import main; main()", "serve", str(model), "--port", str(self.port), "--log-level", "warning", *flags]
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.time() + 150  # a --workers server imports torch in each worker: minutes on a loaded 2-core machine
        while time.time() < deadline:
            try:
                if self.get("/ready")[0] == 200:
                    return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(self.proc.stderr.read().decode()) from None
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None, timeout: float = 20) -> tuple[int, bytes]:
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    def get(self, path: str) -> tuple[int, bytes]:
        return self.request("GET", path, timeout=5)

    def post(self, path: str, data: object) -> tuple[int, dict]:
        status, body = self.request("POST", path, json.dumps(data).encode(), {"Content-Type": "application/json"})
        return status, json.loads(body)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def server(models: dict):
    s = Server(models["dir"] / "a.safetensors", "--read-timeout", "1", "--max-body", "2000000")
    yield s
    assert s.stop() == 0


def _hammer(fn, threads: int, seconds: float, max_calls: int, until: threading.Event | None = None) -> list:
    """``fn(k, i)`` from ``threads`` threads at once, each for at most ``seconds`` and ``max_calls`` calls or until ``until`` is set."""
    out: list = []
    failed: list[BaseException] = []
    stop = time.time() + seconds

    def work(k: int) -> None:
        try:
            for i in range(max_calls):
                if time.time() > stop or until is not None and until.is_set():
                    break
                out.append(fn(k, i))
        except BaseException as exc:  # a request that raised (a reset connection): lost, so the test fails, not only this thread
            failed.append(exc)

    ts = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    assert not failed, f"{len(failed)} of {threads} threads stopped on a request that raised: {failed[0]!r}"
    return out


# ---------------------------------------------------------------- encoding, in process
def test_batch_encoding_equals_table_preprocessor(models: dict) -> None:
    sm = ServedModel(models["dir"] / "a.safetensors")
    rows = _rows(300, 7) + [{"age": 30, "income": None, "city": "Marseille", "score": 0.5}]  # an unseen city
    checked = sm.rows({"rows": rows}, 10_000)
    expected = TablePreprocessor.from_dict(models["a"].preprocessing_).transform(pd.DataFrame(rows)).matrix
    assert np.array_equal(sm.encode(checked), expected)


def test_positional_and_column_bodies_give_the_same_rows(models: dict) -> None:
    sm = ServedModel(models["dir"] / "a.safetensors")
    rows = _rows(5, 3)
    by_name = sm.rows({"rows": rows}, 100)
    assert sm.rows({"rows": [[r[c] for c in sm.columns] for r in rows]}, 100) == by_name
    assert sm.rows({"columns": {c: [r[c] for r in rows] for c in sm.columns}}, 100) == by_name


def test_the_models_weight_column_is_named_as_such_in_a_request(models: dict) -> None:
    """A file from `train --sample-weight w` records w; a row sent with it was told "unknown column 'w'", as for any stray column."""
    m = hl.load(models["dir"] / "a.safetensors")
    m.preprocessing_ = {**m.preprocessing_, "sample_weight_column": "w"}
    sm = ServedModel(m)
    row = {**_rows(1, 0)[0], "w": 2.5}
    for body in ({"rows": [row]}, {"columns": {k: [v] for k, v in row.items()}}):
        with pytest.raises(RequestError, match=r"column 'w' is the weight column the model was trained with \(train --sample-weight\), "
                                               "not an input: leave it out.") as e:
            sm.rows(body, 10)
        assert e.value.status == 422
    assert len(sm.rows({"rows": [{k: v for k, v in row.items() if k != "w"}]}, 10)) == 1
    with pytest.raises(RequestError, match="unknown column 'w'"):  # a model without the record: any stray column
        ServedModel(models["dir"] / "a.safetensors").rows({"rows": [row]}, 10)


def test_probabilities_have_float32s_digits_as_predict_writes_them(models: dict) -> None:
    # before: a float32 network's 0.3 was sent as 0.30000001192092896 (float64's digits), where `predict` writes 0.3
    rows = _rows(30, 5)
    A = TablePreprocessor.from_dict(models["a"].preprocessing_).transform(pd.DataFrame(rows)).matrix
    want = models["a"].predict_proba(A).astype(np.float32)
    for name in ("a.safetensors", "a.onnx"):
        sm = ServedModel(models["dir"] / name)
        got = sm.predict(sm.rows({"rows": rows}, 100), True)
        np.testing.assert_allclose(np.asarray(got, dtype=np.float32), want, rtol=1e-5)
        tokens = re.findall(r"[-0-9.e+]+", json.dumps(got))
        assert len(tokens) == want.size and all(t == str(np.float32(t)) for t in tokens), json.dumps(got)[:200]
        if name == "a.safetensors":
            assert np.array_equal(np.asarray(got, dtype=np.float32), want)
        assert sm.predict(sm.rows({"rows": rows}, 100), False) == models["a"].predict(A).tolist()  # labels as they are


def test_nan_refused_where_the_model_cannot_fill_it() -> None:
    X = np.random.default_rng(0).normal(size=(60, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = hl.MLPRegressor(hidden_layer_sizes=(4,), max_iter=5).fit(X, X.sum(1))
    sm = ServedModel(m)
    with pytest.raises(RequestError, match=r"row 1, column 'x1' is missing \(null or NaN\), and this model has no stored preprocessing") as e:
        sm.rows({"rows": [[1.0, float("nan"), 2.0]]}, 10)
    assert e.value.status == 422
    with pytest.raises(RequestError, match="needs a classifier"):
        sm.predict([[1.0, 2.0, 3.0]], proba=True)


def test_onnx_path_imports_neither_torch_nor_sklearn(models: dict) -> None:
    # nor scikit-learn, whose own import (sklearn.base) pulls SciPy's stats, pandas and pyarrow: a worker serving the
    # .onnx export starts in about a sixth of the CPU time of one serving the .safetensors file (bench_serve_start.py)
    heavy = ("torch", "sklearn", "scipy", "pandas", "pyarrow", "matplotlib")
    code = ("import sys; from hiddenlayers.ship._serve.serve import ServeConfig, _Server; "
            f"s = _Server(ServeConfig(model={str(models['dir'] / 'a.onnx')!r})); s.app(); m = s.model; "
            "m.predict(m.rows({'rows': [[None] * len(m.columns)]}, 1), False); "  # a first request: every cell missing, filled as stored
            f"print([m for m in {heavy!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": SRC}, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stderr


# ---------------------------------------------------------------- the real server
def test_concurrent_requests_get_the_offline_predictions(server: Server, models: dict) -> None:
    def call(k: int, i: int) -> tuple:
        rows = _rows(1 + (i % 3), 1000 * k + i)
        return rows, server.post("/predict", {"rows": rows}), server.post("/predict_proba", {"rows": rows})

    results = _hammer(call, threads=8, seconds=8, max_calls=4)  # 8 threads at once, 4 calls each (64 requests of 1-3 rows); 15 a thread added time, not concurrency
    assert len(results) >= 16
    labels = _offline_each(models["a"], [rows for rows, _, _ in results])  # one batch: every request's rows, split back
    A = TablePreprocessor.from_dict(models["a"].preprocessing_).transform(pd.DataFrame([r for rows, _, _ in results for r in rows])).matrix
    probas = np.split(models["a"].predict_proba(A), np.cumsum([len(rows) for rows, _, _ in results])[:-1])
    for (_, (s1, pred), (s2, proba)), expected, p in zip(results, labels, probas, strict=True):
        assert (s1, s2) == (200, 200)
        assert pred["predictions"] == expected
        np.testing.assert_allclose(proba["probabilities"], p, rtol=1e-5, atol=1e-7)  # float32 weights: a batch and one row may round differently
        assert proba["classes"] == ["no", "yes"]


def test_onnx_server_matches_offline_and_answers_a_connection_made_before_sigterm(models: dict) -> None:
    # one server process for both checks (the grace window is the HTTP protocol's, the same whatever model is served)
    from hiddenlayers.ship import OnnxModel

    s = Server(models["dir"] / "a.onnx")
    offline = OnnxModel(models["dir"] / "a.onnx")
    try:
        rows = _rows(50, 11)
        status, got = s.post("/predict", {"rows": rows})
        assert status == 200
        assert got["predictions"] == offline.predict(pd.DataFrame(rows)).tolist()
        assert json.loads(s.get("/metadata")[1])["format"] == "onnx"
        _connected_before_sigterm_is_answered(s, lambda rows: offline.predict(pd.DataFrame(rows)).tolist())
    finally:
        assert s.stop() == 0


BAD = [
    (b'{"rows": [', 400, "the body is not valid JSON"),
    (b"", 400, "the body is empty"),
    (b"[1, 2]", 400, 'the body must be a JSON object with "rows"'),
    (b'{"rows": [{"age": 40, "income": 1, "score": 0}]}', 422, "row 1: missing column(s) 'city' that the model was trained on"),
    (b'{"rows": [{"age": [40], "income": 1, "city": "Lyon", "score": 0}]}', 422, "row 1, column 'age' must be a number or null. Received: list"),
    (b'{"rows": [{"age": "old", "income": 1, "city": "Lyon", "score": 0}]}', 422, "row 1, column 'age' must be numeric but holds 'old'"),
    (b'{"rows": [{"age": {"a": 1}, "income": 1, "city": "Lyon", "score": 0}]}', 422, "row 1, column 'age' must be a number or null. Received: dict"),
    (b'{"rows": [{"age": 1e400, "income": 1, "city": "Lyon", "score": 0}]}', 422, "row 1, column 'age' is infinite"),
    (b'{"rows": [{"age": Infinity, "income": 1, "city": "Lyon", "score": 0}]}', 400,
     "the body holds Infinity, which is not JSON: send null for a missing value, a finite number otherwise."),
    (b'{"rows": [[NaN, 1, "Lyon", 0]]}', 400, "the body holds NaN, which is not JSON: send null for a missing value, a finite number otherwise."),
    (b'{"rows": []}', 400, "the request holds no rows"),
    (b'{"rows": [[1, 2]]}', 422, "row 1 is a list of 2 values; the model reads 4"),
    (b'{"columns": {"age": [1], "income": [1, 2], "city": ["a"], "score": [0]}}', 400,
     "the lists in \"columns\" must all have the same length, one value per row: 'age' has 1 value(s) and 'income' 2; send as many values in each."),
]


@pytest.mark.parametrize("body,status,message", BAD)
def test_bad_requests_get_a_4xx_and_one_json_line(server: Server, body: bytes, status: int, message: str) -> None:
    got, text = server.request("POST", "/predict", body, {"Content-Type": "application/json"})
    assert got == status
    assert text.count(b"\n") <= 1 and message in json.loads(text)["error"]
    assert server.post("/predict", {"rows": _rows(1, 0)})[0] == 200  # still serving


def test_a_csv_body_is_answered_with_the_forms_the_server_reads(server: Server) -> None:
    """A CSV file posted as it is (curl --data-binary @new.csv -H 'Content-Type: text/csv'): before, only "the body is not
    valid JSON (Expecting value ...)", which leaves a user wondering whether a CSV is read at all."""
    csv = b"age,income,city,score\n41,52000,Lyon,0\n"
    got, text = server.request("POST", "/predict", csv, {"Content-Type": "text/csv; charset=utf-8"})
    error = json.loads(text)["error"]
    assert got == 400 and error.startswith("the body is not valid JSON (")
    assert error.endswith("). Its Content-Type is text/csv (CSV), which the server does not read: send JSON ({\"rows\": [...]} or "
                          "{\"columns\": {...}}) or an Arrow IPC stream (Content-Type: application/vnd.apache.arrow.stream); "
                          "`hiddenlayers predict MODEL FILE` reads a CSV file."), error
    got, text = server.request("POST", "/predict", csv)  # sent as JSON: no word about a Content-Type it did not have
    assert got == 400 and json.loads(text)["error"].endswith(")."), text
    # a JSON body labelled text/csv is still read as JSON, as any other non-Arrow type
    assert server.request("POST", "/predict", json.dumps({"rows": _rows(1, 0)}).encode(), {"Content-Type": "text/csv"})[0] == 200


def test_size_limits(server: Server, models: dict) -> None:
    rows = _rows(10_000, 5)
    status, got = server.post("/predict", {"rows": rows})
    assert status == 200 and got["predictions"] == _offline(models["a"], rows)
    status, got = server.post("/predict", {"rows": [[1, 2, "Lyon", 0]] * 10_001})
    assert status == 413 and "10001 rows, more than the limit of 10000" in got["error"]
    assert got["error"].endswith("start the server with a larger --max-rows (max_rows= of hl.serve).")  # a Python user's name too
    status, text = server.request("POST", "/predict", b'{"rows": [' + b"1," * 1_100_000 + b"1]}")
    assert status == 413 and "over the limit of 2000000" in json.loads(text)["error"]


def test_slow_client_gets_408_and_does_not_block_others(server: Server) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as slow:
        slow.sendall(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"rows\"")
        t0 = time.time()
        assert server.post("/predict", {"rows": _rows(1, 1)})[0] == 200
        assert time.time() - t0 < 0.9
        reply = b""
        while not reply.endswith(b"}\n") and len(reply) < 4096:
            chunk = slow.recv(4096)
            if not chunk:
                break
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 408") and b"did not arrive within 1 s" in reply


LENGTH_FIX = "send one Content-Length header, the body's length in bytes as digits (e.g. Content-Length: 42)."
FRAMING = [  # (headers after the Content-Type, the message); before: uvicorn's plain-text "Invalid HTTP request received."
    (b"Content-Length: abc\r\n", f"the request's Content-Length is not a length in bytes (Invalid character in Content-Length): {LENGTH_FIX}"),
    (b"Content-Length: -5\r\n", f"the request's Content-Length is not a length in bytes (Invalid character in Content-Length): {LENGTH_FIX}"),
    (b"Content-Length: 99999999999999999999999\r\n", f"the request's Content-Length is too large to count (Content-Length overflow): {LENGTH_FIX}"),
    (b"Content-Length: 29\r\nContent-Length: 30\r\n", f"the request has more than one Content-Length header (Duplicate Content-Length): {LENGTH_FIX}"),
    (b"Content-Length: 29\r\nTransfer-Encoding: chunked\r\n",
     "the request has both Content-Length and Transfer-Encoding (Transfer-Encoding can't be present with Content-Length): send one of them, "
     "Content-Length with the body's length in bytes or Transfer-Encoding: chunked."),
    (b"Content-Length: 5\r\n",  # shorter than the body: its rest is read as the next request on the connection
     "the bytes after the previous request on this connection are not an HTTP request (Invalid method encountered): "
     "the previous request's Content-Length was likely shorter than its body; send the body's length in bytes."),
]


def _raw(port: int, data: bytes, close: bool = False) -> bytes:
    """What the server sends back on one connection for ``data`` until it closes it (``close``: the client closes first)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as c:
        c.sendall(data)
        if close:
            return b""
        reply = b""
        while chunk := c.recv(4096):
            reply += chunk
        return reply


def test_a_bad_content_length_is_a_counted_json_400_and_keep_alive_and_limits_still_hold(server: Server) -> None:
    before = _metric(server, "/predict", "400"), _metric(server, "other", "400"), _metric(server, "/predict", "500")
    body = b'{"rows": [[40, 1, "Lyon", 0]]}'
    for headers, message in FRAMING:
        reply = _raw(server.port, b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + headers + b"\r\n" + body)
        head, _, text = reply.rpartition(b"\r\n\r\n")  # the last answer: a short Content-Length's request has its own before it
        assert head.split(b"\r\n")[0] == b"HTTP/1.1 400 Bad Request", reply
        assert b"content-type: application/json" in head and b"connection: close" in head
        assert text.endswith(b"}\n") and text.count(b"\n") == 1 and json.loads(text) == {"error": message}
    # a body shorter than its Content-Length from a client that then closes: a client's 400, not a server fault's 500
    _raw(server.port, b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"rows\"", close=True)
    # counted: each framing refusal of a /predict request, the short Content-Length's request (its 5 bytes are not JSON)
    # and the closed one as /predict 400s, the bytes after that short body (no request, no path) as "other"
    want = (before[0] + len(FRAMING) + 1, before[1] + 1, before[2])
    deadline = time.time() + 10
    while _metric(server, "/predict", "400") < want[0] and time.time() < deadline:
        time.sleep(0.05)
    assert (_metric(server, "/predict", "400"), _metric(server, "other", "400"), _metric(server, "/predict", "500")) == want
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)  # keep-alive: two requests on one connection
    try:
        for _ in range(2):
            c.request("POST", "/predict", body=body, headers={"Content-Type": "application/json"})
            r = c.getresponse()
            assert r.status == 200 and json.loads(r.read())["predictions"]
        c.request("POST", "/predict", body=b"{}", headers={"Content-Length": "2000001"})  # the size limit still reads the header
        r = c.getresponse()
        assert r.status == 413 and "the body is 2000001 bytes, over the limit of 2000000" in json.loads(r.read())["error"]
    finally:
        c.close()


@settings(max_examples=200, deadline=None)
@given(reason=st.text(max_size=200), after=st.booleans())
def test_every_framing_refusal_is_one_line_that_names_a_fix(reason: str, after: bool) -> None:
    from hiddenlayers.ship._serve.framing import error_body, framing_refusal

    message = framing_refusal(reason, after)
    assert "\n" not in message and "\r" not in message and re.search(r"[:;] send ", message) and message.endswith(".")
    assert error_body(message).count(b"\n") == 1 and json.loads(error_body(message)) == {"error": message}


def test_endpoints_and_metrics_parse_as_prometheus_text(server: Server) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    assert server.get("/health") == (200, b'{"status":"ok"}')
    meta = json.loads(server.get("/metadata")[1])
    assert [c["name"] for c in meta["columns"]] == ["age", "income", "city", "score"] and meta["classes"] == ["no", "yes"]
    assert server.request("POST", "/reload")[0] == 403
    assert server.post("/predict", {"rows": _rows(1, 0)})[0] == 200  # at least one, whichever tests ran before on this server
    status, text = server.get("/metrics")
    families = {f.name: f for f in text_string_to_metric_families(text.decode())}
    assert {"hiddenlayers_requests", "hiddenlayers_request_seconds", "hiddenlayers_batch_rows", "hiddenlayers_queue_depth"} <= set(families)
    ok = sum(s.value for s in families["hiddenlayers_requests"].samples if s.labels["status"] == "200" and s.labels["endpoint"] == "/predict")
    count = next(s.value for s in families["hiddenlayers_request_seconds"].samples if s.name.endswith("_count"))
    assert ok >= 1 and count >= ok


def test_reload_under_load_loses_no_request_then_sigterm_under_load_answers_every_accepted_one(models: dict, tmp_path: Path) -> None:
    # one server for both: the reloads by request and SIGHUP under load, then a SIGTERM under load (_sigterm_under_load)
    path = tmp_path / "m.safetensors"
    path.write_bytes((models["dir"] / "a.safetensors").read_bytes())
    s = Server(path, "--reload-token", "s3cret")
    pool = _rows(2000, 50)  # the requests' rows, made before the load starts (a DataFrame per request kept the client busy)
    try:
        def call(k: int, i: int) -> tuple:
            rows = pool[(500 * k + 2 * i) % 1998:][:2]
            return rows, s.post("/predict", {"rows": rows})

        done: list = []
        reloaded = threading.Event()  # the load goes on until the SIGHUP reload is done (at most 30 s)
        t = threading.Thread(target=lambda: done.extend(_hammer(call, threads=6, seconds=30, max_calls=10_000, until=reloaded)))
        t.start()
        time.sleep(1.0)
        assert s.request("POST", "/reload", headers={"Authorization": "Bearer wrong"})[0] == 401
        path.write_bytes((models["dir"] / "b.safetensors").read_bytes())
        status, body = s.request("POST", "/reload", headers={"Authorization": "Bearer s3cret"})
        assert (status, json.loads(body)["model_version"]) == (200, 2)
        time.sleep(1.0)
        s.proc.send_signal(signal.SIGHUP)  # the same, by signal
        deadline = time.time() + 30
        while json.loads(s.get("/ready")[1])["model_version"] != 3 and time.time() < deadline:
            time.sleep(0.05)
        reloaded.set()
        t.join()
        assert done and all(status == 200 for _, (status, _) in done)  # empty: a load thread stopped on a request that raised
        requests = [rows for rows, _ in done]
        offline = {1: _offline_each(models["a"], requests), 2: _offline_each(models["b"], requests)}
        offline[3] = offline[2]  # the SIGHUP reloaded the same file
        for k, (_, (_, got)) in enumerate(done):
            assert got["predictions"] == offline[got["model_version"]][k]
        assert {1, 2} <= {got["model_version"] for _, (_, got) in done}
        assert json.loads(s.get("/ready")[1])["model_version"] == 3
        _sigterm_under_load(s)
    finally:
        assert s.stop() == 0


def _sigterm_under_load(s: Server) -> None:
    """SIGTERM to ``s`` while three 10,000-row requests are being read or computed and small ones keep coming: the three are
    answered in full, every other request is answered (200) or refused (never accepted), and the server exits 0."""
    big = _rows(10_000, 9)
    results: list = []

    def bulk() -> None:
        results.append(s.post("/predict", {"rows": big}))

    def small(k: int, i: int) -> object:
        try:
            return s.post("/predict", {"rows": _rows(1, i)})[0]
        except OSError:  # refused or reset after the server stopped accepting: never answered, never accepted
            return "refused"

    bulks = [threading.Thread(target=bulk) for _ in range(3)]
    hammer = threading.Thread(target=lambda: results.extend(_hammer(small, threads=4, seconds=4, max_calls=200)))
    hammer.start()
    [t.start() for t in bulks]
    time.sleep(0.3)  # the bulk requests are being read or computed now
    s.proc.send_signal(signal.SIGTERM)
    [t.join() for t in bulks]
    hammer.join()
    assert s.proc.wait(timeout=30) == 0
    answered = [r for r in results if isinstance(r, tuple)]
    assert len(answered) == 3 and all(st == 200 and len(b["predictions"]) == 10_000 for st, b in answered)
    assert set(r for r in results if not isinstance(r, tuple)) <= {200, "refused"}


def _connected_before_sigterm_is_answered(s: Server, offline: Callable[[list[dict]], list]) -> None:
    """A client connected when the shutdown begins, its request not yet sent: uvicorn closed such a connection at once
    (the request lost, the client reset), which a rolling restart under load hit now and then. It now has a grace window:
    the request is answered (``offline(rows)``'s labels) and ``s`` exits 0."""
    body = json.dumps({"rows": _rows(2, 3)}).encode()
    with socket.create_connection(("127.0.0.1", s.port), timeout=20) as raw:
        time.sleep(0.3)  # accepted by the server's event loop, no byte sent
        s.proc.send_signal(signal.SIGTERM)
        time.sleep(0.4)  # the shutdown has begun: no new connection is accepted, this one is kept
        raw.sendall(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                    + str(len(body)).encode() + b"\r\n\r\n" + body)
        answer = b""
        while chunk := raw.recv(65536):  # the server closes the connection after its answer
            answer += chunk
    head, _, payload = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), answer[:200]
    assert json.loads(payload)["predictions"] == offline(_rows(2, 3))
    assert s.proc.wait(timeout=30) == 0


def test_cli_refuses_bad_flags(tmp_path: Path) -> None:
    # in-process (the refusals come before uvicorn starts): a subprocess per call paid the CLI's imports again
    out = run("serve", tmp_path / "none.safetensors")
    assert out.exit_code == 2 and out.stderr.strip().splitlines() == [f"error: model file '{tmp_path / 'none.safetensors'}' does not exist: check the path, or write one with `hiddenlayers train` / `hiddenlayers export`."]
    out = run("serve", "x.safetensors", "--max-batch", "0")
    assert out.exit_code == 2 and out.stderr.strip() == "error: --max-batch must be >= 1. Received: 0."
    out = run("serve", "x.safetensors", "--threads", "0")
    assert out.exit_code == 2 and out.stderr.strip() == "error: --threads must be >= 1. Received: 0."


@pytest.mark.parametrize("setting,value,message", [
    ("max_rows", 0, "max_rows must be >= 1. Received: 0."),
    ("max_body", 10, "max_body must be >= 1024 bytes. Received: 10."),
    ("drain_timeout", float("inf"), "drain_timeout must be a finite number > 0 seconds. Received: inf."),
    ("port", "8000", "port must be an integer in 0..65535. Received: '8000'."),
    ("max_batch", True, "max_batch must be an integer >= 1. Received: True."),
    ("log_level", "loud", "log_level must be one of critical, error, warning, info, debug. Received: 'loud'."),
])
def test_serve_refuses_settings_the_command_refuses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str, value: Any, message: str) -> None:
    """hl.serve(path, max_rows=0) started a server that answered every request 413 (the command refused --max-rows 0), and
    hl.serve(path, port="8000") stopped with "'<=' not supported between instances of 'int' and 'str'": each setting is now
    refused in one line naming it, by the rule the command uses, before the file is read or a port is bound."""
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("the server started"))
    with pytest.raises(ValueError) as caught:
        hl.serve(tmp_path / "none.safetensors", **{setting: value})
    assert str(caught.value) == message


def test_thread_limits_apply_to_blas_torch_and_onnxruntime_and_are_undone(models: dict) -> None:
    import torch
    from threadpoolctl import threadpool_info, threadpool_limits

    from hiddenlayers.ship._serve.serve import _limit_threads

    # from 2 threads (an xdist worker of the suite runs on one, tests/conftest.py), so both the limit and its undo show
    own = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with threadpool_limits(limits=2):
            before = torch.get_num_threads(), [p["num_threads"] for p in threadpool_info()]
            assert before[0] == 2
            restore = _limit_threads(1)
            try:
                assert torch.get_num_threads() == 1
                assert all(p["num_threads"] == 1 for p in threadpool_info())
            finally:
                restore()
            assert (torch.get_num_threads(), [p["num_threads"] for p in threadpool_info()]) == before
    finally:
        torch.set_num_threads(own)
    opts = ServedModel(models["dir"] / "a.onnx", threads=1).onnx.session.get_session_options()
    assert opts.intra_op_num_threads == 1 and opts.get_session_config_entry("session.intra_op.allow_spinning") == "0"


def test_freeze_heap_hides_the_long_lived_objects_from_the_collector() -> None:
    import gc

    from hiddenlayers.ship._serve.serve import _freeze_heap

    try:
        _freeze_heap()
        frozen = gc.get_freeze_count()
        assert frozen > 10_000  # the imports and the model: never scanned again
        _freeze_heap()  # a reload: unfrozen, collected, frozen again
        assert gc.get_freeze_count() >= frozen - 1000
    finally:
        gc.unfreeze()


def test_rolling_reload_with_workers_loses_no_request(models: dict, tmp_path: Path) -> None:
    # --workers 2: SIGHUP to the main process replaces the workers one by one (uvicorn's supervisor);
    # every request is answered by the old file's model or the new one's, none fails. The load goes on from before
    # the SIGHUP until only the new model answers (both workers replaced), so it covers the whole replacement.
    # The ONNX exports are served: no process imports PyTorch (the supervisor's, two workers, two replacements), the
    # replacement is the same; a .safetensors file under --workers: test_serve_supervisor.py.
    from hiddenlayers.ship import OnnxModel

    hl.export_onnx(models["b"], tmp_path / "b.onnx")
    old, new = OnnxModel(models["dir"] / "a.onnx"), OnnxModel(tmp_path / "b.onnx")
    path = tmp_path / "m.onnx"
    path.write_bytes((models["dir"] / "a.onnx").read_bytes())
    pool = _rows(2000, 50)  # the requests' rows, made before the load starts (a DataFrame per request kept the client busy)
    s = Server(path, "--workers", "2")
    try:
        def call(k: int, i: int) -> tuple:
            rows = pool[(500 * k + 2 * i) % 1998:][:2]
            return rows, s.post("/predict", {"rows": rows})

        done: list = []
        replaced = threading.Event()
        t = threading.Thread(target=lambda: done.extend(_hammer(call, threads=4, seconds=150, max_calls=100_000, until=replaced)))
        t.start()
        try:
            time.sleep(1.0)
            path.write_bytes((tmp_path / "b.onnx").read_bytes())
            s.proc.send_signal(signal.SIGHUP)
            deadline, streak, seed = time.time() + 120, 0, 1000  # once both workers are replaced, only the new model answers
            while streak < 10 and time.time() < deadline:
                seed += 1
                rows = _rows(8, seed)
                a, b = old.predict(pd.DataFrame(rows)).tolist(), new.predict(pd.DataFrame(rows)).tolist()
                if a == b:  # these rows cannot tell the two models apart
                    continue
                streak = streak + 1 if s.post("/predict", {"rows": rows})[1]["predictions"] == b else 0
                time.sleep(0.05)
        finally:
            replaced.set()
            t.join()
        assert streak == 10
        assert done and all(status == 200 for _, (status, _) in done)
        requests = [rows for rows, _ in done]
        olds, news = _onnx_each(old, requests), _onnx_each(new, requests)
        assert all(got["predictions"] in (a, b) for a, b, (_, (_, got)) in zip(olds, news, done, strict=True))
    finally:
        assert s.stop() == 0


def test_cli_names_a_folder_a_bad_host_and_a_busy_port(tmp_path: Path, models: dict) -> None:
    """Checked before uvicorn starts: one line naming the option (uvicorn only logged '[Errno -2] Name or service not known').
    In-process, as the refusals come before the server would start."""
    folder = tmp_path / "adir.safetensors"
    folder.mkdir()
    out = run("serve", folder)
    assert out.exit_code == 2 and out.stderr.strip().splitlines() == [f"error: '{folder}' is a folder, not a model file: give the path of a .safetensors or .onnx file."]
    model = str(models["dir"] / "a.safetensors")
    out = run("serve", model, "--host", "999.1.1.1", "--port", _free_port())
    lines = out.stderr.strip().splitlines()
    assert out.exit_code == 2 and len(lines) == 1, out.stderr
    assert lines[0].startswith("error: --host '999.1.1.1' is not an address this machine can listen on (")
    assert lines[0].endswith("): give one of its IP addresses or host names, e.g. 127.0.0.1 (this machine only) or 0.0.0.0 (every interface).")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        out = run("serve", model, "--port", port)
    lines = out.stderr.strip().splitlines()
    assert out.exit_code == 2 and len(lines) == 1 and lines[0].startswith(f"error: --port {port} on 127.0.0.1 is in use ("), out.stderr
    assert lines[0].endswith("): stop what listens there or choose another --port.")


def test_check_listen_accepts_a_free_loopback_port_and_names_host_in_the_api() -> None:
    from hiddenlayers.ship import check_listen

    check_listen("127.0.0.1", _free_port())
    with pytest.raises(ValueError, match=r"^host '999\.1\.1\.1' is not an address this machine can listen on"):
        check_listen("999.1.1.1", _free_port())


# ---------------------------------------------------------------- values, names and statuses the reviewer found wrong
MODEL_COLUMNS = "('age', 'income', 'city', 'score'; see GET /metadata)"
TABLE_FORM = 'a JSON object with "rows" (a list of objects or lists) or "columns" (an object of lists)'
HUGE = b"1" + b"0" * 400
EXACT = [
    (b'{"rows": [{"age": ' + HUGE + b', "income": 1, "city": "Lyon", "score": 0}]}', 422,
     "row 1, column 'age' is out of range: an integer of 401 digits is beyond \u00b13.4e38, the float32 range the model computes in: "
     "send a smaller number, or null for missing."),
    (b'{"rows": [[-' + HUGE + b', 1, "Lyon", 0]]}', 422,
     "row 1, column 'age' is out of range: a negative integer of 401 digits is beyond \u00b13.4e38, the float32 range the model computes in: "
     "send a smaller number, or null for missing."),
    (b'{"rows": [{"age": 40, "income": 1e308, "city": "Lyon", "score": 0}]}', 422,
     "row 1, column 'income' is out of range: 1e+308 is beyond \u00b13.4e38, the float32 range the model computes in: "
     "send a smaller number, or null for missing."),
    (b'{"rows": [{"age": 40, "income": "1_000", "city": "Lyon", "score": 0}]}', 422,
     "row 1, column 'income' must be numeric but holds '1_000': send a number, or null for missing."),
    (b'{"rows": [{"age": 40, "income": 1, "city": "Lyon", "score": 0}], "columns": {}}', 400, 'the body has both "rows" and "columns": send one of them.'),
    (b'{"rows": [{"age": 40, "incme": 1, "city": "Lyon", "score": 0}]}', 422,
     f"row 1: unknown column 'incme' (did you mean 'income'?): send only the columns the model reads {MODEL_COLUMNS}."),
    (b'{"rows": [{"age": 40, "income": 1, "city": "Lyon", "score": 0, "id": 7}]}', 422,
     f"row 1: unknown column 'id': send only the columns the model reads {MODEL_COLUMNS}."),
    (b'{"rows": [{"age": 40, "income": 1, "city": "Lyon", "score": 0, "label": "yes"}]}', 422,
     "row 1: column 'label' is the model's target, not an input: leave it out."),
    (b'{"columns": {"age": [1], "income": [1], "city": ["a"], "score": [0], "extra": [1, 2]}}', 422,
     f"unknown column 'extra': send only the columns the model reads {MODEL_COLUMNS}."),
    # top-level keys the server ignored: a typo answered as if absent, or a form refused without saying why
    (b'{"rows": [{"age": 40, "income": 1, "city": "Lyon", "score": 0}], "foo": 1}', 400,
     f"unknown key 'foo': the body takes only 'rows' and 'columns'; it must be {TABLE_FORM}."),
    # a key twice in one object: json kept the last value and the row was answered for it
    (b'{"rows": [{"age": 70, "income": 1, "city": "Lyon", "score": 0, "age": 20}]}', 400,
     "the body has the key 'age' twice in one object: send each key once (a JSON reader keeps one of the two values, "
     "and the server does not guess which you meant)."),
    (b'{"rows": [[70, 1, "Lyon", 0]], "rows": [[20, 1, "Lyon", 0]]}', 400,
     "the body has the key 'rows' twice in one object: send each key once (a JSON reader keeps one of the two values, "
     "and the server does not guess which you meant)."),
    # an integer Python will not read: the interpreter's advice (sys.set_int_max_str_digits) cut at 120 characters
    (b'{"rows": [[1, 1, "Lyon", ' + b"9" * 5000 + b"]]}", 400,
     "the body holds an integer of more than 4300 digits, which the server does not read: send a shorter one (a category's as text)."),
    # an overflowing JSON number in a categorical cell was read as the category text 'inf' and answered
    (b'{"rows": [{"age": 40, "income": 1, "city": 1e400, "score": 0}]}', 422,
     "row 1, column 'city' is infinite: send text or a finite number, or null for missing."),
    (b'{"columns": {"age": [1, 2], "income": [1, 2], "city": ["Lyon", -1e400], "score": [0, 0]}}', 422,
     "row 2, column 'city' is infinite: send text or a finite number, or null for missing."),
    (b'{"row": [{"age": 40, "income": 1, "city": "Lyon", "score": 0}]}', 400,
     f"unknown key 'row': the body takes only 'rows' and 'columns'; it must be {TABLE_FORM}. Did you mean 'rows'?"),
    (b'{"instances": [[40, 1, "Lyon", 0]], "Columns": {}}', 400,
     f"unknown keys 'instances', 'Columns': the body takes only 'rows' and 'columns'; it must be {TABLE_FORM}. Did you mean 'columns' for 'Columns'?"),
]


@pytest.mark.parametrize("path", ["/predict", "/predict_proba"])
@pytest.mark.parametrize("body,status,message", EXACT)
def test_bad_values_and_names_get_their_exact_4xx(server: Server, path: str, body: bytes, status: int, message: str) -> None:
    got, text = server.request("POST", path, body, {"Content-Type": "application/json"})
    assert (got, json.loads(text)) == (status, {"error": message})


def test_csv_missing_markers_are_missing_and_match_a_null(server: Server) -> None:
    row = {"age": 40, "income": None, "city": "Lyon", "score": 0.5}
    expected = server.post("/predict_proba", {"rows": [row]})
    assert expected[0] == 200
    for marker in ("NA", " nan ", "", "N/A", "null", "#N/A"):
        assert server.post("/predict_proba", {"rows": [{**row, "income": marker}]}) == expected, marker


def test_a_null_where_training_had_none_is_noted_as_predict_notes_it(server: Server, models: dict) -> None:
    """age and score had no missing value in training (no indicator learned): a null there is filled and the answer says so,
    in the words `hiddenlayers predict` uses; a null in income (missing in training) or no null at all: no notes, as before."""
    rows = [{"age": None, "income": 1.0, "city": "Lyon", "score": 0.5}, {"age": 40, "income": 1.0, "city": "Lyon", "score": "NA"},
            {"age": None, "income": None, "city": None, "score": 0.0}]
    read = pd.DataFrame(rows).replace({"NA": None})  # as the CSV reader reads "NA"
    cli_notes = TablePreprocessor.from_dict(models["a"].preprocessing_).transform(read).notes
    expected = [n for n in cli_notes if "had none in training" in n]
    assert expected == ["3 missing value(s) in column(s) that had none in training (age: 2, score: 1) were filled with the stored fill "
                        "value (the training median; a streamed fit's mean): the model never saw them missing"]
    for path in ("/predict", "/predict_proba"):
        status, got = server.post(path, {"rows": rows})
        assert status == 200 and got["notes"] == expected, got
    status, got = server.post("/predict", {"rows": [{"age": 40, "income": None, "city": None, "score": 0.5}]})
    assert status == 200 and "notes" not in got and set(got) == {"predictions", "model_version"}
    onnx = ServedModel(models["dir"] / "a.onnx")  # the ONNX file lists the same columns
    assert onnx.notes(onnx.rows({"rows": rows}, 10)) == expected


def _arrow(table) -> bytes:
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def test_arrow_bodies_need_unique_names_and_numeric_types(server: Server, models: dict) -> None:
    import datetime

    import pyarrow as pa

    rows = _rows(3, 4)
    cols = {c: [r[c] for r in rows] for c in ("age", "income", "city", "score")}
    status, text = server.request("POST", "/predict", _arrow(pa.table(cols)), {"Content-Type": "application/vnd.apache.arrow.stream"})
    assert status == 200 and json.loads(text)["predictions"] == _offline(models["a"], rows)
    day, stamp = pa.array([datetime.date(2020, 1, 1)] * 3), pa.array([datetime.datetime(2020, 1, 1)] * 3)
    for arr, kind in ((day, "date32[day]"), (stamp, "timestamp[us]")):
        status, text = server.request("POST", "/predict", _arrow(pa.table({**cols, "age": arr})), {"Content-Type": "application/vnd.apache.arrow.stream"})
        assert (status, json.loads(text)) == (422, {"error": f"column 'age' must be numeric but has the Arrow type {kind}: send integers, "
                                                              "floats, decimals or booleans (or numbers as strings), null for missing."})
    for arr, kind in ((day, "date32[day]"), (stamp, "timestamp[us]"), (pa.array([datetime.timedelta(1)] * 3), "duration[us]")):
        # a categorical column: before, each timestamp became the text '2020-01-01 00:00:00', an unseen city, with no word said
        status, text = server.request("POST", "/predict", _arrow(pa.table({**cols, "city": arr})), {"Content-Type": "application/vnd.apache.arrow.stream"})
        assert (status, json.loads(text)) == (422, {"error": f"column 'city' holds dates or times (Arrow type {kind}), but the model learned it "
                                                              "as text: send it as strings spelled as in the training data."})
    dup = pa.Table.from_arrays([pa.array(v) for v in cols.values()] + [pa.array([1.0] * 3)], names=[*cols, "age"])
    status, text = server.request("POST", "/predict", _arrow(dup), {"Content-Type": "application/vnd.apache.arrow.stream"})
    assert (status, json.loads(text)) == (422, {"error": "the Arrow stream has the column 'age' 2 times: give every column a unique name."})


def test_trailing_slash_is_an_unknown_route_not_a_redirect(server: Server) -> None:
    status, text = server.request("POST", "/predict/", json.dumps({"rows": _rows(1, 0)}).encode(), {"Content-Type": "application/json"})
    assert (status, json.loads(text)) == (404, {"error": "POST /predict/: Not Found; endpoints: POST /predict, /predict_proba, /reload; "
                                                         "GET /health, /ready, /metadata, /metrics."})
    assert json.loads(server.request("GET", "/predict")[1])["error"].startswith("GET /predict: Method Not Allowed;")


def _metric(server: Server, endpoint: str, status: str) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    families = {f.name: f for f in text_string_to_metric_families(server.get("/metrics")[1].decode())}
    return sum(s.value for s in families["hiddenlayers_requests"].samples if s.labels["endpoint"] == endpoint and s.labels["status"] == status)


def test_every_status_is_counted(server: Server) -> None:
    before = _metric(server, "/predict", "422"), _metric(server, "other", "404"), _metric(server, "/predict", "405")
    server.request("POST", "/predict", b'{"rows": [[1]]}')
    server.request("POST", "/nowhere", b"{}")
    server.request("GET", "/predict")
    assert (_metric(server, "/predict", "422"), _metric(server, "other", "404"), _metric(server, "/predict", "405")) == tuple(b + 1 for b in before)


class _Broken(ServedModel):
    """A served model whose predict fails with a message that must not reach the client."""

    def predict(self, rows: list, proba: bool) -> list:
        raise RuntimeError("a bug with a secret /home/x/path")


def test_an_unexpected_exception_is_a_counted_json_500_without_traceback(models: dict) -> None:
    # the server in a thread of this process (serve_helpers.Client): the answer and the count are the app's, no process needed
    path = models["dir"] / "a.safetensors"
    client = Client(_Broken(str(path)), model=str(path))
    try:
        s = Server.__new__(Server)
        s.port = client.port
        status, text = s.request("POST", "/predict", json.dumps({"rows": _rows(1, 0)}).encode(), {"Content-Type": "application/json"})
        assert (status, json.loads(text)) == (500, {"error": "POST /predict: the server failed to answer (its log has the details); "
                                                             "the request may be retried, and reported if it keeps failing."})
        assert b"secret" not in text and b"Traceback" not in text
        assert _metric(s, "/predict", "500") == 1
    finally:
        client.stop()


def _blown_up(models: dict, scale: float | None = None, weight: float = 1.0) -> ServedModel:
    """The fixture's model with income's stored scale set to ``scale``, the first layer's weights multiplied by ``weight`` (in memory)."""
    import copy

    m = copy.deepcopy(models["a"])
    m.preprocessing_ = copy.deepcopy(m.preprocessing_)
    if scale is not None:
        next(c for c in m.preprocessing_["columns"] if c["name"] == "income")["scale"] = scale
    m.coefs_ = [m.coefs_[0] * weight, *m.coefs_[1:]]
    return ServedModel(m)


def test_values_scaled_beyond_float32_and_non_finite_outputs_are_422(models: dict) -> None:
    row = [{"age": 40, "income": 1e30, "city": "Lyon", "score": 0.0}]
    sm = _blown_up(models, scale=1e-12)
    with pytest.raises(RequestError) as e:
        sm.predict(sm.rows({"rows": row}, 10), proba=True)
    assert (e.value.status, str(e.value)) == (422, "row 1, column 'income' is out of range for this model: 1e+30 becomes 1e+42 after the stored "
                                                   "scaling, beyond \u00b13.4e38, the float32 range the model computes in: send a smaller number, or null for missing.")
    sm = _blown_up(models, weight=1e20)  # rows 1-2 stay finite (about 1e21), row 3 overflows float32
    rows = sm.rows({"rows": [{**row[0], "income": 1.0}] * 2 + row}, 10)
    for proba in (True, False):
        with pytest.raises(RequestError) as e, warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            sm.predict(rows, proba)
        assert (e.value.status, str(e.value)) == (422, "row 3: the model's output is not finite for this row (its values are so far from the training "
                                                       "data that the network overflows): send values of the size the model was trained on.")


NUMBER_TEXT = ["12", " -3.5 ", ".5", "5.", "+1e5", "1E-3", "inf", "-Infinity", "INF", "NA", "nan", "-NaN", "None", "null", "", "  ",
               "#N/A", "<NA>", "n/a", "1.#IND", "1_000", "0x10", "1 000", "\u0661\u0662", "1d5", "5e", "e5", "++5", "True", "nan5",
               "false", "TRUE", "FALSE", "T", "yes", "tRUE", " fAlse", "t", "True1"]


@pytest.mark.parametrize("text", NUMBER_TEXT)
def test_text_numbers_follow_the_csv_reader(text: str) -> None:
    """The server reads a numeric cell sent as text as ``hiddenlayers predict`` reads it in a CSV (pandas, then the preprocessing)."""
    import io

    from hiddenlayers.ship._serve.values import text_number

    col = pd.read_csv(io.StringIO(f"x,y\n{text},1\n"), skipinitialspace=True, index_col=False)["x"]
    if pd.api.types.is_numeric_dtype(col):  # a bool column ("True") is 1.0, as a DataFrame's bool column
        expected: float | None = float(col.iloc[0])
    else:  # text: TablePreprocessor refuses it unless pandas' to_numeric reads it, or it is true/false in a column of numbers
        mixed = pd.read_csv(io.StringIO(f"x,y\n{text},1\n2.5,1\n"), skipinitialspace=True, index_col=False)["x"]
        cell = str(mixed.iloc[0]).strip()
        parsed = {"true": 1.0, "false": 0.0}.get(cell.lower(), pd.to_numeric(pd.Series([cell]), errors="coerce").iloc[0])
        expected = None if parsed != parsed else float(parsed)
    got = text_number(text)
    assert got == expected or (got != got and expected != expected), (got, expected)


def test_missing_markers_are_pandas_csv_defaults() -> None:
    from pandas._libs.parsers import STR_NA_VALUES

    from hiddenlayers.data import MISSING_TEXT

    assert MISSING_TEXT == STR_NA_VALUES


@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel", "one-class", "strings"])
def test_predict_labels_equal_the_classifiers_predict(kind: str) -> None:
    """/predict takes labels and the probabilities it checks from one pass: the labels equal the classifier's own predict."""
    from fit_helpers import labelled_classifier

    est, X = labelled_classifier(kind)
    Xq = np.vstack([X, 50 * np.random.default_rng(1).normal(size=(100, 5))])
    got = ServedModel(est).predict(Xq.tolist(), proba=False)
    np.testing.assert_array_equal(np.array(got), est.predict(Xq))


def test_predict_labels_decide_on_outputs_not_rounded_probabilities() -> None:
    """A logit of 1e-17 is class 1 for predict, though its probability rounds to exactly 0.5: /predict says class 1 too."""
    import torch

    X = np.random.default_rng(0).normal(size=(50, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = hl.MLPClassifier((4,), max_iter=3, random_state=0).fit(X, np.where(X[:, 0] > 0, "b", "a"))
    head = est.network_.linears()[-1]
    with torch.no_grad():
        head.weight.zero_()
        head.bias.fill_(1e-17)
    est.replace_network(est.network_)
    assert est.predict(X[:2]).tolist() == ["b", "b"]
    assert ServedModel(est).predict(X[:2].tolist(), proba=False) == ["b", "b"]



# ---------------------------------------------------------------- the server reads a row as `hiddenlayers predict` reads its CSV line
CATEGORY_TEXT = ["NA", " NA", "  NA", "NA ", "\tNA", "na", "N/A", "n/a", "#N/A", "<NA>", "null", "NULL", "None", "nan", "NaN", "-nan",
                 "", " ", "   ", "Lyon", " Lyon", "NA1", "none", "missing", "?"]


@pytest.mark.parametrize("text", CATEGORY_TEXT)
def test_category_text_follows_the_csv_reader(text: str) -> None:
    """A categorical cell sent as text is missing exactly when the CSV reader reads that cell as missing (pandas' markers)."""
    import io

    from hiddenlayers.ship._serve.values import category

    cell = pd.read_csv(io.StringIO(f"x,y\n{text},1\nLyon,2\n"), skipinitialspace=True, index_col=False, dtype=object)["x"].iloc[0]
    assert (category(text) is None) == pd.isna(cell), (text, cell)
    if category(text) is not None:
        assert category(text) == text  # a value is kept as sent


# Rows as a CSV would hold them: "NA", "null", "" and " N/A" in the city column mean missing, as does "NA" in income.
CSV_ROWS = [["age", "income", "city", "score"],
            ["40", "52000", "Lyon", "0.5"], ["61", "NA", "NA", "-1.2"], ["33", "", "null", "0.1"], ["55", "48000", "", "2.0"],
            ["47", "61000", " N/A", "-0.3"], ["29", "39000", "Paris", "1.1"], ["70", "NA", "Nice", "0.0"]]


def _csv_predictions(model: Path, tmp_path: Path) -> pd.DataFrame:
    from cli_helpers import ok

    data, out = tmp_path / "rows.csv", tmp_path / "pred.csv"
    data.write_text("".join(",".join(r) + "\n" for r in CSV_ROWS))
    ok("predict", model, data, "--proba", "--out", out)
    return pd.read_csv(out)


def test_served_rows_predict_as_their_csv_lines(server: Server, models: dict, tmp_path: Path) -> None:
    """The same rows through `hiddenlayers predict rows.csv` and through the server (JSON and Arrow, cells sent as text) agree."""
    import pyarrow as pa

    expected = _csv_predictions(models["dir"] / "a.safetensors", tmp_path)
    header, rows = CSV_ROWS[0], [dict(zip(CSV_ROWS[0], r)) for r in CSV_ROWS[1:]]
    status, pred = server.post("/predict", {"rows": rows})
    assert status == 200 and pred["predictions"] == expected["predicted_label"].tolist()
    status, proba = server.post("/predict_proba", {"rows": rows})
    assert status == 200
    np.testing.assert_allclose(proba["probabilities"], expected[["proba_no", "proba_yes"]].to_numpy(), rtol=1e-5, atol=1e-7)
    # a missing marker is a missing value, exactly as null is
    nulls = [{**r, "city": r["city"] if r["city"] in ("Lyon", "Paris", "Nice") else None} for r in rows]
    assert server.post("/predict_proba", {"rows": nulls}) == (status, proba)
    arrow = _arrow(pa.table({c: [r[c] for r in rows] for c in header}))
    status, text = server.request("POST", "/predict", arrow, {"Content-Type": "application/vnd.apache.arrow.stream"})
    assert status == 200 and json.loads(text)["predictions"] == expected["predicted_label"].tolist()


def test_served_onnx_rows_predict_as_their_csv_lines(models: dict, tmp_path: Path) -> None:
    """The same for an .onnx file: its graph sees the missing token for "NA" from the server as for NA from the CSV."""
    expected = _csv_predictions(models["dir"] / "a.onnx", tmp_path)
    sm = ServedModel(models["dir"] / "a.onnx")
    rows = sm.rows({"rows": [dict(zip(CSV_ROWS[0], r)) for r in CSV_ROWS[1:]]}, 100)
    assert sm.predict(rows, proba=False) == expected["predicted_label"].tolist()
    np.testing.assert_allclose(sm.predict(rows, proba=True), expected[["proba_no", "proba_yes"]].to_numpy(), rtol=1e-5, atol=1e-7)



@pytest.mark.parametrize("name", ["model", "values", "metrics"])
def test_the_servers_old_module_paths_import_as_the_new_modules(name: str) -> None:
    # the modules moved from ship/_serve_*.py into ship/_serve/ (hiddenlayers._compat maps the old paths)
    import importlib

    old, new = importlib.import_module(f"hiddenlayers.ship._serve_{name}"), importlib.import_module(f"hiddenlayers.ship._serve.{name}")
    assert old is new and old.__spec__.name == f"hiddenlayers.ship._serve.{name}"


def test_a_pickle_naming_the_servers_old_module_path_loads() -> None:
    data = pickle.dumps(RequestError, protocol=0)  # a class pickles as its module and name, as plain text at protocol 0
    assert b"hiddenlayers.ship._serve.model\n" in data
    data = data.replace(b"hiddenlayers.ship._serve.model\n", b"hiddenlayers.ship._serve_model\n")
    assert pickle.loads(data) is RequestError  # noqa: S301 (made just above)


def test_serving_an_unfitted_estimator_is_one_not_fitted_error() -> None:
    """ship asks scikit-learn's public check_is_fitted (not the estimator's private check); the error names the class."""
    for unfitted in (hl.MLPClassifier(), hl.MLPRegressor()):
        name = type(unfitted).__name__
        with pytest.raises(hl.NotFittedError, match=rf"^serve\(\) needs a fitted model: this {name} instance is not fitted yet\. "
                                                    r"Call fit first, or pass the path of a saved model file\.$") as e:
            ServedModel(unfitted)
        assert "\n" not in str(e.value)
        assert isinstance(e.value, hl.HiddenLayersError)


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_request_error_pickles(protocol: int) -> None:
    """Exceptions cross processes (multiprocessing, logging's queue handlers) by pickle: status and message survive."""
    err = RequestError(422, "row 1, column 'x1' is missing")
    err.extra = "kept"  # type: ignore[attr-defined]
    back = pickle.loads(pickle.dumps(err, protocol=protocol))  # noqa: S301 (made just above)
    assert type(back) is RequestError and back.status == 422 and str(back) == str(err) and back.args == err.args
    assert back.extra == "kept"  # type: ignore[attr-defined]


def test_whole_numbers_sent_for_a_category_match_its_text(tmp_path: Path) -> None:
    # a category column of codes ("1", "2") and text: JSON 2.0, 2 and "2" are one category, in the server and the ONNX runner
    # alike (before, 2.0 became "2.0", an unseen category)
    from hiddenlayers.ship._onnx_run import feeds_from_frame

    X = pd.DataFrame({"code": ["1", "2", "x"] * 20, "v": np.arange(60.0)})
    pre = TablePreprocessor().fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = hl.MLPRegressor(hidden_layer_sizes=(4,), max_iter=5, random_state=0).fit(pre.transform(X).matrix, np.arange(60.0))
    m.preprocessing_ = {**pre.to_dict(), "target": "t", "task": "regression"}
    m.save(tmp_path / "m.safetensors")
    hl.export_onnx(m, tmp_path / "m.onnx")
    sm = ServedModel(tmp_path / "m.safetensors")
    rows = [{"code": 2.0, "v": 1.0}, {"code": 2, "v": 1.0}, {"code": "2", "v": 1.0}, {"code": 1.0, "v": 1.0}]
    enc = sm.encode(sm.rows({"rows": rows}, 10))
    assert np.array_equal(enc[:3], np.repeat(enc[2:3], 3, axis=0)) and not np.array_equal(enc[0], enc[3])
    assert np.array_equal(enc, pre.transform(pd.DataFrame(rows)).matrix)
    onnx = ServedModel(tmp_path / "m.onnx")
    assert onnx.encode(onnx.rows({"rows": rows}, 10))["C"][:, 0].tolist() == ["2", "2", "2", "1"]
    feeds, notes = feeds_from_frame(pd.DataFrame({"code": [2.0, np.nan, 1.0], "v": [1.0, 2.0, 3.0]}), onnx.onnx.spec)
    assert feeds["C"][:, 0].tolist() == ["2", "", "1"] and notes == []
    # a Decimal (a database's NUMERIC column, an Arrow decimal) is the category of its value too (before: "2.00", unseen)
    import pyarrow as pa

    decimals = pd.DataFrame({"code": pd.Series([Decimal("2.00"), Decimal("1"), Decimal("NaN")], dtype=object), "v": [1.0, 1.0, 1.0]})
    want = pre.transform(pd.DataFrame({"code": ["2", "1", None], "v": [1.0, 1.0, 1.0]})).matrix
    assert np.array_equal(pre.transform(decimals).matrix, want)
    feeds, notes = feeds_from_frame(decimals, onnx.onnx.spec)
    assert feeds["C"][:, 0].tolist() == ["2", "1", ""] and notes == []
    arrow = pa.table({"code": pa.array([Decimal("2.00"), Decimal("1.00"), None], pa.decimal128(5, 2)), "v": [1.0, 1.0, 1.0]})
    assert np.array_equal(sm.encode(sm.arrow_rows(arrow, 10)), want)


def test_a_bool_column_is_one_and_zero_from_every_source(tmp_path: Path) -> None:
    """A model fitted in Python on a DataFrame's bool column (NumPy reads it as 1.0/0.0) gives one row one answer
    from a DataFrame, a CSV or Parquet file, the server's JSON (true/false) and Arrow, and an ONNX-backed server.
    Before, the server refused JSON true and an Arrow bool ('must be a number or null. Received: bool')."""
    import pyarrow as pa

    from hiddenlayers.cli._data import model_inputs
    from hiddenlayers.data import read_table

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"flag": rng.random(200) < 0.5, "x": rng.normal(size=200)})
    y = np.where(X["flag"] ^ (X["x"] > 0), "a", "b")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = hl.MLPClassifier(hidden_layer_sizes=(8,), max_iter=40, random_state=0).fit(X, y)
    new = pd.DataFrame({"flag": [True, False, True, False], "x": [0.5, -1.0, -2.0, 1.5]})
    expected = clf.predict_proba(new)
    new.to_csv(tmp_path / "new.csv", index=False)
    new.to_parquet(tmp_path / "new.parquet")
    text = pd.DataFrame({"flag": ["True", "false", "TRUE", "0"], "x": new["x"]})  # a CSV column mixing True with numbers is text
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the matrix has no feature names (the CLI silences it)
        for frame in (read_table(str(tmp_path / "new.csv")).frame, read_table(str(tmp_path / "new.parquet")).frame, text):
            np.testing.assert_allclose(clf.predict_proba(model_inputs(clf, frame)), expected, rtol=1e-6)
    hl.export_onnx(clf, tmp_path / "m.onnx")
    json_rows = {"rows": [{"flag": bool(f), "x": float(v)} for f, v in zip(new["flag"], new["x"])]}
    for sm in (ServedModel(clf), ServedModel(tmp_path / "m.onnx")):
        np.testing.assert_allclose(sm.predict(sm.rows(json_rows, 10), proba=True), expected, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(sm.predict(sm.arrow_rows(pa.Table.from_pandas(new), 10), proba=True), expected, rtol=1e-5, atol=1e-6)
        text_rows = {"columns": {"flag": ["True", "false", "true", "FALSE"], "x": new["x"].tolist()}}
        np.testing.assert_allclose(sm.predict(sm.rows(text_rows, 10), proba=True), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(RequestError, match="row 1, column 'flag' must be numeric but holds 'yes'"):
        ServedModel(clf).rows({"rows": [{"flag": "yes", "x": 0.0}]}, 10)


def test_a_bool_column_sent_for_a_stored_numeric_column_is_one_and_zero(models: dict) -> None:
    """The stored preprocessing (``hiddenlayers train``) and the server read a bool in a numeric column alike (was a DataError)."""
    rows = _rows(3, 7)
    as_bool = pd.DataFrame(rows).assign(score=[True, False, True])
    as_num = pd.DataFrame(rows).assign(score=[1.0, 0.0, 1.0])
    pre = TablePreprocessor.from_dict(models["a"].preprocessing_)
    np.testing.assert_array_equal(pre.transform(as_bool).matrix, pre.transform(as_num).matrix)
    sm = ServedModel(models["a"])
    sent = sm.rows({"rows": [{**r, "score": b} for r, b in zip(rows, [True, False, True])]}, 10)
    np.testing.assert_allclose(sm.predict(sent, proba=True), models["a"].predict_proba(pre.transform(as_num).matrix), rtol=1e-5, atol=1e-7)


def test_a_row_refused_in_a_batch_fails_only_its_own_request(models: dict) -> None:
    """Two clients' requests in one pass: the one whose row overflows gets the 422 naming its own row; the other its solo answer, no pass re-run."""
    from serve_helpers import batched

    base = {"age": 40, "income": 1.0, "city": "Lyon", "score": 0.0}
    cases = [(_blown_up(models, weight=1e20), "row 2: the model's output is not finite for this row"),  # rows of income 1 stay finite
             (_blown_up(models, scale=1e-12), "row 2, column 'income' is out of range for this model: 1e+30 becomes 1e+42")]
    for sm, message in cases:
        good = sm.rows({"rows": [base, {**base, "age": 30}]}, 10)
        bad = sm.rows({"rows": [base, {**base, "income": 1e30}]}, 10)
        for proba in (True, False):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                solo = sm.predict(good, proba)
                (got, err), batches, calls = batched(sm, [good, bad], proba)
            assert batches == [(4, 2)] and calls == [4]  # one pass for both requests, neither run again
            if proba:
                np.testing.assert_allclose(got, solo, rtol=1e-5, atol=1e-7)  # float32 weights: a batch and one row may round differently
            else:
                assert got == solo
            assert isinstance(err, RequestError) and err.status == 422 and str(err).startswith(message)


def test_a_category_spelled_as_a_missing_marker_can_be_sent(tmp_path: Path) -> None:
    """A model fitted on a DataFrame whose region "NA" is North America learned "NA" as a category. Before, the server read the
    text "NA" as missing in every request (JSON and Arrow), so that category could not be sent at all; now the exact text of
    a learned category is that category, null stays missing, and a column without such a category keeps the CSV rule."""
    import pyarrow as pa

    rng = np.random.default_rng(0)
    region = rng.choice(["NA", "EU", "Asia"], 120).astype(object)
    region[:10] = None  # real missing values too: a region=<missing> column
    X = pd.DataFrame({"region": region, "city": rng.choice(["Lyon", "Paris"], 120), "v": rng.normal(size=120)})
    y = np.where(X["region"] == "NA", 3.0, 0.0) + X["v"]
    with pytest.warns(UserWarning, match="the server takes the exact text as this category"):
        pre = TablePreprocessor().fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = hl.MLPRegressor(hidden_layer_sizes=(8,), max_iter=50, random_state=0).fit(pre.transform(X).matrix, y)
    m.preprocessing_ = {**pre.to_dict(), "target": "t", "task": "regression"}
    m.save(tmp_path / "m.safetensors")
    hl.export_onnx(m, tmp_path / "m.onnx")
    rows = [{"region": "NA", "city": "NA", "v": 0.5}, {"region": None, "city": None, "v": 0.5}, {"region": "EU", "city": "Lyon", "v": 0.5}]
    frame = pd.DataFrame(rows)  # in Python "NA" is text: the region North America; the city "NA" is an unseen text
    frame.loc[0, "city"] = None  # the city column never learned "NA": there the text stays missing, as in a CSV
    want = m.predict(pre.transform(frame).matrix)
    for path in ("m.safetensors", "m.onnx"):
        sm = ServedModel(tmp_path / path)
        checked = sm.rows({"rows": rows}, 10)
        assert [r[sm.columns.index("region")] for r in checked] == ["NA", None, "EU"]
        assert [r[sm.columns.index("city")] for r in checked] == [None, None, "Lyon"]
        np.testing.assert_allclose(sm.predict(checked, proba=False), want, rtol=1e-5, atol=1e-5)
        arrow = sm.arrow_rows(pa.table({c: [r[c] for r in rows] for c in ("region", "city", "v")}), 10)
        assert arrow == checked
    assert abs(want[0] - want[1]) > 0.3  # "NA" (North America) and a missing region are answered differently


def test_an_infinite_number_in_a_categorical_cell_is_refused_from_json_and_arrow(models: dict) -> None:
    # before: read as the category text 'inf' (unseen, so the 'other'/all-zero code) and answered
    import pyarrow as pa

    served = ServedModel(models["a"])
    for city in (float("inf"), float("-inf")):
        table = pa.table({"age": [40.0, 41.0], "income": [1.0, 2.0], "city": pa.array([2.0, city]), "score": [0.0, 0.0]})
        with pytest.raises(RequestError, match=r"^row 2, column 'city' is infinite: send text or a finite number, or null for missing\.$") as e:
            served.arrow_rows(table, 10)
        assert e.value.status == 422
    # finite numbers keep their rule: a whole float is its integer's text, NaN (an Arrow float's missing) is missing
    rows = served.arrow_rows(pa.table({"age": [40.0, 41.0], "income": [1.0, 2.0], "city": [2.0, float("nan")], "score": [0.0, 0.0]}), 10)
    assert [r[2] for r in rows] == ["2", None]


def test_an_infinite_number_in_a_categorical_cell_is_refused_by_the_library_the_onnx_runner_and_the_server(models: dict) -> None:
    # before: TablePreprocessor and the ONNX runner read it as the category "inf" (unseen: the all-zero code) while the server refused it
    from hiddenlayers.exceptions import DataError
    from hiddenlayers.ship._onnx_run import feeds_from_frame

    frame = pd.DataFrame({"age": [40.0, 41.0], "income": [1.0, 2.0], "city": pd.Series(["Lyon", -np.inf], dtype=object), "score": [0.0, 0.0]})
    message = ("column 'city' is categorical, but row 2 holds the infinite number -inf: replace it with text or a finite number, "
               "or leave the cell empty.")
    with pytest.raises(DataError, match="^" + re.escape(message) + "$"):
        TablePreprocessor.from_dict(models["a"].preprocessing_).transform(frame)
    with pytest.raises(DataError, match="^" + re.escape(message) + "$"):
        feeds_from_frame(frame, ServedModel(models["dir"] / "a.onnx").onnx.spec)
    with pytest.raises(RequestError, match=r"^row 2, column 'city' is infinite: send text or a finite number, or null for missing\.$"):
        ServedModel(models["a"]).rows({"rows": frame.astype(object).to_dict("records")}, 10)


def test_bytes_in_an_arrow_categorical_column_are_refused_not_read_as_their_repr(models: dict) -> None:
    # before: b"Lyon" became the category text "b'Lyon'", unseen, and the row was answered as an unknown city
    import pyarrow as pa

    served = ServedModel(models["a"])
    for kind in (pa.binary(), pa.large_binary(), pa.binary(4)):
        table = pa.table({"age": [40.0], "income": [1.0], "city": pa.array([b"Lyon"], kind), "score": [0.0]})
        with pytest.raises(RequestError, match=rf"^column 'city' holds bytes \(Arrow type {re.escape(str(kind))}\), but the model learned it as text"):
            served.arrow_rows(table, 10)
    rows = served.arrow_rows(pa.table({"age": [40.0], "income": [1.0], "city": pa.array(["Lyon"]).dictionary_encode(), "score": [0.0]}), 10)
    assert rows[0][2] == "Lyon"  # dictionary-encoded strings are strings


def test_json_loads_refuses_repeated_keys_at_any_depth() -> None:
    from hiddenlayers.ship._serve.serve import _loads

    assert _loads(b'{"rows": [{"a": 1, "b": {"a": 2}}]}') == {"rows": [{"a": 1, "b": {"a": 2}}]}  # the same key in another object
    for body in (b'{"a": 1, "a": 1}', b'{"rows": [{"x": {"k": 1, "k": 2}}]}'):
        with pytest.raises(RequestError, match=r"^the body has the key '(a|k)' twice in one object") as e:
            _loads(body)
        assert e.value.status == 400


def test_decimals_for_numeric_columns_get_the_answers_of_their_floats(models: dict) -> None:
    """A request's numbers as ``decimal.Decimal`` (JSON read with ``parse_float=Decimal``, an Arrow decimal128 column, a
    DataFrame from ``pandas.read_sql``): the server on the .safetensors and the .onnx file, and ``OnnxModel``, give the
    floats' answers. A guard: this agreed before (each Decimal read as ``float(value)``)."""
    import pyarrow as pa

    from hiddenlayers.ship import OnnxModel

    rows = _rows(12, 5)
    body = json.dumps({"rows": rows})
    as_decimals = json.loads(body, parse_float=Decimal)
    assert isinstance(as_decimals["rows"][0]["income"], Decimal)
    arrow = pa.table({"age": pa.array([Decimal(str(r["age"])) for r in rows], pa.decimal128(6, 1)),
                      "income": pa.array([None if r["income"] is None else Decimal(repr(r["income"])) for r in rows], pa.decimal256(60, 30)),
                      "city": [r["city"] for r in rows], "score": [r["score"] for r in rows]})
    for path in (models["dir"] / "a.safetensors", models["dir"] / "a.onnx"):
        sm = ServedModel(path)
        want = sm.predict(sm.rows(json.loads(body), 20), proba=True)
        assert sm.predict(sm.rows(as_decimals, 20), proba=True) == want
        assert sm.predict(sm.arrow_rows(arrow, 20), proba=True) == want
    onnx = OnnxModel(models["dir"] / "a.onnx")
    floats = pd.DataFrame(rows)
    decimals = floats.assign(income=pd.Series([None if v is None else Decimal(repr(v)) for v in floats["income"]], dtype=object))
    assert np.array_equal(onnx.predict_proba(decimals), onnx.predict_proba(floats))
    assert np.array_equal(onnx.predict_proba(arrow.to_pandas()), onnx.predict_proba(floats))
