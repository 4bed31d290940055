"""Requests the HTTP parser refuses before the app sees them, answered in the server's own error shape.

uvicorn's parser (httptools, or h11 without it) refuses a request whose framing it cannot read: a ``Content-Length``
that is not digits (``abc``, ``-5``, ``1e3``, ``+31``), one too large to count, several ``Content-Length`` headers, one
beside ``Transfer-Encoding``, or bytes after a body that are not a request (a ``Content-Length`` shorter than its body).
uvicorn answered those with a plain-text ``Invalid HTTP request received.`` that named nothing, and the app's
``/metrics`` never counted them. The protocol (:mod:`.grace`) now answers them with :func:`error_body`, the body every
other refusal has, worded by :func:`framing_refusal`, and counts them through the hook the app's lifespan puts in
uvicorn's shared state under :data:`REFUSED_KEY`. The connection is closed after the answer: once the framing is
lost, the bytes that follow cannot be told apart.
"""

from __future__ import annotations

import json
from collections.abc import Callable

#: the key of uvicorn's lifespan state (shared with every connection's protocol) that holds ``refused(path, status, seconds)``,
#: the app's count of a request the protocol answered itself
REFUSED_KEY = "hiddenlayers.refused"

Refused = Callable[[str, int, float], None]

_LENGTH_FIX = "send one Content-Length header, the body's length in bytes as digits (e.g. Content-Length: 42)"


def error_body(message: str) -> bytes:
    """The body of every refusal of the server: one JSON line ``{"error": message}``."""
    return json.dumps({"error": message}, separators=(",", ":"), allow_nan=False).encode() + b"\n"


def framing_refusal(reason: str, after_request: bool) -> str:
    """The one-line message for a request the HTTP parser refused with ``reason`` (its exception's text).

    ``after_request``: a request was read before on this connection, so bytes past that request's body (its
    ``Content-Length`` shorter than the body it sent) are the likeliest cause of what does not parse.
    """
    said = reason.strip().splitlines()[0][:120] if reason.strip() else "unreadable"
    low = said.lower()
    if "content-length" in low and ("duplicate" in low or "conflicting" in low):
        return f"the request has more than one Content-Length header ({said}): {_LENGTH_FIX}."
    if "content-length" in low and "transfer-encoding" in low:
        return (f"the request has both Content-Length and Transfer-Encoding ({said}): send one of them, "
                "Content-Length with the body's length in bytes or Transfer-Encoding: chunked.")
    if "content-length" in low and "overflow" in low:
        return f"the request's Content-Length is too large to count ({said}): {_LENGTH_FIX}."
    if "content-length" in low:
        return f"the request's Content-Length is not a length in bytes ({said}): {_LENGTH_FIX}."
    if "transfer-encoding" in low:
        return f"the request's Transfer-Encoding is not one the server reads ({said}): send Transfer-Encoding: chunked, or a Content-Length."
    if after_request:
        return (f"the bytes after the previous request on this connection are not an HTTP request ({said}): "
                "the previous request's Content-Length was likely shorter than its body; send the body's length in bytes.")
    return f"the request is not valid HTTP/1.1 ({said}): send a request line, headers, a blank line, then the body."


def raw_400(message: str, default_headers: list[tuple[bytes, bytes]]) -> bytes:
    """A whole HTTP/1.1 400 response carrying :func:`error_body` of ``message``, closing the connection.

    ``default_headers``: uvicorn's (``date``, and ``server`` unless turned off), as its own plain-text 400 had them.
    Written as bytes, as uvicorn writes its own: the parser that would frame it is the one that failed.
    """
    body = error_body(message)
    head = [b"HTTP/1.1 400 Bad Request\r\n", *(name + b": " + value + b"\r\n" for name, value in default_headers),
            b"content-type: application/json\r\n", b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
            b"connection: close\r\n", b"\r\n"]
    return b"".join(head) + body


__all__ = ["REFUSED_KEY", "Refused", "error_body", "framing_refusal", "raw_400"]
