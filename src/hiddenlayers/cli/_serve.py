"""The ``serve`` command: a model behind HTTP (see :mod:`hiddenlayers.ship._serve`).

Only Typer at import time, so ``hiddenlayers --help`` stays fast; uvicorn,
Starlette and the model load when the command runs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from ._binary import check_threshold
from ._common import UserError


def serve(
    model: Annotated[str, typer.Argument(help="Model file: .safetensors (from `hiddenlayers train`, or a saved TextClassifier, ImageClassifier, SequenceClassifier, SpeechRecognizer, Translator, Autoencoder, Recommender, Forecaster or DQNAgent) or .onnx (from `hiddenlayers export`: PyTorch is not imported).")],
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0 for every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (each loads the model; SIGHUP to the main process replaces them one by one).")] = 1,
    max_batch: Annotated[int, typer.Option("--max-batch", help="Most rows in one forward pass.")] = 256,
    max_wait_us: Annotated[int, typer.Option("--max-wait-us", help="Under load, wait up to this many microseconds for a batch to fill (0: never wait).")] = 0,
    max_queue: Annotated[int, typer.Option("--max-queue", help="Most requests waiting for a forward pass; more get 503 at once.")] = 2048,
    max_body: Annotated[int, typer.Option("--max-body", help="Largest request body in bytes (413 above).")] = 16 * 1024 * 1024,
    max_rows: Annotated[int, typer.Option("--max-rows", help="Most rows in one request (413 above).")] = 10_000,
    read_timeout: Annotated[float, typer.Option("--read-timeout", help="Seconds a client has to send its whole body (408 after).")] = 10.0,
    drain_timeout: Annotated[float, typer.Option("--drain-timeout", help="On SIGTERM, seconds to finish accepted requests before closing.")] = 30.0,
    reload_token: Annotated[str | None, typer.Option("--reload-token", envvar="HIDDENLAYERS_RELOAD_TOKEN", help="Enables POST /reload for callers sending 'Authorization: Bearer TOKEN' (default: off; SIGHUP always reloads).")] = None,
    log_level: Annotated[str, typer.Option("--log-level", help="uvicorn's log level (critical, error, warning, info, debug).")] = "info",
    threads: Annotated[int, typer.Option("--threads", help="Threads per forward pass in each worker (micro-batches are small: use --workers for more cores).")] = 1,
    threshold: Annotated[float | None, typer.Option("--threshold", help="A two-class table model (or its .onnx export): /predict answers the positive "
                                                    "class (--pos-label; default the second label) where its probability is at least this, in (0, 1), "
                                                    "as predict --threshold; /metadata shows it. Default: the more probable class.",
                                                    show_default=False, callback=check_threshold)] = None,
    pos_label: Annotated[str | None, typer.Option("--pos-label", help="With --threshold: the class whose probability it cuts; default the second "
                                                  "of the two sorted labels (1 of 0/1).", show_default=False)] = None,
) -> None:
    """Serve a model over HTTP: POST /predict and /predict_proba, GET /health, /ready, /metadata, /metrics.

    A table model reads {"rows": [{column: value, ...}, ...]} (or rows as lists in /metadata's column order),
    {"columns": {column: [...], ...}}, or an Arrow IPC stream; null is a missing value.
    An application file reads its own JSON form: {"texts": [...]} (TextClassifier), {"images": [...], "dtype": "uint8"} (ImageClassifier),
    {"sequences": [...]} (SequenceClassifier), {"utterances": [...], "beam_size": k} (SpeechRecognizer: transcripts), table rows (Autoencoder: scores and +1/-1), {"users": [...], "items": [...]} (Recommender),
    {"series": [...], "steps": n} (Forecaster), {"texts": [...], "beam_size": k} (Translator: translations),
    {"observations": [...], "return_q": true} (DQNAgent: actions); GET /metadata shows it.
    Requests that arrive together share one forward pass (micro-batching); a lone request never waits.
    SIGHUP (or POST /reload with --reload-token) swaps in the model file again; SIGTERM drains and exits 0.
    --threshold T (a two-class table model, or its .onnx export): /predict answers the positive class where its probability is at
    least T, as predict --threshold does; /predict_proba is unchanged.

    Example: hiddenlayers serve model.safetensors --port 8000
    """
    from ..ship import check_serve_settings

    try:  # the server's own rule, its parameter named as this command's option: "max_rows must ..." -> "--max-rows must ..."
        check_serve_settings(workers=workers, port=port, max_batch=max_batch, max_wait_us=max_wait_us, max_queue=max_queue, max_body=max_body,
                             max_rows=max_rows, read_timeout=read_timeout, drain_timeout=drain_timeout, threads=threads, log_level=log_level)
    except ValueError as exc:
        name, rest = str(exc).split(" ", 1)
        raise UserError(f"--{name.replace('_', '-')} {rest}") from None
    p = Path(model)
    if p.is_dir():
        raise UserError(f"'{model}' is a folder, not a model file: give the path of a .safetensors or .onnx file.")
    if not p.is_file():
        raise UserError(f"model file '{model}' does not exist: check the path, or write one with `hiddenlayers train` / `hiddenlayers export`.")
    if p.suffix.lower() not in (".safetensors", ".onnx"):
        raise UserError(f"the model must be a .safetensors or .onnx file. Received: '{model}'.")
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise UserError("serving needs uvicorn and starlette: pip install 'hiddenlayers[serve]'.") from None
    from ..ship import check_listen, check_servable, check_serve_threshold
    from ..ship import serve as run

    check_servable(str(p))  # the file's own refusal (ModelFileError, one line) before the port's: a busy port would hide it
    try:  # predict's refusals of --threshold (a regressor, more classes, an application file), before the port too
        check_serve_threshold(str(p), threshold, pos_label, names=("--threshold", "--pos-label"))
    except ValueError as exc:
        raise UserError(str(exc)) from None
    try:
        check_listen(host, port, host_name="--host", port_name="--port")  # before uvicorn, whose failure names no option
    except ValueError as exc:
        raise UserError(str(exc)) from None
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    run(str(p), host=host, port=port, workers=workers, max_batch=max_batch, max_wait_us=max_wait_us, max_queue=max_queue, max_body=max_body,
        max_rows=max_rows, read_timeout=read_timeout, drain_timeout=drain_timeout, reload_token=reload_token, log_level=log_level, threads=threads,
        threshold=threshold, pos_label=pos_label)
