"""The FLOP probe (``_macs.forward_macs``) hands a user's module back with every submodule's own mode."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from hiddenlayers.training._macs import forward_macs as _forward_macs


def _mixed(training: bool) -> nn.Sequential:
    """An eval model with one BatchNorm left training, or a training model with an eval-mode backbone."""
    backbone = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU())
    model = nn.Sequential(backbone, nn.Dropout(0.2), nn.Linear(8, 2))
    if training:
        model.train()
        backbone.eval()
    else:
        model.eval()
        backbone[1].train()
    return model


def _modes(model: nn.Module) -> list[bool]:
    return [m.training for m in model.modules()]


@pytest.mark.parametrize("training", [False, True])
def test_forward_macs_keeps_every_submodule_mode(training: bool) -> None:
    model = _mixed(training)
    before = _modes(model)
    assert _forward_macs(model, torch.randn(1, 4)) == pytest.approx(4 * 8 + 8 * 2)
    assert _modes(model) == before


@pytest.mark.parametrize("training", [False, True])
def test_forward_macs_keeps_modes_when_the_forward_raises(training: bool) -> None:
    model = _mixed(training)
    before = _modes(model)
    with pytest.raises(RuntimeError):
        _forward_macs(model, torch.randn(1, 5))  # wrong width: the first Linear raises
    assert _modes(model) == before
