"""The commands on a model file saved from a scikit-learn Pipeline (hl.save(pipe)): they read it as a `train`-made model,
the encoder's preprocessing turning the raw CSV into the network's matrix; a Pipeline of scikit-learn steps (scalers,
imputers) is run whole by predict and evaluate, and refused in one line by the commands that read an MLP's file."""

from __future__ import annotations

import io
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_wine
from sklearn.pipeline import Pipeline

import hiddenlayers as hl
from cli_helpers import assert_user_error, ok, run
from fit_helpers import quiet_fit


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Pipeline, Path, Path, pd.DataFrame]:
    d = tmp_path_factory.mktemp("pipe")
    X, y = load_wine(return_X_y=True, as_frame=True)
    X = X.assign(band=pd.cut(X["alcohol"], 3, labels=["low", "mid", "high"]).astype(str))
    labels = np.asarray(["a", "b", "c"], dtype=object)[y.to_numpy()]
    pipe = Pipeline([("pre", hl.TableEncoder()), ("clf", hl.MLPClassifier(hidden_layer_sizes=(16,), max_iter=150, random_state=0))])
    quiet_fit(pipe, X, labels)
    path, data = d / "pipe.safetensors", d / "wine.csv"
    hl.save(pipe, path)
    X.assign(label=labels).to_csv(data, index=False)
    return pipe, path, data, pd.read_csv(data)


def test_predict_reads_the_raw_csv_through_the_encoder(saved: tuple) -> None:
    pipe, path, data, frame = saved
    result = ok("predict", path, data, "--proba")
    got = pd.read_csv(io.StringIO(result.stdout))
    inputs = frame.drop(columns="label")
    assert got["predicted_value"].tolist() == pipe.predict(inputs).tolist()
    proba = got[[c for c in got.columns if c != "predicted_value"]].to_numpy()
    np.testing.assert_allclose(proba, pipe.predict_proba(inputs), atol=1e-6)
    assert "ignored 1 column(s) the model does not use: label" in result.stderr


def test_evaluate_needs_the_target_column_named(saved: tuple) -> None:
    pipe, path, data, frame = saved
    assert_user_error(run("evaluate", path, data), "this model file does not record its target column: pass --target COLUMN.")
    metrics = json.loads(ok("evaluate", path, data, "--target", "label", "--json").stdout)["metrics"]
    assert metrics["accuracy"] == pytest.approx(pipe.score(frame.drop(columns="label"), frame["label"])) and metrics["accuracy"] > 0.9


def test_info_names_the_pipeline_steps(saved: tuple) -> None:
    _, path, _, frame = saved
    info = json.loads(ok("info", path, "--json").stdout)
    assert info["pipeline"] == "pre: TableEncoder -> clf: MLPClassifier" and info["estimator"] == "MLPClassifier"
    assert [r["column"] for r in info["preprocessing"]] == [c for c in frame.columns if c != "label"]
    text = " ".join(ok("info", path).stdout.split())
    assert "saved from a scikit-learn Pipeline: pre: TableEncoder -> clf: MLPClassifier" in text


