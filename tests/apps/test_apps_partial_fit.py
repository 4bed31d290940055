"""partial_fit(X, y, classes=None) of ImageClassifier, SequenceClassifier and TextClassifier: scikit-learn's classes rule, one pass
per call from the fitted weights, the first call's vocabulary and standardisation kept, refusals in partial_fit's words."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import load_digits

from hiddenlayers.apps import ImageClassifier, SequenceClassifier, TextClassifier


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    d = load_digits()
    return d.images / 16.0, d.target


def _image(**kw: Any) -> ImageClassifier:
    return ImageClassifier("conv8k3:same,pool2,32", **{"batch_size": 32, "learning_rate_init": 3e-3, "random_state": 0, "device": "cpu", **kw})


def _weights(model: Any) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.network_.state_dict().items()}


def test_a_stream_of_batches_learns_digits(digits: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = digits
    clf = _image()
    for _ in range(3):
        for start in range(0, 1400, 200):
            clf.partial_fit(X[start : start + 200], y[start : start + 200], classes=np.arange(10) if clf.__dict__.get("classes_") is None else None)
    assert clf.n_iter_ == 21 and clf.history_.epoch == list(range(1, 22))
    assert clf.score(X[1400:], y[1400:]) > 0.8
    assert clf.get_params()["max_iter"] == 20 and clf.early_stopping is True and clf.warm_start is False  # parameters untouched


def test_each_call_goes_on_from_the_weights(digits: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = digits
    clf = _image().partial_fit(X[:200], y[:200], classes=range(10))
    end = _weights(clf)
    clf.set_params(learning_rate_init=1e-12).partial_fit(X[200:400], y[200:400])
    assert all(torch.allclose(v, end[k], atol=1e-6) for k, v in _weights(clf).items())


def test_classes_rule(digits: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = digits
    clf = _image()
    with pytest.raises(ValueError, match="^classes must be passed on the first call to partial_fit.$"):
        clf.partial_fit(X[:50], y[:50])
    assert not clf.__sklearn_is_fitted__()
    with pytest.raises(ValueError, match=r"`y` has classes not in `classes`: \[9\]"):
        clf.partial_fit(X[:50], np.where(y[:50] == 9, 9, 0), classes=range(9))
    clf.partial_fit(X[:20][y[:20] < 3], y[:20][y[:20] < 3], classes=range(10))  # the first batch need not hold every class
    assert list(clf.classes_) == list(range(10))
    clf.partial_fit(X[:10][y[:10] == 0], y[:10][y[:10] == 0])  # one class in a batch
    clf.partial_fit(X[:10], y[:10], classes=np.arange(10)[::-1])  # the same classes again, in any order
    with pytest.raises(ValueError, match=r"`classes=\[0, 1\]` is not the same as on last call to partial_fit, was: \[0, 1, 2"):
        clf.partial_fit(X[:10], y[:10], classes=[0, 1])
    with pytest.raises(ValueError, match=r"^partial_fit goes on from a network fitted on images of shape \(C, H, W\) \(1, 8, 8\).*call fit with "
                                         r"warm_start=False"):
        clf.partial_fit(X[:10, :6, :6], y[:10])
    clf.set_params(hidden_layer_sizes="16")
    with pytest.raises(ValueError, match="^partial_fit goes on from the fitted network.*Received: hidden_layer_sizes='16'"):
        clf.partial_fit(X[:10], y[:10])
    assert clf.n_iter_ == 3


def test_text_fixes_its_vocabulary_at_the_first_call() -> None:
    clf = TextClassifier("embed8,gru8", random_state=0, device="cpu")
    clf.partial_fit(["a good film", "a bad film"], ["pos", "neg"], classes=["neg", "neutral", "pos"])
    vocab = clf.tokenizer_.to_json()
    clf.partial_fit(["wonderful new film", "so so"], ["pos", "neutral"])  # new words: the unknown token
    clf.partial_fit(["a wonderful new film"], ["pos"])  # longer than the first call's longest: read in full, as predict reads it
    assert clf.tokenizer_.to_json() == vocab and list(clf.classes_) == ["neg", "neutral", "pos"] and clf.n_iter_ == 3
    assert clf.max_len_ == 4
    with pytest.raises(ValueError, match=r"y has class\(es\) \['other'\] that the fitted model does not know .*partial_fit goes on"):
        clf.partial_fit(["good"], ["other"])


def test_sequence_keeps_its_frame_scaling(digits: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = digits
    clf = SequenceClassifier("gru8", random_state=0, device="cpu").partial_fit(X[:100], y[:100], classes=range(10))
    mean = clf.mean_.copy()
    clf.partial_fit(X[100:200] * 3, y[100:200])
    np.testing.assert_array_equal(clf.mean_, mean)
    assert clf.n_iter_ == 2 and not clone(clf).__sklearn_is_fitted__()
