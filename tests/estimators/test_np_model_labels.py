"""The NumPy path's reading of a classifier file's labels (``_np_model._labels``) against ``hl.load``'s own rule.

``hl.load`` types the stored values with the stored dtype and fits a ``LabelBinarizer`` on them; the NumPy path must
give the same classes (values and dtype) and label type whenever it claims a record, and claim none it cannot be sure of.
Labels given as bool, 0.0/1.0 floats or int32 went to ``hl.load`` before; they are claimed now.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.preprocessing import LabelBinarizer

from hiddenlayers.estimators._np_model import _labels

_DTYPES = ["<i8", "<i4", "|i1", "<u2", "|b1", "<f8", "<f4", "object", "<U3", "<c16", "bogus"]
_VALUES = st.one_of(
    st.lists(st.integers(-300, 300), min_size=1, max_size=5),
    st.lists(st.booleans(), min_size=1, max_size=2),
    st.lists(st.one_of(st.integers(-3, 3).map(float), st.floats(allow_nan=True, allow_infinity=True)), min_size=1, max_size=5),
    st.lists(st.text("abc", min_size=1, max_size=3), min_size=1, max_size=4),
)


def _hl_load(values: list, dtype: str) -> tuple[np.ndarray, str]:
    """What hl.load makes of the record (estimators/_file.py): the typed values, then LabelBinarizer's classes_ and y_type_."""
    classes = np.asarray(values, dtype=object if dtype == "object" else np.dtype(dtype))
    lb = LabelBinarizer().fit(classes)
    return lb.classes_, lb.y_type_


@settings(max_examples=300, deadline=None)
@given(values=_VALUES, dtype=st.sampled_from(_DTYPES), sort=st.booleans())
def test_a_claimed_label_record_gives_hl_loads_classes_and_type(values: list, dtype: str, sort: bool) -> None:
    if sort:
        values = sorted(set(values), key=lambda v: (v != v, v))
    y_type = "multiclass" if len(set(values)) > 2 else "binary"
    found = _labels({"values": values, "dtype": dtype, "y_type": y_type})
    if found is None:
        return
    classes, kind = found
    expected, expected_kind = _hl_load(values, dtype)
    assert kind == expected_kind
    np.testing.assert_array_equal(classes, expected)
    assert classes.dtype == expected.dtype or (dtype == "object" and classes.dtype.kind == "U")


def test_bool_float_and_int32_labels_are_claimed() -> None:
    """The records of labels given as bool, as 0.0/1.0 and as int32 (the NumPy path skipped them for hl.load)."""
    for values, dtype in [([False, True], "|b1"), ([0.0, 1.0], "<f8"), ([0.0, 1.0, 2.0], "<f4"), ([0, 1], "<i4")]:
        found = _labels({"values": values, "dtype": dtype, "y_type": "multiclass" if len(values) > 2 else "binary"})
        assert found is not None and found[0].dtype == np.dtype(dtype) and found[0].tolist() == values


def test_labels_hl_load_would_refuse_or_change_are_not_claimed() -> None:
    for values, dtype in [([0.5, 1.5], "<f8"), ([0, 300], "|i1"), ([-1, 1], "<u2"), ([0, 1], "<c16"), ([0, 1], "bogus"),
                          ([1.0, float("nan")], "<f8"), ([True, 2], "<i8"), ([0.0, 1.0], "<i8"),
                          ([9.223372036854776e18], "<f8")]:  # 2.0**63: whole, but past int64, so "continuous" to type_of_target
        assert _labels({"values": values, "dtype": dtype, "y_type": "binary"}) is None, (values, dtype)
