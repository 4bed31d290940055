"""ONNX export and serving of a Pipeline of scikit-learn steps (scalers, imputers, PCA) then an MLP: the steps as ONNX nodes
ahead of the MLP's graph, checked against the Pipeline's own predict_proba/predict, NaN cells filled where an imputer fills them."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.decomposition import PCA
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, RobustScaler, StandardScaler

import hiddenlayers as hl
from cli_helpers import ok
from fit_helpers import quiet_fit
from pipeline_helpers import STEPS as FILE_STEPS
from pipeline_helpers import iris_holes

pytest.importorskip("onnxruntime")

#: the file's step stacks, and a scaler before the imputer (scikit-learn's scalers carry NaN through to it)
STEPS = {**FILE_STEPS, "scaler-then-imputer": lambda: [RobustScaler(), SimpleImputer(strategy="median")]}


@pytest.fixture(scope="module")
def iris() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return iris_holes()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kind", list(STEPS))
def test_each_step_kind_exports_as_the_pipeline_predicts(iris: tuple, kind: str, dtype: str, tmp_path: Path) -> None:
    Xtr, Xte, ytr, yte = iris
    pipe = quiet_fit(make_pipeline(*STEPS[kind](), hl.MLPClassifier((8,), max_iter=40, random_state=0, dtype=dtype)), Xtr, ytr)
    path = tmp_path / "m.onnx"
    report = hl.export_onnx(pipe, path, X=Xtr, y=ytr)
    assert report.n_inputs == 4 and report.input_dtype == dtype and report.parity_rows == len(Xtr) + 64  # and 64 rows with holes
    assert report.score_before == pytest.approx(pipe.score(Xtr, ytr), abs=1e-9)
    onnx = hl.ship.OnnxModel(path)
    assert onnx.fills_missing and np.isnan(Xte).any()
    atol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(onnx.predict_proba(Xte), pipe.predict_proba(Xte), atol=atol, rtol=0)
    assert list(onnx.predict(Xte)) == list(pipe.predict(Xte))


def test_a_regressor_on_a_dataframe_exports_by_column_name_in_float64(tmp_path: Path) -> None:
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    pipe = make_pipeline(RobustScaler(), PCA(n_components=6), hl.MLPRegressor(hidden_layer_sizes=(8,), max_iter=30, random_state=0, dtype="float64"))
    quiet_fit(pipe.set_output(transform="pandas"), X, y)
    report = hl.export_onnx(pipe, tmp_path / "r.onnx", X=X[list(reversed(X.columns))])  # read by name, not position
    assert report.input_columns == list(X.columns) and report.parity_rows == len(X)  # no imputer: no rows with holes
    onnx = hl.ship.OnnxModel(tmp_path / "r.onnx")
    assert not onnx.fills_missing and onnx.columns == list(X.columns)
    shown = json.loads(ok("info", tmp_path / "r.onnx", "--json").stdout)  # `hiddenlayers info`: the 10 columns it reads, not PCA's 6
    assert shown["inputs"] == X.shape[1] == 10 and shown["layers"][0]["inputs"] == 6
    np.testing.assert_allclose(onnx.predict(X), pipe.predict(X), rtol=1e-10, atol=1e-8)
    with pytest.raises(ValueError, match=r"^X contains NaN or infinite values: the parity check needs finite rows"):
        hl.export_onnx(pipe, tmp_path / "nan.onnx", X=X.assign(age=np.nan))
    assert not (tmp_path / "nan.onnx").exists()
    holes = X.copy()
    holes.iloc[[4, 9], 2] = np.nan  # no imputer: the runner refuses the cell by name, as the Pipeline's predict refuses it
    with pytest.raises(hl.DataError, match=r"^column 'bmi' has no value on row 5 \(2 row\(s\) with a missing value\), and this "
                                           r"Pipeline's export fills none"):
        onnx.predict(holes)


@pytest.mark.parametrize("keep", [False, True])
def test_a_column_the_imputer_saw_no_value_of_is_dropped_or_kept_as_scikit_learn_does(iris: tuple, keep: bool, tmp_path: Path) -> None:
    Xtr, Xte, ytr, _ = iris
    empty = np.full((len(Xtr), 1), np.nan)
    pipe = quiet_fit(make_pipeline(SimpleImputer(keep_empty_features=keep), MinMaxScaler(clip=True),
                                   hl.MLPClassifier((6,), max_iter=20, random_state=0)), np.hstack([Xtr, empty]), ytr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn's "Skipping features without any observed values"
        report = hl.export_onnx(pipe, tmp_path / "m.onnx", X=np.hstack([Xtr, empty]))
        rows = np.hstack([Xte, np.full((len(Xte), 1), 2.0)])  # a value there now: dropped (or filled) as in fit
        want = pipe.predict_proba(rows)
    assert report.n_inputs == 5 and pipe[-1].n_features_in_ == (5 if keep else 4)
    np.testing.assert_allclose(hl.ship.OnnxModel(tmp_path / "m.onnx").predict_proba(rows), want, atol=1e-5, rtol=0)


def test_int8_quantises_the_mlps_weights_only(iris: tuple, tmp_path: Path) -> None:
    import onnx

    Xtr, Xte, ytr, _ = iris
    pipe = quiet_fit(make_pipeline(*STEPS["pca"](), hl.MLPClassifier((8,), max_iter=40, random_state=0)), Xtr, ytr)
    report = hl.export_onnx(pipe, tmp_path / "m.onnx", X=Xtr, y=ytr, quantize=True)
    g = onnx.load(str(tmp_path / "m.int8.onnx")).graph
    int8 = {i.name for i in g.initializer if i.data_type == onnx.TensorProto.INT8 and i.name.endswith("_int8")}
    assert int8 == {"network.hidden1.linear.weight_int8", "network.head.weight_int8"}
    assert {i.name for i in g.initializer if i.name.startswith("pipeline.") and i.data_type == onnx.TensorProto.FLOAT} >= {
        "pipeline.pca.components_T"}
    assert report.quantized_max_abs_diff is not None and report.quantized_max_abs_diff < 0.05
    np.testing.assert_allclose(hl.ship.OnnxModel(tmp_path / "m.int8.onnx").predict_proba(Xte), pipe.predict_proba(Xte), atol=0.05)
    info = hl.ship.describe_onnx(tmp_path / "m.int8.onnx")  # the PCA's projection is no layer of the network
    assert [r["layer"] for r in info["layers"]] == ["hidden1", "head"] and info["quantized"]
    assert info["pipeline"] == "simpleimputer: SimpleImputer -> standardscaler: StandardScaler -> pca: PCA -> mlpclassifier: MLPClassifier"
    # inputs: the columns the graph takes (iris' 4), not the first dense layer's (the PCA's components)
    assert info["inputs"] == Xtr.shape[1] == 4 and info["layers"][0]["inputs"] == pipe[-2].n_components_ != 4


def test_random_parity_rows_are_drawn_where_x_is_not_given(iris: tuple, tmp_path: Path) -> None:
    Xtr, Xte, ytr, _ = iris
    pipe = quiet_fit(make_pipeline(*STEPS["minmax"](), hl.MLPClassifier((8,), max_iter=40, random_state=0)), Xtr, ytr)
    report = hl.export_onnx(pipe, tmp_path / "m.onnx")
    assert report.parity_rows == 256 + 64 and report.max_abs_diff < 1e-5
    np.testing.assert_allclose(hl.ship.OnnxModel(tmp_path / "m.onnx").predict_proba(Xte), pipe.predict_proba(Xte), atol=1e-5)


@pytest.mark.parametrize(("steps", "message"), [
    ([SimpleImputer(missing_values=-1.0), StandardScaler()],
     "export_onnx() cannot write this Pipeline's steps as ONNX: step 'simpleimputer' is a SimpleImputer of missing_values=-1.0; "
     "the ONNX graph fills NaN cells only"),
])
def test_a_step_the_graph_cannot_compute_is_refused_in_one_line(iris: tuple, steps: list, message: str, tmp_path: Path) -> None:
    Xtr, _, ytr, _ = iris
    X = np.nan_to_num(Xtr, nan=-1.0)
    pipe = quiet_fit(make_pipeline(*steps, hl.MLPClassifier((4,), max_iter=5, random_state=0)), X, ytr)
    with pytest.raises(ValueError) as info:
        hl.export_onnx(pipe, tmp_path / "m.onnx", X=X)
    assert str(info.value).startswith(message) and "\n" not in str(info.value) and not (tmp_path / "m.onnx").exists()


def test_a_difference_beyond_the_tolerance_refuses_the_export(iris: tuple, tmp_path: Path) -> None:
    Xtr, _, ytr, _ = iris
    pipe = quiet_fit(make_pipeline(*STEPS["standard"](), hl.MLPClassifier((8,), max_iter=40, random_state=0)), Xtr, ytr)
    (tmp_path / "m.onnx").write_bytes(b"kept")
    with pytest.raises(ValueError, match=r"^ONNX output differs from PyTorch by .* > tolerance=0.0\): the export is not faithful"):
        hl.export_onnx(pipe, tmp_path / "m.onnx", X=Xtr, tolerance=0.0)  # a float32 graph's rounding, against float64 steps
    assert (tmp_path / "m.onnx").read_bytes() == b"kept"


def test_the_rows_with_holes_are_checked_against_the_pipeline(iris: tuple, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A graph that filled NaN otherwise than the imputer (here: never) is refused by the check on the rows with holes."""
    from hiddenlayers.ship import _pipeline_graph

    Xtr, _, ytr, _ = iris
    pipe = quiet_fit(make_pipeline(*STEPS["standard"](), hl.MLPClassifier((8,), max_iter=40, random_state=0)), Xtr, ytr)
    monkeypatch.setattr(_pipeline_graph, "_imputer", lambda b, x, name, step: x)
    with pytest.raises(ValueError, match=r"differs from the Pipeline's on rows with missing cells|differs from PyTorch"):
        hl.export_onnx(pipe, tmp_path / "m.onnx", X=np.nan_to_num(Xtr, nan=1.0))
    assert not (tmp_path / "m.onnx").exists()


