"""``in_mode``/``evaluating``: a module comes back with every submodule's own mode, also on error."""

from __future__ import annotations

from contextlib import nullcontext

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from hiddenlayers.network import evaluating, in_mode


def _model() -> nn.Sequential:
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Sequential(nn.Dropout(0.5), nn.Linear(4, 2)))


def _modes(m: nn.Module) -> list[bool]:
    return [s.training for s in m.modules()]


@settings(max_examples=40, deadline=None)
@given(flags=st.lists(st.booleans(), min_size=6, max_size=6), training=st.booleans(), raises=st.booleans())
def test_every_submodule_mode_comes_back(flags: list[bool], training: bool, raises: bool) -> None:
    model = _model()
    for sub, flag in zip(model.modules(), flags):
        sub.training = flag
    before = _modes(model)
    with pytest.raises(RuntimeError) if raises else nullcontext():
        with in_mode(model, training) as inside:
            assert inside is model and _modes(model) == [training] * len(before)
            if raises:
                raise RuntimeError("forward failed")
    assert _modes(model) == before


def test_evaluating_is_eval_mode_and_lens_keeps_its_name() -> None:
    from hiddenlayers.lens._state import evaluating as lens_evaluating

    model = _model().train()
    model[1].eval()  # a training model with a frozen BatchNorm
    with lens_evaluating(model):
        assert not any(_modes(model))
        model(torch.randn(5, 3))
    assert _modes(model) == [True, True, False, True, True, True]
    assert lens_evaluating is evaluating




def test_snapshot_modes_puts_each_flag_back_later() -> None:
    from hiddenlayers.network import snapshot_modes

    model = _model().eval()
    model[2][0].train()  # an eval model with its dropout left on
    before = _modes(model)
    restore = snapshot_modes(model)
    model.train()
    model[1].eval()
    restore()
    assert _modes(model) == before
