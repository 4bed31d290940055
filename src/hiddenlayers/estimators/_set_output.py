"""scikit-learn's ``set_output`` for the estimators' ``transform`` (hidden activations as pandas or polars frames).

The estimators have ``transform(X, layer=k)``, so scikit-learn treats them as transformers: a
``Pipeline(...).set_output(transform="pandas")`` calls ``set_output`` on every step that has
``transform`` and fails on one that lacks it. The configuration lives where scikit-learn keeps it
(``_sklearn_output_config``, which ``clone`` copies); an unset estimator follows the global
``sklearn.set_config(transform_output=...)``, as scikit-learn's own transformers do.

:class:`HiddenOutput` gives ``set_output`` and ``get_feature_names_out`` to every estimator whose
``transform`` returns a hidden layer's activations (the MLPs, ``ImageClassifier``, ``SequenceClassifier``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

KINDS = ("default", "pandas", "polars")


def configure(est: Any, transform: str | None) -> None:
    """Record ``transform`` (``"default"``, ``"pandas"``, ``"polars"``; ``None`` leaves the setting as it is) on ``est``."""
    if transform is None:
        return
    if transform not in KINDS:
        raise ValueError(f"set_output's transform must be one of {list(KINDS)} or None. Received: transform={transform!r}.")
    if transform == "polars":
        _polars()
    est._sklearn_output_config = {**getattr(est, "_sklearn_output_config", {}), "transform": transform}


def output_kind(est: Any) -> str:
    """The container ``transform`` returns: the estimator's own setting, else scikit-learn's global one."""
    from sklearn import get_config

    own = getattr(est, "_sklearn_output_config", {}).get("transform")
    return str(own if own is not None else get_config()["transform_output"])


def unit_names(layer: str, units: int) -> list[str]:
    """``layer_0 ... layer_{units-1}`` (``hidden2_0``, ...): the columns of hidden layer ``layer``'s activations."""
    return [f"{layer}_{j}" for j in range(units)]


def hidden_output(est: Any, values: np.ndarray, X: Any, layer: str) -> Any:
    """``values`` of hidden layer ``layer`` as the container ``est`` is set to return, columns :func:`unit_names`.

    A pandas frame keeps the index of a pandas ``X`` (as scikit-learn's transformers do). A frame holds 2-D output only:
    a sequence-shaped layer's ``(n, steps, units)`` is refused.

    Parameters
    ----------
    est : estimator
        Its ``set_output`` setting picks the container.
    values : numpy.ndarray of shape (n, units)
        The activations.
    X : array-like
        The rows they came from (a pandas ``X`` gives the index).
    layer : str
        The layer's name (``hidden2``).
    """
    kind = output_kind(est)
    if kind != "default" and values.ndim != 2:
        raise ValueError(f"set_output(transform={kind!r}) returns a 2-D frame, but {layer}'s output has shape {values.shape} (one row per "
                         "step of each sequence): transform with a layer that summarises the sequence, or set_output(transform='default').")
    names = unit_names(layer, values.shape[1]) if values.ndim == 2 else []
    if kind == "pandas":
        import pandas as pd

        index = X.index if isinstance(X, pd.DataFrame) else None
        return pd.DataFrame(values, columns=names, index=index, copy=False)
    if kind == "polars":
        return _polars().DataFrame(values, schema=names, orient="row")
    return values


def _polars() -> Any:
    try:
        import polars
    except ImportError:
        raise ValueError("set_output(transform='polars') needs polars: pip install polars, or use transform='pandas'.") from None
    return polars


class HiddenOutput:
    """``set_output`` and ``get_feature_names_out`` for an estimator whose ``transform(X, layer=k)`` returns hidden
    layer activations; it has ``network_`` (a :class:`~hiddenlayers.network.Network`) and ``_require_fitted``, and
    its ``transform`` ends in :func:`hidden_output`."""

    def set_output(self, *, transform: str | None = None) -> Any:
        """Container of ``transform``'s activations, as scikit-learn's ``set_output``; returns the estimator.

        So ``Pipeline(...).set_output(transform="pandas")`` works with this estimator in it; columns are ``hiddenK_j`` (unit
        ``j`` of hidden layer ``K``, 0-based; a convolution's ``(channels, height, width)`` output flattened in that order), a
        pandas ``X`` keeps its index.

        Parameters
        ----------
        transform : {"default", "pandas", "polars"}, optional
            ``"default"``: NumPy; None keeps the current setting.
        """
        configure(self, transform)
        return self

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of ``transform``'s default output, the last hidden layer's units: ``hiddenK_0 ... hiddenK_{units-1}``.

        Parameters
        ----------
        input_features : array-like of str, optional
            Accepted for scikit-learn's API and not used (the names are the units').
        """
        est: Any = self
        est._require_fitted()
        net = est.network_
        if not net.hidden_names:
            raise ValueError("this model has no hidden layers to transform with")
        shape = tuple(net.hidden_shapes[-1])
        if len(shape) == 2:  # (steps, units): a sequence-shaped layer (an image layer's is (channels, height, width))
            raise ValueError(f"{net.hidden_names[-1]}'s output is one row per step of each sequence (shape (steps, {shape[-1]}) "
                             "per sample): it has no fixed columns to name; transform with a layer that summarises the sequence.")
        return np.asarray(unit_names(net.hidden_names[-1], int(np.prod(shape))), dtype=object)
