"""`hiddenlayers predict/evaluate MODEL DIR`: a folder scored batch by batch equals the same rows in one file."""

from __future__ import annotations

import io
import json
import os

import numpy as np
import pandas as pd
import pytest

import hiddenlayers.cli._predict_rows as predict_rows_module
from cli_helpers import assert_user_error, ok, run
from stream_helpers import write_folders

ROWS = 150  # per file


def _frames(task: str) -> list[pd.DataFrame]:
    rng = np.random.default_rng(1)
    frames = []
    for i in range(3):
        a, b = rng.normal(size=ROWS), rng.normal(size=ROWS)
        y = (a + 0.5 * b > 0).astype(int) if task == "classification" else 3 * a - b + rng.normal(scale=0.3, size=ROWS)
        frames.append(pd.DataFrame({"id": np.arange(ROWS) + 1000 * i, "a": a, "b": b, "c": rng.choice(["p", "q", "r"], ROWS),
                                    "w": rng.uniform(0.5, 2.0, ROWS), "y": y}))
    return frames


def _folder(tmp_path, frames: list[pd.DataFrame], kind: str):
    """A folder ``tmp_path/f`` of ``frames`` as ``p0``, ``p1``, ... files (``kind``: "pq"/"parquet" or "csv")."""
    folder = tmp_path / "f"
    folder.mkdir()
    for i, f in enumerate(frames):
        f.to_csv(folder / f"p{i}.csv", index=False) if kind == "csv" else f.to_parquet(folder / f"p{i}.parquet")
    return folder


