"""The server's HTTP protocol: uvicorn's own, with a grace window for connections a shutdown finds before their request.

uvicorn's graceful shutdown (SIGTERM, and each old worker of a ``SIGHUP`` rolling restart with ``--workers``)
closes at once every connection with no request in progress. That includes a client that has just connected:
accepted by this worker, its request bytes not yet read. Its request is then lost (the client sees the connection
reset) although the server never refused it, so under load a rolling restart lost a request now and then.
Here such a connection gets :data:`GRACE_S` seconds for its request to arrive: a request that arrives is answered
and its connection then closed; a connection still without one is closed as uvicorn closes it. A connection
that has answered a request and waits for another (keep-alive) is closed at once, as uvicorn does: its client
may be sending the next request at that moment, the keep-alive race every HTTP client has to retry.

A request uvicorn's parser refuses (a ``Content-Length`` that is not digits, several of them, one beside
``Transfer-Encoding``, bytes after a body that are no request) is answered here in the server's JSON error shape, its
problem and fix named (:mod:`.framing`), and counted in ``/metrics`` as a 400 of its path; uvicorn's own answer
was a plain-text ``Invalid HTTP request received.`` that no metric saw.

uvicorn takes the class by name (``http="hiddenlayers.ship._serve.grace:GraceProtocol"``), so each worker
process imports it; it is the protocol uvicorn's ``"auto"`` picks (httptools if installed, else h11).
"""

from __future__ import annotations

import sys
import time
from typing import Any

from uvicorn.protocols.http.auto import AutoHTTPProtocol

from .framing import REFUSED_KEY, framing_refusal, raw_400

#: seconds a connection accepted before the shutdown has for its request to arrive
GRACE_S = 1.0
#: the name uvicorn imports the protocol by, in the server and in each worker process
PROTOCOL = "hiddenlayers.ship._serve.grace:GraceProtocol"


class GraceProtocol(AutoHTTPProtocol):  # type: ignore[misc, valid-type]  # uvicorn's auto protocol is a class chosen at import
    """uvicorn's HTTP protocol whose ``shutdown`` waits up to :data:`GRACE_S` for a fresh connection's request,
    and whose refusal of a request it cannot parse is the server's JSON 400."""

    _draining = False
    _received_at = 0.0

    def data_received(self, data: bytes) -> None:
        self._received_at = time.perf_counter()  # a parser refusal's latency counts from the bytes that failed
        super().data_received(data)
        this: Any = self
        if self._draining and this.cycle is not None:
            this.cycle.keep_alive = False  # answered during the shutdown: closed after its response

    def send_400_response(self, msg: str) -> None:
        """Answer a request the parser refused (uvicorn calls this in its ``except``, so the parser's reason is the
        exception being handled) with the server's one-line JSON error, close the connection, and count it."""
        this: Any = self
        reason = str(sys.exc_info()[1] or msg)
        this.transport.write(raw_400(framing_refusal(reason, after_request=this.cycle is not None), this.server_state.default_headers))
        this.transport.close()
        refused = this.app_state.get(REFUSED_KEY)
        if refused is not None:  # the app's lifespan put its counter there (absent with lifespan="off")
            url = getattr(this, "url", b"") or b""  # the target as httptools read it so far; h11 keeps none
            refused(url.split(b"?")[0].decode("ascii", "replace"), 400, time.perf_counter() - self._received_at)

    def shutdown(self) -> None:
        this: Any = self
        if this.cycle is None:  # no request has begun on this connection yet: let it arrive
            self._draining = True
            this.loop.call_later(GRACE_S, self._close_if_no_request)
            return
        super().shutdown()

    def _close_if_no_request(self) -> None:
        this: Any = self
        if this.cycle is None and not this.transport.is_closing():
            super().shutdown()


__all__ = ["GRACE_S", "GraceProtocol", "PROTOCOL"]
