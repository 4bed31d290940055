"""`hiddenlayers evaluate` and `hiddenlayers info` on .onnx files written by `hiddenlayers export` (no PyTorch)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hiddenlayers
from cli_helpers import assert_user_error, ok, run
from fit_helpers import quiet_fit
from hiddenlayers.exceptions import ModelFileError
from hiddenlayers.ship import describe_onnx


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """Numeric columns (one with gaps), a categorical one with gaps, a text label and a numeric target."""
    rng = np.random.default_rng(3)
    n = 240
    a = rng.normal(size=n)
    b = rng.normal(size=n)
    color = rng.choice(["red", "green", "blue"], size=n).astype(object)
    label = np.where(a + 1.5 * (color == "red") > 0.4, "yes", "no")
    value = 2.0 * a - b + 3.0 * (color == "green") + 0.1 * rng.normal(size=n)
    a[::11] = np.nan
    color[::13] = None
    path = tmp_path_factory.mktemp("onnx") / "mixed.csv"
    pd.DataFrame({"a": a, "b": b, "color": color, "label": label, "value": value}).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def clf(data) -> tuple[Path, Path, Path]:
    """(.safetensors, .onnx, .int8.onnx) of a classifier trained and exported through the CLI."""
    st_path, onnx_path = data.parent / "clf.safetensors", data.parent / "clf.onnx"
    ok("train", data, "-t", "label", "--features", "a,b,color", "--hidden", "12:tanh,6", "--epochs", "40", "--lr", "0.01", "-q", "-o", st_path)
    ok("export", st_path, "--out", onnx_path, "--int8")
    return st_path, onnx_path, data.parent / "clf.int8.onnx"


@pytest.fixture(scope="module")
def reg(data) -> tuple[Path, Path]:
    """(.safetensors, .onnx) of a regressor trained and exported through the CLI."""
    st_path, onnx_path = data.parent / "reg.safetensors", data.parent / "reg.onnx"
    ok("train", data, "-t", "value", "--features", "a,b,color", "--hidden", "16", "--epochs", "60", "--lr", "0.01", "-q", "-o", st_path)
    ok("export", st_path, "--out", onnx_path)
    return st_path, onnx_path


def evaluate_json(*args: object) -> dict:
    return json.loads(ok("evaluate", *args, "--json").stdout)


def test_evaluate_classifier_onnx_equals_safetensors(clf, data):
    a, b = evaluate_json(clf[1], data), evaluate_json(clf[0], data)
    assert a["model"] == str(clf[1]) and a["rows"] == b["rows"] == 240 and a["task"] == b["task"] == "classification"
    ma, mb = a["metrics"], b["metrics"]
    assert set(ma) == set(mb) == {"accuracy", "balanced_accuracy", "f1_macro", "roc_auc", "average_precision", "sensitivity", "specificity",
                                  "confusion_matrix"}  # two classes
    for k in ("accuracy", "balanced_accuracy", "f1_macro", "sensitivity", "specificity"):
        assert ma[k] == pytest.approx(mb[k], abs=1e-6)
    for k in ("roc_auc", "average_precision"):  # from the graph's probabilities: float32 rounding may reorder a near tie
        assert ma[k] == pytest.approx(mb[k], abs=1e-3)
    assert ma["confusion_matrix"] == mb["confusion_matrix"] and ma["confusion_matrix"]["labels"] == ["no", "yes"]
    assert ma["accuracy"] > 0.75  # it learned the rule behind the labels
    text = ok("evaluate", clf[1], data).stdout
    assert "classification metrics on 240" in text and "balanced accuracy" in text and "confusion matrix" in text and "│ yes │" in text


def test_evaluate_regressor_onnx_equals_safetensors(reg, data):
    a, b = evaluate_json(reg[1], data), evaluate_json(reg[0], data)
    assert a["task"] == b["task"] == "regression" and set(a["metrics"]) == {"r2", "mae", "rmse"}
    for k in ("r2", "mae", "rmse"):
        assert a["metrics"][k] == pytest.approx(b["metrics"][k], rel=1e-6, abs=1e-6)
    assert a["metrics"]["r2"] > 0.5


def test_evaluate_int8_and_target_choice(clf, data, tmp_path):
    full = evaluate_json(clf[1], data)["metrics"]["accuracy"]
    assert evaluate_json(clf[2], data)["metrics"]["accuracy"] >= full - 0.05  # int8 file: same metadata, close scores
    assert evaluate_json(clf[1], data, "--target", "label")["metrics"]["accuracy"] == full
    # the notes for the data's extra columns are the same as for the .safetensors file
    via_onnx, via_st = ok("evaluate", clf[1], data), ok("evaluate", clf[0], data)
    assert via_onnx.stderr == via_st.stderr and "ignored 1 column(s) the model does not use: value" in via_onnx.stderr
    # rows whose target is missing are skipped, as for .safetensors
    frame = pd.read_csv(data)
    frame.loc[:9, "label"] = None
    gaps = tmp_path / "gaps.csv"
    frame.to_csv(gaps, index=False)
    assert evaluate_json(clf[1], gaps)["rows"] == evaluate_json(clf[0], gaps)["rows"] == 230


def test_rows_without_the_models_target_evaluate_in_one_line_and_export_on_parity_alone(clf, data, tmp_path):
    """Rows without the target column the model records (new rows, or a misspelt header): evaluate said "unknown target
    column 'label'", a column the user never named, and export refused them though it needs no label for its parity check."""
    frame = pd.read_csv(data)
    unlabelled, renamed = tmp_path / "new.csv", tmp_path / "renamed.csv"
    frame.drop(columns=["label"]).to_csv(unlabelled, index=False)
    frame.rename(columns={"label": "Label"}).to_csv(renamed, index=False)
    said = ("the data has no column 'label', the target the model was trained on: give labelled rows (with a 'label' column), "
            "or pass --target COLUMN naming the labels' column.")
    for model in clf:
        assert_user_error(run("evaluate", model, unlabelled), said)
        assert_user_error(run("evaluate", model, renamed), said + " Did you mean 'Label'?")
    res = ok("export", clf[0], unlabelled, "--out", tmp_path / "p.onnx", "--int8", "--json")
    report = json.loads(res.stdout)
    assert report["parity_rows"] == len(frame) and report["max_abs_diff"] < 1e-4 and report["quantized_path"]
    assert report["score_before"] is None and report["score_after"] is None
    assert f"'{unlabelled}' has no column 'label' (the target): parity checked on its {len(frame)} row(s), no score" in res.stderr
    labelled = json.loads(ok("export", clf[0], data, "--out", tmp_path / "q.onnx", "--int8", "--json").stdout)
    assert labelled["metric"] == "accuracy" and labelled["score_before"] is not None  # labelled rows still give the score
    assert_user_error(run("export", clf[0], unlabelled, "--target", "label", "--out", tmp_path / "r.onnx"), "unknown target column 'label'")


