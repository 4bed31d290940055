"""The direct one-hot of the class labels equals scikit-learn's LabelBinarizer on every kind of target."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.preprocessing import LabelBinarizer

from hiddenlayers.estimators._checks import binarize, small_int_classes

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


int_labels = st.tuples(
    st.lists(st.one_of(st.integers(-3, 40), st.sampled_from([2**20 - 1, 2**20, 2**31 - 1])), min_size=1, max_size=40),
    st.sampled_from([np.int8, np.int32, np.int64, np.uint8, np.uint32]),
)


def _as(values: list, dtype: type) -> np.ndarray:
    info = np.iinfo(dtype)
    return np.asarray([v for v in values if info.min <= v <= info.max] or [0], dtype=dtype)


@given(int_labels)
def test_small_int_classes_equal_np_unique_where_taken(case: tuple) -> None:
    """The bincount path gives np.unique's classes and dtype; negative or large labels are left to the general path."""
    y = _as(*case)
    classes = small_int_classes(y)
    if y.min() < 0 or y.max() >= 2**20:
        assert classes is None
    else:
        assert classes is not None and classes.dtype == y.dtype
        np.testing.assert_array_equal(classes, np.unique(y))
        # a binarizer fitted on the classes alone is the one fitted on y
        a, b = LabelBinarizer().fit(classes), LabelBinarizer().fit(y)
        assert a.y_type_ == b.y_type_ and a.sparse_input_ == b.sparse_input_
        np.testing.assert_array_equal(a.classes_, b.classes_)


@given(int_labels, int_labels)
def test_integer_labels_binarize_as_scikit_learn_even_outside_the_classes(fit_on: tuple, given_y: tuple) -> None:
    """The lookup-table path, against LabelBinarizer.transform, also for labels the binarizer never saw."""
    y_fit, y = _as(*fit_on), _as(given_y[0], fit_on[1])
    lb = LabelBinarizer().fit(y_fit)
    np.testing.assert_array_equal(binarize(lb, y), lb.transform(y).astype(np.float32))


def test_none_for_labels_that_are_not_one_integer_column() -> None:
    for y in (np.array([1.0, 2.0]), np.array([True, False]), np.array(["a"]), np.zeros((2, 2), int), np.array([], int), [1, 2]):
        assert small_int_classes(y) is None


@pytest.mark.parametrize("y", [np.array([3, 7, 200] * 10, dtype=np.uint8), np.array([5, 9] * 15), np.array([-1, 4, 2**21] * 10)])
def test_classifier_classes_as_scikit_learns(y: np.ndarray) -> None:
    """Integer labels on the fast path or not: classes_, their dtype and the predicted labels as scikit-learn gives them."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier as SkMLP

    import hiddenlayers as hl

    X = np.random.default_rng(0).random((len(y), 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = hl.MLPClassifier((4,), max_iter=3, random_state=0).fit(X, y)
        sk = SkMLP((4,), max_iter=3, random_state=0).fit(X, y)
    assert ours.classes_.dtype == sk.classes_.dtype
    np.testing.assert_array_equal(ours.classes_, sk.classes_)
    assert ours.predict(X).dtype == sk.predict(X).dtype and set(ours.predict(X)) <= set(y)
