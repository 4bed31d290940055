"""``hl.serve`` / ``hiddenlayers serve``: a model behind HTTP, with micro-batching, hot reload and a clean drain.

Starlette routes, uvicorn runs it (several worker processes on request).
Endpoints:

* ``POST /predict``, ``POST /predict_proba``: JSON ``{"rows": [{col: value}, ...]}``
  (or rows as lists in ``/metadata`` column order, or ``{"columns": {col: [...]}}``),
  or an Arrow IPC stream (``Content-Type: application/vnd.apache.arrow.stream``)
  for bulk rows; the stored preprocessing is applied; answers
  ``{"predictions": [...]}`` / ``{"probabilities": [[...]], "classes": [...]}``
  with ``model_version`` (and ``notes`` where a null filled a numeric column that had
  no missing value in training, as ``hiddenlayers predict`` notes it; the JSON tokens
  ``NaN``/``Infinity`` are not JSON and are a 400, as is a key repeated in one object); an application file (TextClassifier, ImageClassifier,
  SequenceClassifier, SpeechRecognizer, Translator, Autoencoder, Recommender, Forecaster, DQNAgent) reads its own JSON form
  (``{"texts": [...]}``, ...; see :mod:`.app_model` and ``GET /metadata``), as does the ``.onnx`` export of any of
  them but the Translator, which has none (:mod:`.app_onnx`; a TextClassifier's tokenizes texts in NumPy by the tokenizer it holds);
* ``GET /health`` (the process answers), ``GET /ready`` (a model is loaded and
  the server is not draining), ``GET /metadata``, ``GET /metrics`` (Prometheus text);
* ``POST /reload`` re-reads the model file, only with ``Authorization: Bearer
  TOKEN`` where the server was started with a reload token (otherwise 403);
  ``SIGHUP`` does the same. The new model is loaded in a thread and swapped
  in with one assignment; queued and running requests finish on the model
  they were accepted with.

Every refused request is a 4xx whose body is one JSON line ``{"error": ...}``;
a fault of the server is a 500 of the same shape (the traceback goes to the log,
never to the client). ``/metrics`` counts every answer by endpoint and status.
SIGTERM (uvicorn's handler) stops accepting, answers what was accepted, then
the lifespan hook drains the batcher and the process exits 0. With ``workers > 1``,
``SIGHUP`` to the main process replaces the workers one by one; a ``SIGTERM`` stops
at once even behind queued restarts, and several queued ``SIGHUP`` are one restart
(:mod:`.supervisor`).
"""

from __future__ import annotations

import asyncio
import gc
import hmac
import json
import logging
import os
import signal
import threading
import time
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from typing import Any

from ..._docsections import parameters_section
from .._batcher import MicroBatcher, Overloaded
from .app_model import AppModel, check_servable, open_served
from .framing import REFUSED_KEY, error_body
from .metrics import Metrics
from .model import RequestError, ServedModel
from .settings import check_serve_settings
from .threshold import check_cut_settings, served_cut

log = logging.getLogger("hiddenlayers.serve")
ARROW = "application/vnd.apache.arrow.stream"
CONFIG_ENV = "HIDDENLAYERS_SERVE_CONFIG"


@dataclass
class ServeConfig:
    """Everything a server process needs (JSON-able, so worker processes get it through the environment)."""

    model: str
    max_batch: int = 256
    max_wait_us: int = 0
    max_queue: int = 2048
    max_body: int = 16 * 1024 * 1024
    max_rows: int = 10_000
    read_timeout: float = 10.0
    reload_token: str | None = None
    threads: int = 1
    threshold: float | None = None
    pos_label: str | None = None


def _json(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":"), allow_nan=False).encode()


def _not_json(token: str) -> Any:
    raise RequestError(400, f"the body holds {token}, which is not JSON: send null for a missing value, a finite number otherwise.")


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """One JSON object, refused when it names a key twice: ``json`` keeps the last value, so ``{"age": 70, "age": 20}``
    was answered for 20, and ``{"rows": [...], "rows": [...]}`` for the second list, without a word."""
    out = dict(pairs)
    if len(out) != len(pairs):
        keys = [k for k, _ in pairs]
        key = next(k for i, k in enumerate(keys) if k in keys[:i])
        raise RequestError(400, f"the body has the key {key!r} twice in one object: send each key once (a JSON reader keeps one of the "
                                "two values, and the server does not guess which you meant).")
    return out


