"""``data.header_columns``: a source's column names from its header alone, or None where the full read must speak."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from hiddenlayers.data import header_columns


def test_header_columns_of_files_folders_and_globs(tmp_path):
    frame = pd.DataFrame({"a": [1.0, 2.0], "b c": ["x", "y"], "y": [0, 1]})
    frame.to_csv(tmp_path / "t.csv", index=False)
    frame.to_csv(tmp_path / "t.tsv", sep="\t", index=False)
    (tmp_path / "parts").mkdir()
    frame.to_parquet(tmp_path / "parts" / "p0.parquet")
    frame[["y", "a"]].to_parquet(tmp_path / "parts" / "p1.parquet")
    for source in ("t.csv", "t.tsv", "parts", "parts/*.parquet"):
        assert header_columns(str(tmp_path / source)) == ["a", "b c", "y"], source  # a folder: its first file's columns
    assert header_columns(str(tmp_path / "parts" / "p1.parquet")) == ["y", "a"]


def test_no_header_columns_where_the_read_must_name_the_problem(tmp_path):
    (tmp_path / "semi.csv").write_text("a;b;y\n1;2;3\n")  # read as comma-separated: one column holding ';'
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "twice.csv").write_text("a,a,y\n1,2,3\n")
    pd.DataFrame({"a": [1]}).to_json(tmp_path / "t.jsonl", orient="records", lines=True)
    for source in ("semi.csv", "empty.csv", "twice.csv", "t.jsonl", "missing.csv", "nothing/*.csv"):
        assert header_columns(str(tmp_path / source)) is None, source
    assert header_columns("iris") is None  # a bundled dataset: loading it is the read itself


_NAME = st.text(alphabet=st.sampled_from(list("abcXYZ019_ ,;\"'\u00e9")), min_size=1, max_size=8).filter(lambda s: s == s.strip())


@settings(max_examples=30, deadline=None)
@given(names=st.lists(_NAME, min_size=1, max_size=5, unique=True))
def test_header_columns_reads_back_any_names_pandas_writes(tmp_path_factory, names):
    """Quoted commas and quotes, other files' separators, accents: the names pandas wrote (CSV and Parquet) read back
    as written, or None where the read refuses the header (one name holding ';': read as another separator's file)."""
    folder = tmp_path_factory.mktemp("names")
    frame = pd.DataFrame([list(range(len(names)))], columns=names)
    frame.to_csv(folder / "t.csv", index=False)
    frame.to_parquet(folder / "t.parquet")
    assert header_columns(str(folder / "t.parquet")) == names
    got = header_columns(str(folder / "t.csv"))
    assert got == names or (got is None and len(names) == 1 and ";" in names[0])


def test_a_file_whose_name_has_brackets_is_a_file_not_a_glob(tmp_path):
    """'d [v2].csv' was read as a glob, whose '[v2]' matches one character: the file that is there 'matched no files'."""
    from hiddenlayers.data._stream_files import find_files

    frame = pd.DataFrame({"a": [1.0, 2.0], "y": [0, 1]})
    frame.to_csv(tmp_path / "d [v2].csv", index=False)
    frame.to_csv(tmp_path / "d2.csv", index=False)
    assert header_columns(str(tmp_path / "d [v2].csv")) == ["a", "y"]
    assert find_files(str(tmp_path / "d [v2].csv"), "auto") == [str(tmp_path / "d [v2].csv")]
    assert find_files(str(tmp_path / "d[0-9].csv"), "auto") == [str(tmp_path / "d2.csv")]  # a glob that is no file stays a glob
