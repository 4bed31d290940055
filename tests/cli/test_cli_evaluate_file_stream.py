"""``evaluate MODEL FILE`` of a table model streams the file batch by batch (cli/_score_stream.evaluate_stream), with the
metrics, table, ``--json``, notes and refusals of the file read whole (the old path, kept for bundled datasets, JSON arrays,
NumPy files and a model that reads its columns by position: ``run_evaluate`` without the stream)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from test_cli_predict_file_stream import _edited, _write, batch_sizes  # noqa: F401 (batch_sizes: a fixture)
from typer.testing import CliRunner

from cli_helpers import ok
from hiddenlayers.cli import app

FORMATS = ["csv", "tsv", "jsonl", "parquet", "csv.gz"]


@pytest.fixture(scope="module")
def labelled(tmp_path_factory):
    """(a CSV of 150 rows: features a, b, color; a class label, a numeric y and a weight w), a classifier of label and a
    regressor of y fitted on it (2 epochs: the tests need model files, not what they learned)."""
    rng = np.random.default_rng(0)
    n = 150
    a = rng.normal(size=n)
    color = rng.choice(["red", "green", "blue"], size=n).astype(object)
    color[:5] = None
    frame = pd.DataFrame({"a": a, "b": rng.normal(size=n), "color": color, "label": np.where(a + (color == "red") > 0.3, "yes", "no"),
                          "w": rng.uniform(0.1, 2, n), "y": 2 * a + rng.normal(size=n)})
    d = tmp_path_factory.mktemp("evaluate_file")
    frame.to_csv(d / "t.csv", index=False)
    models = {}
    for target, drop in (("label", ["w", "y"]), ("y", ["w", "label"])):
        frame.drop(columns=drop).to_csv(d / f"fit_{target}.csv", index=False)
        models[target] = d / f"{target}.safetensors"
        result = CliRunner().invoke(app, ["train", str(d / f"fit_{target}.csv"), "-t", target, "--hidden", "4", "--epochs", "2", "-q",
                                          "-o", str(models[target])])
        assert result.exit_code == 0, result.output
    return d / "t.csv", models["label"], models["y"]


@pytest.fixture
def eval_batches(batch_sizes, monkeypatch):  # noqa: F811 (the imported fixture)
    """The sizes of the batches the streamed readers yield (predict's fixture), evaluate's batches of at most 40 rows too."""
    from hiddenlayers.cli import _score_stream

    monkeypatch.setitem(_score_stream.evaluate_stream.__kwdefaults__, "read_rows", 40)
    return batch_sizes


def _whole(monkeypatch, *args):
    """``evaluate ARGS`` as it ran before it streamed: the file read whole (streamed_file False for the call)."""
    from hiddenlayers.cli import _score_stream

    with monkeypatch.context() as m:
        m.setattr(_score_stream, "streamed_file", lambda data: False)
        return CliRunner().invoke(app, [str(a) for a in args])


def _same(streamed, whole, *, exact: bool) -> None:
    """The same exit, stderr (notes or error) and output; ``exact`` False: a metric may differ from the whole read's past
    float32's precision, nothing else: a weighted confusion matrix and a regressor's error sums add batch by batch (the last
    float64 digits), and a regressor's float32 predictions of a 40-row batch can round otherwise than in one of 150 rows
    (another BLAS kernel for the matrix product: R² moved by 2e-9 relative here)."""
    assert (streamed.exit_code, streamed.stderr) == (whole.exit_code, whole.stderr), (streamed.output, whole.output)
    if exact or whole.exit_code != 0:
        assert streamed.stdout == whole.stdout
        return
    got, want = json.loads(streamed.stdout), json.loads(whole.stdout)
    m_got, m_want = got.pop("metrics"), want.pop("metrics")
    assert got == want and list(m_got) == list(m_want)
    for key, value in m_want.items():
        if key == "confusion_matrix":
            assert {**m_got[key], "matrix": None} == {**value, "matrix": None}
            np.testing.assert_allclose(m_got[key]["matrix"], value["matrix"], rtol=0, atol=1e-6)  # rounded to 6 digits
        else:
            assert m_got[key] == pytest.approx(value, rel=1e-6, abs=1e-12), key


OPTIONS = {
    "classifier": ("label", []),
    "threshold and pos-label": ("label", ["--threshold", "0.3", "--pos-label", "no"]),
    "weighted classifier": ("label", ["--sample-weight", "w"]),
    "regressor": ("y", []),
    "weighted regressor": ("y", ["--sample-weight", "w"]),
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("option", list(OPTIONS))
def test_one_file_is_evaluated_batch_by_batch_with_the_metrics_of_the_file_read_whole(fmt, option, labelled, tmp_path, eval_batches, monkeypatch):
    """`evaluate MODEL big.csv` read the whole file where a folder of it streamed; it now goes through the folder's batch
    reader a batch at a time: the same JSON (accuracy, confusion matrix, ROC-AUC, average precision, --threshold and
    --pos-label, weights; R², MAE, RMSE), a .csv.gz too (refused then as "unsupported file type '.gz'": the CSV it holds)."""
    table, clf, reg = labelled
    target, extra = OPTIONS[option]
    path = tmp_path / f"t.{fmt}"
    _write(pd.read_csv(table), path, fmt)
    model = clf if target == "label" else reg
    streamed = ok("evaluate", model, path, "--json", *extra)
    assert eval_batches == [40, 40, 40, 30]
    whole = _whole(monkeypatch, "evaluate", model, table if fmt == "csv.gz" else path, "--json", *extra)
    if fmt == "csv.gz":  # the data path printed is the file given
        whole.stdout_bytes = whole.stdout_bytes.replace(str(table).encode(), str(path).encode())
    _same(streamed, whole, exact=target == "label" and "w" not in extra)


def test_the_table_of_metrics_is_the_file_read_whole_s(labelled, eval_batches, monkeypatch):
    table, clf, _ = labelled
    for extra in ([], ["--pos-label", "no"]):
        streamed = ok("evaluate", clf, table, *extra)
        assert streamed.stdout == _whole(monkeypatch, "evaluate", clf, table, *extra).stdout and "confusion matrix" in streamed.stdout.lower()
    assert eval_batches[:4] == [40, 40, 40, 30]


def _blank(lines, i, *fields):
    cells = lines[i].rstrip("\n").split(",")
    for j in fields:
        cells[j] = ""
    lines[i] = ",".join(cells) + "\n"


EDITS = {
    "no target": lambda lines: [_blank(lines, i, 3, 5) for i in (3, 50, 120)],
    "ragged": lambda lines: lines.__setitem__(101, "1,2\n"),
    "ragged and no target": lambda lines: [lines.__setitem__(101, "1,2\n"), _blank(lines, 50, 3, 5)],
    "infinite in two batches": lambda lines: [lines.__setitem__(i, "-Infinity" + lines[i][lines[i].index(","):]) for i in (101, 140)],
    "bad cell": lambda lines: lines.__setitem__(101, "abc" + lines[101][lines[101].index(","):]),
    "unseen category and missing": lambda lines: lines.__setitem__(101, "," + lines[101].split(",", 1)[1].replace("red", "mauve")
                                                                    .replace("blue", "mauve").replace("green", "mauve")),
    "no column a": lambda lines: lines.__setitem__(slice(None), [line.split(",", 1)[1] for line in lines]),
    "header only": lambda lines: lines.__setitem__(slice(1, None), []),
    "no usable row": lambda lines: lines.__setitem__(slice(1, None), ["1,2\n", "3\n"]),
    "every target missing": lambda lines: [_blank(lines, i, 3, 5) for i in range(1, len(lines))],
    "empty": lambda lines: lines.__setitem__(slice(None), []),
}


@pytest.mark.parametrize("edit", list(EDITS))
@pytest.mark.parametrize("target", ["label", "y"])
def test_refusals_and_notes_are_those_of_the_file_read_whole(edit, target, labelled, tmp_path, eval_batches, monkeypatch):
    """One file says what the file read whole said: its lines as `line 102`, not a folder's `'bad.csv' line 102`; the
    dropped rows (a missing target, a ragged row) in one note; the columns the model does not use; every infinite cell
    counted; a file without rows, without a column, of no row that fits, or of no target value, in read_table's words."""
    table, clf, reg = labelled
    path = _edited(table, tmp_path, EDITS[edit])
    model = clf if target == "label" else reg
    _same(ok_or_error := CliRunner().invoke(app, ["evaluate", str(model), str(path), "--json"]),
          _whole(monkeypatch, "evaluate", model, path, "--json"), exact=target == "label")
    assert "'" + str(path) + "' line" not in ok_or_error.stderr


@pytest.mark.parametrize("option", [["--target", "nope"], ["--sample-weight", "nope"], ["--target", "a"], ["--sample-weight", "a"]])
def test_option_refusals_are_those_of_the_file_read_whole(option, labelled, eval_batches, monkeypatch):
    table, clf, _ = labelled
    streamed = CliRunner().invoke(app, ["evaluate", str(clf), str(table), *option])
    _same(streamed, _whole(monkeypatch, "evaluate", clf, table, *option), exact=True)
    assert streamed.exit_code == 2 and eval_batches == []


def test_the_export_of_a_table_model_is_evaluated_batch_by_batch_as_its_file_read_whole(labelled, tmp_path, eval_batches, monkeypatch):
    table, clf, _ = labelled
    onnx = tmp_path / "m.onnx"
    ok("export", clf, "-o", onnx)
    path = _edited(table, tmp_path, EDITS["ragged and no target"])
    streamed = ok("evaluate", onnx, path, "--json")
    assert eval_batches == [40, 40, 40, 29] and "line 102" in streamed.stderr
    _same(streamed, _whole(monkeypatch, "evaluate", onnx, path, "--json"), exact=True)
    # infinite cells in two batches: refused before any batch, every one counted, as the export's file read whole (and the
    # .safetensors file) refused them; predict's stdout holds no row (it held the first two batches')
    path = _edited(table, tmp_path, EDITS["infinite in two batches"])
    _same(CliRunner().invoke(app, ["evaluate", str(onnx), str(path), "--json"]), _whole(monkeypatch, "evaluate", onnx, path, "--json"), exact=True)
    predicted = CliRunner().invoke(app, ["predict", str(onnx), str(path)])
    assert predicted.exit_code == 2 and predicted.stdout == "" and "line 102 holds the infinite number -inf (2 infinite cells in all)" in predicted.stderr, predicted.output


def test_a_piped_json_lines_table_is_evaluated_batch_by_batch(labelled, tmp_path, eval_batches, monkeypatch):
    """A piped CSV, TSV or Parquet table streamed; JSON lines was read whole."""
    table, clf, _ = labelled
    path = tmp_path / "t.jsonl"
    _write(pd.read_csv(table), path, "jsonl")
    streamed = CliRunner().invoke(app, ["evaluate", str(clf), "-", "--json"], input=path.read_bytes())
    assert streamed.exit_code == 0, streamed.output
    assert eval_batches == [40, 40, 40, 30]
    assert streamed.stdout == _whole(monkeypatch, "evaluate", clf, path, "--json").stdout.replace(json.dumps(str(path)), '"-"')