def _loads(body: bytes) -> Any:
    """``body`` decoded as standard JSON: Python's ``json`` would take the bare ``NaN``/``Infinity`` tokens, which are not JSON,
    and keep the last of an object's repeated keys (:func:`_unique`). An integer too long for Python to read (over
    ``sys.get_int_max_str_digits()`` digits) is a 400 that says so, not the interpreter's advice."""
    try:
        return json.loads(body, parse_constant=_not_json, object_pairs_hook=_unique)
    except ValueError as exc:
        if "integer string conversion" not in str(exc):
            raise
        import sys

        raise RequestError(400, f"the body holds an integer of more than {sys.get_int_max_str_digits()} digits, which the server does not read: "
                                "send a shorter one (a category's as text).") from None


def _error(status: int, message: str) -> Any:
    from starlette.responses import Response

    return Response(error_body(message), status_code=status, media_type="application/json")


class _Server:
    """The state one process serves from: the current model, the batcher, the metrics."""

    def __init__(self, cfg: ServeConfig, model: Any = None) -> None:
        self.cfg = cfg
        self.model: ServedModel | AppModel = self._open(model if model is not None else cfg.model)
        self.batcher = MicroBatcher(max_batch=cfg.max_batch, max_wait_us=cfg.max_wait_us, max_queue=cfg.max_queue)
        self.metrics = Metrics(lambda: self.batcher.depth, lambda: self.model.version)
        self.batcher.on_batch = self.metrics.batch
        self._reload_lock: asyncio.Lock | None = None

    def _open(self, source: Any, version: int = 1) -> ServedModel | AppModel:
        """The served form of ``source`` with the configured decision threshold applied (:func:`.threshold.served_cut`:
        a model it cannot apply to is a ValueError, which fails the start or the reload)."""
        model = open_served(source, version, self.cfg.threads)
        cut = served_cut(model, self.cfg.threshold, self.cfg.pos_label)
        if cut is not None:
            model.cut = cut
        return model  # type: ignore[no-any-return]

    # ------------------------------------------------------------ request body
    async def _body(self, request: Any) -> bytes:
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self.cfg.max_body:
            raise RequestError(413, f"the body is {int(length)} bytes, over the limit of {self.cfg.max_body}: split the rows, or start the server with a larger --max-body.")
        chunks, size = [], 0

        async def read() -> None:
            from starlette.requests import ClientDisconnect

            nonlocal size
            try:
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > self.cfg.max_body:
                        raise RequestError(413, f"the body is over the limit of {self.cfg.max_body} bytes: split the rows, or start the server with a larger --max-body.")
                    chunks.append(chunk)
            except ClientDisconnect:  # the client's fault, not the server's: a 400 for the count (the closed connection hears nothing)
                announced = f" of the {length} that Content-Length announced" if length is not None else ""
                raise RequestError(400, f"the connection closed after {size} bytes of the body{announced}: send the whole body "
                                        "(Content-Length counts its bytes) and keep the connection open for the answer.") from None

        try:
            await asyncio.wait_for(read(), self.cfg.read_timeout)
        except TimeoutError:
            raise RequestError(408, f"the body did not arrive within {self.cfg.read_timeout:g} s: send it at once (the limit is --read-timeout).") from None
        body = b"".join(chunks)
        if not body.strip():
            raise RequestError(400, 'the body is empty: send {"rows": [{"column": value, ...}]}.')
        return body

    async def _rows(self, request: Any, model: ServedModel | AppModel) -> list[Any]:
        body = await self._body(request)
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media == ARROW:
            return await asyncio.to_thread(_arrow_rows, body, model, self.cfg.max_rows)
        try:
            data = _loads(body) if len(body) < 65536 else await asyncio.to_thread(_loads, body)
        except RequestError:
            raise
        except (ValueError, RecursionError) as exc:
            raise RequestError(400, f"the body is not valid JSON ({str(exc).splitlines()[0][:120]}).{_other_media(media)}") from None
        if len(body) < 65536:
            return model.rows(data, self.cfg.max_rows)
        return await asyncio.to_thread(model.rows, data, self.cfg.max_rows)

    # ------------------------------------------------------------ endpoints
    async def predict(self, request: Any) -> Any:
        return await self._predict(request, proba=False)

    async def predict_proba(self, request: Any) -> Any:
        return await self._predict(request, proba=True)

    async def _predict(self, request: Any, proba: bool) -> Any:
        from starlette.responses import Response

        model = self.model  # the model this request is answered with, whatever reloads happen meanwhile
        try:
            if proba and model.classes is None:
                raise RequestError(400, model.no_proba)
            rows = await self._rows(request, model)
            notes = model.notes(rows)
            result = await self.batcher.submit(model, rows, proba)
            answer = model.answer(result, proba)
            if notes:  # as `hiddenlayers predict` notes them; an answer without any is unchanged
                answer["notes"] = notes
            answer["model_version"] = model.version
            resp = Response(_json(answer), media_type="application/json")
        except RequestError as exc:
            resp = _error(exc.status, str(exc))
        except Overloaded as exc:
            resp = _error(503, str(exc))
        return resp

    async def health(self, request: Any) -> Any:
        from starlette.responses import Response

        return Response(b'{"status":"ok"}', media_type="application/json")

    async def ready(self, request: Any) -> Any:
        from starlette.responses import Response

        if self.batcher.closing:
            return _error(503, "the server is shutting down.")
        return Response(_json({"status": "ready", "model_version": self.model.version}), media_type="application/json")

    async def metadata(self, request: Any) -> Any:
        from starlette.responses import Response

        return Response(_json(self.model.metadata()), media_type="application/json")

    async def metrics_text(self, request: Any) -> Any:
        from starlette.responses import Response

        return Response(self.metrics.render(), media_type="text/plain; version=0.0.4")

    async def reload_endpoint(self, request: Any) -> Any:
        from starlette.responses import Response

        token = self.cfg.reload_token
        if not token:
            resp = _error(403, "reload by HTTP is off: start the server with --reload-token (or send SIGHUP to its process).")
        else:
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                resp = _error(401, "reload needs the header 'Authorization: Bearer TOKEN' with the server's --reload-token.")
            else:
                try:
                    version = await self.reload()
                    resp = Response(_json({"status": "reloaded", "model_version": version}), media_type="application/json")
                except Exception as exc:  # the old model keeps serving
                    resp = _error(409, f"reload failed, still serving version {self.model.version}: {str(exc).splitlines()[0]}")
        return resp

    async def reload(self) -> int:
        """Load the model file again in a thread and swap it in; returns the new version (errors keep the old model)."""
        if self._reload_lock is None:
            self._reload_lock = asyncio.Lock()
        async with self._reload_lock:  # one reload at a time
            old = self.model
            try:
                new = await asyncio.to_thread(self._open, old.path or self.cfg.model, old.version + 1)
            except Exception:
                self.metrics.reloads["failed"] += 1
                raise
            self.model = new  # one assignment: a request reads either the old or the new model
            self.metrics.reloads["ok"] += 1
            _freeze_heap()  # the new model's objects join the frozen heap; the old one's cycles are collected once
            log.info("reloaded %s (version %d, sha256 %s)", new.path, new.version, (new.sha256 or "")[:12])
            return new.version

    def _on_sighup(self) -> None:
        async def run() -> None:
            try:
                await self.reload()
            except Exception as exc:
                log.error("reload on SIGHUP failed, still serving version %d: %s", self.model.version, exc)

        asyncio.get_running_loop().create_task(run())

    # ------------------------------------------------------------ the ASGI app
    def app(self) -> Any:
        from starlette.applications import Starlette
        from starlette.exceptions import HTTPException
        from starlette.middleware import Middleware
        from starlette.routing import Route

        @asynccontextmanager
        async def lifespan(app: Any) -> Any:
            self.batcher.start()
            restore = _limit_threads(self.cfg.threads)
            _freeze_heap()
            if hasattr(signal, "SIGHUP") and threading.current_thread() is threading.main_thread():
                # SIGHUP reloads; a server run in a thread (or on a platform without SIGHUP) reloads by /reload only
                asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self._on_sighup)
            try:
                yield {REFUSED_KEY: refused}  # uvicorn shares the state with its protocol (grace.py), which counts what it refuses
                await self.batcher.drain()
            finally:
                restore()

        async def http_error(request: Any, exc: Any) -> Any:
            return _error(exc.status_code, f"{request.method} {request.url.path}: {exc.detail}; endpoints: POST /predict, /predict_proba, /reload; GET /health, /ready, /metadata, /metrics.")

        routes = [
            Route("/predict", self.predict, methods=["POST"]), Route("/predict_proba", self.predict_proba, methods=["POST"]),
            Route("/health", self.health, methods=["GET"]), Route("/ready", self.ready, methods=["GET"]),
            Route("/metadata", self.metadata, methods=["GET"]), Route("/metrics", self.metrics_text, methods=["GET"]),
            Route("/reload", self.reload_endpoint, methods=["POST"]),
        ]
        endpoints = frozenset(r.path for r in routes)

        def refused(path: str, status: int, seconds: float) -> None:
            self.metrics.request(path if path in endpoints else "other", status, seconds)

        app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={HTTPException: http_error},
                        middleware=[Middleware(_Counted, metrics=self.metrics, endpoints=endpoints)])
        app.router.redirect_slashes = False  # "/predict/" is an unknown route (JSON 404), not an empty 307 to follow
        return app


