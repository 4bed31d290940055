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
                      "standard input ('-') is empty: pipe a table into it (CSV or TSV text with a header row, JSON lines, or a Parquet, .npy "
                      "or .npz file's bytes, gzip-compressed or not), "
                      "e.g. `cat new.csv | hiddenlayers predict model.safetensors - > preds.csv`.")
    assert_user_error(piped(b"", "evaluate", table_model, "-"), "standard input ('-') is empty")
    assert list(spool_here.iterdir()) == []


@pytest.mark.parametrize("text, message", [
    ("a,a\n1,2\n", "standard input has the column 'a' twice: rename one."),
    ("a,b,color\n1,2,red,3\n", "no usable rows: dropped 1 of 1 data rows of standard input: 1 with more fields than the 3 header columns (line 2). "
                              "Fix those lines"),
    ("a,b,color\n", "standard input has no data rows: give a file with a header row and at least one row of data."),
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
    with pytest.raises(UserError, match=r"^--against '-' reads a table piped into standard input, and nothing is piped in"):
        with stdin_data("-", example="cat x", what="--against"):  # check's --against -, in its own name
            pass
    with stdin_data("data.csv", example="cat x") as path:  # any other DATA is left as given, standard input untouched
        assert path == "data.csv"


@settings(max_examples=60, deadline=None)
@given(head=st.sampled_from([b"", b"PAR1", b"PAR", b"a,b\n"]), body=st.binary(max_size=300), chunk=st.integers(1, 64))
def test_the_spooled_file_holds_standard_input_byte_for_byte(head, body, chunk, tmp_path_factory):
    """Whatever was piped in is copied whole, across chunk boundaries, to stdin.parquet where it begins with b'PAR1', else
    to the text format its first line shows."""
    import sys
    from unittest import mock

    from hiddenlayers.cli import _stdin

    piped_bytes = head + body
    if not piped_bytes:
        return
    stdin = io.TextIOWrapper(io.BytesIO(piped_bytes))
    with mock.patch.object(sys, "stdin", stdin), mock.patch.object(_stdin, "_CHUNK", chunk):
        path = _stdin._spool(tmp_path_factory.mktemp("spool"), "cat x")
    assert path.endswith("stdin" + _stdin.piped_suffix(piped_bytes[:1 << 16]))
    assert path.endswith("stdin.parquet") == piped_bytes.startswith(b"PAR1")
    with open(path, "rb") as fh:
        assert fh.read() == piped_bytes


@pytest.fixture
def batch_sizes(monkeypatch):
    """The sizes of the record batches the streamed reader yields, with batches of at most 40 rows (the table has 150)."""
    from hiddenlayers.cli import _score_stream
    from hiddenlayers.data import ParquetSource

    sizes: list[int] = []
    real = ParquetSource.batches

    def batches(self, *args, **kwargs):
        for file, at, frame in real(self, *args, **kwargs):
            sizes.append(len(frame))
            yield file, at, frame

    monkeypatch.setattr(ParquetSource, "batches", batches)
    for scorer in (_score_stream.predict_stream, _score_stream.evaluate_stream):
        monkeypatch.setitem(scorer.__kwdefaults__, "read_rows", 40)
    return sizes


@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_a_piped_table_is_scored_batch_by_batch_not_read_whole(command, table, table_model, batch_sizes):
    """A table piped into a table model was read whole, as one file (300 MB of CSV piped into predict took 4 GB; a
    folder of the same file 0.66 GB): it now goes through the folder's batch reader, so memory holds one batch however
    long the pipe, with the file's output (predictions row for row, the same metrics)."""
    args = ["--proba", "--keep", "a"] if command == "predict" else ["--json"]
    result = piped(table.read_bytes(), command, table_model, "-", *args)
    assert result.exit_code == 0, result.output
    assert batch_sizes == [40, 40, 40, 30]
    from_file = ok(command, table_model, table, *args).stdout
    if command == "predict":
        assert result.stdout == from_file
    else:
        assert json.loads(result.stdout)["metrics"] == json.loads(from_file)["metrics"]


def test_a_piped_table_of_an_onnx_export_is_scored_batch_by_batch(table, table_model, tmp_path, batch_sizes):
    onnx = tmp_path / "m.onnx"
    ok("export", table_model, "--out", onnx)
    result = piped(table.read_bytes(), "predict", onnx, "-")
    assert result.exit_code == 0, result.output
    assert batch_sizes == [40, 40, 40, 30] and result.stdout == ok("predict", onnx, table).stdout
    evaluated = piped(table.read_bytes(), "evaluate", onnx, "-", "--json")
    assert json.loads(evaluated.stdout)["metrics"] == json.loads(ok("evaluate", onnx, table, "--json").stdout)["metrics"]


def test_a_piped_row_of_the_wrong_width_is_refused_by_predict_after_the_rows_before(table, table_model, batch_sizes):
    """predict keeps one output row per input row from a pipe, as from a file: a ragged line is refused, naming it, not
    dropped with a note as in a folder (streamed, rows of earlier batches may be on stdout already: the error says so)."""
    lines = table.read_text().splitlines(keepends=True)
    lines[100] = "1,2\n"  # file line 101, in the third batch
    result = piped("".join(lines), "predict", table_model, "-")
    assert result.exit_code == 2, result.output
    assert "1 with fewer fields than the 4 header columns (line 101)" in result.stderr
    assert "standard input has 1 of 150 data rows that do not fit its header" in result.stderr  # the pipe read whole's words, every row counted
    assert len(result.stdout.splitlines()) <= 1 + 80  # none of the batch holding it, nor after (pyarrow reads the block ahead: none)


@pytest.mark.parametrize("source", ["folder", "pipe"])
def test_a_reader_that_leaves_early_ends_a_streamed_predict_quietly_with_exit_0(source, table, table_model, tmp_path):
    """`hiddenlayers predict m.safetensors DIR | head -1`: the streamed write met a closed pipe, and Click exited 1 (a
    pipeline under `set -o pipefail` failed where predict FILE exits 0); closing the reader's threads at once also keeps
    the interpreter's exit from aborting (exit 134). The reader closes its end before any row is written."""
    import shutil
    import subprocess
    import sys

    folder = tmp_path / "f"
    folder.mkdir()
    shutil.copy(table, folder / "t.csv")
    data, given = (folder, subprocess.DEVNULL) if source == "folder" else ("-", subprocess.PIPE)
    proc = subprocess.Popen([sys.executable, "-m", "hiddenlayers", "predict", str(table_model), str(data)],
                            stdin=given, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # type: ignore[union-attr]  # the reader leaves before the first row
    _, err = proc.communicate(table.read_bytes() if source == "pipe" else None, timeout=120)
    assert proc.returncode == 0 and err == b"", err


@pytest.mark.parametrize("fmt", ["tsv", "jsonl", "json"])
def test_a_tsv_or_json_table_piped_in_is_read_as_the_file_is(fmt, table, table_model, tmp_path, spool_here):
    """A TSV piped in was read as CSV, one column, and refused with "give it the suffix .tsv", which a pipe cannot take;
    JSON lines were one column too, "the data lacks column(s) 'a', 'b', 'color'". Both are told by their first bytes now
    (a JSON array too), with a byte order mark and CRLF line ends, and give the file's predictions and metrics."""
    frame = pd.read_csv(table)
    path = tmp_path / f"t.{fmt}"
    if fmt == "tsv":
        path.write_bytes(b"\xef\xbb\xbf" + frame.to_csv(sep="\t", index=False).replace("\n", "\r\n").encode())
    else:
        frame.to_json(path, orient="records", lines=fmt == "jsonl")
    result = piped(path.read_bytes(), "predict", table_model, "-", "--proba")
    assert result.exit_code == 0, result.output
    assert result.stdout == ok("predict", table_model, table, "--proba").stdout
    evaluated = piped(path.read_bytes(), "evaluate", table_model, "-", "--json")
    assert json.loads(evaluated.stdout)["metrics"] == json.loads(ok("evaluate", table_model, table, "--json").stdout)["metrics"]
    assert list(spool_here.iterdir()) == []


_NAME = st.text(st.characters(codec="utf-8", exclude_characters="\t,\n\r\"'{[\x00"), min_size=1, max_size=8).filter(str.strip)


@settings(max_examples=200, deadline=None)
@given(names=st.lists(_NAME, min_size=2, max_size=5), sep=st.sampled_from([",", "\t"]), bom=st.booleans(), crlf=st.booleans(),
       rest=st.binary(max_size=40))
def test_the_piped_format_is_told_by_the_header_line(names, sep, bom, crlf, rest):
    """A header of two or more names is TSV where they are tab-separated, else CSV, whatever follows the first line."""
    from hiddenlayers.cli._stdin import piped_suffix

    head = (b"\xef\xbb\xbf" if bom else b"") + sep.join(names).encode() + (b"\r\n" if crlf else b"\n") + rest
    assert piped_suffix(head) == (".tsv" if sep == "\t" else ".csv")
    assert piped_suffix(b"PAR1" + head) == ".parquet"
    assert piped_suffix(b'\n {"a": 1}\n' + head) == ".jsonl" and piped_suffix(b"[" + head) == ".json"


def test_gzip_npy_and_npz_bytes_piped_in_are_read_as_their_files(table, table_model, tmp_path, spool_here):
    """`zcat`-free: `cat t.csv.gz | predict m -` said "holds NUL bytes on line 1 (UTF-16 text?)" with an iconv command on
    a file named stdin.csv, which the user does not have; so did an .npy's or .npz's bytes (an ImageClassifier's images).
    gzip is read as what it holds, .npy and .npz by NumPy's magic bytes; a cut .gz is one line."""
    import gzip

    import numpy as np

    expected = ok("predict", table_model, table, "--proba").stdout
    assert piped(gzip.compress(table.read_bytes()), "predict", table_model, "-", "--proba").stdout == expected
    whole = gzip.compress(table.read_bytes())
    assert_user_error(piped(whole[: len(whole) // 2], "predict", table_model, "-"), "standard input is gzip-compressed but cannot be read whole")
    from hiddenlayers.cli._stdin import piped_suffix

    npy, npz = tmp_path / "x.npy", tmp_path / "x.npz"
    np.save(npy, np.zeros((2, 3)))
    np.savez(npz, X=np.zeros((2, 3)))
    assert piped_suffix(npy.read_bytes()) == ".npy" and piped_suffix(npz.read_bytes()) == ".npz"
    assert list(spool_here.iterdir()) == []


def test_a_piped_table_that_is_not_utf8_names_the_fix_in_the_pipe(table_model):
    """The iconv advice named the temporary file (`iconv -f utf-16 -t utf-8 stdin.csv > utf8-stdin.csv`)."""
    text = "a,b,color\n1,2,red\n"
    assert_user_error(piped(text.encode("utf-16"), "predict", table_model, "-"),
                      "standard input is UTF-16 text, not UTF-8: save it as UTF-8 (e.g. `iconv -f utf-16 -t utf-8` in the pipe, before hiddenlayers).")
    latin = b"a,b,color\n1,2,red\n3,4,caf\xe9\n"
    assert_user_error(piped(latin, "predict", table_model, "-"),
                      "standard input is not UTF-8: line 3 has the byte 0xe9 (byte 8 of the line); save it as UTF-8 (e.g. `iconv -f latin1")


_CHECKED = "a,b,label\n" + "1,2,yes\n" * 4 + "".join(f"{i},{i % 3},{'no' if i % 2 else 'yes'}\n" for i in range(3, 40))
_NEW = "a,b,label\n" + "".join(f"{2 * i},{i % 5},{'no' if i % 2 else 'yes'}\n" for i in range(3, 40)) + "1,2,yes\n"


def test_check_clean_dash_writes_the_cleaned_table_to_standard_output(tmp_path, spool_here):
    """`check data.csv --clean -` was refused ("--clean must end in .csv, ..."): it now writes the cleaned table as CSV on
    standard output, as `predict --out -` writes its table, and the report on standard error; from a pipe too."""
    data, out = tmp_path / "d.csv", tmp_path / "clean.csv"
    data.write_text(_CHECKED)
    from_file = ok("check", data, "-t", "label", "--fast", "--clean", out)
    result = ok("check", data, "-t", "label", "--fast", "--clean", "-")
    assert result.stdout == out.read_text() and len(pd.read_csv(io.StringIO(result.stdout))) == 41 - 3  # the 3 repeats gone
    assert "duplicates: 3 row(s) repeat an earlier row exactly" in result.stderr and "duplicates" in from_file.stdout
    assert result.stderr.endswith("note: wrote the cleaned table to standard output: dropped 3 row(s) and 0 column(s): 3 row(s) (duplicates)\n")
    filtered = piped(_CHECKED, "check", "-", "-t", "label", "--fast", "--clean", "-")  # a filter: pipe in, cleaned table out
    assert filtered.exit_code == 0, filtered.output
    assert filtered.stdout == out.read_text() and list(spool_here.iterdir()) == []


def test_check_clean_dash_writes_nothing_when_a_finding_is_fatal(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("a,label\n1,\n2,\n")  # no target value in any row
    result = run("check", data, "-t", "label", "--fast", "--clean", "-")
    assert result.exit_code == 2 and result.stdout == ""
    assert "note: --clean: standard output not written: a finding is fatal (see above); fix it first." in result.stderr


def test_check_against_dash_reads_the_new_table_from_the_pipe(tmp_path, spool_here):
    """`cat new.csv | check data.csv --against -` was refused ("'-' (standard input) is not read here"): it finds what
    `--against new.csv` finds, and names no temporary file."""
    data, new = tmp_path / "d.csv", tmp_path / "n.csv"
    data.write_text(_CHECKED)
    new.write_text(_NEW)
    from_file = json.loads(ok("check", data, "-t", "label", "--fast", "--against", new, "--json").stdout)
    result = piped(_NEW, "check", data, "-t", "label", "--fast", "--against", "-", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["findings"] == from_file["findings"]
    assert "train_new_overlap" in [f["check"] for f in report["findings"]]
    assert str(spool_here) not in result.output and list(spool_here.iterdir()) == []


@pytest.mark.parametrize("args, message", [
    (["-", "--against", "-"], "DATA and --against are both '-', and standard input holds one table: pipe one of them and give the "
                              "other as a file, e.g. `cat new.csv | hiddenlayers check data.csv --against -`."),
    (["-", "--clean", "-", "--json"], "--clean - writes the cleaned table to standard output, where --json prints the report: "
                                      "give --clean a file (e.g. --clean clean.csv), or drop --json"),
])
def test_check_refuses_two_uses_of_one_pipe_before_reading_it(args, message, spool_here):
    assert_user_error(piped(_CHECKED, "check", *args, "-t", "label"), message)
    assert list(spool_here.iterdir()) == []


def test_parquet_with_an_encrypted_footer_is_told_by_its_magic(tmp_path):
    """An encrypted-footer Parquet file starts and ends with PARE, not PAR1: piped, it was read as CSV text."""
    from hiddenlayers._files import is_parquet_magic
    from hiddenlayers.cli._stdin import piped_suffix

    assert piped_suffix(b"PARE\x15\x04" + b"\x00" * 20 + b"\n") == ".parquet"
    assert piped_suffix(b"PAR1\x15\x04\n") == ".parquet" and piped_suffix(b"PARK,b\n1,2\n") == ".csv"
    assert is_parquet_magic(b"PARE") and is_parquet_magic(b"PAR1") and not is_parquet_magic(b"PAR")
    buf = io.BytesIO()
    pd.DataFrame({"a": [1.0]}).to_parquet(buf)
    assert is_parquet_magic(buf.getvalue()[:4]) and is_parquet_magic(buf.getvalue()[-4:])
