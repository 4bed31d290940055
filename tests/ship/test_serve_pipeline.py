"""``hl.serve(pipe)`` of a fitted Pipeline(TableEncoder, MLP) serves it as ``hl.serve(path)`` serves its ``hl.save`` file:
raw table rows by column name through the encoder, the same answers as the Pipeline's. Before, serve() refused a Pipeline
("serve() takes a model file path or a fitted ... Received: Pipeline"). A Pipeline of scikit-learn steps then an MLP, and
its .onnx export, are served too (null cells filled where a SimpleImputer fills them)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_wine
from sklearn.pipeline import Pipeline

import hiddenlayers as hl
from fit_helpers import quiet_fit

pytest.importorskip("starlette")


@pytest.fixture(scope="module")
def wine_pipe() -> tuple[Pipeline, pd.DataFrame]:
    X, y = load_wine(return_X_y=True, as_frame=True)
    X = X.assign(band=pd.cut(X["alcohol"], 3, labels=["low", "mid", "high"]).astype(str))
    labels = np.asarray(["a", "b", "c"], dtype=object)[y.to_numpy()]
    pipe = Pipeline([("pre", hl.TableEncoder()), ("clf", hl.MLPClassifier(hidden_layer_sizes=(16,), max_iter=100, random_state=0))])
    quiet_fit(pipe, X, labels)
    return pipe, X


def test_a_served_pipeline_answers_as_its_saved_file_and_as_itself(wine_pipe: tuple, tmp_path: Path) -> None:
    from serve_helpers import Client

    pipe, X = wine_pipe
    hl.save(pipe, tmp_path / "pipe.safetensors")
    rows = json.loads(X.head(12).to_json(orient="records"))
    live, filed = Client(pipe), Client(tmp_path / "pipe.safetensors")
    try:
        for route in ("/predict", "/predict_proba"):
            got, want = live.post(route, {"rows": rows}), filed.post(route, {"rows": rows})
            assert got[0] == want[0] == 200 and got[1] == want[1], route
        status, answer = live.post("/predict", {"rows": rows})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert answer["predictions"] == pipe.predict(X.head(12)).tolist()
    finally:
        live.stop()
        filed.stop()


def test_other_pipelines_are_refused_in_serves_name(wine_pipe: tuple) -> None:
    from sklearn.linear_model import LogisticRegression

    from hiddenlayers.ship._serve.app_model import open_served

    _, X = wine_pipe
    other = Pipeline([("pre", hl.TableEncoder()), ("lr", LogisticRegression())])
    with pytest.raises(TypeError, match=r"^serve\(\) takes a Pipeline of a hl\.TableEncoder, or of scikit-learn steps \(.*\), then a hl\.MLPClassifier or hl\.MLPRegressor"):
        open_served(other)
    with pytest.raises(ValueError, match=r"workers > 1 needs a model file path, not an in-memory model: save it with hl\.save\(model, path\)"):
        hl.serve(wine_pipe[0], workers=2, port=0)


def test_scikit_learns_own_mlp_is_refused_before_the_server_starts() -> None:
    """scikit-learn's MLPClassifier has our class name: hl.serve() started on it, answered /predict_proba and failed every
    /predict with a 500 ("'MLPClassifier' object has no attribute 'predict_with_proba'" in its log)."""
    from sklearn.neural_network import MLPClassifier as SkMLP

    from hiddenlayers.ship._serve.app_model import open_served

    X, y = load_wine(return_X_y=True)
    sk = quiet_fit(SkMLP(hidden_layer_sizes=(4,), max_iter=3, random_state=0), X, y)
    said = (r"^serve\(\) takes a model file path or a fitted MLPClassifier, .* or DQNAgent\. Received: MLPClassifier from sklearn, not "
            r"hiddenlayers: fit hl\.MLPClassifier instead \(it takes the same parameters\)\.$")
    with pytest.raises(TypeError, match=said):
        open_served(sk)
    with pytest.raises(TypeError, match=said):
        hl.serve(sk, port=0)  # port 0: were it served, the test would hang, not pass


def test_a_pipeline_of_steps_and_its_onnx_export_are_served_with_null_cells_filled(tmp_path: Path) -> None:
    """A running server of a Pipeline of scikit-learn steps (in memory) and of its ``.onnx`` export: rows with null cells
    answered as the Pipeline's predict_proba answers them (its SimpleImputer fills them; in the export, the graph's)."""
    pytest.importorskip("onnxruntime")
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from pipeline_helpers import iris_holes
    from serve_helpers import Client

    Xtr, Xte, ytr, _ = iris_holes()
    pipe = quiet_fit(make_pipeline(SimpleImputer(), StandardScaler(), hl.MLPClassifier((8,), max_iter=40, random_state=0)), Xtr, ytr)
    hl.export_onnx(pipe, tmp_path / "p.onnx", X=Xtr)
    rows = [[None if np.isnan(v) else float(v) for v in row] for row in Xte[:20]]
    assert any(v is None for row in rows for v in row)
    live, exported = Client(pipe), Client(tmp_path / "p.onnx")
    try:
        for client in (live, exported):
            status, answer = client.post("/predict_proba", {"rows": rows})
            assert status == 200 and answer["classes"] == [0, 1, 2]
            np.testing.assert_allclose(answer["probabilities"], pipe.predict_proba(Xte[:20]), atol=1e-5)
    finally:
        live.stop()
        exported.stop()
