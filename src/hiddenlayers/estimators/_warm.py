"""A warm fit (``warm_start=True``, ``partial_fit``) goes on from the fitted network, so it refuses parameters that shape another one.

``hidden_layer_sizes``, ``activation`` (where a layer takes the default) and ``dtype`` are read when the network is built:
after :meth:`set_params` a warm fit would keep the old layers silently. Parameters of the training run itself
(``learning_rate_init``, ``max_iter``, ``alpha``, ``batch_size``, the solver's settings, ...) are read by every fit and stay free:
a ``learning_rate_init`` changed since the last call restarts the schedule at it (:func:`restart_changed_rate`).
``device`` is free too: a warm call trains where ``device`` now resolves, the fitted network and the kept optimizer moments
moved there first (:func:`follow_device`; a model unpickled on the CPU after a GPU fit, then ``set_params(device=...)``).
"""

from __future__ import annotations

from dataclasses import replace
from numbers import Real
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from ..network import Dense, Spec

if TYPE_CHECKING:
    from ._mlp_base import _BaseMLP

_DTYPE_NAMES = {torch.float32: "float32", torch.float64: "float64"}


def shown_sizes(spec: Spec) -> Any:
    """``spec`` as a user writes ``hidden_layer_sizes``: a tuple of widths for plain dense layers, else the spec's text."""
    layers = list(spec)
    if all(isinstance(layer, Dense) and layer == Dense(layer.units) for layer in layers):
        return tuple(layer.units for layer in layers)
    return spec.to_text()


def _resolved(spec: Spec, default: str | None) -> list[Any]:
    """``spec``'s layers with the default activation filled in where a layer names none (``default`` None: every activation left out)."""
    return [replace(layer, activation=(layer.activation or default) if default is not None else None)
            if hasattr(layer, "activation") else layer for layer in spec]


def refuse_new_shape(est: _BaseMLP, spec: Spec, incremental: bool) -> None:
    """A ValueError when ``est``'s ``hidden_layer_sizes`` (parsed: ``spec``), ``activation`` or ``dtype`` differs from those its
    fitted ``network_`` was built with, before a warm fit (``incremental``: ``partial_fit``) changes anything."""
    net = est.network_
    how = "partial_fit" if incremental else "warm_start=True"
    fix = ("call fit with warm_start=False" if incremental else "set warm_start=False")
    fix += " to train a new network (init_from=the fitted model copies its hidden layers where they match)"
    changed = None
    if _resolved(spec, est.activation) == _resolved(net.spec, net.default_activation):
        dtype = _DTYPE_NAMES.get(next(net.parameters()).dtype)
        if dtype is not None and dtype != est.dtype:
            changed = f"dtype={est.dtype!r}, but the fitted network's weights are {dtype!r}"
    elif _resolved(spec, None) == _resolved(net.spec, None) and est.activation != net.default_activation:
        changed = f"activation={est.activation!r}, but the fitted network's layers use activation={net.default_activation!r}"
    else:
        changed = f"hidden_layer_sizes={shown_sizes(spec)!r}, but the fitted network has hidden_layer_sizes={shown_sizes(net.spec)!r}"
    if changed is not None:
        raise ValueError(f"{how} goes on from the fitted network's layers, which this change would leave as they are. Received: "
                         f"{changed}; {fix}, or set the old value back.")


def follow_device(est: _BaseMLP) -> None:
    """Before a warm call: ``est.network_`` (parameters and buffers, in place) and the tensors of the kept optimizer state
    (Adam's moments, SGD's velocity) on ``est._device``, the device ``device`` resolves to for this call.

    Without it a warm fit after ``set_params(device=...)`` (or after unpickling a GPU model) trained the network where it
    was while the data went to the new device. (``weight_averaging`` keeps no state between calls: each starts from these weights.)
    Nothing moves when everything is already there (the usual ``"cpu"`` -> ``"cpu"``: the same tensors, bit for bit).
    The parameters move in place (CPU <-> GPU), so a call that then fails puts their old data back (:func:`~._restore.restored_on_error`).
    """
    device, net = est._device, est.network_
    if any(t.device != device for t in (*net.parameters(), *net.buffers())):
        net.to(device=device)
        if device.type == "cuda":
            for module in net.modules():
                if isinstance(module, nn.RNNBase):
                    module.flatten_parameters()  # cuDNN's one weight buffer, as after unpickling onto a GPU
    state = getattr(est, "_optimizer_state", None)
    if state and any(isinstance(v, torch.Tensor) and v.device != device for v in state.values()):
        est._optimizer_state = {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in state.items()}


def restart_changed_rate(est: _BaseMLP) -> None:
    """Before a warm call: if ``learning_rate_init`` changed since the call that left the optimizer state, the
    schedule starts over at the new rate (``'adaptive'``/``'plateau'`` kept the old, possibly divided, rate, and
    ``'invscaling'`` its first epoch, so ``set_params(learning_rate_init=1e-4)`` before a warm fit was ignored).
    Moments, velocity and step count go on; a state kept before the rate was recorded goes on as before."""
    state = getattr(est, "_optimizer_state", None)
    new = est.learning_rate_init
    if state and isinstance(new, Real) and "learning_rate_init" in state and state["learning_rate_init"] != float(new):
        est._optimizer_state = {k: v for k, v in state.items() if k not in ("lr", "stalled")}


def record_rate(est: _BaseMLP) -> None:
    """After a call: the ``learning_rate_init`` the kept optimizer state (rate, moments) was trained from, for :func:`restart_changed_rate`."""
    state = getattr(est, "_optimizer_state", None)
    if state is not None:
        est._optimizer_state = {**state, "learning_rate_init": float(est.learning_rate_init)}
