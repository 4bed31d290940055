"""A refit that raises leaves a fitted classifier exactly as it was: the same attribute
objects, the same weights and the same predictions (ImageClassifier, SequenceClassifier,
TextClassifier), whether the data, the labels or a parameter is what fails."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from hiddenlayers import DataError, SpecError
from hiddenlayers.apps import ImageClassifier, SequenceClassifier, TextClassifier


def _snapshot(model: Any) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """The model's attributes (by identity) and a copy of its weights."""
    return dict(vars(model)), {k: v.clone() for k, v in model.network_.state_dict().items()}


def _assert_unchanged(model: Any, before: tuple[dict[str, Any], dict[str, torch.Tensor]], X: Any, proba: np.ndarray, pred: np.ndarray) -> None:
    attrs, weights = before
    assert vars(model).keys() == attrs.keys()
    changed = [k for k, v in attrs.items() if vars(model)[k] is not v]
    assert not changed, f"attributes replaced by a failed refit: {changed}"
    for k, v in model.network_.state_dict().items():
        assert torch.equal(v, weights[k]), k
    np.testing.assert_array_equal(model.predict_proba(X), proba)
    np.testing.assert_array_equal(model.predict(X), pred)


def _refit_fails(model: Any, X: Any, y: Any, params: dict[str, Any], exc: type[Exception], message: str, X_check: Any) -> None:
    """Fit ``model`` again with ``params`` set, expect ``exc``, then check nothing fitted changed."""
    proba, pred = model.predict_proba(X_check), model.predict(X_check)
    before = _snapshot(model)
    old = model.get_params()
    model.set_params(**params)
    try:
        with pytest.raises(exc, match=message):
            model.fit(X, y)
    finally:
        model.set_params(**old)
    _assert_unchanged(model, before, X_check, proba, pred)


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    d = load_digits()
    return (d.images[:240] * (255 / 16)).astype(np.uint8), d.target[:240]  # (240, 8, 8) uint8


@pytest.fixture(scope="module")
def image_model(digits: tuple[np.ndarray, np.ndarray]) -> ImageClassifier:
    X, y = digits
    return ImageClassifier(hidden_layer_sizes="conv4k3,gap", max_iter=2, random_state=0).fit(X, y)


def _nan_pixel(X: np.ndarray) -> np.ndarray:
    bad = X.astype(np.float64)
    bad[3, 4, 5] = np.nan
    return bad


IMAGE_FAILURES = [
    ("flat rows", lambda X, y: (X.reshape(len(X), -1), y), {}, DataError, r"images must have shape \(N, H, W\)"),
    ("NaN pixels", lambda X, y: (_nan_pixel(X), y), {}, DataError, "images contain NaN"),
    ("one class", lambda X, y: (X, np.zeros(len(y), dtype=int)), {}, ValueError, "y has a single class 0"),
    ("len(y)", lambda X, y: (X, y[:-1]), {}, ValueError, "y must hold one label per image: X has 240 images"),
    ("continuous y", lambda X, y: (X, y + 0.5), {}, ValueError, "Unknown label type: 'continuous'. ImageClassifier"),
    ("NaN label", lambda X, y: (X, np.r_[np.nan, y[1:]]), {}, ValueError, r"y has 1 missing label\(s\)"),
    ("mixed labels", lambda X, y: (X, np.array([1, "a"] * 120, dtype=object)), {}, ValueError, "y mixes label types"),
    ("kernel too big", lambda X, y: (X, y), {"hidden_layer_sizes": "conv4k9"}, SpecError, r"conv4k9\) cannot take an input"),
    ("freeze name", lambda X, y: (X, y), {"freeze": "nope"}, ValueError, "freeze names unknown layer"),  # checked on the new network
    ("init_from", lambda X, y: (X, y), {"init_from": "no-such-file.safetensors"}, ValueError, "init_from: no model file"),
    ("bad device", lambda X, y: (X, y), {"device": "tpu"}, ValueError, "device"),
]


@pytest.mark.parametrize("make, params, exc, message", [case[1:] for case in IMAGE_FAILURES], ids=[case[0] for case in IMAGE_FAILURES])
def test_image_classifier_failed_refit_keeps_the_model(image_model: ImageClassifier, digits: tuple[np.ndarray, np.ndarray], make, params, exc, message) -> None:  # type: ignore[no-untyped-def]
    X, y = digits
    _refit_fails(image_model, *make(X, y), params, exc, message, X[:50])


def test_image_classifier_successful_refit_still_replaces_the_model(digits: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = digits
    model = ImageClassifier(hidden_layer_sizes="conv4k3,gap", max_iter=1, random_state=0).fit(X, y)
    model.fit(X[:, None].repeat(3, axis=1).transpose(0, 2, 3, 1), y % 2)  # RGB, two classes
    assert model.image_shape_ == (3, 8, 8) and list(model.classes_) == [0, 1] and model.mean_.shape == (3,)


def _frames(n: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(int(t), 3)) for t in rng.integers(5, 9, size=n)]  # ragged (T_i, 3)


