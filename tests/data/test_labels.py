"""check_class_labels: class labels pass; missing labels, mixed types and real values get one clear line.

Its verdict on real values is scikit-learn's ``type_of_target``'s ('continuous' or not),
checked on drawn numbers; every classifier (MLPClassifier and the applications) uses it.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.utils.multiclass import type_of_target

from hiddenlayers.data import check_class_labels, check_score_labels

NAME = "SomeClassifier"
CONTINUOUS = r"^Unknown label type: 'continuous'\. SomeClassifier needs class labels \(integers, strings or booleans\); "

small_ints = st.integers(-(2**31), 2**31)
labels_of_one_type = st.one_of(
    st.lists(small_ints, min_size=1, max_size=30).map(np.array),
    st.lists(st.text(max_size=5), min_size=1, max_size=30).map(np.array),
    st.lists(st.booleans(), min_size=1, max_size=30).map(np.array),
    st.lists(st.text(max_size=5), min_size=1, max_size=30).map(lambda v: np.array(v, dtype=object)),
    st.lists(small_ints, min_size=1, max_size=30).map(lambda v: np.array(v, dtype=object)),
    st.lists(small_ints, min_size=1, max_size=30).map(lambda v: np.array(v, dtype=np.float64)),  # 1.0, 2.0: class labels
)


@given(labels_of_one_type)
@settings(max_examples=60, deadline=None)
def test_class_labels_of_one_type_pass(y: np.ndarray) -> None:
    check_class_labels(y, NAME)


@given(arrays(np.float64, st.integers(1, 30), elements=st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)))
@settings(max_examples=80, deadline=None)
def test_real_values_are_continuous_exactly_when_type_of_target_says_so(y: np.ndarray) -> None:
    if type_of_target(y) == "continuous":
        with pytest.raises(ValueError, match=CONTINUOUS + r"bin real-valued targets into classes first\.$"):
            check_class_labels(y, NAME)
    else:
        check_class_labels(y, NAME)


@given(labels_of_one_type, st.data(), st.sampled_from([None, float("nan"), np.float64("nan")]))
@settings(max_examples=60, deadline=None)
def test_a_missing_label_anywhere_is_named_with_its_index(y: np.ndarray, data: st.DataObject, missing: object) -> None:
    i = data.draw(st.integers(0, len(y)), label="index")
    values = list(y.tolist())
    values.insert(i, missing)
    y_missing = np.array(values, dtype=object if missing is None or y.dtype.kind not in "biuf" else np.float64)
    with pytest.raises(ValueError, match=rf"^y has 1 missing label\(s\) \(first: (None|nan) at index {i}\): give those samples a class label or drop them\.$"):
        check_class_labels(y_missing, NAME)


@given(st.lists(small_ints, min_size=1, max_size=10), st.lists(st.text(max_size=5), min_size=1, max_size=10), st.randoms())
@settings(max_examples=60, deadline=None)
def test_numbers_mixed_with_strings_are_one_clear_error_never_a_type_error(ints: list[int], texts: list[str], random) -> None:  # type: ignore[no-untyped-def]
    values: list[object] = [*ints, *texts]
    random.shuffle(values)
    with pytest.raises(ValueError, match=r"^y mixes label types \((int|str) .+ and (int|str) .+\): pass labels of one type, e\.g\. y\.astype\(str\)\.$"):
        check_class_labels(np.array(values, dtype=object), NAME)


@pytest.mark.parametrize(
    "y, message",
    [
        (np.array([1, "a"] * 200, dtype=object), r"^y mixes label types \(int 1 and str 'a'\)"),
        (np.array([b"a", "a"], dtype=object), r"^y mixes label types \(bytes b'a' and str 'a'\)"),
        (np.array([0.5, 1, 2], dtype=object), CONTINUOUS),
        (np.array([0.0, 1.0, np.inf]), CONTINUOUS),
        (np.array([1e20, 0.0]), CONTINUOUS),  # outside int64, as type_of_target's astype(int) sees it
        (np.array([[0.5, 1.0], [1.0, 0.0]]), r"^Unknown label type: 'continuous-multioutput'\."),
        (np.array([np.nan, 1.0, np.nan]), r"^y has 2 missing label\(s\) \(first: nan at index 0\)"),
    ],
)
def test_concrete_bad_labels(y: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_class_labels(y, NAME)


def test_the_regressor_hint() -> None:
    with pytest.raises(ValueError, match=r"; for real-valued targets use SomeRegressor\.$"):
        check_class_labels(np.array([0.25, 0.5]), NAME, regressor="SomeRegressor")


def _family(y: np.ndarray) -> str:
    return "str" if y.dtype.kind == "U" or (y.dtype == object and isinstance(y.flat[0], str)) else "number"


@settings(max_examples=60, deadline=None)
@given(y=labels_of_one_type, classes=labels_of_one_type)
def test_score_labels_refused_exactly_when_their_family_differs_from_the_classes(y: np.ndarray, classes: np.ndarray) -> None:
    """check_score_labels: strings against numbers (either way) is one line naming both families and the fix;
    labels of the classes' family pass, whatever their values (unseen labels only score as wrong)."""
    if _family(y) == _family(classes):
        check_score_labels(y, classes, NAME)
        return
    with pytest.raises(ValueError, match=rf"^y has {_family(y)} labels \(first: .*\) but this {NAME} was fitted on {_family(classes)} labels") as info:
        check_score_labels(y, classes, NAME)
    assert "\n" not in str(info.value)
    with pytest.raises(ValueError, match="mixes label types"):  # fit's checks run first
        check_score_labels(np.array([1, "a"], dtype=object), classes, NAME)
