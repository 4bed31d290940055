"""One small model of each application that trains by epochs, and its fit arguments: the shared cases of the app suites
(``max_time``, callbacks) that every application must pass. Tiny data, a few epochs: each fit takes well under a second."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.datasets import load_digits, load_wine

from hiddenlayers.apps import (
    Autoencoder,
    Forecaster,
    ImageClassifier,
    Recommender,
    SequenceClassifier,
    SpeechRecognizer,
    TextClassifier,
    Translator,
)
from speech_helpers import toy_utterances

#: the applications trained by ``training.train``, then the two with loops of their own
APPS = ["image", "sequence", "text", "speech", "autoencoder", "forecaster", "recommender"]
EPOCH_APPS = [*APPS, "translator"]

_WORDS = [("red", "rojo"), ("blue", "azul"), ("cat", "gato"), ("dog", "perro"), ("runs", "corre"), ("big", "grande")]


def _sentences(n: int) -> tuple[list[str], list[str]]:
    """``n`` sentences of 2-4 words and their word-by-word translations."""
    rng = np.random.default_rng(0)
    picks = [[_WORDS[i] for i in rng.integers(len(_WORDS), size=int(rng.integers(2, 5)))] for _ in range(n)]
    return [" ".join(a for a, _ in p) for p in picks], [" ".join(b for _, b in p) for p in picks]


def app_case(app: str, **kw: Any) -> tuple[Any, tuple[Any, ...]]:
    """A small model of ``app`` (3 epochs at most unless ``kw`` says; its other parameters from ``kw``) and its fit arguments."""
    kw = {"max_iter": 3, "random_state": 0, **kw}
    if app in ("image", "sequence"):
        X, y = load_digits(return_X_y=True)
        X, y = X[:120] / 16, y[:120]
        if app == "image":
            return ImageClassifier("conv4k3:same,8", batch_size=20, **kw), (X.reshape(-1, 1, 8, 8), y)
        return SequenceClassifier("gru4", batch_size=20, **kw), ([r.reshape(8, 8) for r in X], y)
    if app == "text":
        texts = ["good fine great", "bad awful poor", "great good", "poor bad"] * 10
        return TextClassifier("embed4,gru4", batch_size=8, **kw), (texts, [1, 0, 1, 0] * 10)
    if app == "speech":
        frames, texts = toy_utterances(24, 0, "ab", n_features=3)
        return SpeechRecognizer("gru4", batch_size=8, device="cpu", **kw), (frames, texts)
    if app == "autoencoder":
        return Autoencoder((8,), n_components=2, batch_size=32, **kw), (load_wine(return_X_y=True)[0],)
    if app == "forecaster":
        series = np.sin(np.arange(300) / 5.0)
        return Forecaster(window=10, hidden_layer_sizes=(8,), batch_size=32, **kw), (series,)
    if app == "translator":
        return Translator(hidden_size=8, embed_dim=4, batch_size=16, device="cpu", **kw), _sentences(60)
    rng = np.random.default_rng(0)
    pairs = np.stack([rng.integers(0, 15, 300), rng.integers(0, 20, 300)], axis=1)
    return Recommender(n_factors=4, hidden_layer_sizes=(8,), batch_size=64, **kw), (pairs, rng.integers(1, 6, 300).astype(float))