@pytest.fixture(scope="module", params=["classification", "regression"])
def trained(request, tmp_path_factory):
    """A folder of three Parquet files (two row groups each) and a CSV twin, one file of every row, a model trained on the folder."""
    d = tmp_path_factory.mktemp(request.param)
    whole = write_folders(d, _frames(request.param), ROWS // 2)
    whole.to_parquet(d / "all.parquet")
    whole.to_csv(d / "all.csv", index=False)
    model = d / "m.safetensors"
    # float64: the folder's batches and the one file's rows go through the network in different shapes, which float32
    # rounds apart (~1e-7, as predicting in batches in memory does); in float64 the difference is below 1e-12
    ok("train", d / "pq", "--target", "y", "--features", "a,b,c", "--task", request.param, "--epochs", "2", "--dtype", "float64", "--out", model)
    return d, model, request.param


def _model(exported, which):
    """(folder, model path, task): the .safetensors file or its .onnx export."""
    d, onnx, task = exported
    return d, (onnx if which == "onnx" else d / "m.safetensors"), task


BOTH = pytest.mark.parametrize("which", ["safetensors", "onnx"])  # the .onnx export: refused a folder before this branch


@BOTH
@pytest.mark.parametrize("kind", ["pq", "csv"])
def test_predict_on_a_folder_writes_the_rows_of_the_single_file_in_file_order(exported, kind, which):
    d, model, task = _model(exported, which)
    proba = ["--proba"] if task == "classification" else []
    single = "all.parquet" if kind == "pq" else "all.csv"
    ok("predict", model, d / single, "--keep", "id", *proba, "--out", d / f"one_{kind}_{which}.parquet")
    res = ok("predict", model, d / kind, "--keep", "id", *proba, "--out", d / f"dir_{kind}_{which}.parquet")
    assert f"wrote {3 * ROWS} predictions" in res.stderr
    one, many = pd.read_parquet(d / f"one_{kind}_{which}.parquet"), pd.read_parquet(d / f"dir_{kind}_{which}.parquet")
    pd.testing.assert_frame_equal(many, one, check_exact=False, rtol=0, atol=1e-12)
    assert list(many["id"]) == list(pd.read_parquet(d / "all.parquet")["id"])
    assert not [f for f in os.listdir(d) if f.endswith(".tmp")]


@BOTH
def test_predict_on_a_glob_to_stdout_and_csv_equals_the_single_file(exported, which):
    d, model, _ = _model(exported, which)
    one = pd.read_csv(io.StringIO(ok("predict", model, d / "all.csv", "--keep", "id").stdout))
    many = pd.read_csv(io.StringIO(ok("predict", model, str(d / "csv" / "*.csv"), "--keep", "id").stdout))
    pd.testing.assert_frame_equal(many, one, check_exact=False, rtol=0, atol=1e-12)
    ok("predict", model, str(d / "pq" / "*.parquet"), "--keep", "id", "--out", d / f"dir_{which}.csv")
    pd.testing.assert_frame_equal(pd.read_csv(d / f"dir_{which}.csv"), one, check_exact=False, rtol=0, atol=1e-12)


@BOTH
@pytest.mark.parametrize("weighted", [False, True])
def test_evaluate_on_a_folder_gives_the_single_file_metrics(exported, weighted, which):
    d, model, task = _model(exported, which)
    w = ["--sample-weight", "w"] if weighted else []
    one = json.loads(ok("evaluate", model, d / "all.parquet", *w, "--json").stdout)
    for folder in ("pq", "csv"):
        many = json.loads(ok("evaluate", model, d / folder, *w, "--json").stdout)
        assert many["rows"] == one["rows"] == 3 * ROWS and many["task"] == one["task"] == task
        assert many["weighted_by"] == one["weighted_by"]
        assert many["metrics"].keys() == one["metrics"].keys()
        for k, v in one["metrics"].items():
            assert many["metrics"][k] == (v if k == "confusion_matrix" else pytest.approx(v, abs=1e-12, rel=0)), k


@pytest.fixture(scope="module")
def exported(trained):
    """The folder model's .onnx export (float64, as the model: its batches agree with the one file's to 1e-12)."""
    pytest.importorskip("onnxruntime")
    d, model, task = trained
    onnx = d / "m.onnx"
    if not onnx.exists():
        ok("export", model, "--out", onnx)
    return d, onnx, task


@BOTH
def test_the_folder_is_read_in_bounded_batches(exported, monkeypatch, which):
    """The model (the .onnx export's graph too) sees record batches of at most read_rows rows, every row once: never the whole folder."""
    from hiddenlayers.cli._score_stream import evaluate_stream, predict_stream
    from hiddenlayers.ship import OnnxModel

    d, model, _ = _model(exported, which)
    seen: list[int] = []
    owner, name = (OnnxModel, "run") if which == "onnx" else (predict_rows_module, "model_inputs")
    real = getattr(owner, name)

    def counting(model, frame, *args, **kwargs):
        seen.append(len(frame))
        return real(model, frame, *args, **kwargs)

    monkeypatch.setattr(owner, name, counting)
    if which == "safetensors":  # evaluate reads through _predict_rows; before this branch, through _data's own import
        import hiddenlayers.cli._data as data_module

        monkeypatch.setattr(data_module, "model_inputs", counting)
    assert predict_stream(str(model), str(d / "pq"), proba=False, out=str(d / "b.csv"), keep=None, read_rows=40) == 3 * ROWS
    assert max(seen) <= 40 and sum(seen) == 3 * ROWS and len(seen) >= 12  # 6 row groups of 75 rows: 2 batches each at least
    seen.clear()
    evaluate_stream(str(model), str(d / "csv"), target=None, sample_weight=None, read_rows=40)
    assert max(seen) <= 40 and sum(seen) == 3 * ROWS and len(seen) >= 12


@BOTH
def test_a_file_without_a_model_column_is_one_line_naming_it_and_nothing_is_written(exported, tmp_path, which):
    d, model, _ = _model(exported, which)
    folder = tmp_path / "f"
    folder.mkdir()
    frames = _frames("classification")
    frames[0].to_parquet(folder / "p0.parquet")
    frames[1].drop(columns=["b"]).to_parquet(folder / "p1.parquet")
    out = tmp_path / "p.parquet"
    assert_user_error(run("predict", model, folder, "--out", out), f"'{folder}/p1.parquet': the data lacks column(s) 'b'")
    assert not out.exists() and os.listdir(tmp_path) == ["f"]
    assert_user_error(run("evaluate", model, folder), f"'{folder}/p1.parquet': the data lacks column(s) 'b'")
    assert_user_error(run("predict", model, folder, "--keep", "idd"), "--keep: the data has no column 'idd'")
    assert_user_error(run("evaluate", model, folder, "--target", "a"), "--target 'a' is one of the model's input columns")


@BOTH
def test_evaluate_on_a_folder_without_the_recorded_target_says_so_as_one_file_does(exported, tmp_path, which):
    """No --target and files without the model's target 'y': "no target column 'y' in DIR: choose one of ..." before,
    naming a column the user never typed; now the line of evaluate FILE, naming --target."""
    d, model, _ = _model(exported, which)
    frames = [f.drop(columns=["y"]) for f in _frames("classification")[:2]]
    folder = _folder(tmp_path, frames, "pq")
    frames[0].to_csv(tmp_path / "one.csv", index=False)
    said = "the data has no column 'y', the target the model was trained on: give labelled rows (with a 'y' column), or pass --target COLUMN"
    assert_user_error(run("evaluate", model, tmp_path / "one.csv"), said)
    assert_user_error(run("evaluate", model, folder), said)
    assert_user_error(run("evaluate", model, folder / "p0.parquet"), said)


@pytest.mark.parametrize("kind", ["pq", "csv"])
def test_a_keep_column_only_in_a_later_file_names_the_files_that_lack_it(trained, tmp_path, kind):
    """Before: "--keep: the data has no column 'id'." (the first file's header alone), though a file has it."""
    d, model, _ = trained
    frames = _frames("classification")
    folder = _folder(tmp_path, [frames[0].drop(columns=["id"]), frames[1], frames[2].drop(columns=["id"])], kind)
    ext = "parquet" if kind == "pq" else "csv"
    out = tmp_path / "p.parquet"
    for data in (folder, str(folder / f"*.{ext}")):
        assert_user_error(run("predict", model, data, "--keep", "id", "--out", out),
                          f"--keep: 2 of the 3 files have no column 'id' ('{folder}/p0.{ext}', '{folder}/p2.{ext}'; '{folder}/p1.{ext}' has it): "
                          f"keep a column every file has, or leave those files out of '{data}'.")
    assert_user_error(run("predict", model, folder, "--keep", "idd"), "--keep: the data has no column 'idd'")  # in no file: as before
    assert os.listdir(tmp_path) == ["f"]


@BOTH
def test_a_bad_cell_in_a_later_file_names_its_line_and_leaves_no_file_behind(exported, tmp_path, which):
    d, model, _ = _model(exported, which)
    folder = tmp_path / "f"
    folder.mkdir()
    frames = _frames("classification")
    frames[0].to_csv(folder / "p0.csv", index=False)
    bad = frames[1].astype({"a": object})
    bad.loc[7, "a"] = "oops"
    bad.to_csv(folder / "p1.csv", index=False)
    out = tmp_path / "p.csv"
    for command in ("predict", "evaluate"):
        res = run(command, model, folder, *(["--out", out] if command == "predict" else []))
        said = res.stderr.replace(f"{folder}/", "")
        assert res.exit_code == 2 and "'p1.csv' line 9: column 'a' holds 'oops'" in said and "Traceback" not in res.output, res.output
        assert os.listdir(tmp_path) == ["f"]  # the first file's rows were written to a temp file, removed
    out.write_text("old")
    assert run("predict", model, folder, "--out", out, "--force").exit_code == 2
    assert out.read_text() == "old" and sorted(os.listdir(tmp_path)) == ["f", "p.csv"]


@BOTH
def test_a_ragged_row_in_a_later_file_is_refused_by_predict_not_dropped(exported, tmp_path, which):
    """predict writes output row k for input row k: a folder's row of the wrong width was dropped with a note, so every
    later prediction sat beside the wrong input row of whoever joined the two by position (predict FILE refuses it)."""
    d, model, _ = _model(exported, which)
    folder = tmp_path / "f"
    folder.mkdir()
    frames = _frames("classification")
    frames[0].to_csv(folder / "p0.csv", index=False)
    frames[1].to_csv(folder / "p1.csv", index=False)
    lines = (folder / "p1.csv").read_text().splitlines(keepends=True)
    lines[4] = lines[4].rstrip("\n") + ",9.5\n"  # file line 5: one field too many
    (folder / "p1.csv").write_text("".join(lines))
    out = tmp_path / "p.csv"
    res = run("predict", model, folder, "--out", out)
    assert res.exit_code == 2 and "1 with more fields than the" in res.stderr and "(line 5)" in res.stderr, res.output
    assert "predict writes one row per input row" in res.stderr and not out.exists()
    assert run("evaluate", model, folder).exit_code == 0  # a metric over the rows that fit, with the note, as evaluate FILE


@BOTH
def test_a_bad_cell_in_a_later_file_on_stdout_says_how_many_rows_were_already_written(exported, tmp_path, which):
    """predict DIR to stdout printed the first file's rows, then failed on the second's bad cell with exit 2 and no word of
    them: a pipe got half a table. A cell no header shows is still found when its file is read, so the error line now says
    how many rows stdout already holds (those of the first file, header first), and that --out writes nothing then."""
    d, model, _ = _model(exported, which)
    frames = _frames("classification")
    bad = frames[1].astype({"a": object})
    bad.loc[7, "a"] = "oops"
    folder = _folder(tmp_path, [frames[0], bad], "csv")
    res = run("predict", model, folder, "--keep", "id")
    assert res.exit_code == 2 and "Traceback" not in res.output, res.output
    assert pd.read_csv(io.StringIO(res.stdout))["id"].tolist() == frames[0]["id"].tolist()
    line = res.stderr.strip().splitlines()[-1].replace(f"{folder}/", "")
    assert line.startswith("error: 'p1.csv' line 9: column 'a' holds 'oops'"), line
    assert line.endswith(f"({ROWS:,} rows of the earlier record batches were already written to stdout: that table is cut short; "
                         "--out FILE writes nothing on an error)"), line
    bad.to_csv(folder / "p0.csv", index=False)  # the first batch's own bad cell: nothing was written, nothing to add
    res = run("predict", model, folder)
    assert res.exit_code == 2 and res.stdout == "" and "already written" not in res.stderr, res.output


@BOTH
def test_an_infinite_parquet_cell_in_a_later_file_is_refused_from_its_footer_before_any_row_is_written(exported, tmp_path, which):
    """predict DIR to stdout printed the earlier files' rows before the infinite cell of a later file stopped it. A Parquet
    footer's statistics show an infinite number, so it is refused before the first row, naming its row as the batch did
    (here in the third row group of the file: the rows of the groups before it counted)."""
    d, model, _ = _model(exported, which)
    frames = _frames("classification")
    frames[1].loc[107, "b"] = np.inf
    folder = tmp_path / "f"
    folder.mkdir()
    frames[0].to_parquet(folder / "p0.parquet")
    frames[1].to_parquet(folder / "p1.parquet", row_group_size=50)
    res = run("predict", model, folder)
    assert res.exit_code == 2 and res.stdout == "", res.output
    assert_user_error(res, f"column 'b' is numeric, but '{folder}/p1.parquet' row 108 holds the infinite number inf: replace it")


@pytest.mark.parametrize("kind", ["parquet", "csv"])
def test_an_infinite_cell_in_a_later_file_names_its_file_and_line(trained, tmp_path, kind):
    """Before: "column 'a' holds infinite values", naming neither the file nor the row, for a folder of any size."""
    d, model, _ = trained
    frames = _frames("classification")
    frames[1].loc[7, "a"] = -np.inf
    folder = _folder(tmp_path, frames[:2], kind)
    place = "'p1.parquet' row 8" if kind == "parquet" else "'p1.csv' line 9"
    for command in ("predict", "evaluate"):
        res = run(command, model, folder)
        said = res.stderr.replace(f"{folder}/", "")
        assert res.exit_code == 2 and "Traceback" not in res.output, res.output
        assert f"error: column 'a' is numeric, but {place} holds the infinite number -inf: replace it" in said, said


def test_an_empty_csv_file_in_the_folder_is_named_as_empty(trained, tmp_path):
    """Before: "'p1.csv': the data lacks column(s) 'a', 'b', 'c' that the model was trained on: ... (it has )."."""
    d, model, _ = trained
    folder = tmp_path / "f"
    folder.mkdir()
    _frames("classification")[0].to_csv(folder / "p0.csv", index=False)
    (folder / "p1.csv").write_bytes(b"")
    for command in ("predict", "evaluate"):
        assert_user_error(run(command, model, folder), f"'{folder}/p1.csv' is empty (no header line, no rows): remove it from the source")


@BOTH
def test_an_empty_folder_is_one_line_naming_it(exported, tmp_path, which):
    d, model, _ = _model(exported, which)
    (tmp_path / "empty").mkdir()
    for command in ("predict", "evaluate"):
        assert_user_error(run(command, model, tmp_path / "empty"), f"no .parquet/.pq/.csv/.csv.gz files in {tmp_path / 'empty'}")
    assert_user_error(run("predict", model, str(tmp_path / "none*.parquet")), "matches no files")


def test_a_folder_of_files_without_rows_is_refused_for_every_output_as_for_parquet(trained, tmp_path):
    """Parquet files of no rows: `--out p.parquet` said "the folder has no rows to predict: nothing written." (exit 2), but
    `--out p.csv` wrote an empty file, not even a header ("note: wrote 0 predictions", exit 0), and stdout nothing, exit 0.
    One line for every output now, nothing written, as `predict` of one file without rows refuses it."""
    d, model, _ = trained
    folder = tmp_path / "f"
    folder.mkdir()
    _frames("classification")[0].iloc[:0].to_parquet(folder / "p0.parquet")
    for out in ("p.parquet", "p.csv", "p.jsonl", None):
        args = [] if out is None else ["--out", tmp_path / out]
        assert_user_error(run("predict", model, folder, *args), f"'{folder}' has no rows to predict: nothing written.")
        assert out is None or not (tmp_path / out).exists()


@pytest.mark.parametrize("kind", ["pq", "csv"])
def test_rows_without_a_target_get_the_one_file_note_naming_them(trained, tmp_path, kind, capsys):
    """evaluate DIR says of a file's rows without a target (and its ragged lines) what evaluate FILE says of that file,
    the count and lines right across record batches (read_rows=40: the missing rows lie in four batches)."""
    from hiddenlayers.cli._score_stream import evaluate_stream

    d, model, _ = trained
    folder = tmp_path / "f"
    folder.mkdir()
    frames = _frames("classification")
    frames[0].loc[[3, 7, 50, 90, 120, 149], "y"] = np.nan
    name = "p0.parquet" if kind == "pq" else "p0.csv"
    if kind == "pq":
        frames[0].to_parquet(folder / name)
        frames[1].to_parquet(folder / "p1.parquet")
    else:
        frames[0].to_csv(folder / name, index=False)
        with open(folder / name, "a") as fh:
            fh.write("1,2\n")  # a ragged last line: one note with the target's rows, as read_table's
        frames[1].to_csv(folder / "p1.csv", index=False)
    single = ok("evaluate", model, folder / name).stderr
    expected = [line for line in single.splitlines() if "dropped" in line]
    assert len(expected) == 1 and "6 with no value in the target column 'y'" in expected[0], single
    capsys.readouterr()
    result = evaluate_stream(str(model), str(folder), target=None, sample_weight=None, read_rows=40)
    notes = [line for line in capsys.readouterr().err.splitlines() if "dropped" in line or "left out" in line]
    assert notes == expected and result["rows"] == 2 * ROWS - 6
    many = ok("evaluate", model, folder).stderr
    assert [line for line in many.splitlines() if "dropped" in line or "left out" in line] == expected


@pytest.mark.parametrize("kind", ["pq", "csv"])
def test_a_keep_column_of_another_type_in_a_later_file_is_one_line_and_nothing_is_written(trained, tmp_path, kind):
    """--keep id, whole numbers in one file and text in the next: one line naming the column and both files (not pyarrow's
    error), exit 2, no output. (Already so before this branch: a guard, the brief's item 1 found done.)"""
    d, model, _ = trained
    frames = _frames("classification")
    frames[1]["id"] = [f"r{i}" for i in range(ROWS)]
    folder = _folder(tmp_path, frames[:2], kind)
    out = tmp_path / "p.parquet"
    res = run("predict", model, folder, "--keep", "id", "--out", out)
    ext = "parquet" if kind == "pq" else "csv"
    said = res.stderr.replace(f"{folder}/", "")
    assert res.exit_code == 2 and "Traceback" not in res.output and len(said.strip().splitlines()) == 1, res.output
    assert f"'p1.{ext}'" in said and "column 'id'" in said and f"'p0.{ext}'" in said and "write the column with one type in every file" in said
    assert os.listdir(tmp_path) == ["f"]


@BOTH
def test_counted_notes_add_up_every_batch_in_one_line(exported, tmp_path, which, capsys):
    """predict DIR and evaluate DIR said each record batch's "N value(s) outside the categories ..." as its own line, the
    first five only ("... and 4 more notes of later record batches"): the counts of the later batches were never said. Each
    kind is now one line whose counts add up every batch (read_rows=40: the cells lie in seven batches of two files of three)."""
    from hiddenlayers.cli._score_stream import evaluate_stream, predict_stream

    d, model, _ = _model(exported, which)
    frames = _frames("classification")
    frames[0].loc[[0, 45, 90, 140], "c"] = "s"  # four batches of p0
    frames[2].loc[[5, 50, 100], "c"] = "t"  # three of p2
    frames[2].loc[[60, 149], "a"] = np.nan  # training had no missing a: filled, and said so
    folder = _folder(tmp_path, frames, "csv")
    unseen = ("note: 7 value(s) outside the categories kept in training (unseen, or rarer than max_categories) (c: 7) were encoded as "
              f"unknown / <other> (in 2 files: '{folder / 'p0.csv'}', '{folder / 'p2.csv'}')")
    missing = ("note: 2 missing value(s) in column(s) that had none in training (a: 2) were filled with the stored fill value (the "
               f"training median; a streamed fit's mean): the model never saw them missing (in 1 file: '{folder / 'p2.csv'}')")
    for score in (lambda: predict_stream(str(model), str(folder), proba=False, out=str(tmp_path / "p.csv"), keep=None, read_rows=40),
                  lambda: evaluate_stream(str(model), str(folder), target=None, sample_weight=None, read_rows=40)):
        capsys.readouterr()
        score()
        said = [line for line in capsys.readouterr().err.splitlines() if "in training" in line or "more notes" in line]
        assert said == [unseen, missing]
