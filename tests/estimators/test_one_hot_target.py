"""A one-hot ``y`` given to ``MLPClassifier.fit`` trains as multi-label (as scikit-learn's does): now it says so.

scikit-learn gives no warning; a Keras user's ``to_categorical(y)`` then got a model whose ``predict`` could give a
row no class or several, without a word. The warning names ``y.argmax(1)`` and is silenced by its category.
"""

from __future__ import annotations

import warnings

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.datasets import load_iris

import hiddenlayers as hl
from hiddenlayers.estimators._checks import warn_if_one_hot


def _fit(y: np.ndarray, **kw) -> list[warnings.WarningMessage]:
    X, _ = load_iris(return_X_y=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        hl.MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0, **kw).fit(X, y)
    return [w for w in caught if w.category is hl.OneHotTargetWarning]


def test_a_one_hot_y_warns_at_the_users_line_naming_argmax() -> None:
    _, y = load_iris(return_X_y=True)
    caught = _fit(np.eye(3)[y])
    assert len(caught) == 1 and caught[0].filename == __file__
    assert str(caught[0].message) == (
        "y is one-hot: each of its 150 rows has exactly one 1 among 3 columns, so MLPClassifier trains it as 3 independent labels "
        "(multi-label: predict may give a row no label or several), as scikit-learn does. For one class per row pass y.argmax(1) "
        "(a softmax over 3 classes); for a multi-label target, silence this with "
        "warnings.filterwarnings('ignore', category=hl.OneHotTargetWarning).")
    assert _fit(np.eye(3)[y].argmax(1)) == []  # the fix: one class per row, no warning


def test_a_true_multi_label_y_and_a_silenced_one_do_not_warn() -> None:
    _, y = load_iris(return_X_y=True)
    multi = np.eye(3, dtype=int)[y]
    multi[::7, 0] = 1  # some rows hold two labels (and the setosa rows one)
    assert _fit(multi) == []
    X, _ = load_iris(return_X_y=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=hl.OneHotTargetWarning)  # the documented way to silence it
        hl.MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0).fit(X, np.eye(3)[y])
    assert not [w for w in caught if w.category is hl.OneHotTargetWarning]


@settings(max_examples=200, deadline=None)
@given(y=st.integers(1, 5).flatmap(lambda k: arrays(np.int64, st.tuples(st.integers(0, 6), st.just(k)), elements=st.integers(0, 1))))
def test_it_warns_exactly_when_every_row_has_one_1_among_two_or_more_columns(y: np.ndarray) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_if_one_hot(y)
    expected = y.shape[1] >= 2 and y.shape[0] > 0 and bool((y.sum(axis=1) == 1).all())
    assert [w.category for w in caught] == ([hl.OneHotTargetWarning] if expected else [])
