"""A streamed fit stops before training on what the preprocessing cannot take, wherever it is in the files, naming the file and row."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import hiddenlayers as hl
from hiddenlayers.data import ParquetSource
from hiddenlayers.exceptions import DataError


def _files(d, last_file_edit) -> list:
    rng = np.random.default_rng(0)
    paths = []
    for i in range(3):
        a = rng.normal(size=120)
        frame = pd.DataFrame({"a": a, "b": rng.normal(size=120), "y": (a > 0).astype(float)})
        if i == 2:
            last_file_edit(frame)
        paths.append(d / f"p{i}.parquet")
        frame.to_parquet(paths[-1], row_group_size=40)
    return paths


@pytest.mark.parametrize(("edit", "message"), [
    (lambda f: f.__setitem__("a", f["a"].where(f.index != 50, -np.inf)), "data check: 1 column(s) hold infinite values: a ('{f}' row 51)"),
    (lambda f: f.__setitem__("y", f["y"].where(f.index != 70, np.nan)), "the target column 'y' has missing values (first at '{f}' row 71): drop those rows."),
])
def test_a_bad_value_in_the_last_file_stops_the_fit_naming_file_and_row(tmp_path, edit, message):
    last = _files(tmp_path, edit)[-1]
    clf = hl.MLPClassifier(hidden_layer_sizes=(4,), max_iter=1, random_state=0)
    with pytest.raises(DataError, match=re.escape(message.format(f=last))):
        clf.fit(ParquetSource(str(tmp_path), target="y", read_rows=32))
    assert not hasattr(clf, "network_")  # stopped before training


def test_a_source_checked_past_an_infinite_value_still_refuses_to_fit(tmp_path):
    """check() now reads past an infinite value (to report everything); the pass it caches must not let fit train on it."""
    last = _files(tmp_path, lambda f: f.__setitem__("a", f["a"].where(f.index != 50, np.inf)))[-1]
    src = ParquetSource(str(tmp_path), target="y", read_rows=32)
    assert [f.check for f in src.check().fatal] == ["infinite_values"]
    clf = hl.MLPClassifier(hidden_layer_sizes=(4,), max_iter=1, random_state=0)
    with pytest.raises(DataError, match=re.escape(f"data check: 1 column(s) hold infinite values: a ('{last}' row 51)")):
        clf.fit(src)
    assert not hasattr(clf, "network_")
