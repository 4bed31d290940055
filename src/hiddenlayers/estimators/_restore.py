"""Put an estimator's fitted state back when a fit call raises.

A warm fit changes the fitted model in place: the network's weights (views
of the training loop's flat buffer while it runs, with ``.grad`` pointing into
it), ``history_`` (appended to), the optimizer state. A callback that raises
at epoch 7 would otherwise leave ``history_`` with 7 epochs while
``loss_curve_`` and ``n_iter_`` say 5, and a network in train mode.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn


@contextmanager
def restored_on_error(est: Any, *, weights: bool = True) -> Iterator[None]:
    """Inside the block ``est`` may change; if it raises, its fitted state is put back as it was and the error re-raised.

    The attributes come back from a shallow copy of ``__dict__``, what is
    changed in place (``history_``, ``_optimizer_state``) from deep copies,
    and with ``weights`` the network's parameters and buffers from clones
    (leave it False when the call builds a new network: the old one is not touched).
    """
    before = dict(est.__dict__)
    mutable = {name: copy.deepcopy(before[name]) for name in ("history_", "_optimizer_state") if name in before}
    net = before.get("network_") if weights else None
    saved = _network_state(net) if net is not None else None
    try:
        yield
    except BaseException:
        est.__dict__.clear()
        est.__dict__.update(before, **mutable)
        if net is not None and saved is not None:
            _put_back(net, *saved)
        raise


def _network_state(net: nn.Module) -> tuple[dict[str, torch.Tensor], bool]:
    """Clones of ``net``'s parameters and buffers by name, and whether it was in train mode."""
    return {name: t.detach().clone() for name, t in net.state_dict(keep_vars=True).items()}, net.training


def _put_back(net: nn.Module, state: dict[str, torch.Tensor], training: bool) -> None:
    """``net`` as saved: each parameter in its own storage again (not a view of the loop's flat buffer), no ``.grad``."""
    params = dict(net.named_parameters())
    with torch.no_grad():
        for name, value in state.items():
            if name in params:
                params[name].data = value
                params[name].grad = None
        net.load_state_dict({name: value for name, value in state.items() if name not in params}, strict=False)
    for module in net.modules():
        if isinstance(module, nn.RNNBase) and getattr(module, "in_flat_buffer", False):
            module.in_flat_buffer = False  # type: ignore[assignment]  # its weights have their own storage again
            module.flatten_parameters()
    net.train(training)
