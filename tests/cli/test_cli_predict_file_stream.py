"""``predict MODEL FILE`` of a table model streams the file batch by batch (cli/_score_stream), with the output, notes and
refusals of the file read whole (the old path, kept for bundled datasets, JSON arrays and NumPy files: ``_predict_frame``)."""

from __future__ import annotations

import gzip
import warnings

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from cli_helpers import assert_user_error, ok, run
from hiddenlayers.cli import app
from hiddenlayers.cli._table_out import write_table
from hiddenlayers.cli._train import _predict_frame
from hiddenlayers.exceptions import DataError

FORMATS = ["csv", "tsv", "jsonl", "parquet", "csv.gz"]


@pytest.fixture
def batch_sizes(monkeypatch):
    """The sizes of the batches predict's streamed readers yield, with batches of at most 40 rows (the table has 150)."""
    import hiddenlayers.data as data
    from hiddenlayers.cli import _score_stream

    sizes: list[int] = []
    for reader in (data.ParquetSource, getattr(data, "JsonLinesFile", None)):
        if reader is None:  # the code before JSON lines streamed
            continue
        real = reader.batches

        def batches(self, *args, _real=real, **kwargs):
            for file, at, frame in _real(self, *args, **kwargs):
                sizes.append(len(frame))
                yield file, at, frame

        monkeypatch.setattr(reader, "batches", batches)
    monkeypatch.setitem(_score_stream.predict_stream.__kwdefaults__, "read_rows", 40)
    return sizes


def _write(frame: pd.DataFrame, path, fmt: str) -> None:
    if fmt == "csv":
        frame.to_csv(path, index=False)
    elif fmt == "tsv":
        frame.to_csv(path, sep="\t", index=False)
    elif fmt == "jsonl":
        frame.to_json(path, orient="records", lines=True)
    elif fmt == "parquet":
        frame.to_parquet(path)
    else:
        path.write_bytes(gzip.compress(frame.to_csv(index=False).encode()))


def _whole(model, data, *args) -> str:
    """What ``predict MODEL DATA`` wrote before it streamed: the file read whole, its predictions as CSV (or its error)."""
    try:
        return _predict_frame(str(model), str(data), "--proba" in args, ["a"] if "--keep" in args else None).to_csv(index=False)
    except DataError as exc:
        return f"error: {exc}"


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_file_is_predicted_batch_by_batch_with_the_output_of_the_file_read_whole(fmt, table, table_model, tmp_path, batch_sizes):
    """`predict MODEL big.csv` read the whole file (300 MB of CSV: 1.4 GB peak) where a folder or a pipe of the same table
    streamed: it now goes through the folder's batch reader, a batch at a time, row for row the old output (CSV, TSV,
    JSON lines, Parquet; a gzip-compressed CSV, which it refused as "unsupported file type '.gz'")."""
    path = tmp_path / f"t.{fmt}"
    _write(pd.read_csv(table), path, fmt)
    result = ok("predict", table_model, path, "--proba", "--keep", "a")
    assert batch_sizes == [40, 40, 40, 30]
    # the same file read whole (a .csv.gz, refused then: the CSV it holds; JSON lines keep to_json's 10 digits)
    assert result.stdout == _whole(table_model, table if fmt == "csv.gz" else path, "--proba", "--keep")


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl", ".parquet"])
def test_an_out_file_holds_what_the_file_read_whole_wrote(suffix, table, table_model, tmp_path, batch_sizes):
    out, before = tmp_path / f"p{suffix}", tmp_path / f"before{suffix}"
    result = ok("predict", table_model, table, "--proba", "--out", out)
    assert batch_sizes == [40, 40, 40, 30] and f"wrote 150 predictions to {out}" in result.stderr
    write_table(_predict_frame(str(table_model), str(table), True), before)
    if suffix == ".parquet":
        streamed, whole = pd.read_parquet(out), pd.read_parquet(before)
        pd.testing.assert_frame_equal(streamed, whole)
        assert list(streamed.dtypes) == list(whole.dtypes)
    else:
        assert out.read_bytes() == before.read_bytes()


def _edited(table, tmp_path, edit) -> object:
    lines = table.read_text().splitlines(keepends=True)
    edit(lines)
    path = tmp_path / "bad.csv"
    path.write_text("".join(lines))
    return path


