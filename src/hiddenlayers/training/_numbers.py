"""Checks of the numbers the training stage takes (rules, schedules, optimizers, :func:`train`).

Each raises one ``TypeError``/``ValueError`` line in the library's shape: the
parameter, what is allowed, what was received and how to fix it. They run
once per call, before any weight moves, so a bad number changes nothing.
"""

from __future__ import annotations

import math
import numbers
from typing import Any


def whole(name: str, value: Any, low: int, meaning: str) -> int:
    """``value`` as an int ``>= low``: an int, or a float with no fraction (``2.0``); ``2.7`` or ``True`` is an error.

    ``meaning`` says what the number counts, for the message.
    """
    arg = name.split()[-1]  # "MaxEpochs n" is received as n=...
    ok = isinstance(value, numbers.Integral) or (isinstance(value, float) and value.is_integer())
    if isinstance(value, bool) or not ok:
        raise TypeError(f"{name} must be an integer >= {low} ({meaning}). Received: {arg}={value!r}; pass a whole number.")
    if int(value) < low:
        raise ValueError(f"{name} must be an integer >= {low} ({meaning}). Received: {arg}={value!r}.")
    return int(value)


def real(name: str, value: Any, *, low: float | None = None, high: float | None = None, low_open: bool = False,
         high_open: bool = False, finite: bool = True, meaning: str = "") -> float:
    """``value`` as a float in the interval ``[low, high]`` (ends open where asked); NaN is never allowed.

    ``finite=False`` lets ``inf`` through where the interval does (a time limit of ``inf`` means none).
    """
    arg = name.split()[-1]
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number{_interval(low, high, low_open, high_open)}{_say(meaning)}. Received: {arg}={value!r}.")
    v = float(value)
    bad = math.isnan(v) or (finite and math.isinf(v))
    bad = bad or (low is not None and (v < low or (low_open and v == low)))
    bad = bad or (high is not None and (v > high or (high_open and v == high)))
    if bad:
        kind = "a finite number" if finite else "a number"
        raise ValueError(f"{name} must be {kind}{_interval(low, high, low_open, high_open)}{_say(meaning)}. Received: {arg}={value!r}.")
    return v


def _interval(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    """`` > 0``, `` in [0, 1)`` ...: the allowed range as the message states it."""
    if low is not None and high is not None:
        return f" in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    if low is not None:
        return f" {'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f" {'<' if high_open else '<='} {high:g}"
    return ""


def _say(meaning: str) -> str:
    return f" ({meaning})" if meaning else ""


__all__ = ["real", "whole"]
