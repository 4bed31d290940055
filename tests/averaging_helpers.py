"""What the weight-averaging tests share (tests/training/test_averaging.py, tests/estimators/test_weight_averaging.py):
a network's weights as one flat tensor, a callback that records them as the fit goes, and PyTorch's own SWALR rates."""

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


def swalr_rates(lr_start: float, swa_lr: float, anneal_epochs: int, epochs: int, strategy: str = "cos") -> list[float]:
    """The rate of each of ``epochs`` epochs under PyTorch's own SWALR (``strategy``: its ``anneal_strategy``), built at the
    first's start and stepped after each."""
    from torch.optim.swa_utils import SWALR

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr_start)
    sched = SWALR(opt, swa_lr=swa_lr, anneal_epochs=anneal_epochs, anneal_strategy=strategy)
    rates = []
    for _ in range(epochs):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return rates
