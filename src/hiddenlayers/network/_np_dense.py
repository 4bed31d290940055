"""The activation names and the NumPy dense forward pass, without PyTorch.

What a table's dense network computes at inference (``h = activation(norm(h @ W + b))``
per hidden layer, then the head; dropout is the identity then) needs NumPy alone, so it
lives here, apart from the PyTorch layers of :mod:`._layers`: the estimators' ``predict``
on the CPU and the server's NumPy path (``hiddenlayers serve model.safetensors`` of a
table MLP, which imports neither PyTorch nor scikit-learn) run these same functions, so
their answers are the same bits. A norm is its eval-mode map (:func:`batch_norm_map`:
the running statistics; :func:`layer_norm_map`). The activation names and aliases are
resolved here too, so a spec (:mod:`._spec`) parses without PyTorch.
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
NORM_EPS = 1e-5  # the eps a dense layer's norms add to the variance (nn.BatchNorm1d's and nn.LayerNorm's default, which it builds them with)
NpMap = Callable[[np.ndarray], np.ndarray]


def np_sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function of ``z``, without overflow for large negative ``z``.

    Parameters
    ----------
    z : numpy.ndarray
        Any shape.
    """
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

    An unknown name raises :class:`SpecError` that lists the valid names and suggests the closest one.

    Parameters
    ----------
    name : str
        An activation's name or alias.
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


def batch_norm_map(mean: np.ndarray, var: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None, eps: float,
                   dtype: Any) -> NpMap:
    """Batch norm in eval mode as a NumPy map of ``z`` ``(n, units)``: ``z * scale + shift``.

    ``scale = weight / sqrt(var + eps)`` and ``shift = bias - mean * scale`` are computed once in ``dtype``, as PyTorch's
    CPU kernel folds its running statistics.

    Parameters
    ----------
    mean : numpy.ndarray of shape (units,)
        The running mean.
    var : numpy.ndarray of shape (units,)
        The running variance.
    weight : numpy.ndarray of shape (units,) or None
        The affine scale (None: 1).
    bias : numpy.ndarray of shape (units,) or None
        The affine shift (None: 0).
    eps : float
        Added to the variance.
    dtype : numpy dtype
        The network's float type.
    """
    dt = np.dtype(dtype)
    scale = (1.0 / np.sqrt(var.astype(dt) + dt.type(eps))).astype(dt, copy=False)
    if weight is not None:
        scale = scale * weight.astype(dt)
    shift = -mean.astype(dt) * scale
    if bias is not None:
        shift = bias.astype(dt) + shift
    return lambda z: z * scale + shift


def layer_norm_map(weight: np.ndarray | None, bias: np.ndarray | None, eps: float, dtype: Any) -> NpMap:
    """Layer norm as a NumPy map of ``z`` ``(n, units)``: each row less its mean, over ``sqrt(variance + eps)``, times ``weight`` plus ``bias``.

    The variance is the biased one, over the row's units. A row whose variance overflows ``dtype`` (float32 squares the
    spread: values near 1e20 and beyond) gives NaN, never a number: the estimators and the server refuse that row by
    name, as they refuse any non-finite output.

    Parameters
    ----------
    weight, bias, eps, dtype
        As :func:`batch_norm_map` takes them: the affine scale and shift ``(units,)`` (None: 1 and 0), what is added
        to the variance, and the network's float type.
    """
    dt = np.dtype(dtype)
    w = None if weight is None else weight.astype(dt)
    b = None if bias is None else bias.astype(dt)
    e = dt.type(eps)

    def norm(z: np.ndarray) -> np.ndarray:
        d = z - z.mean(axis=1, keepdims=True)  # (n, units)
        var = np.mean(d * d, axis=1, keepdims=True)  # (n, 1)
        rstd = np.where(np.isfinite(var), 1.0 / np.sqrt(var + e), np.nan).astype(z.dtype, copy=False)
        out = d * rstd
        if w is not None:
            out *= w
        if b is not None:
            out += b
        return out

    return norm


def dense_forward(layers: Sequence[tuple[Any, Any]], acts: Sequence[NpMap], X: Any, dtype: Any, layer: int | None = None,
                  norms: Sequence[NpMap | None] | None = None) -> np.ndarray:
    """Head outputs ``(n, n_outputs)``, or hidden layer ``layer``'s activations, of a table's dense network at inference.

    Dropout, the identity at inference, has no step.

    Parameters
    ----------
    layers : sequence of (W, b)
        Per dense map, the head last, ``W`` of shape ``(in, out)`` in ``dtype``.
    acts : sequence of callables
        The NumPy forward of each hidden layer (:data:`NP_FORWARD`).
    X : array-like of shape (n, in)
        Rows, dense or a SciPy sparse matrix (multiplied as it is stored).
    dtype : numpy dtype
        The network's float type, which ``X`` is cast to first.
    layer : int, optional
        Return this hidden layer's activations (0-based) instead of the head's outputs.
    norms : sequence of callables or None, optional
        Each hidden layer's eval-mode norm map between its dense map and its activation (:func:`batch_norm_map`,
        :func:`layer_norm_map`; None: no norm there); None for none at all.
    """
    norms = norms or [None] * len(acts)
    # a value beyond float32 becomes inf in the cast, an overflow NaN in a layer: said by the caller, in one error, not a RuntimeWarning
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        h = X.astype(dtype, copy=False)
        for k, ((W, b), act, norm) in enumerate(zip(layers[:-1], acts, norms)):
            z = np.asarray(h @ W) + b
            h = act(z if norm is None else norm(z))
            if k == layer:
                return h  # type: ignore[no-any-return]
        W, b = layers[-1]
        return np.asarray(h @ W) + b  # type: ignore[no-any-return]


__all__ = ["ALIASES", "LEAKY_SLOPE", "NORM_EPS", "NP_FORWARD", "NpMap", "activation_names", "batch_norm_map", "canonical_activation", "dense_forward",
           "layer_norm_map", "np_erf", "np_sigmoid"]
