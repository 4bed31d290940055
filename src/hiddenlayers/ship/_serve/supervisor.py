"""The ``--workers`` supervisor: uvicorn's, made to stop at once on SIGTERM and to fold queued SIGHUPs into one restart.

uvicorn's supervisor queues every signal and handles them one at a time in its main loop, and a ``SIGHUP``
is a rolling restart that waits for each new worker's health check (up to two minutes here, see ``serve``).
So a ``SIGTERM`` sent behind a few queued ``SIGHUP``\\ s (a reload or two, then a rollout's stop) waited for
every restart to finish: minutes on a busy machine, past an orchestrator's grace period, after which the
whole server is killed mid-request. Here:

* ``SIGTERM``/``SIGINT`` set uvicorn's exit flag at once, so a restart in progress stops at its next step
  (uvicorn's restart loop and its wait for a new worker both read the flag) and the workers drain and stop;
* several ``SIGHUP`` waiting in the queue are one restart: each new worker loads the model file as it is
  then, so one restart serves the newest file as well as several in a row would.

The flag is a ``threading.Event``, whose ``set`` takes a lock that the main thread may hold when the signal
arrives; so the handler only writes a byte to a pipe (async-signal-safe) and a watcher thread sets the flag.
"""

from __future__ import annotations

import inspect
import logging
import os
import signal
import threading
from typing import Any

import uvicorn
from uvicorn.supervisors.multiprocess import Multiprocess

logger = logging.getLogger("uvicorn.error")
_STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM") if hasattr(signal, name))


class Supervisor(Multiprocess):  # type: ignore[misc]  # uvicorn ships no type information for its supervisors
    """uvicorn's ``Multiprocess`` supervisor with an immediate stop and coalesced restarts (see the module)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        read_end, self._wake = os.pipe()

        def watch() -> None:
            sig = os.read(read_end, 1)[0]  # blocks until a stop signal writes its number
            logger.info("Received %s, exiting.", signal.Signals(sig).name)  # uvicorn's words, which its loop no longer reaches
            self.should_exit.set()

        threading.Thread(target=watch, name="hiddenlayers-serve-stop", daemon=True).start()
        for sig in _STOP_SIGNALS:
            signal.signal(sig, self._on_stop)

    def _on_stop(self, sig: int, frame: Any) -> None:
        os.write(self._wake, bytes([sig]))  # not queued: the watcher logs it and sets the flag, which ends uvicorn's loop

    def handle_signals(self) -> None:
        """Drop all but the last of several queued ``SIGHUP``, then handle the queue as uvicorn does."""
        hup = getattr(signal, "SIGHUP", None)
        queue: list[int] = self.signal_queue
        while hup is not None and queue.count(hup) > 1:
            queue.remove(hup)  # removes the first; a signal appended meanwhile goes at the end, untouched
        super().handle_signals()


def run_workers(app: str, workers: int, **options: Any) -> None:
    """Serve ``app`` (an import string of an app factory) from ``workers`` processes under :class:`Supervisor`.

    What ``uvicorn.run(app, factory=True, workers=workers, **options)`` does, with the supervisor replaced.
    """
    config = uvicorn.Config(app, factory=True, workers=workers, **options)
    sock = config.bind_socket()
    extra: dict[str, Any] = {}
    if "target" in inspect.signature(Multiprocess.__init__).parameters:  # older uvicorn took the server's run too
        extra["target"] = uvicorn.Server(config=config).run
    try:
        Supervisor(config, sockets=[sock], **extra).run()
    except KeyboardInterrupt:  # as uvicorn.run: a Ctrl-C that lands outside the supervisor's handlers ends quietly
        pass
    finally:
        sock.close()


__all__ = ["Supervisor", "run_workers"]
