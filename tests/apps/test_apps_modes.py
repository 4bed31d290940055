"""The applications' batched eval forward hands a module back with every submodule's own mode, also on error."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from hiddenlayers.apps._fit import forward_batches


def _modes(model: nn.Module) -> list[bool]:
    return [m.training for m in model.modules()]


@pytest.mark.parametrize("training", [False, True])
def test_forward_batches_keeps_every_submodule_mode(training: bool) -> None:
    backbone = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU())
    model = nn.Sequential(backbone, nn.Dropout(0.5), nn.Linear(8, 2)).train(training)
    if training:
        backbone.eval()  # a training model with a frozen backbone
    else:
        backbone[1].train()  # an eval model with one BatchNorm left training
    before = _modes(model)
    assert forward_batches(model, torch.randn(10, 4), batch_size=3).shape == (10, 2)
    assert _modes(model) == before
    with pytest.raises(RuntimeError):
        forward_batches(model, torch.randn(10, 5))  # wrong width: the first Linear raises
    assert _modes(model) == before