def test_export_of_a_model_fitted_in_python_checks_parity_on_rows_of_its_inputs_alone(tmp_path):
    """A model that records no target (fitted and saved in Python): `export m.safetensors rows.csv` with rows of its input
    columns refused them with "pass --target COLUMN", a column those rows cannot have; now the parity alone, a note saying so.
    Rows with another column still need --target (which one is the labels cannot be told)."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60)})
    y = (X["a"] > 0).astype(int)
    model = quiet_fit(hiddenlayers.MLPClassifier((3,), max_iter=5, random_state=0), X, y)
    path, rows, labelled = tmp_path / "m.safetensors", tmp_path / "rows.csv", tmp_path / "labelled.csv"
    hiddenlayers.save(model, path)
    X[["b", "a"]].to_csv(rows, index=False)  # read by name, in any order
    X.assign(y=y).to_csv(labelled, index=False)
    res = ok("export", path, rows, "--out", tmp_path / "m.onnx", "--json")
    report = json.loads(res.stdout)
    assert report["parity_rows"] == 60 and report["max_abs_diff"] < 1e-4 and report["score_before"] is None
    assert f"'{rows}' holds the model's input columns alone: parity checked on its 60 row(s), no score" in res.stderr
    assert_user_error(run("export", path, labelled, "--out", tmp_path / "n.onnx"), "does not record its target column: pass --target COLUMN")
    scored = json.loads(ok("export", path, labelled, "--target", "y", "--out", tmp_path / "n.onnx", "--json").stdout)
    assert scored["score_before"] == pytest.approx(model.score(X, y))


def test_evaluate_onnx_refuses_a_row_the_graph_overflows_on_as_predict_does(reg, data, tmp_path):
    """A cell of 1e300 overflows the float32 graph's cast: `predict` named its line, `evaluate` (a file, and a folder
    batch by batch) scored the row's NaN answer into its metrics; now the same one line, naming the row."""
    frame = pd.read_csv(data)
    frame.loc[2, "b"] = 1e300
    bad, folder = tmp_path / "bad.csv", tmp_path / "parts"
    frame.to_csv(bad, index=False)
    folder.mkdir()
    frame.iloc[:100].to_csv(folder / "p0.csv", index=False)
    frame.iloc[100:].to_csv(folder / "p1.csv", index=False)
    said = "is not finite (its values are so far from the training data that the network overflows): fix that row's values."
    assert_user_error(run("predict", reg[1], bad), f"the model's output for line 4 {said}")
    assert_user_error(run("evaluate", reg[1], bad), f"the model's output for line 4 {said}")
    assert_user_error(run("evaluate", reg[1], folder), f"the model's output for '{folder / 'p0.csv'}' line 4 {said}")


