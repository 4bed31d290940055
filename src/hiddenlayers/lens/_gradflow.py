"""Gradient flow during training: a callback for the fit loop.

After every epoch it records, per hidden layer with weights (dense, convolution,
LSTM/GRU: all its weight matrices taken as one vector; biases left out): the
gradient norm of the last batch (``.grad`` is still populated when
``on_epoch_end`` runs), the weight norm, the update/weight ratio (``‖W_end − W_start‖ / ‖W_start‖`` over the
epoch) and, when a data sample is given, activation statistics (mean, std,
fraction active, dead and saturated units). Records go to
``history.extra["gradient_flow"]`` (one JSON-able dict per epoch), so they
land in the estimator's ``history_`` and in its model file.

>>> import hiddenlayers as hl
>>> from sklearn.datasets import load_iris
>>> X, y = load_iris(return_X_y=True)
>>> clf = hl.MLPClassifier((8,), max_iter=5, callbacks=[GradientFlow(X[:512])], random_state=0).fit(X, y)
>>> clf.history_.extra["gradient_flow"][-1]["layers"]["hidden1"]["grad_norm"] > 0
True
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn

from ..training import Callback
from ._target import check_max_rows, require_finite

KEY = "gradient_flow"


_WEIGHTED = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)


def _weights(layer: nn.Module) -> list[torch.Tensor]:
    """The weight matrices (or kernels) of one hidden layer; biases and normalisation scales are left out.

    A dense layer has one (``linear.weight``); a convolution its kernel; an LSTM/GRU its
    ``weight_ih_l*`` and ``weight_hh_l*``; a pooling layer none.
    """
    lin = getattr(layer, "linear", None)
    own = getattr(lin, "weight", None) if lin is not None else getattr(layer, "weight", None)
    if isinstance(own, torch.Tensor):
        return [own]
    out: list[torch.Tensor] = []
    for mod in layer.modules():
        if isinstance(mod, _WEIGHTED):
            out.append(mod.weight)
        elif isinstance(mod, nn.RNNBase):
            out.extend(p for n, p in mod.named_parameters() if n.startswith("weight"))
    return out


def _norm(ts: list[torch.Tensor]) -> float:
    """The Frobenius norm of several tensors taken as one vector."""
    return math.sqrt(sum(float(t.detach().double().square().sum()) for t in ts))


def _hidden(network: nn.Module) -> dict[str, nn.Module]:
    names = getattr(network, "hidden_names", None)
    if names:
        return {n: getattr(network, n) for n in names}
    return {n: m for n, m in network.named_modules() if n and isinstance(m, (*_WEIGHTED, nn.RNNBase))}


class GradientFlow(Callback):
    """Record per-layer gradient norm, weight norm, update ratio and activation stats each epoch.

    ``X``: optional ``(n, features)`` sample (at most ``max_rows`` rows used)
    for activation statistics; without it only gradients and weights are kept.
    ``every``: record every k-th epoch (cost: one forward pass on the sample).
    """

    def __init__(self, X: Any = None, *, every: int = 1, max_rows: int | None = 1024) -> None:
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be an integer >= 1. Received: every={every!r}.")
        rows = check_max_rows(max_rows)
        if X is not None:
            require_finite(X)
        self.X, self.every, self.max_rows = X, every, rows
        self._start: dict[str, list[torch.Tensor]] = {}

    def on_epoch_begin(self, **kwargs: Any) -> None:
        network = kwargs.get("network")
        epoch = int(kwargs.get("epoch", 0))
        if network is None or epoch % self.every:
            self._start = {}
            return
        self._start = {n: [w.detach().clone() for w in ws] for n, m in _hidden(network).items() if (ws := _weights(m))}

    def on_epoch_end(self, **kwargs: Any) -> None:
        network, history = kwargs.get("network"), kwargs.get("history")
        if network is None or history is None or not history.epoch:
            return
        epoch = int(history.epoch[-1])
        if epoch % self.every:
            return
        layers: dict[str, dict[str, Any]] = {}
        for name, mod in _hidden(network).items():
            ws = _weights(mod)
            if not ws:
                continue  # pooling, flatten: nothing learned
            grads = [w.grad for w in ws if w.grad is not None]
            row: dict[str, Any] = {"weight_norm": _norm(ws), "grad_norm": _norm(grads) if grads else math.nan}
            start = self._start.get(name)
            if start is not None and [t.shape for t in start] == [w.shape for w in ws]:
                base = _norm(start)
                row["update_ratio"] = _norm([w.detach() - s for w, s in zip(ws, start)]) / base if base > 0 else math.nan
            layers[name] = row
        if self.X is not None:
            self._activation_stats(network, layers)
        history.extra.setdefault(KEY, []).append({"epoch": epoch, "layers": layers})

    def _activation_stats(self, network: nn.Module, layers: dict[str, dict[str, Any]]) -> None:
        from ._record import NonFiniteActivations, record

        X = self.X[: self.max_rows]
        names = [n for n in layers if n in dict(network.named_modules())]
        if not names:
            return
        try:
            rec = record(network, X if not hasattr(X, "to_numpy") else X.to_numpy(), names, stream=True, sample=1, pre=False)
        except NonFiniteActivations:
            return  # a diverged epoch: training reports it; its activation statistics are left missing (NaN in the table)
        for name, s in rec.stats.items():
            layers[name].update(
                act_mean=float(s.mean.mean()), act_std=float(s.std.mean()), fraction_active=float(s.fraction_active.mean()),
                dead=s.n_dead, saturated=s.n_saturated, units=s.units,
            )


def gradient_flow_table(history: Any) -> dict[str, dict[str, np.ndarray]]:
    """``{layer: {metric: (epochs,) array}}`` from ``history.extra["gradient_flow"]`` (missing -> NaN)."""
    records = (getattr(history, "extra", None) or {}).get(KEY, [])
    names: list[str] = []
    for r in records:
        for n in r["layers"]:
            if n not in names:
                names.append(n)
    out: dict[str, dict[str, np.ndarray]] = {}
    for n in names:
        metrics: dict[str, list[float]] = {}
        for r in records:
            row = r["layers"].get(n, {})
            for k in ("grad_norm", "weight_norm", "update_ratio", "fraction_active", "dead", "saturated", "act_std"):
                v = row.get(k, math.nan)
                metrics.setdefault(k, []).append(float(v) if v is not None else math.nan)
        out[n] = {k: np.asarray(v, dtype=float) for k, v in metrics.items()}
        out[n]["epoch"] = np.asarray([r["epoch"] for r in records], dtype=float)
    return out


__all__ = ["GradientFlow", "gradient_flow_table"]
