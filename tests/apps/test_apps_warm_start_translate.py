"""Translator(warm_start=True): a second fit goes on from the fitted weights with the fitted vocabularies (a new word reads as the
unknown token); a changed layer or vocabulary setting is refused; epochs and max_time run on; save/load and clone behave."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from sklearn.base import clone

from hiddenlayers.apps import Translator

WORDS = [("red", "rojo"), ("blue", "azul"), ("cat", "gato"), ("dog", "perro"), ("runs", "corre"), ("eats", "come"), ("big", "grande")]


def _pairs(n: int, seed: int) -> tuple[list[str], list[str]]:
    """Sentences of 2-4 words and their word-by-word translations."""
    rng = np.random.default_rng(seed)
    src, tgt = [], []
    for _ in range(n):
        picks = [WORDS[i] for i in rng.integers(len(WORDS), size=int(rng.integers(2, 5)))]
        src.append(" ".join(a for a, _ in picks))
        tgt.append(" ".join(b for _, b in picks))
    return src, tgt


def _make(**kw: Any) -> Translator:
    return Translator(**{"hidden_size": 16, "embed_dim": 8, "batch_size": 32, "early_stopping": False, "max_iter": 2, "random_state": 0,
                         "device": "cpu", "warm_start": True, "learning_rate_init": 1e-2, **kw})


def _weights(model: Translator) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.model_.state_dict().items()}


def _same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor], atol: float = 0.0) -> bool:
    return a.keys() == b.keys() and all(torch.allclose(a[k].double(), b[k].double(), rtol=0, atol=atol) for k in a)


@pytest.fixture(scope="module")
def data() -> tuple[list[str], list[str]]:
    return _pairs(200, 0)


def test_second_fit_starts_from_the_first_fits_weights_and_goes_on(data: tuple[list[str], list[str]]) -> None:
    model = _make().fit(*data)
    end, curve = _weights(model), list(model.loss_curve_)
    still = _make().fit(*data).set_params(learning_rate_init=1e-12, max_iter=1, dropout=0.0).fit(*data)
    assert _same(_weights(still), end, atol=1e-6)
    model.fit(*data)
    assert model.n_iter_ == 4 and model.history_.epoch == [1, 2, 3, 4] and model.loss_curve_[:2] == curve
    assert model.loss_curve_[2] < curve[0] and model.loss_curve_[-1] < curve[-1]
    assert model.history_.time == sorted(model.history_.time)  # the clock runs on


def test_identical_warm_sequences_give_identical_weights(data: tuple[list[str], list[str]]) -> None:
    a, b = (_make(max_iter=1).fit(*data).fit(data[0][:50], data[1][:50]) for _ in range(2))
    assert _same(_weights(a), _weights(b))


def test_vocabularies_stay_and_changes_are_refused(data: tuple[list[str], list[str]]) -> None:
    model = _make(max_iter=1).fit(*data)
    vocab = list(model.source_vocab_)
    model.fit(["green dog runs"] * 10, ["verde perro corre"] * 10)  # new words: the unknown token, as in predict
    assert model.source_vocab_ == vocab and model.n_iter_ == 2
    before = _weights(model)
    for params, name in (({"hidden_size": 32}, "hidden_size"), ({"lowercase": False}, "lowercase"), ({"cell": "lstm"}, "cell")):
        model.set_params(**params)
        with pytest.raises(ValueError, match=rf"Received: {name}=.*set warm_start=False"):
            model.fit(*data)
        model.set_params(**{k: _make().get_params()[k] for k in params})
    assert _same(_weights(model), before) and model.n_iter_ == 2


def test_save_load_then_warm_fit_and_clone(data: tuple[list[str], list[str]], tmp_path: Path) -> None:
    model = _make().fit(*data)
    model.save(tmp_path / "t.safetensors")
    loaded = Translator.load(tmp_path / "t.safetensors")
    end = _weights(loaded)
    loaded.set_params(learning_rate_init=1e-12, max_iter=1, dropout=0.0).fit(*data)
    assert _same(_weights(loaded), end, atol=1e-6) and loaded.n_iter_ == 3
    twin = clone(loaded)
    assert twin.warm_start is True and not twin.__sklearn_is_fitted__()