def test_evaluate_onnx_refuses_app_options_as_the_safetensors_does(clf, data):
    """--beam-size, --text-column, --steps on a table model's export were ignored silently; now one line, as for its .safetensors."""
    for option, value in (("--beam-size", "3"), ("--text-column", "x"), ("--steps", "2")):
        message = f"{option} is for"
        assert_user_error(run("evaluate", clf[0], data, option, value), message)
        assert_user_error(run("evaluate", clf[1], data, option, value), message)


def test_evaluate_needs_target_when_file_has_none(tmp_path):
    """An estimator fitted in Python (no `hiddenlayers train`) records no target column: --target is required."""
    from hiddenlayers import MLPClassifier, export_onnx

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"p": rng.normal(size=80), "q": rng.normal(size=80)})
    y = (X["p"] > 0).astype(int).to_numpy()
    model = MLPClassifier(hidden_layer_sizes=(4,), max_iter=30, tol=1.0, random_state=0).fit(X, y)
    export_onnx(model, tmp_path / "api.onnx")
    X.assign(y=y).to_csv(tmp_path / "api.csv", index=False)
    assert_user_error(run("evaluate", tmp_path / "api.onnx", tmp_path / "api.csv"),
                      "does not record its target column (its model was not trained by `hiddenlayers train`): pass --target COLUMN.")
    got = evaluate_json(tmp_path / "api.onnx", tmp_path / "api.csv", "--target", "y")["metrics"]
    assert got["accuracy"] == pytest.approx(float(np.mean(model.predict(X) == y)), abs=1e-6)
    assert_user_error(run("evaluate", tmp_path / "api.onnx", tmp_path / "api.csv", "--target", "nope"), "nope")
    info = json.loads(ok("info", tmp_path / "api.onnx", "--json").stdout)
    assert info["target"] is None and info["numeric_columns"] is None and info["input_columns"] == ["p", "q"] and info["classes"] == [0, 1]
    assert "input columns (X)" in ok("info", tmp_path / "api.onnx").stdout


def test_info_json(clf):
    st_path, onnx_path, int8_path = clf
    info = json.loads(ok("info", onnx_path, "--json").stdout)
    assert info["format"] == "onnx" and info["file"] == str(onnx_path) and info["bytes"] == onnx_path.stat().st_size
    assert info["opset"] == 18 and info["opset_imports"] == {"ai.onnx": 18, "ai.onnx.ml": 2} and info["producer"] == f"hiddenlayers {hiddenlayers.__version__}"  # the dense graph writer (ship/_dense_graph), not torch's exporter
    assert info["library_version"] == hiddenlayers.__version__ and info["estimator"] == "MLPClassifier" and info["quantized"] is False
    assert info["graph_inputs"] == [{"name": "X", "type": "float", "shape": ["batch", 2]}, {"name": "C", "type": "string", "shape": ["batch", 1]}]
    assert info["graph_outputs"] == [{"name": "probabilities", "type": "float", "shape": ["batch", 2]}]
    assert info["input_columns"] == ["a", "b", "color"] and info["numeric_columns"] == ["a", "b"] and info["missing_token"] == ""
    assert info["categorical_columns"][0]["name"] == "color" and sorted(info["categorical_columns"][0]["categories"]) == ["blue", "green", "red"]
    assert info["classes"] == ["no", "yes"] and info["label_type"] == "binary" and info["target"] == "label" and info["task"] == "classification"
    # the layer table read from the graph agrees with the one the .safetensors header gives
    ref = json.loads(ok("info", st_path, "--json").stdout)
    keys = ("layer", "inputs", "units", "parameters")
    assert [{k: r[k] for k in keys} for r in info["layers"]] == [{k: r[k] for k in keys} for r in ref["layers"]]
    assert info["parameters"] == ref["parameters"] and info["inputs"] == ref["inputs"] and info["outputs"] == ref["outputs"]
    assert [r["followed_by"] for r in info["layers"]] == ["Tanh", "Relu", "Sigmoid"] and all(r["op"] == "Gemm" and r["bias"] for r in info["layers"])
    q = json.loads(ok("info", int8_path, "--json").stdout)
    assert q["quantized"] is True and {r["weight_type"] for r in q["layers"]} == {"int8"} and q["parameters"] == ref["parameters"]
    assert q["classes"] == ["no", "yes"] and q["bytes"] == int8_path.stat().st_size


