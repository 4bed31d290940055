"""The server's settings checked by one rule, for ``hl.serve`` and ``hiddenlayers serve`` alike.

Why one rule: the command checked its options (``--max-rows 0`` refused) while ``hl.serve(path, max_rows=0)`` started a
server that answered every request 413, and ``hl.serve(path, port="8000")`` stopped with Python's own
"'<=' not supported between instances of 'int' and 'str'". :func:`check_serve_settings` names the parameter; the command
names its option (``max_rows`` -> ``--max-rows``).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

#: uvicorn's log levels, quietest first
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")

#: each numeric setting: (whether the value is within bounds, the bounds in words, whether it is a whole number)
_RULES: dict[str, tuple[Any, str, bool]] = {
    "port": (lambda v: 0 <= v <= 65535, "in 0..65535", True),
    "workers": (lambda v: v >= 1, ">= 1", True),
    "max_batch": (lambda v: v >= 1, ">= 1", True),
    "max_wait_us": (lambda v: v >= 0, ">= 0", True),
    "max_queue": (lambda v: v >= 1, ">= 1", True),
    "max_body": (lambda v: v >= 1024, ">= 1024 bytes", True),
    "max_rows": (lambda v: v >= 1, ">= 1", True),
    "read_timeout": (lambda v: v > 0, "> 0 seconds", False),
    "drain_timeout": (lambda v: v > 0, "> 0 seconds", False),
    "threads": (lambda v: v >= 1, ">= 1", True),
}


def check_serve_settings(**values: Any) -> None:
    """Refuse the first of ``values`` (``serve``'s keyword arguments: ``port``, ``workers``, ``max_batch``, ``max_wait_us``,
    ``max_queue``, ``max_body`` in bytes, ``max_rows``, ``read_timeout`` and ``drain_timeout`` in seconds, ``threads``,
    ``log_level``) that the server cannot run with, in one ``ValueError`` line that starts with its name
    (``"max_rows must be >= 1. Received: 0."``): a whole number where one is counted, a finite number of seconds, a known log level."""
    for name, value in values.items():
        if name == "log_level":
            if value not in LOG_LEVELS:
                raise ValueError(f"log_level must be one of {', '.join(LOG_LEVELS)}. Received: {value!r}.")
            continue
        within, words, whole = _RULES[name]
        kind = numbers.Integral if whole else numbers.Real
        if isinstance(value, bool) or not isinstance(value, kind) or not math.isfinite(value):
            raise ValueError(f"{name} must be {'an integer' if whole else 'a finite number'} {words}. Received: {value!r}.")
        if not within(value):
            raise ValueError(f"{name} must be {words}. Received: {value}.")


__all__ = ["LOG_LEVELS", "check_serve_settings"]
