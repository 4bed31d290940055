"""cli/_data.py: the labels `evaluate` scores against a classifier's classes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hiddenlayers.cli._data import class_labels
from hiddenlayers.exceptions import DataError


def test_labels_spelled_as_the_classes_but_for_spaces_or_case_are_told_the_fix() -> None:
    """`evaluate` of a file whose labels carry a trailing space ('yes ') said only "check --target or the data"; it now
    says they differ from the model's classes only in spaces or case, and how to make them one spelling."""
    classes = np.array(["no", "yes"], dtype=object)
    with pytest.raises(DataError, match=r"labels 'No', 'yes ' are not classes of the model \(no, yes\): they differ from its classes "
                                        r"only in surrounding spaces or letter case; .*df\['label'\] = df\['label'\]\.str\.strip\(\)"):
        class_labels(pd.Series(["yes ", "no", "No"]), classes, "label")
    with pytest.raises(DataError, match=r"label 'maybe' is not a class of the model \(no, yes\): check --target or the data\.$"):
        class_labels(pd.Series(["yes", "maybe"]), classes, "label")
    assert class_labels(pd.Series(["yes", "no"]), classes, "label").tolist() == ["yes", "no"]
