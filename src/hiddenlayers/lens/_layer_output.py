"""One layer's output on one row: what Grad-CAM's layer check and the neuron selector read before Captum runs."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ._record import _first_tensor


def layer_output_of_one_row(module: nn.Module, layer: nn.Module, x: torch.Tensor) -> torch.Tensor | None:
    """``layer``'s output (its first tensor: :func:`~._record._first_tensor`) when ``module`` runs on ``x[:1]``, without
    gradients, the hook removed after, also on error; None when the layer did not run or gave no tensor."""
    out: list[Any] = []
    h = layer.register_forward_hook(lambda _m, _i, o: out.append(o))
    try:
        with torch.no_grad():
            module(x[:1])
    finally:
        h.remove()
    return _first_tensor(out[0]) if out else None


__all__ = ["layer_output_of_one_row"]