def test_info_text(clf):
    text = " ".join(ok("info", clf[2]).stdout.split())  # Rich wraps at the console width; the temp path's length varies
    assert "ONNX (opset ai.onnx 18" in text and "int8-quantised" in text and f"hiddenlayers {hiddenlayers.__version__}" in text
    assert "dense layers found in the graph" in text and "hidden1" in text and "head" in text and "color" in text


def _foreign_onnx(path: Path) -> None:
    """A valid ONNX model (one Relu) that hiddenlayers did not write."""
    from onnx import TensorProto, helper, save

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 3])
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g", [x], [y])
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]), str(path))


def _damaged_metadata(src: Path, dst: Path) -> None:
    import onnx

    proto = onnx.load(str(src))
    for p in proto.metadata_props:
        if p.key == "classes":
            p.value = "[no, yes"  # not JSON
    onnx.save(proto, str(dst))


def test_bad_onnx_files(clf, data, tmp_path):
    rng = np.random.default_rng(0)
    (tmp_path / "random.onnx").write_bytes(rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())
    (tmp_path / "empty.onnx").write_bytes(b"")
    _foreign_onnx(tmp_path / "foreign.onnx")
    _damaged_metadata(clf[1], tmp_path / "damaged.onnx")
    (tmp_path / "folder.onnx").mkdir()
    (tmp_path / "saved.onnx").write_bytes(clf[0].read_bytes())  # clf.save("saved.onnx"): a whole model file, not a damaged one
    before = sorted(os.listdir(tmp_path))
    cases = {
        "random.onnx": "'{}' is not a readable ONNX model",
        "saved.onnx": "it is a safetensors file (as .save(path) and `train --out` write), not an ONNX export: give it a .safetensors name",
        "empty.onnx": "'{}' is not a readable ONNX model",
        "foreign.onnx": "'{}' is an ONNX model but not one written by hiddenlayers (no 'hiddenlayers_output' metadata): export it with `hiddenlayers export`.",
        "damaged.onnx": "'{}' has damaged hiddenlayers metadata (JSONDecodeError): export the model again.",
        "folder.onnx": "'{}' is a folder, not a model file: give the path of a .onnx file.",
        "none.onnx": "model file '{}' does not exist: check the path, or write one with `hiddenlayers export`.",
    }
    for name, message in cases.items():
        path = tmp_path / name
        assert_user_error(run("info", path), message.format(path))
        assert_user_error(run("info", path, "--json"), message.format(path))
        assert_user_error(run("evaluate", path, data), message.format(path))
    assert sorted(os.listdir(tmp_path)) == before  # nothing written
    assert_user_error(run("evaluate", clf[1], tmp_path / "nope.csv"), "nope.csv")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300))
def test_describe_any_bytes_is_a_model_file_error(tmp_path, raw):
    path = tmp_path / "h.onnx"
    path.write_bytes(raw)
    with pytest.raises(ModelFileError):
        describe_onnx(path)


def test_help_mentions_onnx():
    assert ".onnx" in ok("evaluate", "--help").output and ".onnx" in ok("info", "--help").output


