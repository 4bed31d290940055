"""Every app pickled after a fit on a GPU writes CPU tensors only and predicts after unpickling on a machine without it.

The GPU is played (``pickle_helpers.play_gpu``); ``tests/test_cuda.py`` does the real round trip on a GPU.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

import hiddenlayers as hl
from hiddenlayers.apps import Autoencoder, Forecaster, ImageClassifier, Recommender, SequenceClassifier, TextClassifier
from pickle_helpers import play_gpu, tensors_written, unpickled_with_one_warning

RNG = np.random.default_rng(0)
ROWS = RNG.normal(size=(60, 4))
SERIES = np.sin(np.arange(80) / 4)
PAIRS = pd.DataFrame({"user": RNG.integers(0, 6, 60), "item": RNG.integers(0, 8, 60)})
RATINGS = RNG.integers(1, 6, 60).astype(float)
IMAGES = RNG.random((12, 6, 6))
FRAMES = list(RNG.normal(size=(12, 4, 2)))
TEXTS = [f"text number {i}" for i in range(12)]
UTTERANCES = [RNG.normal(size=(9, 2)).astype(np.float32)] * 6

# name -> (fit a small model, what its predict reads)
FITS: dict[str, tuple[Callable[[], Any], Any]] = {
    "Autoencoder": (lambda: Autoencoder((4,), n_components=2, max_iter=2, random_state=0).fit(ROWS), ROWS),
    "Forecaster": (lambda: Forecaster(window=5, hidden_layer_sizes=(4,), max_iter=2, random_state=0).fit(SERIES), SERIES),
    "Recommender": (lambda: Recommender(n_factors=2, hidden_layer_sizes=(4,), max_iter=2, random_state=0).fit(PAIRS, RATINGS), PAIRS),
    "ImageClassifier": (lambda: ImageClassifier("conv2k3,4", max_iter=2, early_stopping=False, random_state=0).fit(IMAGES, [0, 1] * 6), IMAGES),
    "SequenceClassifier": (lambda: SequenceClassifier("gru4", max_iter=2, early_stopping=False, random_state=0).fit(FRAMES, [0, 1] * 6), FRAMES),
    "TextClassifier": (lambda: TextClassifier("embed4,gru4", max_iter=2, early_stopping=False, random_state=0).fit(TEXTS, [0, 1] * 6), TEXTS),
    "SpeechRecognizer": (lambda: hl.apps.SpeechRecognizer("gru4", max_iter=2, early_stopping=False, random_state=0).fit(UTTERANCES, ["ab", "ba"] * 3),
                         UTTERANCES),
    "Translator": (lambda: hl.apps.Translator(hidden_size=4, embed_dim=4, max_iter=2, early_stopping=False, random_state=0).fit(TEXTS, TEXTS), TEXTS),
}


def _agent() -> tuple[Any, Any]:
    pytest.importorskip("gymnasium")
    agent = hl.apps.DQNAgent((8,), learning_starts=10, batch_size=8, random_state=0).fit("CartPole-v1", total_steps=30, eval_every=30, eval_episodes=1)
    return agent, RNG.normal(size=(5, 4)).astype(np.float32)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name", [*FITS, "DQNAgent"])
def test_an_app_fitted_on_a_gpu_unpickles_and_predicts_on_the_cpu(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if name == "DQNAgent":
        model, X = _agent()
    else:
        fit, X = FITS[name]
        model = fit()
    method = "q_values" if name == "DQNAgent" else "predict"
    expected = getattr(model, method)(X)
    model.device = "cuda"  # as a model fitted with device="cuda" has it: predict after unpickling must not need it
    play_gpu(monkeypatch)
    seen, wrapped = tensors_written(model)
    assert len(seen) == wrapped > 0  # every tensor written is a CPU copy that unpickles onto its device
    back = unpickled_with_one_warning(pickle.dumps(model), type(model).__name__)
    assert all(t.device.type == "cpu" for t in tensors_written(back)[0])
    got = getattr(back, method)(X)
    if isinstance(expected, np.ndarray) and expected.dtype.kind == "f":
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)
    else:
        assert np.array_equal(np.asarray(got, dtype=object), np.asarray(expected, dtype=object))
