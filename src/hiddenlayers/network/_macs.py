"""Multiply-adds of a recurrent layer's forward pass, from its sizes and its input's shape.

One formula for the two places that count them: the fit loop's and inference's one-thread rule
(``training/_macs``) and ``cost``'s FLOPs (``rightsize/_rnn_flops``, 2 per multiply-add).
"""

from __future__ import annotations

from typing import Any

from torch import nn

#: the weight blocks (gates) each recurrent mode multiplies by, per step
RNN_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def recurrent_macs(rnn: nn.RNNBase, x: Any) -> int:
    """Multiply-adds of the matrix products of one forward of ``rnn`` on ``x``.

    Per step, row and direction, a layer multiplies its input (``input_size``, or the previous layer's output) and its
    state by every gate's weights (LSTM 4 gates, GRU 3, plain RNN 1), plus an LSTM's projection. Element-wise gate
    arithmetic is not counted.

    Parameters
    ----------
    rnn : torch.nn.RNNBase
        An ``LSTM``, ``GRU`` or ``RNN``.
    x : torch.Tensor or PackedSequence
        Its input: ``(N, steps, features)`` batch first, ``(steps, N, features)`` otherwise, ``(steps, features)``
        unbatched, or a ``PackedSequence`` (one row of data per step of each sequence).
    """
    from torch.nn.utils.rnn import PackedSequence

    data = x.data if isinstance(x, PackedSequence) else x
    rows = int(data.shape[0]) if isinstance(x, PackedSequence) or data.ndim == 2 else int(data.shape[0] * data.shape[1])
    gates, units, proj = RNN_GATES[rnn.mode], rnn.hidden_size, getattr(rnn, "proj_size", 0)
    state = proj or units
    dirs = 2 if rnn.bidirectional else 1
    macs = 0
    for layer in range(rnn.num_layers):
        n_in = rnn.input_size if layer == 0 else state * dirs
        macs += dirs * (gates * units * (n_in + state) + units * proj)
    return rows * macs


__all__ = ["RNN_GATES", "recurrent_macs"]