def test_onnx_commands_do_not_import_torch(clf, data, tmp_path):
    """`evaluate` and `info` on an .onnx file run without PyTorch (start-up time, deployment without torch); so do `predict`
    and `evaluate` of a folder, streamed batch by batch."""
    (tmp_path / "dir").mkdir()
    shutil.copy(data, tmp_path / "dir" / "part.csv")
    script = (
        "import sys\n"
        "from hiddenlayers.cli import app\n"
        "codes = []\n"
        "for args in (['evaluate', sys.argv[1], sys.argv[2], '--json'], ['info', sys.argv[1], '--json'],\n"
        "             ['evaluate', sys.argv[1], sys.argv[3], '--json'], ['predict', sys.argv[1], sys.argv[3], '--out', sys.argv[4]]):\n"
        "    try:\n"
        "        app(args)\n"
        "    except SystemExit as exc:\n"
        "        codes.append(exc.code)\n"
        "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH', codes)\n"
    )
    args = [str(clf[1]), str(data), str(tmp_path / "dir"), str(tmp_path / "p.csv")]
    out = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "NO-TORCH [0, 0, 0, 0]", out.stdout[-500:] + out.stderr
    assert len(pd.read_csv(tmp_path / "p.csv")) == len(pd.read_csv(data))


def test_evaluate_onnx_with_labels_the_model_does_not_know(clf, data, tmp_path):
    """The .onnx path refuses unknown labels and a continuous target as the .safetensors path does, one line each."""
    frame = pd.read_csv(data)
    frame.loc[5, "label"] = "maybe"
    unknown = tmp_path / "unknown.csv"
    frame.to_csv(unknown, index=False)
    for model in clf[:2]:
        assert_user_error(run("evaluate", model, unknown), "label 'maybe' is not a class of the model (no, yes): check --target or the data.")
        assert_user_error(run("evaluate", model, data, "--target", "value"), "target 'value' is continuous")


def test_a_float64_model_exports_predicts_and_shows_float64(data) -> None:
    """train --dtype float64, export: the .onnx graph computes in float64 (it cast to float32 before), predict gives the
    .safetensors file's float64 numbers from it, and info says so; an int8 copy is refused in one line, nothing written."""
    st_path, onnx_path = data.parent / "reg64.safetensors", data.parent / "reg64.onnx"
    ok("train", data, "-t", "value", "--features", "a,b,color", "--hidden", "6", "--epochs", "5", "--dtype", "float64", "-q", "-o", st_path)
    ok("export", st_path, "--out", onnx_path)
    assert [(v["name"], v["type"]) for v in describe_onnx(onnx_path)["graph_inputs"]] == [("X", "double"), ("C", "string")]
    assert "computes in float64" in ok("info", onnx_path).stdout.replace("\n", " ")
    from_onnx = pd.read_csv(__import__("io").StringIO(ok("predict", onnx_path, data).stdout))
    from_file = pd.read_csv(__import__("io").StringIO(ok("predict", st_path, data).stdout))
    np.testing.assert_allclose(from_onnx.iloc[:, -1], from_file.iloc[:, -1], rtol=0, atol=1e-10)
    # in the command's words (before: "quantize=True ... export without quantize, or fit with dtype='float32'", Python's)
    assert_user_error(run("export", st_path, "--out", data.parent / "q64.onnx", "--int8"),
                      "--int8 needs a float32 graph (onnxruntime quantises float32 only), and this model computes in float64: export without "
                      "--int8, or train it with --dtype float32.")
    assert not (data.parent / "q64.onnx").exists()


def test_an_infinite_cell_for_an_export_without_stored_preprocessing_is_named_by_its_cell(tmp_path):
    """A model fitted in Python on a DataFrame's numbers (no stored preprocessing) read an inf cell into its float32 graph,
    and predict said "the model's output for row 4 is not finite": now the cell, as the .safetensors file's predict says."""
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True, as_frame=True)
    model = quiet_fit(hiddenlayers.MLPClassifier((4,), max_iter=5, random_state=0), X, y)
    model.save(tmp_path / "m.safetensors")
    hiddenlayers.export_onnx(model, tmp_path / "m.onnx")
    bad = X.copy()
    bad.iloc[3, 0] = np.inf
    (tmp_path / "f").mkdir()
    bad.to_parquet(tmp_path / "f" / "p0.parquet")
    bad.to_csv(tmp_path / "bad.csv", index=False)
    said = "column 'sepal length (cm)' must be within ±3.4e38 (float32, which the model computes in; after the stored scaling) but "
    for name in ("m.onnx", "m.safetensors"):
        assert_user_error(run("predict", tmp_path / name, tmp_path / "bad.csv"), said + "line 5 holds inf")
        # a folder's Parquet footers are read for infinite numbers before any row is predicted (data.refuse_infinite_in_footers)
        assert_user_error(run("predict", tmp_path / name, tmp_path / "f"),
                          f"column 'sepal length (cm)' is numeric, but '{tmp_path / 'f' / 'p0.parquet'}' row 4 holds the infinite number inf: ")
