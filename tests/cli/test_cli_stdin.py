"""DATA ``-``: predict, evaluate and check read the table piped into standard input (cli/_stdin.py), as they read a file."""

from __future__ import annotations

import io
import json
import tempfile

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cli_helpers import assert_user_error, ok, run
from hiddenlayers.cli import app

runner = CliRunner()


def piped(data: bytes | str, *args: object):
    """``... | hiddenlayers ARGS...`` in this process: ``data`` is standard input."""
    return runner.invoke(app, [str(a) for a in args], input=data)


@pytest.fixture
def spool_here(tmp_path, monkeypatch):
    """The temporary folders of standard input go to a folder of this test's own, to see that none is left behind."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_predict_reads_csv_from_standard_input_as_from_the_file(table, table_model, spool_here):
    """`cat new.csv | hiddenlayers predict m.safetensors -` was refused ("save it to a file first"); it now prints what the
    file gives, row for row, with --out - as a filter, and leaves no temporary file behind."""
    from_file = ok("predict", table_model, table, "--proba").stdout
    result = piped(table.read_bytes(), "predict", table_model, "-", "--proba", "--out", "-")
    assert result.exit_code == 0, result.output
    assert result.stdout == from_file
    assert len(result.stdout.splitlines()) == 1 + len(pd.read_csv(table))
    assert list(spool_here.iterdir()) == []


def test_predict_reads_parquet_bytes_from_standard_input(table, table_model, tmp_path, spool_here):
    """Bytes beginning with Parquet's magic are read as Parquet (the same rows and predictions as the CSV)."""
    parquet = tmp_path / "t.parquet"
    pd.read_csv(table).to_parquet(parquet)
    result = piped(parquet.read_bytes(), "predict", table_model, "-", "--keep", "a")
    assert result.exit_code == 0, result.output
    assert result.stdout == ok("predict", table_model, parquet, "--keep", "a").stdout
    assert list(spool_here.iterdir()) == []


def test_predict_from_standard_input_writes_an_out_file(table, table_model, tmp_path):
    out = tmp_path / "p.csv"
    result = piped(table.read_text(), "predict", table_model, "-", "-o", out)
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out).shape == (len(pd.read_csv(table)), 1)


def test_evaluate_reads_standard_input_and_names_it_dash(table, table_model):
    """evaluate's metrics from a pipe are the file's; its JSON names the data "-" (as given), not a temporary file."""
    from_file = json.loads(ok("evaluate", table_model, table, "--json").stdout)
    result = piped(table.read_text(), "evaluate", table_model, "-", "--json")
    assert result.exit_code == 0, result.output
    piped_result = json.loads(result.stdout)
    assert piped_result["data"] == "-"
    assert piped_result["metrics"] == from_file["metrics"] and piped_result["rows"] == from_file["rows"]


def test_check_reads_standard_input_and_its_fixes_say_dash(tmp_path):
    """check from a pipe finds what it finds in the file; a fix's command line says `hiddenlayers check -`, which reads the pipe again."""
    rows = "a,b,label\n" + "1,2,yes\n" * 4 + "".join(f"{i},{i % 3},{'no' if i % 2 else 'yes'}\n" for i in range(3, 40))
    data = tmp_path / "d.csv"
    data.write_text(rows)
    from_file = json.loads(run("check", data, "-t", "label", "--fast", "--json").stdout)
    result = piped(rows, "check", "-", "-t", "label", "--fast", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [f["check"] for f in report["findings"]] == [f["check"] for f in from_file["findings"]]
    duplicates = next(f for f in report["findings"] if f["check"] == "duplicates")
    assert "hiddenlayers check - --target label --clean clean.csv --drop duplicates" in duplicates["fix"]
    assert str(data) not in result.stdout and tempfile.gettempdir() not in result.stdout


def test_an_empty_standard_input_is_one_line(table_model, spool_here):
    assert_user_error(piped(b"", "predict", table_model, "-"),
                      "standard input ('-') is empty: pipe a table into it (CSV text with a header row, or a Parquet file), "
                      "e.g. `cat new.csv | hiddenlayers predict model.safetensors - > preds.csv`.")
    assert_user_error(piped(b"", "evaluate", table_model, "-"), "standard input ('-') is empty")
    assert list(spool_here.iterdir()) == []


@pytest.mark.parametrize("text, message", [
    ("a,a\n1,2\n", "standard input has the column 'a' twice: rename one."),
    ("a,b\n1,2,3\n", "dropped 1 of 1 data rows of standard input: 1 with more fields than the 2 header columns (line 2)"),
    ("a,b\n", "standard input has no data rows: give a file with a header row and at least one row of data."),
])
def test_a_bad_table_on_standard_input_is_named_so(text, message, table_model, spool_here):
    """The read's own checks run on the piped table, and name it `standard input`, never the temporary file."""
    result = piped(text, "predict", table_model, "-")
    assert_user_error(result, message)
    assert str(spool_here) not in result.output
    assert list(spool_here.iterdir()) == []


def test_a_column_option_is_checked_against_the_piped_header(table, table_model):
    assert_user_error(piped(table.read_text(), "predict", table_model, "-", "--keep", "id"), "--keep: the data has no column 'id'.")


def test_a_terminal_on_standard_input_is_refused_not_waited_on(monkeypatch):
    """`hiddenlayers predict m.safetensors -` typed with nothing piped in would wait for a table typed at the terminal."""
    import sys

    from hiddenlayers.cli._common import UserError
    from hiddenlayers.cli._stdin import stdin_data

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal())
    with pytest.raises(UserError, match=r"DATA '-' reads a table piped into standard input, and nothing is piped in: pipe one, e\.g\. `cat x`\."):
        with stdin_data("-", example="cat x"):
            pass
    with stdin_data("data.csv", example="cat x") as path:  # any other DATA is left as given, standard input untouched
        assert path == "data.csv"


@settings(max_examples=60, deadline=None)
@given(head=st.sampled_from([b"", b"PAR1", b"PAR", b"a,b\n"]), body=st.binary(max_size=300), chunk=st.integers(1, 64))
def test_the_spooled_file_holds_standard_input_byte_for_byte(head, body, chunk, tmp_path_factory):
    """Whatever was piped in is copied whole, across chunk boundaries, to stdin.parquet where it begins with b'PAR1', else stdin.csv."""
    import sys
    from unittest import mock

    from hiddenlayers.cli import _stdin

    piped_bytes = head + body
    if not piped_bytes:
        return
    stdin = io.TextIOWrapper(io.BytesIO(piped_bytes))
    with mock.patch.object(sys, "stdin", stdin), mock.patch.object(_stdin, "_CHUNK", chunk):
        path = _stdin._spool(tmp_path_factory.mktemp("spool"), "cat x")
    assert path.endswith("stdin.parquet" if piped_bytes.startswith(b"PAR1") else "stdin.csv")
    with open(path, "rb") as fh:
        assert fh.read() == piped_bytes
