"""Run a user's module in eval mode and hand it back exactly as it was
(``network.evaluating``: each submodule's own mode restored, also on error),
find the module the lens runs for a model, and read one layer's output on one row.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..network import evaluating


def module_of(model: Any) -> nn.Module | None:
    """The ``nn.Module`` the lens will run for ``model`` (a module, an estimator's network, or that of a Pipeline's
    last step), None when there is none yet."""
    from .._pipe import split_pipeline
    from ._target import _network_of

    if isinstance(model, nn.Module):
        return model
    parts = split_pipeline(model)
    return _network_of(model if parts is None else parts[1])


def layer_output_of_one_row(module: nn.Module, layer: nn.Module, x: torch.Tensor) -> torch.Tensor | None:
    """``layer``'s output (its first tensor: :func:`~._record._first_tensor`) when ``module`` runs on ``x[:1]``, without
    gradients, the hook removed after, also on error; None when the layer did not run or gave no tensor."""
    from ._record import _first_tensor

    out: list[Any] = []
    h = layer.register_forward_hook(lambda _m, _i, o: out.append(o))
    try:
        with torch.no_grad():
            module(x[:1])
    finally:
        h.remove()
    return _first_tensor(out[0]) if out else None


__all__ = ["evaluating", "layer_output_of_one_row", "module_of"]
