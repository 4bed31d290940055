"""SpeechRecognizer(warm_start=True): a second fit goes on from the fitted weights with the fitted alphabet and standardisation;
a new character, other features or a changed layer spec is refused; a longer utterance is read in full, as predict reads it;
save/load and clone behave."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from sklearn.base import clone

from hiddenlayers.apps import SpeechRecognizer
from speech_helpers import toy_utterances

SPEC = "conv8k3:same,gru8"


def _make(**kw: Any) -> SpeechRecognizer:
    return SpeechRecognizer(SPEC, **{"max_iter": 3, "early_stopping": False, "random_state": 0, "learning_rate_init": 1e-2, "device": "cpu",
                                     "warm_start": True, **kw})


@pytest.fixture(scope="module")
def data() -> tuple[list[np.ndarray], list[str]]:
    return toy_utterances(40, 0, "abc", n_features=3)


def _weights(model: Any) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.network_.state_dict().items()}


def _same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor], atol: float = 0.0) -> bool:
    return a.keys() == b.keys() and all(torch.allclose(a[k].double(), b[k].double(), rtol=0, atol=atol) for k in a)


def test_second_fit_starts_from_the_first_fits_weights_and_goes_on(data: tuple[list[np.ndarray], list[str]]) -> None:
    X, y = data
    model = _make().fit(X, y)
    end, curve, score = _weights(model), list(model.loss_curve_), model.score(X, y)
    still = _make(max_iter=3).fit(X, y).set_params(learning_rate_init=1e-12, max_iter=1).fit(X, y)
    assert _same(_weights(still), end, atol=1e-6)
    model.fit(X, y)
    assert model.n_iter_ == 6 and model.history_.epoch == [1, 2, 3, 4, 5, 6] and model.loss_curve_[:3] == curve
    assert model.loss_curve_[3] < curve[0] and model.loss_curve_[-1] < curve[-1]
    assert model.score(X, y) >= score - 0.02


def test_identical_warm_sequences_give_identical_weights(data: tuple[list[np.ndarray], list[str]]) -> None:
    X, y = data
    a, b = (_make(max_iter=1).fit(X, y).fit(X[:20], y[:20]) for _ in range(2))
    assert _same(_weights(a), _weights(b))


def test_refusals_leave_the_model(data: tuple[list[np.ndarray], list[str]]) -> None:
    X, y = data
    model = _make(max_iter=1).fit(X, y)
    before = _weights(model)
    with pytest.raises(ValueError, match=r"character\(s\) \['d'\] outside the fitted alphabet_ 'abc'.*warm_start=False"):
        model.fit(X[:5], ["abd", *y[1:5]])
    wide, _ = toy_utterances(5, 1, "abc", n_features=4)
    with pytest.raises(ValueError, match=r"fitted on frames of width \(features per frame\) 3, but X has .* 4: pass the same features"):
        model.fit(wide, y[:5])
    model.set_params(hidden_layer_sizes="conv8k3:same,lstm8")
    with pytest.raises(ValueError, match="Received: hidden_layer_sizes='conv8k3:same,lstm8'"):
        model.fit(X, y)
    assert _same(_weights(model), before) and model.n_iter_ == 1


def _joined(n: int, seed: int, k: int = 3) -> tuple[list[np.ndarray], list[str]]:
    """``n // k`` toy utterances ``k`` times as long: each ``k`` consecutive ones one after the other, their transcripts joined."""
    X, y = toy_utterances(n, seed, "abc", n_features=3)
    return [np.concatenate(X[i : i + k]) for i in range(0, len(X) - k + 1, k)], ["".join(y[i : i + k]) for i in range(0, len(y) - k + 1, k)]


def test_a_warm_fit_reads_utterances_longer_than_max_len_in_full_as_predict_does() -> None:
    """It refused them ('utterances of at most N frames (max_len_)') although predict reads any length, as the
    Sequence and Text classifiers' warm fits now read longer sequences: training on what predict scores."""
    X, y = toy_utterances(60, 0, "abc", n_features=3)
    model = _make(max_iter=12, batch_size=8).fit(X, y)
    first = model.max_len_
    test_X, test_y = _joined(60, 2)  # 20 utterances about 3 x as long

    def exact() -> float:
        return float(np.mean([h == r for h, r in zip(model.predict(test_X), test_y)]))

    assert exact() < 0.5  # the short utterances alone do not teach the long ones
    long_X, long_y = _joined(180, 1)
    assert max(len(x) for x in long_X) > first
    model.set_params(max_iter=6).fit(long_X, long_y)
    assert model.max_len_ == max(len(x) for x in long_X) and model.n_iter_ == 18
    assert exact() >= 0.8  # whole transcripts, their letters past the first fit's max_len_ frames included


def test_save_load_then_warm_fit_and_clone(data: tuple[list[np.ndarray], list[str]], tmp_path: Path) -> None:
    X, y = data
    model = _make(max_iter=2).fit(X, y)
    model.save(tmp_path / "asr.safetensors")
    loaded = SpeechRecognizer.load(tmp_path / "asr.safetensors")
    end = _weights(loaded)
    loaded.set_params(learning_rate_init=1e-12, max_iter=1).fit(X, y)
    assert _same(_weights(loaded), end, atol=1e-6) and loaded.n_iter_ == 3 and loaded.alphabet_ == "abc"
    twin = clone(loaded)
    assert twin.warm_start is True and not twin.__sklearn_is_fitted__()
