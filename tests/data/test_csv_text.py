"""Delimited files checked before their rows are read: UTF-8 text, a header of unique names, the right separator."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hiddenlayers.data import read_table
from hiddenlayers.exceptions import DataError


def _write(tmp_path, name: str, data: str | bytes):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


def _error(path) -> str:
    with pytest.raises(DataError) as info:
        read_table(path)
    return str(info.value)


def test_a_repeated_column_name_is_refused(tmp_path):
    path = _write(tmp_path, "dup.csv", "a,a,y\n1,2,0\n3,4,1\n")
    assert _error(path) == f"'{path}' has the column 'a' twice: rename one."


def test_an_empty_column_name_is_refused_by_its_position(tmp_path):
    path = _write(tmp_path, "empty.csv", "a,,y\n1,2,0\n3,4,1\n")
    assert _error(path) == f"'{path}' has no name for column 2 of its header: name it (every column needs a unique name)."


def test_a_semicolon_separated_csv_is_named(tmp_path):
    path = _write(tmp_path, "semi.csv", "a;b;y\n1;2;0\n3;4;1\n")
    assert _error(path) == (
        f"'{path}' looks ';'-separated (its header is the one column 'a;b;y'), but is read as ','-separated: "
        f"convert it to a comma-separated file, e.g. python -c \"import pandas as pd; pd.read_csv('{path}', sep=';').to_csv('converted.csv', index=False)\"."
    )


def test_the_hint_for_a_semicolon_csv_with_decimal_commas_reads_its_numbers_as_numbers(tmp_path, monkeypatch):
    """A ';'-separated file usually writes 3,14 (Excel in most of Europe): the hint's read_csv(sep=';') kept those
    columns as text ('3,14'), so the converted file failed again; it now adds decimal=',' when the first row has one."""
    import re

    monkeypatch.chdir(tmp_path)
    path = _write(tmp_path, "eu.csv", "id;price;y\nA;3,14;0\nB;-2,5;1\n")
    message = _error(path)
    assert f"pd.read_csv('{path}', sep=';', decimal=',').to_csv('converted.csv', index=False)" in message
    code = re.search(r'python -c "(.*)"', message).group(1)
    exec(code, {})  # the command's Python, as `python -c` runs it (in this process: a fresh one only paid pandas' import again)
    assert read_table(tmp_path / "converted.csv").frame["price"].tolist() == [3.14, -2.5]
    plain = _write(tmp_path, "dots.csv", "id;price;y\nA;3.14;0\nB;2,000;1\n")  # the first row decides: no decimal comma there
    assert "decimal" not in _error(plain)


def test_a_tab_separated_csv_is_told_to_be_a_tsv(tmp_path):
    path = _write(tmp_path, "tabs.csv", "a\tb\ty\n1\t2\t0\n")
    assert _error(path) == (
        f"'{path}' looks tab-separated (its header is the one column 'a\\tb\\ty'), but is read as ','-separated: "
        "give it the suffix .tsv, which is read tab-separated."
    )


def test_a_latin1_byte_deep_in_the_file_is_named_by_its_line(tmp_path):
    rows = ["a,b,y"] + [f"{i},{i},{i % 2}" for i in range(100_003)]
    rows[100_001] = "1,K\xf6ln,0"
    path = _write(tmp_path, "latin1_mid.csv", "\n".join(rows).encode("latin1"))
    assert _error(path) == (
        f"'{path}' is not UTF-8: line 100002 has the byte 0xf6 (byte 4 of the line); "
        "save it as UTF-8 (e.g. `iconv -f latin1 -t utf-8 latin1_mid.csv > utf8-latin1_mid.csv`)."
    )


def test_a_utf16_file_is_named(tmp_path):
    path = _write(tmp_path, "u16.csv", "a,b,y\n1,2,0\n".encode("utf-16"))
    assert _error(path) == f"'{path}' is UTF-16 text, not UTF-8: save it as UTF-8 (e.g. `iconv -f utf-16 -t utf-8 u16.csv > utf8-u16.csv`)."
    path = _write(tmp_path, "u16be.csv", "a,b,y\n1,2,0\n".encode("utf-16-be"))  # no byte-order mark
    assert "UTF-16 text?" in _error(path)


def test_an_unclosed_quote_names_its_line(tmp_path):
    path = _write(tmp_path, "quote.csv", 'a,b,y\n1,"x,0\n3,4,1\n')
    assert _error(path) == (
        f"'{path}': line 2 opens a quote that is never closed, so the rest of the file reads as one value: "
        'close the quote (or double it, "", inside a quoted value).'
    )


def test_closed_quotes_across_lines_still_read(tmp_path):
    path = _write(tmp_path, "ok.csv", 'a,b,y\n1,"x\ny",0\n3,"say ""hi""",1\n')
    assert read_table(path).frame["b"].tolist() == ["x\ny", 'say "hi"']


NAMES = st.text(alphabet="abcxyz_0123 ", min_size=0, max_size=4)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(NAMES, min_size=2, max_size=5))
def test_any_header_reads_with_exactly_its_names_or_is_refused_by_name(tmp_path, names):
    path = _write(tmp_path, "h.csv", ",".join(names) + "\n" + ",".join("1" for _ in names) + "\n")
    seen = [n.lstrip(" ") for n in names]  # leading spaces are skipped, as after every separator
    try:
        table = read_table(path)
    except DataError as exc:
        first = next(i for i, n in enumerate(seen) if not n.strip() or n in seen[:i])  # the first bad name is the one named
        if not seen[first].strip() and first == len(seen) - 1:  # 'a,b,': a trailing separator, said as such
            assert str(exc).startswith(f"'{path}' has no name for its last column (column {first + 1}: its header line ends with ',')")
        elif not seen[first].strip():
            assert str(exc).startswith(f"'{path}' has no name for column {first + 1} of its header")
        else:
            assert str(exc) == f"'{path}' has the column {seen[first]!r} twice: rename one."
        return
    assert list(table.frame.columns) == seen


@pytest.mark.parametrize(("name", "sep"), [("excel.csv", ","), ("excel.tsv", "\t")])
def test_an_empty_last_column_is_named_as_such_and_the_hint_drops_it(tmp_path, monkeypatch, name, sep):
    """A spreadsheet export whose lines all end with a separator ('a,b,y,') was told "name it" for column 4, a column
    the user never made; the error now says the header ends with a separator and gives the line that drops the column."""
    import re

    import pandas as pd

    monkeypatch.chdir(tmp_path)
    path = _write(tmp_path, name, "".join(sep.join(row) + sep + "\n" for row in (["a", "b", "y"], ["1.5", "2", "x"], ["3", "4", "z"])))
    message = _error(path)
    assert f"has no name for its last column (column 4: its header line ends with {'a tab' if sep == chr(9) else repr(sep)})" in message
    code = re.search(r'python -c "(.*)"', message).group(1)
    exec(code, {"pd": pd})  # noqa: S102 - the hint of our own error, run as the user would
    fixed = read_table(tmp_path / f"fixed{path.suffix}").frame
    assert list(fixed.columns) == ["a", "b", "y"] and fixed["a"].tolist() == [1.5, 3.0]
    inner = _write(tmp_path, "inner.csv", "a,,y\n1,2,3\n")  # an empty name inside the header: name it, as before
    assert "has no name for column 2 of its header: name it" in _error(inner)