def test_export_and_serve_read_the_file_as_its_mlp(saved: tuple, tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    pytest.importorskip("starlette")
    from hiddenlayers.ship._serve.model import ServedModel

    pipe, path, data, frame = saved
    inputs = frame.drop(columns="label")
    served = ServedModel(path)
    rows = served.rows({"rows": json.loads(inputs.head(20).to_json(orient="records"))}, 100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert np.array_equal(served.encode(rows), pipe["pre"].transform(inputs.head(20)))
    assert served.predict(rows, proba=False) == pipe.predict(inputs.head(20)).tolist()
    onnx = tmp_path / "m.onnx"
    ok("export", path, "-o", onnx)
    got = pd.read_csv(io.StringIO(ok("predict", onnx, data).stdout))
    assert got["predicted_value"].tolist() == pipe.predict(inputs).tolist()


def test_info_on_an_edited_pipeline_record_is_one_line(saved: tuple, tmp_path: Path) -> None:
    from safetensors import safe_open
    from safetensors.torch import load_file
    from safetensors.torch import save as st_save

    _, path, _, _ = saved
    with safe_open(str(path), framework="pt") as fh:
        meta = json.loads(fh.metadata()["hiddenlayers"])
    meta["pipeline"]["steps"] = [["clf", "MLPClassifier"], ["pre", "TableEncoder"]]
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(st_save(load_file(str(path)), metadata={"hiddenlayers": json.dumps(meta)}))
    assert_user_error(run("info", bad), f"'{bad}' has inconsistent contents (ValueError: the pipeline steps ['MLPClassifier', 'TableEncoder'] "
                                        "are not a TableEncoder then the file's MLPClassifier, nor scikit-learn steps then it)")
    assert ok("predict", bad, saved[2]).stdout  # the commands read the MLP, not the record


def test_inspect_reads_the_file_as_its_mlp(saved: tuple, tmp_path: Path) -> None:
    """``inspect`` on a saved Pipeline's file: the raw CSV read through the encoder, the report on the MLP's hidden layer
    (its units active on the share of rows the fitted Pipeline's own encoder and weights give)."""
    pipe, path, data, frame = saved
    out = tmp_path / "pipe.html"
    shown = json.loads(ok("inspect", path, data, "--target", "label", "-o", out, "--json", "--sections", "layers").stdout)
    assert out.stat().st_size > 0 and shown["rows"] == len(frame)
    (layer,) = shown["layers"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        encoded = pipe["pre"].transform(frame.drop(columns="label"))
    hidden = np.maximum(np.asarray(encoded, dtype=np.float64) @ pipe["clf"].coefs_[0] + pipe["clf"].intercepts_[0], 0)
    assert (layer["name"], layer["units"], layer["samples"]) == ("hidden1", 16, len(frame))
    assert layer["fraction_active"] == pytest.approx(float((hidden > 0).mean()), abs=1e-9)
    assert layer["mean"] == pytest.approx(float(hidden.mean()), rel=1e-4)


def test_cost_says_the_file_is_a_pipeline_whose_encoder_is_not_counted(saved: tuple) -> None:
    """`cost` of a TableEncoder's Pipeline file gave its MLP's table with no word that the file is a Pipeline, nor that the
    encoder is not counted (hl.cost(pipe) says both): it now names the steps in the title and the JSON, and says so in a note."""
    pipe, path, _, _ = saved
    shown = json.loads(ok("cost", path, "--calls", "10", "--json").stdout)
    assert shown["pipeline"] == ["pre: TableEncoder", "clf: MLPClassifier"]
    assert shown["params"] == sum(w.size + b.size for w, b in zip(pipe[-1].coefs_, pipe[-1].intercepts_))  # the MLP's figures
    assert shown["notes"][0] == ("the Pipeline's steps before MLPClassifier, 'pre' (TableEncoder), are not counted: every figure is "
                                 "MLPClassifier's, on random rows of the network's width; predict() is the MLP's own, on those rows")
    text = " ".join(ok("cost", path, "--calls", "10").stdout.split())
    assert "cost of Pipeline(pre: TableEncoder, clf: MLPClassifier)" in text and "'pre' (TableEncoder), are not counted" in text
    assert "X=" not in text and "pipe[-1]" not in text  # the command's words, not Python's


@pytest.fixture(scope="module")
def steps_saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Pipeline, Path, Path, pd.DataFrame]:
    """make_pipeline(SimpleImputer, StandardScaler, MLP) fitted on iris by column name, with holes, saved; the CSV has a label column."""
    from sklearn.datasets import load_iris
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    d = tmp_path_factory.mktemp("steps")
    X, y = load_iris(return_X_y=True, as_frame=True)
    X = X.copy()
    X.iloc[::9, 1] = np.nan
    pipe = quiet_fit(make_pipeline(SimpleImputer(), StandardScaler(), hl.MLPClassifier((8,), max_iter=150, learning_rate_init=0.01, random_state=0)), X, y.to_numpy())
    path, data = d / "steps.safetensors", d / "iris.csv"
    hl.save(pipe, path)
    X.assign(label=y)[["label", *reversed(X.columns)]].to_csv(data, index=False)  # columns read by name, not position
    return pipe, path, data, X


def test_predict_and_evaluate_run_a_pipeline_of_steps_on_the_csv(steps_saved: tuple) -> None:
    pipe, path, data, X = steps_saved
    result = ok("predict", path, data, "--proba")
    got = pd.read_csv(io.StringIO(result.stdout))
    assert got["predicted_value"].tolist() == pipe.predict(X).tolist()  # rows with a hole filled by the stored imputer
    np.testing.assert_allclose(got[["proba_0", "proba_1", "proba_2"]].to_numpy(), pipe.predict_proba(X), atol=1e-6)
    assert "X does not have valid feature names" not in result.stderr
    metrics = json.loads(ok("evaluate", path, data, "--target", "label", "--json").stdout)["metrics"]
    assert metrics["accuracy"] == pytest.approx(pipe.score(X, pd.read_csv(data)["label"])) and metrics["accuracy"] > 0.8


def test_info_shows_the_steps_and_other_commands_refuse_in_one_line(steps_saved: tuple, tmp_path: Path) -> None:
    _, path, data, _ = steps_saved
    info = json.loads(ok("info", path, "--json").stdout)
    assert info["pipeline"] == "simpleimputer: SimpleImputer -> standardscaler: StandardScaler -> mlpclassifier: MLPClassifier"
    assert info["pipeline_steps"] == ["SimpleImputer", "StandardScaler"] and not info["preprocessing"]
    text = " ".join(ok("info", path).stdout.split())
    assert "(hl.load gives the Pipeline; predict, evaluate and inspect run it on the table's numeric columns)" in text
    assert "preprocessing: the Pipeline's scikit-learn steps (SimpleImputer, StandardScaler) on the numeric columns" in text
    refusal = (f"'{path}' holds a Pipeline whose MLP reads the output of scikit-learn steps (SimpleImputer, StandardScaler): `hiddenlayers "
               "predict`, `evaluate`, `info`, `inspect`, `explain`, `cost`, `prune`, `export` and `serve` read it, this command reads an MLP's file; "
               "in Python, hl.load(path)[-1] is the MLP.")
    assert_user_error(run("distill", path, data, "--target", "label", "-o", tmp_path / "student.safetensors"), refusal)
    shown = json.loads(ok("cost", path, "--calls", "10", "--json").stdout)  # cost reads it: the MLP's figures, the steps named, not counted
    assert shown["pipeline"] == ["simpleimputer: SimpleImputer", "standardscaler: StandardScaler", "mlpclassifier: MLPClassifier"]
    assert shown["notes"][0] == ("the Pipeline's steps before MLPClassifier, 'simpleimputer' (SimpleImputer), 'standardscaler' "
                                 "(StandardScaler), are not counted: every figure is MLPClassifier's, on random rows of the network's "
                                 "width; predict() is the MLP's own, on those rows")


def test_inspect_runs_a_pipeline_of_steps_before_its_mlp(steps_saved: tuple, tmp_path: Path) -> None:
    """``inspect`` refused a saved Pipeline of scikit-learn steps ("this command reads an MLP's file"): it now reads the CSV's
    columns by name, fills and scales them with the stored steps, and reports the MLP's layer on the rows they make."""
    pipe, path, data, X = steps_saved
    out = tmp_path / "steps.html"
    shown = json.loads(ok("inspect", path, data, "--target", "label", "-o", out, "--json", "--sections", "layers,features").stdout)
    assert out.stat().st_size > 0 and shown["rows"] == len(X)
    (layer,) = shown["layers"]
    hidden = np.maximum(pipe[:-1].transform(X) @ pipe[-1].coefs_[0] + pipe[-1].intercepts_[0], 0)  # rows with holes filled by the imputer
    assert layer["fraction_active"] == pytest.approx(float((hidden > 0).mean()), abs=1e-9)
    assert layer["mean"] == pytest.approx(float(hidden.mean()), rel=1e-4)
    assert "sepal width (cm)" in out.read_text()  # the features section names the columns the network reads


def test_export_then_predict_info_and_serve_the_onnx_of_a_pipeline_of_steps(steps_saved: tuple, tmp_path: Path) -> None:
    """`export` writes the steps into the graph (parity on DATA's rows, holes included, read by name), `predict` and `info`
    read the .onnx, and the server answers the .onnx and the .safetensors as the Pipeline predicts, holes filled."""
    pytest.importorskip("onnxruntime")
    pytest.importorskip("starlette")
    from hiddenlayers.ship._serve.app_model import open_served

    pipe, path, data, X = steps_saved
    onnx = tmp_path / "p.onnx"
    shown = json.loads(ok("export", path, data, "--target", "label", "-o", onnx, "--int8", "--json").stdout)
    assert shown["parity_rows"] == len(X) + 64 and shown["max_abs_diff"] < 1e-5 and shown["input_columns"] == list(X.columns)
    assert shown["score_before"] == pytest.approx(pipe.score(X, pd.read_csv(data)["label"]))
    got = pd.read_csv(io.StringIO(ok("predict", onnx, data, "--proba").stdout))
    assert got["predicted_value"].tolist() == pipe.predict(X).tolist()
    np.testing.assert_allclose(got[["proba_0", "proba_1", "proba_2"]].to_numpy(), pipe.predict_proba(X), atol=1e-5)
    info = json.loads(ok("info", onnx, "--json").stdout)
    assert info["pipeline"] == "simpleimputer: SimpleImputer -> standardscaler: StandardScaler -> mlpclassifier: MLPClassifier"
    assert info["fills_missing"] and info["input_columns"] == list(X.columns) and [r["layer"] for r in info["layers"]] == ["hidden1", "head"]
    assert "the Pipeline's steps in the graph:" in " ".join(ok("info", onnx).stdout.split())  # the table wraps the rest
    rows = json.loads(X.head(30).to_json(orient="records"))  # NaN cells as null
    for source in (onnx, path):
        served = open_served(source)
        assert served.predict(served.rows({"rows": rows}, 100), proba=False) == pipe.predict(X.head(30)).tolist()


def test_info_of_a_pca_pipeline_gives_the_raw_columns_as_its_onnx_does(tmp_path: Path) -> None:
    """StandardScaler -> PCA(2) -> MLP on iris's 4 columns: ``info`` of the file said 2 inputs (the MLP's, PCA's components)
    where ``info`` of its ONNX export says 4 (the columns the Pipeline takes); both say 4, the layer table keeps the MLP's 2."""
    pytest.importorskip("onnx")
    from sklearn.datasets import load_iris
    from sklearn.decomposition import PCA
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_iris(return_X_y=True)
    pipe = quiet_fit(make_pipeline(StandardScaler(), PCA(2), hl.MLPClassifier((3,), max_iter=2, random_state=0)), X, y)
    path, onnx = tmp_path / "p.safetensors", tmp_path / "p.onnx"
    hl.save(pipe, path)
    hl.export_onnx(pipe, onnx)
    info = json.loads(ok("info", path, "--json").stdout)
    assert info["inputs"] == json.loads(ok("info", onnx, "--json").stdout)["inputs"] == 4
    assert info["layers"][0]["inputs"] == 2
    text = " ".join(ok("info", path).stdout.split())
    assert "MLPClassifier, 4 inputs -> 3:relu" in text and "its MLP reads the steps' 2 outputs" in text


def test_predict_and_evaluate_run_a_pipeline_of_steps_on_a_folder(steps_saved: tuple, tmp_path: Path) -> None:
    """A folder of the CSV's rows in two files: `predict DIR` and `evaluate DIR` refused the Pipeline file with the line
    "`hiddenlayers predict`, `evaluate` ... read it, this command reads an MLP's file"; they now run the Pipeline on each
    batch (its steps work row by row), giving the one file's predictions, in order, and its metrics."""
    pipe, path, data, X = steps_saved
    frame = pd.read_csv(data)
    folder = tmp_path / "parts"
    folder.mkdir()
    frame.iloc[:70].to_csv(folder / "a.csv", index=False)
    frame.iloc[70:].to_csv(folder / "b.csv", index=False)
    got = pd.read_csv(io.StringIO(ok("predict", path, folder, "--proba").stdout))
    assert got.equals(pd.read_csv(io.StringIO(ok("predict", path, data, "--proba").stdout)))
    assert got["predicted_value"].tolist() == pipe.predict(X).tolist()  # rows with a hole filled by the stored imputer
    shown = json.loads(ok("evaluate", path, folder, "--target", "label", "--json").stdout)
    assert shown["rows"] == len(X)
    assert shown["metrics"]["accuracy"] == pytest.approx(pipe.score(X, frame["label"]))


def test_explain_runs_a_pipeline_of_steps_before_its_mlp(steps_saved: tuple) -> None:
    """`explain --model PIPE_FILE` refused a saved Pipeline of scikit-learn steps ("this command reads an MLP's file") that
    hl.explain(pipe, ...) takes: it now reads the row's columns by name (the CSV has them reversed, the label first), fills
    its hole with the stored imputer, and shows what hl.explain(pipe, row, label) shows, the network's inputs named by the steps."""
    pipe, path, data, X = steps_saved
    frame = pd.read_csv(data)
    assert np.isnan(X.iloc[0, 1])  # data row 1 has a hole in 'sepal width (cm)'
    for row in (1, 5):
        shown = json.loads(ok("explain", "--model", path, "--data", data, "--row", str(row), "--target", "label", "--json").stdout)
        want = hl.explain(pipe, X.iloc[[row - 1]], frame["label"].iloc[row - 1]).to_dict()
        assert shown["input_names"] == want["input_names"] == [str(c) for c in pipe[:-1].get_feature_names_out()]
        np.testing.assert_allclose(shown["x"], want["x"], rtol=1e-12)
        np.testing.assert_allclose(shown["x"], pipe[:-1].transform(X.iloc[[row - 1]])[0], rtol=1e-12)
        assert shown["loss"] == pytest.approx(want["loss"], rel=1e-12)
        assert shown["source"]["model_file"] == str(path) and shown["source"]["row"] == row
        assert any("passed through the Pipeline's steps before MLPClassifier (SimpleImputer, StandardScaler)" in n for n in shown["source"]["notes"])
        assert list(shown["source"]["raw"]) == list(X.columns)
    text = " ".join(ok("explain", "--model", path, "--data", data, "--row", "2", "--target", "label").stdout.split())
    assert "petal length (cm)" in text
