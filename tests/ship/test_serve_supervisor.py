"""The ``--workers`` supervisor: SIGTERM stops at once, even behind queued SIGHUP restarts, and queued SIGHUPs are one restart."""

from __future__ import annotations

import http.client
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import pytest

pytest.importorskip("uvicorn")
pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="SIGHUP restarts are POSIX only")

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _supervisor():
    import uvicorn

    from hiddenlayers.ship._serve.supervisor import Supervisor

    config = uvicorn.Config("hiddenlayers.ship._serve.serve:app_from_env", factory=True, workers=2, log_level="info")
    return Supervisor(config, sockets=[])


@pytest.fixture
def saved_handlers():
    """The supervisor installs process-wide handlers: put back the test process's own afterwards."""
    from uvicorn.supervisors.multiprocess import SIGNALS

    saved = {sig: signal.getsignal(sig) for sig in SIGNALS}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def test_queued_sighups_are_one_restart_and_other_signals_keep_their_order(saved_handlers) -> None:
    sup = _supervisor()
    handled: list[str] = []
    sup.handle_hup = lambda: handled.append("HUP")
    sup.handle_ttin = lambda: handled.append("TTIN")
    sup.signal_queue[:] = [signal.SIGHUP, signal.SIGTTIN, signal.SIGHUP, signal.SIGHUP]
    sup.handle_signals()
    assert handled == ["TTIN", "HUP"] and sup.signal_queue == []  # three queued reloads: one restart, after the TTIN
    sup.signal_queue[:] = [signal.SIGHUP]
    sup.handle_signals()
    assert handled == ["TTIN", "HUP", "HUP"]  # a lone SIGHUP is a restart, as in uvicorn


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_sets_the_exit_flag_from_the_handler_not_the_main_loop(saved_handlers, caplog: pytest.LogCaptureFixture, sig: int) -> None:
    # uvicorn's handler only queues the signal, so a restart in progress (which reads the flag) never saw it
    sup = _supervisor()
    log = logging.getLogger("uvicorn.error")  # uvicorn's logging config does not propagate it to the root, caplog's place
    log.addHandler(caplog.handler)
    try:
        os.kill(os.getpid(), sig)
        assert sup.should_exit.wait(10)  # set by the watcher thread, with no main-loop turn in between
    finally:
        log.removeHandler(caplog.handler)
    assert sup.signal_queue == []  # not queued behind restarts: the flag ends uvicorn's loop
    assert f"Received {signal.Signals(sig).name}, exiting." in caplog.messages  # uvicorn's words, logged by the watcher


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ready(port: int) -> bool:
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        c.request("GET", "/ready")
        return c.getresponse().status == 200
    except OSError:
        return False


def test_sigterm_behind_queued_sighups_starts_no_more_workers_and_exits_cleanly(tmp_path: Path) -> None:
    # Three SIGHUPs then a SIGTERM: uvicorn's supervisor ran the three rolling restarts (six new workers,
    # each waiting for its health check) before it looked at the SIGTERM. Now at most the one new worker a
    # restart already began is started (and killed), and the server drains and exits 0.
    import numpy as np

    import hiddenlayers as hl

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    with warnings.catch_warnings():  # three epochs: a model to serve, not to judge
        warnings.simplefilter("ignore")
        model = hl.MLPClassifier(hidden_layer_sizes=(4,), max_iter=3, random_state=0).fit(X, X[:, 0] > 0)
    model.save(tmp_path / "m.safetensors")
    port = _free_port()
    cmd = [sys.executable, "-c", "from hiddenlayers.cli import main; main()", "serve", str(tmp_path / "m.safetensors"),
           "--port", str(port), "--workers", "2", "--log-level", "info"]
    proc = subprocess.Popen(cmd, env={**os.environ, "PYTHONPATH": SRC}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []  # the server's log as it comes (a thread reads it, so the pipe never fills)

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        deadline = time.time() + 300  # a bound on a hang, not a timing claim
        # until both first workers have logged their start (it was a fixed second, which a loaded machine could outlast)
        while "".join(lines).count("Started server process") < 2 and time.time() < deadline and proc.poll() is None:
            time.sleep(0.05)
        while not _ready(port) and time.time() < deadline and proc.poll() is None:
            time.sleep(0.2)
        assert proc.poll() is None, "".join(lines)
        for _ in range(3):
            proc.send_signal(signal.SIGHUP)
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        reader.join(timeout=60)
    err = "".join(lines)
    assert proc.returncode == 0, err
    assert "Received SIGTERM, exiting." in err
    assert 2 <= err.count("Started server process") <= 3, err  # uvicorn's supervisor: 8 (2 + three restarts of 2)
