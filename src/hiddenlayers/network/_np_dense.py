"""The activation names and the NumPy dense forward pass, without PyTorch.

What a plain dense network computes at inference (``h = activation(h @ W + b)`` per
hidden layer, then the head) needs NumPy alone, so it lives here, apart from the
PyTorch layers of :mod:`._layers`: the estimators' ``predict`` on the CPU and the
server's NumPy path (``hiddenlayers serve model.safetensors`` of a table MLP,
which imports neither PyTorch nor scikit-learn) run these same functions, so their
answers are the same bits. The activation names and aliases are resolved here
too, so a spec (:mod:`._spec`) parses without PyTorch.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..exceptions import SpecError

_SQRT1_2 = 1.0 / math.sqrt(2.0)
LEAKY_SLOPE = 0.01


def np_sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function of ``z`` (any shape), without overflow for large negative ``z``."""
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def np_erf(z: np.ndarray) -> np.ndarray:
    """The error function of ``z`` (SciPy's, imported only when a GELU network runs)."""
    from scipy.special import erf

    return erf(z)  # type: ignore[no-any-return]


#: each activation's NumPy forward, by canonical name, in the order the activation table lists them
NP_FORWARD: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "identity": lambda z: z,
    "relu": lambda z: np.maximum(z, 0),
    "leaky_relu": lambda z: np.where(z > 0, z, LEAKY_SLOPE * z),
    "elu": lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0))),
    "gelu": lambda z: 0.5 * z * (1.0 + np_erf(z * _SQRT1_2)),
    "silu": lambda z: z * np_sigmoid(z),
    "tanh": np.tanh,
    "logistic": np_sigmoid,
    "softplus": lambda z: np.logaddexp(0.0, z),
}
ALIASES = {"sigmoid": "logistic", "linear": "identity", "swish": "silu", "none": "identity"}


def activation_names() -> list[str]:
    """All accepted activation names, canonical ones first, then aliases."""
    return [*NP_FORWARD, *ALIASES]


def canonical_activation(name: str) -> str:
    """The canonical table name for ``name`` (``"sigmoid"`` -> ``"logistic"``, case and spaces ignored).

    An unknown name raises :class:`SpecError` that lists the valid names and
    suggests the closest one.
    """
    if not isinstance(name, str):
        raise SpecError(f"activation must be a string, one of {', '.join(activation_names())}. Received: {name!r}.")
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    if key in NP_FORWARD:
        return key
    close = difflib.get_close_matches(key, activation_names(), n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    raise SpecError(f"unknown activation '{name}': use one of {', '.join(activation_names())}.{hint}")


def dense_forward(layers: Sequence[tuple[Any, Any]], acts: Sequence[Callable[[np.ndarray], np.ndarray]], X: Any, dtype: Any,
                  layer: int | None = None) -> np.ndarray:
    """Head outputs ``(n, n_outputs)``, or hidden layer ``layer``'s activations (0-based), of a plain dense network.

    ``layers``: ``(W, b)`` per dense map, the head last, ``W`` of shape ``(in, out)`` in ``dtype``; ``acts``: the
    NumPy forward of each hidden layer (:data:`NP_FORWARD`); ``X``: ``(n, in)`` rows, dense or a SciPy sparse matrix
    (multiplied as it is stored); ``dtype``: the network's float type, which ``X`` is cast to first.
    """
    with np.errstate(over="ignore"):  # a value beyond float32 becomes inf here: said by the caller, in one error, not a RuntimeWarning
        h = X.astype(dtype, copy=False)
    with np.errstate(invalid="ignore", over="ignore"):
        for k, ((W, b), act) in enumerate(zip(layers[:-1], acts)):
            h = act(np.asarray(h @ W) + b)
            if k == layer:
                return h  # type: ignore[no-any-return]
        W, b = layers[-1]
        return np.asarray(h @ W) + b  # type: ignore[no-any-return]


__all__ = ["ALIASES", "LEAKY_SLOPE", "NP_FORWARD", "activation_names", "canonical_activation", "dense_forward", "np_erf", "np_sigmoid"]