EDITS = {
    "ragged": lambda lines: lines.__setitem__(101, "1,2\n"),
    "infinite": lambda lines: lines.__setitem__(101, "inf" + lines[101][lines[101].index(","):]),
    "infinite in two batches": lambda lines: [lines.__setitem__(i, "-Infinity" + lines[i][lines[i].index(","):]) for i in (101, 140)],
    "unseen category and missing": lambda lines: lines.__setitem__(101, "," + lines[101].split(",", 1)[1].replace("red", "mauve")
                                                                    .replace("blue", "mauve").replace("green", "mauve")),
    "no column a": lambda lines: lines.__setitem__(slice(None), [line.split(",", 1)[1] for line in lines]),
    "header only": lambda lines: lines.__setitem__(slice(1, None), []),
    "no usable row": lambda lines: lines.__setitem__(slice(1, None), ["1,2\n", "3\n"]),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_refusals_and_notes_are_those_of_the_file_read_whole(edit, table, table_model, tmp_path, batch_sizes):
    """One file says what the file read whole said: its line as `line 102`, not a folder's `'bad.csv' line 102`; every
    ragged row counted ("has 1 of 150 data rows"); a note without "(in 1 file: ...)"; a file without rows, without a
    column, or of no row that fits, in read_table's words."""
    path = _edited(table, tmp_path, EDITS[edit])
    result = run("predict", table_model, path)
    expected = _whole(table_model, path)
    if expected.startswith("error: "):
        assert_user_error(result, expected.removeprefix("error: "))
        assert result.stdout == ""
    else:
        assert result.exit_code == 0 and result.stdout == expected
        notes = [line for line in result.stderr.splitlines() if line.startswith("note: ")]
        assert len(notes) == 2 and not any("(in 1 file" in n for n in notes), result.stderr


def test_an_empty_file_is_refused_as_the_file_read_whole_refused_it(table_model, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert_user_error(run("predict", table_model, path), _whole(table_model, path).removeprefix("error: "))


def test_a_bad_cell_found_in_a_later_batch_leaves_no_out_file_and_stdout_says_how_many_rows_it_holds(table, table_model, tmp_path, batch_sizes):
    """A cell that fails only when its batch is read: --out writes nothing (its temp file removed), stdout holds the rows
    of the batches before, which the error counts, as a folder's says."""
    path = _edited(table, tmp_path, lambda lines: lines.__setitem__(101, "abc" + lines[101][lines[101].index(","):]))
    out = tmp_path / "p.csv"
    assert_user_error(run("predict", table_model, path, "--out", out), "column 'a' must be numeric but line 102 holds 'abc'")
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]
    result = run("predict", table_model, path)
    assert_user_error(result, "(80 rows of the earlier record batches were already written to stdout: that table is cut short")
    assert len(result.stdout.splitlines()) == 1 + 80


def test_a_model_that_reads_columns_by_position_reads_the_file_whole(tmp_path, batch_sizes):
    """A model fitted on an array records no column names: a file's columns go to it by position, which only the whole
    read does (a folder is refused); one file still predicts as before."""
    from sklearn.exceptions import ConvergenceWarning

    import hiddenlayers as hl

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 2 epochs: a model file is all the test needs
        clf = hl.MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0).fit(X, (X[:, 0] > 0).astype(int))
    model = tmp_path / "m.safetensors"
    clf.save(model)
    path = tmp_path / "x.csv"
    pd.DataFrame(X, columns=["p", "q", "r"]).to_csv(path, index=False)
    result = ok("predict", model, path)
    assert batch_sizes == [] and result.stdout == _whole(model, path)


def test_a_nested_json_value_in_a_later_batch_names_its_row_in_the_file(table_model, tmp_path, batch_sizes):
    rows = [{"a": float(i), "b": 0.5, "color": "red"} for i in range(100)]
    rows[90]["color"] = ["red"]
    path = tmp_path / "n.jsonl"
    pd.DataFrame(rows).to_json(path, orient="records", lines=True)
    assert_user_error(run("predict", table_model, path, "--out", tmp_path / "p.csv"), "column 'color' holds a nested value in row 91")


@pytest.mark.parametrize("fmt", ["tsv", "jsonl"])
def test_piped_tsv_and_json_lines_are_predicted_batch_by_batch(fmt, table, table_model, tmp_path, batch_sizes):
    """Only a piped CSV or Parquet table streamed; TSV and JSON lines were read whole."""
    path = tmp_path / f"t.{fmt}"
    _write(pd.read_csv(table), path, fmt)
    result = CliRunner().invoke(app, ["predict", str(table_model), "-", "--proba"], input=path.read_bytes())
    assert result.exit_code == 0, result.output
    assert batch_sizes == [40, 40, 40, 30] and result.stdout == _whole(table_model, path, "--proba")



def test_a_csv_written_with_spaces_after_its_commas_reads_as_the_whole_read_reads_it(table, table_model, tmp_path, batch_sizes):
    """`a, b, color` rows: pandas (the whole read) skips the spaces that open a cell, pyarrow kept them, so every `color`
    was an unseen category (' red') and the predictions changed; a cell of spaces alone, or ' NA', is missing in both."""
    lines = table.read_text().splitlines(keepends=True)
    lines = [lines[0]] + [line.replace(",", ", ") for line in lines[1:]]
    lines[3] = "0.5,   ,  NA, yes\n"
    path = tmp_path / "spaced.csv"
    path.write_text("".join(lines))
    result = ok("predict", table_model, path, "--proba")
    assert batch_sizes == [40, 40, 40, 30]
    assert result.stdout == _whole(table_model, path, "--proba") and "outside the categories" not in result.stderr


