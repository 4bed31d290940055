"""FLOPs of a recurrent layer's forward pass by hand, as ``FlopCounterMode`` counts its matrix products."""

from __future__ import annotations

from typing import Any

from torch import nn

from ..network import RNN_GATES, recurrent_macs


def rnn_flops(rnn: nn.RNNBase, x: Any) -> int:
    """FLOPs of one forward of ``rnn`` on ``x``: 2 per multiply-add of its matrix products
    (:func:`~hiddenlayers.network.recurrent_macs`, whose ``x`` forms it takes).

    Parameters
    ----------
    rnn, x
        As :func:`~hiddenlayers.network.recurrent_macs` takes them: the recurrent layer and its input.
    """
    return 2 * recurrent_macs(rnn, x)


__all__ = ["RNN_GATES", "rnn_flops"]