def _fitted_stack(kinds: list[int], Xtr: np.ndarray, ytr: np.ndarray, mlp: Any) -> Pipeline:
    """A Pipeline of the steps ``kinds`` (indices into the step makers), each fitted on the previous ones' output, then ``mlp``
    (fitted on 4 columns: every step here keeps the width)."""
    makers = [SimpleImputer, lambda: SimpleImputer(strategy="median"), StandardScaler, lambda: MinMaxScaler(clip=True), MaxAbsScaler,
              RobustScaler, lambda: PCA(n_components=4, whiten=True)]
    steps, X = [], Xtr
    for i, k in enumerate(kinds):
        step = makers[k]()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            X = step.fit_transform(X)
        steps.append((f"s{i}", step))
    return Pipeline([*steps, ("clf", mlp)])


def test_any_stack_of_steps_exports_as_the_pipeline_predicts(iris: tuple, tmp_path: Path) -> None:
    """Hypothesis over stacks of 1-4 steps (an imputer first, so PCA reads no NaN): the export's answers on held-out rows
    with holes are the Pipeline's."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    Xtr, Xte, ytr, _ = iris
    mlp = quiet_fit(hl.MLPClassifier((6,), max_iter=20, random_state=0), np.nan_to_num(Xtr, nan=3.0), ytr)
    X = np.nan_to_num(Xtr, nan=3.0)

    @settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.sampled_from([0, 1]), st.lists(st.integers(0, 6), max_size=3))
    def check(first: int, rest: list[int]) -> None:
        pipe = _fitted_stack([first, *rest], Xtr, ytr, mlp)
        hl.export_onnx(pipe, tmp_path / "h.onnx", X=X)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = pipe.predict_proba(Xte)
        np.testing.assert_allclose(hl.ship.OnnxModel(tmp_path / "h.onnx").predict_proba(Xte), want, atol=1e-4, rtol=0)

    check()


def test_serve_runs_the_pipeline_its_file_and_its_export(iris: tuple, tmp_path: Path) -> None:
    """The server answers a Pipeline of steps as it predicts, NaN cells included: the fitted Pipeline, its .safetensors file
    and its .onnx export."""
    pytest.importorskip("starlette")
    from hiddenlayers.ship import check_servable
    from hiddenlayers.ship._serve.app_model import open_served

    Xtr, Xte, ytr, _ = iris
    pipe = quiet_fit(make_pipeline(*STEPS["standard"](), hl.MLPClassifier((8,), max_iter=40, random_state=0)), Xtr, ytr)
    hl.save(pipe, tmp_path / "p.safetensors")
    hl.export_onnx(pipe, tmp_path / "p.onnx", X=Xtr)
    assert check_servable(tmp_path / "p.safetensors") == "MLPClassifier"
    body = {"rows": [[None if np.isnan(v) else float(v) for v in row] for row in Xte]}
    for source in (pipe, tmp_path / "p.safetensors", tmp_path / "p.onnx"):
        served = open_served(source)
        rows = served.rows(json.loads(json.dumps(body)), 1000)
        assert served.predict(rows, proba=False) == pipe.predict(Xte).tolist()
        np.testing.assert_allclose(served.predict(rows, proba=True), pipe.predict_proba(Xte), atol=1e-5)
