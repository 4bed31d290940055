"""``data._stream_csv``: the streamed source's CSV reading, split out of ``data._stream`` (its own module since fixes17b):
record numbers past skipped rows, and the type promotion of CSV columns across files."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from hiddenlayers.data._stream_csv import CsvReading, promoted

TYPES = [pa.null(), pa.int64(), pa.int32(), pa.float64(), pa.float32(), pa.string(), pa.bool_(), pa.binary()]


def test_records_count_the_rows_skipped_before_each_row() -> None:
    reading = CsvReading(["f.csv"], {})
    reading.dropped["f.csv"] = {3: (1, 3), "a row pyarrow could not number": (5, 3)}
    reading.blank_records["f.csv"] = {5}
    # data rows 0.. are records 2.. (the header is record 1); record 3 (too few fields) and 5 (spaces) were skipped
    assert reading.records("f.csv", [0, 1, 2, 3]) == [2, 4, 6, 7]
    assert reading.records("other.csv", [0, 4]) == [2, 6]


@given(st.sampled_from(TYPES), st.sampled_from(TYPES))
def test_promotion_is_symmetric_null_gives_way_and_numbers_meet_in_float64(a: pa.DataType, b: pa.DataType) -> None:
    both = promoted(a, b)
    assert both == promoted(b, a)
    if pa.types.is_null(a):
        assert both == b
    elif a == b:
        assert both == a
    elif all(pa.types.is_integer(t) or pa.types.is_floating(t) for t in (a, b)):
        assert both == pa.float64()
    elif not pa.types.is_null(b):
        assert both is None


def test_a_csv_that_is_not_utf8_is_refused_naming_its_first_bad_line(tmp_path) -> None:
    """pyarrow reads a column of latin-1 text as bytes, and the stream read on: predict DIR said "column 'd' must be
    numeric but 'p.csv' line 2 holds "b'4'"" (the bad byte was on line 3). Refused now as read_table refuses the file."""
    import pytest

    from hiddenlayers.data import ParquetSource
    from hiddenlayers.exceptions import DataError

    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "p.csv").write_bytes(b"a,d\n1,4\n2,caf\xe9\n")
    with pytest.raises(DataError) as info:
        next(ParquetSource(str(folder), target=None, features=["a", "d"]).batches())
    assert str(info.value).startswith(f"'{folder / 'p.csv'}' is not UTF-8: line 3 has the byte 0xe9 (byte 6 of the line); save it as UTF-8")