class _Counted:
    """ASGI middleware: counts every HTTP answer by endpoint and status, and answers an unexpected exception with a JSON 500.

    It sits outside the routes and their exception handlers, so 404s, 405s and
    faults are counted as well as the endpoints' own answers. An unknown path is
    counted as endpoint "other" (a scanner's paths must not grow the label set).
    """

    def __init__(self, app: Any, metrics: Metrics, endpoints: frozenset[str]) -> None:
        self.app, self.metrics, self.endpoints = app, metrics, endpoints

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0, status = time.perf_counter(), 0

        async def send_counted(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_counted)
        except Exception:
            log.exception("%s %s failed", scope.get("method"), scope.get("path"))
            if status:  # the answer has begun: nothing more can be said on this connection
                raise
            status = 500
            await _error(500, f"{scope.get('method')} {scope.get('path')}: the server failed to answer (its log has the details); "
                              "the request may be retried, and reported if it keeps failing.")(scope, receive, send)
        finally:
            endpoint = scope["path"] if scope["path"] in self.endpoints else "other"
            self.metrics.request(endpoint, status or 500, time.perf_counter() - t0)


def _limit_threads(threads: int) -> Any:
    """Give NumPy's BLAS and PyTorch (when imported) ``threads`` threads a pass; returns the undo.

    Micro-batches are small: one thread runs a pass in well under a millisecond,
    and more threads only spin on the cores the event loop needs. Cores serve
    more requests as worker processes (``--workers``).
    """
    import sys

    from threadpoolctl import threadpool_limits

    torch = sys.modules.get("torch")
    before = torch.get_num_threads() if torch is not None else None  # read before threadpoolctl limits OpenMP
    limits = threadpool_limits(limits=threads)
    if torch is not None:
        torch.set_num_threads(threads)

    def restore() -> None:
        if torch is not None and before is not None:
            torch.set_num_threads(before)
        limits.restore_original_limits()  # last: torch's setter also touches the OpenMP pool

    return restore