def test_a_categorical_column_of_numbers_in_the_first_block_and_text_further_down_is_read_as_the_whole_read_reads_it(table_model, tmp_path):
    """pyarrow infers a CSV column's type from its first block (1 MB): `color` as numbers there and `red` further down was
    refused ("holds 'red', not a number"), where the file read whole by pandas (text, as any column holding text) predicted
    it. The model's categorical columns are now read as text: the output is the whole read's, row for row."""
    n = 80_000  # about 1.3 MB: the text rows start past pyarrow's first block
    rng = np.random.default_rng(1)
    color = np.where(np.arange(n) < n - 50, rng.integers(100, 999, n).astype(str), "red")
    path = tmp_path / "codes.csv"
    pd.DataFrame({"a": rng.normal(size=n).round(3), "b": rng.normal(size=n).round(3), "color": color}).to_csv(path, index=False)
    assert path.stat().st_size > 1 << 20
    result = ok("predict", table_model, path, "--proba")
    assert result.stdout == _whole(table_model, path, "--proba")


def test_a_source_reads_its_text_columns_as_text_from_csv(tmp_path):
    from hiddenlayers.data import ParquetSource

    path = tmp_path / "t.csv"
    path.write_text("a,code\n1.5,007\n2.5,12\n")

    def read(**kwargs):
        return pd.concat([f for _, _, f in ParquetSource(str(path), target=None, features=["a", "code"], **kwargs).batches()])

    assert list(read()["code"]) == [7, 12]  # pyarrow's own inference: numbers
    as_text = read(text_columns=["code"])
    assert list(as_text["code"]) == ["007", "12"] and list(as_text["a"]) == [1.5, 2.5]


@pytest.mark.parametrize("text, found", [(b"x,y\n1,2\n3,fab\n", False), (b"x,y\n1,2\n3,-INF\n", True), (b"x\n1\nInfinity\n", True),
                                         (b"x\n1.0\n2.0\n-iNf\n", True), (b"x\nfinf\n", True), (b"x,y\nfoo,2\n", False)])
@pytest.mark.parametrize("gz", [False, True])
def test_the_look_for_infinity_ahead_finds_every_spelling_across_blocks(tmp_path, monkeypatch, text, found, gz):
    """What decides whether a CSV is read once ahead for its infinite cells: any case of `inf`, in small blocks too (each
    spelling cut across two blocks somewhere), a file with an `f` but no `inf` passed."""
    from hiddenlayers.cli import _score_file

    path = tmp_path / ("t.csv.gz" if gz else "t.csv")
    path.write_bytes(gzip.compress(text) if gz else text)
    for block in (3, 4, 5, 1 << 24):
        monkeypatch.setattr(_score_file, "_BLOCK", block)
        assert _score_file._may_hold_infinity(str(path)) is found


def test_a_prediction_beyond_float32_is_refused_as_the_export_refuses_it(tmp_path, batch_sizes):
    """A float32 regressor's prediction beyond float32's range (a target of scale 1e37, a row far out) is finite in float64
    but was written as `inf` (a note "overflow encountered in cast"), read whole or streamed, and so after the batches before
    on stdout; its .onnx export, which computes in float32, refused the row. Now the row is refused as the export refuses it:
    before any row read whole, and streamed with the count of rows stdout holds (no --out file)."""
    import hiddenlayers as hl

    x = np.random.default_rng(0).normal(size=40)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = hl.MLPRegressor(hidden_layer_sizes=(2,), max_iter=1, random_state=0, scale_target=True).fit(pd.DataFrame({"x": x}), 1e37 * (x + 1))
    assert abs(model.predict(pd.DataFrame({"x": [1e6]}))[0]) > 3.5e38  # finite in float64, beyond float32
    model.save(tmp_path / "m.safetensors")
    path = tmp_path / "far.csv"
    pd.DataFrame({"x": [1e6 if i == 100 else 0.0 for i in range(150)]}).to_csv(path, index=False)
    refusal = "the model's output for line 102 is not finite"
    assert _whole(tmp_path / "m.safetensors", path).startswith(f"error: {refusal}")
    result = run("predict", tmp_path / "m.safetensors", path)
    assert_user_error(result, f"{refusal} (its values are so far from the training data that the network overflows): fix that row's values. "
                      "(80 rows of the earlier record batches were already written to stdout")
    assert len(result.stdout.splitlines()) == 1 + 80 and "inf" not in result.stdout
    assert_user_error(run("predict", tmp_path / "m.safetensors", path, "--out", tmp_path / "p.csv"), refusal)
    assert not (tmp_path / "p.csv").exists()
