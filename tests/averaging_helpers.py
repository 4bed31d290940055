"""What the weight-averaging tests share (tests/training/test_averaging.py, tests/estimators/test_weight_averaging.py):
a network's weights as one flat tensor, and a callback that records them as the fit goes."""

from __future__ import annotations

from typing import Any

import torch

from hiddenlayers.training import Callback


def flat(net: torch.nn.Module) -> torch.Tensor:
    """Every parameter of ``net``, flattened and concatenated, as a copy."""
    return torch.cat([p.detach().flatten() for p in net.parameters()]).clone()


class RecordWeights(Callback):
    """The raw weights after every step and at the end of every epoch (what the callbacks see)."""

    def __init__(self) -> None:
        self.steps: list[torch.Tensor] = []
        self.epochs: list[torch.Tensor] = []

    def on_batch_end(self, *, network: Any, **kwargs: Any) -> None:
        self.steps.append(flat(network))

    def on_epoch_end(self, *, network: Any, **kwargs: Any) -> None:
        self.epochs.append(flat(network))