def _freeze_heap() -> None:
    """Move every object alive now out of the garbage collector's sight (``gc.freeze``).

    With PyTorch imported the heap holds ~170k objects, and each full collection,
    which steady request traffic triggers every few seconds, pauses the event loop
    for 60–130 ms: the served p99. The model, the imports and the app live as long
    as the process, so the collector need never scan them; requests' own garbage is
    still collected. A reload calls this again (one full collection then).
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def _arrow_rows(body: bytes, model: ServedModel | AppModel, max_rows: int) -> list[Any]:
    """Rows of an Arrow IPC stream body, checked like JSON rows."""
    import pyarrow as pa

    try:
        table = pa.ipc.open_stream(body).read_all()
    except (pa.ArrowInvalid, OSError) as exc:
        raise RequestError(400, f"the body is not a valid Arrow IPC stream ({str(exc).splitlines()[0][:120]}).") from None
    return model.arrow_rows(table, max_rows)


def _ignore(signum: int, frame: Any) -> None:
    """SIGTERM after uvicorn's drain: nothing left to do."""


#: media types of tables the server does not read, which a client may send as they are (a CSV file posted with curl --data-binary)
_TABLE_MEDIA = {"text/csv": "CSV", "application/csv": "CSV", "text/tab-separated-values": "TSV", "application/vnd.apache.parquet": "Parquet",
                "application/x-parquet": "Parquet", "application/x-ndjson": "JSON lines", "application/jsonl": "JSON lines"}


