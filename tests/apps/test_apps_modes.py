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


@pytest.fixture(scope="module")
def translator():
    from hiddenlayers.apps import Translator

    english = ["the cat sleeps", "the dog sleeps", "the cat eats", "the dog eats"] * 3
    spanish = ["el gato duerme", "el perro duerme", "el gato come", "el perro come"] * 3
    return Translator(hidden_size=8, embed_dim=4, max_iter=1, early_stopping=False, dropout=0.5, random_state=0).fit(english, spanish)


_TRANSLATOR_USES = {
    "predict": lambda tr: tr.predict(["the cat sleeps", "the dog"]),
    "predict_beam": lambda tr: tr.predict(["the cat sleeps"], beam_size=2),
    "log_probability": lambda tr: tr.log_probability(["the cat sleeps"], ["el gato duerme"]),
    "attention_map": lambda tr: tr.attention_map("the dog eats"),
    "transform": lambda tr: tr.transform(["the cat", "the dog eats"]),
}


@pytest.mark.parametrize("use", sorted(_TRANSLATOR_USES))
@pytest.mark.parametrize("training", [False, True])
def test_translator_hands_model_back_with_every_submodule_mode(translator, use: str, training: bool) -> None:
    model = translator.model_.train(training)
    if training:
        model.encoder.eval()  # a training model with a frozen encoder
    else:
        model.drop.train()  # an eval model with its dropout left on
    before = _modes(model)
    _TRANSLATOR_USES[use](translator)
    assert _modes(model) == before

    def fail(module: nn.Module, args: object) -> None:
        raise RuntimeError("forward failed")

    handle = model.encoder.register_forward_pre_hook(fail)
    try:
        with pytest.raises(RuntimeError, match="forward failed"):
            _TRANSLATOR_USES[use](translator)
    finally:
        handle.remove()
    assert _modes(model) == before
    model.eval()
