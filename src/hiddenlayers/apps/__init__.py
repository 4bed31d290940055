"""Applications built from dense hidden layers, each with the scikit-learn API.

* :class:`Autoencoder` -- encode/decode, reconstruction-error anomaly scores.
* :class:`Forecaster` -- lag windows -> next ``horizon`` values of a series.
* :class:`Recommender` -- user/item embeddings through hidden layers -> ratings.
* :class:`DQNAgent` -- a Q-network learning a gymnasium game (double DQN).
* :class:`ImageClassifier` -- convolutional image classifier (images N x H x W [x C]).
* :class:`SequenceClassifier` -- recurrent / 1-D conv classifier of variable-length sequences (frames or token ids).
* :class:`TextClassifier` -- texts through a word/char tokenizer, an embedding and recurrent layers.
* :class:`Translator` -- encoder-decoder with attention: sentences -> sentences (BLEU).

Each saves to and loads from one ``.safetensors`` file (``save`` / ``Cls.load``).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Autoencoder": ".autoencoder",
    "Forecaster": ".forecast",
    "Recommender": ".recommend",
    "DQNAgent": ".agent",
    "ImageClassifier": ".image",
    "SequenceClassifier": ".sequence",
    "TextClassifier": ".text",
    "Translator": ".translate",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'hiddenlayers.apps' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