def _other_media(media: str) -> str:
    """For a body that is not JSON, sent as a table of another format (``Content-Type: text/csv``): what the server reads
    instead, and what reads that format (``hiddenlayers predict``); ``""`` for any other type."""
    kind = _TABLE_MEDIA.get(media)
    if kind is None:
        return ""
    return (f" Its Content-Type is {media} ({kind}), which the server does not read: send JSON ({{\"rows\": [...]}} or {{\"columns\": {{...}}}}) "
            f"or an Arrow IPC stream (Content-Type: {ARROW}); `hiddenlayers predict MODEL FILE` reads a {kind} file.")


def make_app(cfg: ServeConfig, model: Any = None) -> Any:
    """The Starlette app serving ``model`` (a path, a fitted estimator, or ``cfg.model``'s file)."""
    return _Server(cfg, model).app()


def app_from_env() -> Any:
    """uvicorn's factory in each worker process: the config comes as JSON in ``HIDDENLAYERS_SERVE_CONFIG``."""
    return make_app(ServeConfig(**json.loads(os.environ[CONFIG_ENV])))


def check_listen(host: str, port: int, *, host_name: str = "host", port_name: str = "port") -> None:
    """A one-line ``ValueError`` naming ``host_name`` or ``port_name`` when the server could not listen on ``host:port``.

    Binds (and closes) a socket as uvicorn does, before uvicorn starts: its own failure is log lines and
    ``[Errno -2] Name or service not known`` that name no option.

    Parameters
    ----------
    host : str
        The address.
    port : int
        The TCP port.
    host_name : str
        What the message calls the host (``"--host"`` from the CLI).
    port_name : str
        What the message calls the port.
    """
    import errno
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET  # uvicorn's rule
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except (OSError, UnicodeError, OverflowError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
                raise ValueError(f"{port_name} {port} on {host} is in use ({reason}): stop what listens there or choose another {port_name}.") from None
            if isinstance(exc, OSError) and exc.errno == errno.EACCES:
                raise ValueError(f"{port_name} {port} on {host} needs privileges ({reason}): choose a {port_name} above 1023.") from None
            raise ValueError(f"{host_name} {host!r} is not an address this machine can listen on ({reason}): give one of its IP addresses or "
                             f"host names, e.g. 127.0.0.1 (this machine only) or 0.0.0.0 (every interface).") from None


_SERVE_PARAMETERS = """
Parameters
----------
model : str, PathLike, estimator, application or Pipeline
    A ``.safetensors`` / ``.onnx`` path (an ``.onnx`` file never imports PyTorch) or a fitted MLPClassifier /
    MLPRegressor, or a fitted ``Pipeline`` of a TableEncoder then one (served as its ``hl.save`` file is: raw table
    rows by column name; one worker); a TextClassifier, ImageClassifier, SequenceClassifier, SpeechRecognizer,
    Translator, Autoencoder, Recommender, Forecaster or DQNAgent (file or fitted object) is served too, each with its
    own request form (see :mod:`hiddenlayers.ship._serve.app_model`), and any app's ``.onnx`` export with the same
    form, without PyTorch.
host : str
    Address to listen on (loopback by default).
port : int
    TCP port to listen on.
workers : int
    Worker processes, each loading the model (more than 1 needs a model file path); SIGHUP to the main process
    replaces them one by one.
max_batch : int
    Most rows in one forward pass.
max_wait_us : int
    Microseconds a batch under load may wait for more rows (0: never waits).
max_queue : int
    Most requests waiting for a forward pass; more get 503 at once.
max_body : int
    Largest request body in bytes (413 above).
max_rows : int
    Most rows in one request (413 above).
read_timeout : float
    Seconds a client has to send its whole body (408 after).
drain_timeout : float
    On SIGTERM, seconds to finish accepted requests before closing.
reload_token : str, optional
    Enables ``POST /reload`` for callers sending ``Authorization: Bearer TOKEN`` (None: off; SIGHUP always reloads).
log_level : str
    uvicorn's log level (critical, error, warning, info, debug).
threads : int
    Threads per forward pass in each worker (BLAS, PyTorch, onnxruntime); use ``workers`` for more cores.
threshold : float, optional
    A two-class table model's decision threshold, in (0, 1): ``/predict`` answers the positive class wherever its
    probability is at least this (scikit-learn's ``FixedThresholdClassifier``), and ``/metadata`` shows it beside
    ``positive_class``; ``/predict_proba`` is unchanged. None: the more probable class. A regressor, a model of more
    than two classes or labels, or an application refuses it (ValueError), as a reloaded file that is one does.
pos_label : str, optional
    With ``threshold``: the class whose probability it cuts, as text (default the second of the two sorted labels,
    scikit-learn's ``pos_label``).
"""


@parameters_section(_SERVE_PARAMETERS)
def serve(
    model: Any, *, host: str = "127.0.0.1", port: int = 8000, workers: int = 1, max_batch: int = 256, max_wait_us: int = 0,
    max_queue: int = 2048, max_body: int = 16 * 1024 * 1024, max_rows: int = 10_000, read_timeout: float = 10.0,
    drain_timeout: float = 30.0, reload_token: str | None = None, log_level: str = "warning", threads: int = 1,
    threshold: float | None = None, pos_label: str | None = None,
) -> None:
    """Serve ``model`` over HTTP until SIGTERM or Ctrl-C (blocks).

    Requests that arrive together share one forward pass. SIGHUP (or ``POST /reload`` with ``reload_token``) swaps in
    the model file again; SIGTERM drains the accepted requests and stops. See the module docstring for the endpoints.

    Examples
    --------
    >>> import hiddenlayers as hl
    >>> hl.serve("model.safetensors", port=8000)  # doctest: +SKIP
    """
    import uvicorn

    from .grace import PROTOCOL
    from .supervisor import run_workers

    check_serve_settings(port=port, workers=workers, max_batch=max_batch, max_wait_us=max_wait_us, max_queue=max_queue, max_body=max_body,
                         max_rows=max_rows, read_timeout=read_timeout, drain_timeout=drain_timeout, threads=threads, log_level=log_level)
    check_cut_settings(threshold, pos_label)
    path = str(model) if isinstance(model, (str, os.PathLike)) else ""
    cfg = ServeConfig(model=path, max_batch=max_batch, max_wait_us=max_wait_us, max_queue=max_queue, max_body=max_body,
                      max_rows=max_rows, read_timeout=read_timeout, reload_token=reload_token, threads=threads,
                      threshold=None if threshold is None else float(threshold), pos_label=None if pos_label is None else str(pos_label))
    if path:
        check_servable(path)  # a file the server refuses says so before the port is checked (a busy port would hide it)
    check_listen(host, port)
    common: dict[str, Any] = {"host": host, "port": port, "log_level": log_level, "access_log": False,
                              "timeout_graceful_shutdown": int(max(1, drain_timeout)), "server_header": False,
                              "http": PROTOCOL}  # uvicorn's protocol, a request that arrives during a shutdown answered (grace.py)
    if workers == 1:
        app = make_app(cfg, model if not path else None)  # load (and fail) before binding the port
        # uvicorn drains on SIGTERM, then raises the signal again under the handler it found: a
        # no-op one makes that drained shutdown end as a normal return (exit status 0), not a kill.
        previous = signal.signal(signal.SIGTERM, _ignore) if threading.current_thread() is threading.main_thread() else None
        try:
            uvicorn.run(app, **common)
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
        return
    if not path:
        raise ValueError("workers > 1 needs a model file path, not an in-memory model: save it with hl.save(model, path) and pass the path.")
    served_cut(open_served(path), cfg.threshold, cfg.pos_label)  # a bad file (or threshold) fails here, once, not in every worker
    os.environ[CONFIG_ENV] = json.dumps(asdict(cfg))
    import inspect

    if "timeout_worker_healthcheck" in inspect.signature(uvicorn.run).parameters:
        # SIGHUP replaces the workers one by one, each new one serving before its old one drains;
        # a worker importing PyTorch on a busy machine needs longer than uvicorn's 5 s to be ready
        common["timeout_worker_healthcheck"] = 120
    # uvicorn's supervisor, stopping at once on SIGTERM even behind queued SIGHUP restarts (supervisor.py)
    run_workers("hiddenlayers.ship._serve.serve:app_from_env", workers, **common)


__all__ = ["ServeConfig", "check_listen", "make_app", "serve"]
