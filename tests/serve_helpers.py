"""Requests queued together into one :class:`MicroBatcher` in this process (no server): what each gets, and how many passes ran;
:class:`Client`, a server in a thread of this process (uvicorn on a free loopback port) with JSON requests to it; and
:func:`serving_imports_torch`, whether a fresh process that builds the server apps of some files imports PyTorch."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from hiddenlayers.ship._batcher import MicroBatcher


class _Counted:
    """``model`` with its ``predict`` calls counted (rows per call), so a test sees whether a request was run twice."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.calls: list[int] = []

    def predict(self, rows: list[Any], proba: bool) -> list[Any]:
        self.calls.append(len(rows))
        return self.model.predict(rows, proba)  # type: ignore[no-any-return]


def batched(model: Any, requests: list[list[Any]], proba: bool = False) -> tuple[list[Any], list[tuple[int, int]], list[int]]:
    """Each request's outcome (its answer, or the exception it gets), the batches as (rows, requests), the rows of each ``predict`` call.

    All the requests are queued before the batcher's task runs, so they share one batch.
    """
    counted = _Counted(model)
    batches: list[tuple[int, int]] = []

    async def go() -> list[Any]:
        b = MicroBatcher(on_batch=lambda n, k: batches.append((n, k)))
        b.start()
        try:
            return await asyncio.gather(*(b.submit(counted, r, proba) for r in requests), return_exceptions=True)
        finally:
            await b.drain()

    return asyncio.run(go()), batches, counted.calls


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Client:
    """The server app for ``model`` under uvicorn in a thread of this process, and JSON requests to it.

    ``model``: a file, or a served model object (then ``cfg`` may name its file as ``model=``); ``cfg``: ServeConfig's fields."""

    def __init__(self, model: Any, /, **cfg: Any) -> None:
        self.port = _free_port()
        import uvicorn

        from hiddenlayers.ship._serve.serve import ServeConfig, make_app

        cfg = {"model": str(model) if isinstance(model, Path) else "", **cfg}
        app = make_app(ServeConfig(**cfg), None if isinstance(model, Path) else model)
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="critical", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.time() + 30
        while not self.server.started:
            assert time.time() < deadline and self.thread.is_alive(), "server did not start"
            time.sleep(0.01)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> tuple[int, Any]:
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            c.request(method, path, body=body, headers={"Content-Type": "application/json", **(headers or {})})
            r = c.getresponse()
            raw = r.read()
            return r.status, json.loads(raw)
        finally:
            c.close()

    def post(self, path: str, data: Any) -> tuple[int, Any]:
        return self.request("POST", path, json.dumps(data).encode())

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)


def serving_imports_torch(paths: list[Path]) -> bool:
    """Whether a fresh Python process (this checkout's ``src`` first) imports PyTorch while it builds the server app of each of ``paths``."""
    src = str(Path(__file__).resolve().parents[1] / "src")
    code = ("import sys; from hiddenlayers.ship._serve.serve import make_app, ServeConfig; "
            f"[make_app(ServeConfig(model=p)) for p in {[str(p) for p in paths]!r}]; print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": src}, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() in ("True", "False"), out.stderr
    return out.stdout.strip() == "True"


def json_bodies(keys: list[str]) -> Any:
    """A hypothesis strategy of any JSON value, its objects keyed by ``keys`` (a request form's keys, and others)."""
    from hypothesis import strategies as st

    return st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
                        lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.sampled_from([*keys, "x"]), inner, max_size=3), max_leaves=14)


def rows_or_refusal(model: Any, body: Any, max_rows: int) -> list[Any] | None:
    """``model.rows(body)``, or None where it refused the body with a one-line 4xx (anything else fails the test)."""
    from hiddenlayers.ship._serve.model import RequestError

    try:
        return model.rows(body, max_rows)  # type: ignore[no-any-return]
    except RequestError as exc:
        assert 400 <= exc.status < 500 and "\n" not in str(exc)
        return None


def assert_float32_digits(got: Any, want: Any) -> None:
    """``got`` (an answer's nested lists of numbers) holds each float32 value of ``want`` with float32's shortest digits
    (``0.3``), as ``hiddenlayers predict`` writes it, not its float64 copy's (``0.30000001192092896``)."""
    import numpy as np

    flat = np.asarray(got, dtype=np.float64).ravel().tolist()
    expected = np.asarray(want, dtype=np.float32).ravel()
    assert len(flat) == len(expected) and np.array_equal(np.asarray(flat, dtype=np.float32), expected)
    assert [repr(v) for v in flat] == [repr(float(str(w))) for w in expected]
