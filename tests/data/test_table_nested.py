"""read_table refuses a cell holding a list, an object or an array (JSON, Parquet), in one DataError naming the column and row."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hiddenlayers.data import read_table
from hiddenlayers.exceptions import DataError

_plain = st.one_of(st.none(), st.booleans(), st.integers(-1000, 1000), st.floats(-1e3, 1e3), st.text("abc", max_size=3))
_nested = st.one_of(st.lists(_plain, max_size=3), st.dictionaries(st.text("xy", min_size=1, max_size=2), _plain, max_size=2))


@settings(max_examples=40, deadline=None)
@given(rows=st.integers(1, 6), at=st.integers(0, 5), column=st.sampled_from(["a", "b"]), value=_nested, array=st.booleans())
def test_a_nested_json_value_is_one_error_naming_its_column_and_row(tmp_path_factory, rows, at, column, value, array) -> None:
    """Before: pandas read the list into an object column, and `check` and `train` died on "unhashable type: 'list'"."""
    at = at % rows
    records = [{"a": float(i), "b": "t", "label": i % 2} for i in range(rows)]
    records[at][column] = value
    path = tmp_path_factory.getbasetemp() / ("nested.json" if array else "nested.jsonl")
    path.write_text(json.dumps(records) if array else "".join(json.dumps(r) + "\n" for r in records))
    with pytest.raises(DataError, match=rf"^'{path}' column '{column}' holds a nested value in row {at + 1} \(.*\): give one plain value "
                                        r".*per cell; flatten nested records first \(e\.g\. pandas\.json_normalize\)\.$"):
        read_table(path)


def test_a_parquet_list_column_is_one_error_and_plain_tables_read_as_before(tmp_path: Path) -> None:
    pq.write_table(pa.table({"a": [1.0, 2.0], "tags": [["x"], ["y", "z"]]}), tmp_path / "t.parquet")
    with pytest.raises(DataError, match=r"^'.*t\.parquet' column 'tags' holds a nested value in row 1 \(array\(\['x'\], dtype=object\)\)"):
        read_table(tmp_path / "t.parquet")
    pd.DataFrame({"a": [1.0, None], "b": ["x", None], "c": [True, False]}).to_json(tmp_path / "t.jsonl", orient="records", lines=True)
    assert read_table(tmp_path / "t.jsonl").frame.shape == (2, 3)
