"""The classifier applications reject bad labels as MLPClassifier does: real values as
'continuous', missing labels and mixed types each with one clear line naming the problem
(one shared check, ``hiddenlayers.data.check_class_labels``); class labels still fit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hiddenlayers.apps import ImageClassifier, SequenceClassifier, TextClassifier
from hiddenlayers.estimators import MLPClassifier

N = 12

# name -> (make a classifier, X with N samples)
CLASSIFIERS: dict[str, tuple[Callable[[], Any], Any]] = {
    "MLPClassifier": (lambda: MLPClassifier(max_iter=1), np.random.default_rng(0).normal(size=(N, 3))),
    "ImageClassifier": (lambda: ImageClassifier("conv2k3,gap", max_iter=1, early_stopping=False), np.random.default_rng(0).random((N, 6, 6))),
    "SequenceClassifier": (lambda: SequenceClassifier("gru2", max_iter=1, early_stopping=False), np.random.default_rng(0).normal(size=(N, 4, 2))),
    "TextClassifier": (lambda: TextClassifier("embed2,gru2", max_iter=1, early_stopping=False), [f"text number {i}" for i in range(N)]),
}
NAMES = list(CLASSIFIERS)


def _fit_error(name: str, y: Any) -> str:
    make, X = CLASSIFIERS[name]
    with pytest.raises(ValueError) as info:
        make().fit(X, y)
    message = str(info.value)
    assert "\n" not in message
    return message


def _continuous(data: st.DataObject) -> np.ndarray:
    """N reals, at least one not a whole number."""
    y = np.array(data.draw(st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=N, max_size=N), label="y"))
    y[data.draw(st.integers(0, N - 1), label="i")] = data.draw(st.floats(0.01, 0.99), label="fraction")
    return y


def _with_missing(data: st.DataObject) -> tuple[np.ndarray, int]:
    """Labels 0/1 or 'a'/'b' with one None or NaN at a drawn index."""
    labels = data.draw(st.lists(st.sampled_from([0, 1]) | st.sampled_from(["a", "b"]), min_size=N, max_size=N), label="labels")
    i = data.draw(st.integers(0, N - 1), label="i")
    labels[i] = data.draw(st.sampled_from([None, float("nan")]), label="missing")
    return np.array(labels, dtype=object), i


def _mixed(data: st.DataObject) -> np.ndarray:
    """Integers and strings, at least one of each."""
    ints = data.draw(st.lists(st.integers(0, 3), min_size=1, max_size=N - 1), label="ints")
    texts = data.draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=N - len(ints), max_size=N - len(ints)), label="texts")
    return np.array(data.draw(st.permutations([*ints, *texts]), label="order"), dtype=object)


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
@settings(max_examples=15, deadline=None)
def test_real_valued_labels_are_continuous_for_every_classifier(name: str, data: st.DataObject) -> None:
    message = _fit_error(name, _continuous(data))
    assert message.startswith(f"Unknown label type: 'continuous'. {name} needs class labels (integers, strings or booleans); ")


@pytest.mark.parametrize("name", [n for n in NAMES if n != "MLPClassifier"])  # MLPClassifier: scikit-learn's "Input y contains NaN" for float NaN
@given(data=st.data())
@settings(max_examples=15, deadline=None)
def test_a_missing_label_is_named_with_its_index(name: str, data: st.DataObject) -> None:
    y, i = _with_missing(data)
    assert _fit_error(name, y).startswith(f"y has 1 missing label(s) (first: {y[i]!r} at index {i}): ")


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
@settings(max_examples=15, deadline=None)
def test_mixed_label_types_are_one_clear_error(name: str, data: st.DataObject) -> None:
    message = _fit_error(name, _mixed(data))
    assert message.startswith("y mixes label types (") and message.endswith("pass labels of one type, e.g. y.astype(str).")


@pytest.mark.parametrize("name", NAMES)
def test_the_reviewed_cases(name: str) -> None:
    y = np.array([1, "a"] * (N // 2), dtype=object)
    assert _fit_error(name, y) == "y mixes label types (int 1 and str 'a'): pass labels of one type, e.g. y.astype(str)."
    continuous = np.linspace(0, 1, N)
    expected = {"MLPClassifier": "for real-valued targets use MLPRegressor."}.get(name, "bin real-valued targets into classes first.")
    assert _fit_error(name, continuous) == f"Unknown label type: 'continuous'. {name} needs class labels (integers, strings or booleans); {expected}"


@pytest.mark.parametrize("name", [n for n in NAMES if n != "MLPClassifier"])
@pytest.mark.parametrize(
    "y",
    [np.tile([0.0, 1.0], N // 2), np.tile([True, False], N // 2), np.tile(["x", "y"], N // 2), np.tile(np.array(["x", "y"], dtype=object), N // 2),
     np.tile(np.array([3, 7], dtype=object), N // 2)],
    ids=["whole floats", "booleans", "strings", "object strings", "object integers"],
)
def test_class_labels_still_fit(name: str, y: np.ndarray) -> None:
    make, X = CLASSIFIERS[name]
    model = make().fit(X, y)
    np.testing.assert_array_equal(model.classes_, np.unique(y))
    assert set(model.predict(X).tolist()) <= set(y.tolist())
