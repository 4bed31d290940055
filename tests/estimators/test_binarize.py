"""The direct one-hot of the class labels equals scikit-learn's LabelBinarizer on every kind of target."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.preprocessing import LabelBinarizer

from hiddenlayers.estimators._checks import binarize

labels = st.one_of(
    st.lists(st.integers(-3, 6), min_size=2, max_size=40),
    st.lists(st.sampled_from(["cat", "dog", "eel", "ant"]), min_size=2, max_size=40),
    st.lists(st.sampled_from([1.0, 3.0, -2.0]), min_size=2, max_size=40),
)


@given(labels)
def test_binarize_equals_label_binarizer(y: list) -> None:
    y = np.asarray(y)
    lb = LabelBinarizer().fit(y)
    got = binarize(lb, y)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, lb.transform(y).astype(np.float32))


@pytest.mark.parametrize("y", [np.array(["a", "b", "c"], dtype=object), np.array([[1, 0, 1], [0, 1, 0]])])
def test_object_labels_and_multilabel(y: np.ndarray) -> None:
    lb = LabelBinarizer().fit(y)
    np.testing.assert_array_equal(binarize(lb, y), lb.transform(y).astype(np.float32))


def test_labels_outside_the_classes_take_scikit_learns_path() -> None:
    lb = LabelBinarizer().fit([1, 2, 3])
    np.testing.assert_array_equal(binarize(lb, np.array([1, 4])), lb.transform([1, 4]).astype(np.float32))