@pytest.fixture(scope="module")
def sequence_model() -> SequenceClassifier:
    return SequenceClassifier("gru8", max_iter=2, random_state=0).fit(_frames(60), np.tile([0, 1, 2], 20))


SEQUENCE_FAILURES = [
    ("embed on frames", lambda X, y: (X, y), {"hidden_layer_sizes": "embed8,gru8"}, ValueError, "the spec starts with an embedding"),
    ("flatten on ragged", lambda X, y: (X, y), {"hidden_layer_sizes": "conv4k3,8"}, DataError, "this spec flattens the time axis"),
    ("too short for conv", lambda X, y: ([s[:2] for s in X], y), {"hidden_layer_sizes": "conv4k3,pool2,gmp"}, (DataError, SpecError), "too few|cannot take"),
    ("one class", lambda X, y: (X, np.zeros(len(y), dtype=int)), {}, ValueError, "y has a single class 0"),
    ("len(y)", lambda X, y: (X, y[:-1]), {}, ValueError, "y must hold one label per sequence: X has 60 sequences"),
    ("continuous y", lambda X, y: (X, y + 0.25), {}, ValueError, "Unknown label type: 'continuous'. SequenceClassifier"),
    ("None label", lambda X, y: (X, np.array([None, *y[1:]], dtype=object)), {}, ValueError, r"y has 1 missing label\(s\) \(first: None at index 0\)"),
    ("mixed labels", lambda X, y: (X, np.array([1, "a"] * 30, dtype=object)), {}, ValueError, "y mixes label types"),
    ("NaN frames", lambda X, y: ([np.full_like(s, np.nan) for s in X], y), {}, DataError, "has NaN or infinity at step 0"),
    ("freeze name", lambda X, y: (X, y), {"freeze": "nope"}, ValueError, "freeze names unknown layer"),  # checked on the new network
    ("ids refit, bad freeze", lambda X, y: ([np.arange(4)] * len(y), y), {"freeze": ["hidden9"]}, ValueError, "freeze names unknown layer"),
]


@pytest.mark.parametrize("make, params, exc, message", [case[1:] for case in SEQUENCE_FAILURES], ids=[case[0] for case in SEQUENCE_FAILURES])
def test_sequence_classifier_failed_refit_keeps_the_model(sequence_model: SequenceClassifier, make, params, exc, message) -> None:  # type: ignore[no-untyped-def]
    X, y = _frames(60), np.tile([0, 1, 2], 20)
    _refit_fails(sequence_model, *make(X, y), params, exc, message, _frames(20, seed=1))


def test_sequence_classifier_successful_refit_on_ids_drops_the_frame_attributes() -> None:
    model = SequenceClassifier("gru4", max_iter=1, early_stopping=False, random_state=0).fit(_frames(20), np.tile([0, 1], 10))
    model.fit([np.arange(1 + i % 4) for i in range(20)], np.tile(["a", "b"], 10))
    assert model.input_kind_ == "ids" and model.vocab_size_ == 5 and list(model.classes_) == ["a", "b"]
    assert not any(hasattr(model, a) for a in ("n_features_in_", "mean_", "scale_"))


TEXTS = ["a fine film", "a dull mess", "fine acting", "a dull plot"] * 6
TEXT_LABELS = [1, 0, 1, 0] * 6


@pytest.fixture(scope="module")
def text_model() -> TextClassifier:
    return TextClassifier("embed8,gru8", max_iter=2, early_stopping=False, random_state=0).fit(TEXTS, TEXT_LABELS)


TEXT_FAILURES = [
    ("len(y)", lambda: (["something else"] * 3, [0, 1]), {}, ValueError, "y must hold one label per sequence: X has 3 sequences"),
    ("one class", lambda: (["new words here"] * 4, ["x"] * 4), {}, ValueError, "y has a single class 'x'"),
    ("NaN label", lambda: (["new words", "other words"], [np.nan, 1.0]), {}, ValueError, r"y has 1 missing label\(s\)"),
    ("continuous y", lambda: (["new words", "other words"], [0.5, 1.5]), {}, ValueError, "Unknown label type: 'continuous'. TextClassifier"),
    ("no texts", lambda: ([], []), {}, ValueError, "X has 0 texts"),
    ("freeze name", lambda: (["new words", "other words"] * 3, [0, 1] * 3), {"freeze": "nope"}, ValueError, "freeze names unknown layer"),
]


@pytest.mark.parametrize("make, params, exc, message", [case[1:] for case in TEXT_FAILURES], ids=[case[0] for case in TEXT_FAILURES])
def test_text_classifier_failed_refit_keeps_the_model_and_its_tokenizer(text_model: TextClassifier, make, params, exc, message) -> None:  # type: ignore[no-untyped-def]
    vocabulary = text_model.tokenizer_.to_json()
    _refit_fails(text_model, *make(), params, exc, message, ["what a fine mess", "something else", "new words"])
    assert text_model.tokenizer_.to_json() == vocabulary
