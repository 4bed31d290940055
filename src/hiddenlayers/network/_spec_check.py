"""Field checks for the layer-spec dataclasses in :mod:`hiddenlayers.network._spec`.

Each helper coerces one constructor argument (integral numbers, flags, choices,
dropout) or raises a one-line :class:`SpecError` naming the field and the fix.
"""

from __future__ import annotations

import math
from typing import Any

from ..exceptions import SpecError

_NORM_ALIASES = {"batchnorm": "batch", "layernorm": "layer", "bn": "batch", "ln": "layer"}


def _check_dropout(dropout: Any) -> float:
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)):
        raise SpecError(f"dropout must be a number in [0, 1). Received: dropout={dropout!r}.")
    dropout = float(dropout)
    if not (0.0 <= dropout < 1.0) or math.isnan(dropout):
        raise SpecError(f"dropout must be in [0, 1). Received: dropout={dropout}.")
    return dropout


def _as_int(value: Any) -> int | None:
    """``value`` as a Python int when it is integral (int, NumPy int, 3.0), else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    try:
        import numpy as np

        if isinstance(value, np.integer):
            return int(value)
    except ImportError:  # pragma: no cover - numpy is a dependency
        pass
    return None


def _positive_int(value: Any, kind: str, name: str, minimum: int = 1) -> int:
    number = _as_int(value)
    if number is None:
        raise SpecError(f"{kind} layer {name} must be an integer >= {minimum}. Received: {name}={value!r}.")
    if number < minimum:
        raise SpecError(f"{kind} layer {name} must be an integer >= {minimum}. Received: {name}={number}.")
    return number


def _flag(value: Any, kind: str, name: str) -> bool:
    if not isinstance(value, bool):
        raise SpecError(f"{kind} layer {name} must be true or false. Received: {name}={value!r}.")
    return value


def _choice(value: Any, kind: str, name: str, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise SpecError(f"{kind} layer {name} must be one of {', '.join(map(repr, allowed))}. Received: {name}={value!r}.")
    return value


def _set(obj: Any, name: str, value: Any) -> None:
    object.__setattr__(obj, name, value)
