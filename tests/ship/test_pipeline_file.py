"""hl.save / hl.load / hl.export_onnx of a scikit-learn Pipeline of a TableEncoder, or of scikit-learn scalers, imputers and
PCA, then an MLP: no pickle, exact round trips.

Before, ``hl.save(pipe, path)`` raised "save() takes a fitted hiddenlayers estimator", so pickle was the only way to keep it;
then a Pipeline of StandardScaler/SimpleImputer/... before the MLP was refused ("put one hl.TableEncoder() before the MLP").
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from safetensors import safe_open
from safetensors.torch import load_file
from safetensors.torch import save as st_save
from sklearn.datasets import load_diabetes, load_wine
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, Normalizer, RobustScaler, StandardScaler

import hiddenlayers as hl
from fit_helpers import quiet_fit
from hiddenlayers.ship import read_metadata
from metadata_edits import check_every_edit
from pipeline_helpers import STEPS, iris_holes


class _MyScaler(StandardScaler):
    """A subclass of an allowed step: it would not load back as itself, so it is refused."""


def _wine() -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray]:
    """Wine as a DataFrame with a text column added (alcohol band, with a few missing cells), split 70/30."""
    X, y = load_wine(return_X_y=True, as_frame=True)
    X = X.copy()
    X["band"] = pd.cut(X["alcohol"], 3, labels=["low", "mid", "high"]).astype(object)
    X.loc[X.index[::17], "band"] = None
    y = np.asarray(["a", "b", "c"], dtype=object)[y.to_numpy()]  # text labels
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    return Xtr, Xte, ytr, yte


@pytest.fixture(scope="module")
def wine_pipe() -> tuple[Pipeline, pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray]:
    Xtr, Xte, ytr, yte = _wine()
    pipe = Pipeline([("pre", hl.TableEncoder(max_categories=5)), ("skip", "passthrough"),
                     ("clf", hl.MLPClassifier(hidden_layer_sizes=(16,), max_iter=200, random_state=0))])
    quiet_fit(pipe, Xtr, ytr)
    return pipe, Xtr, ytr, Xte, yte


def _same(a: Any, b: Any) -> bool:
    return bool(np.array_equal(np.asarray(a), np.asarray(b)))


def test_a_pipeline_learns_and_loads_back_bit_equal(wine_pipe: tuple, tmp_path: Path) -> None:
    pipe, Xtr, ytr, Xte, yte = wine_pipe
    assert pipe.score(Xte, yte) >= 0.9  # a real fit on wine, text column included
    path = tmp_path / "m.safetensors"
    hl.save(pipe, path, extra={"owner": "me"})
    back = hl.load(path)
    assert type(back) is Pipeline and [n for n, _ in back.steps] == ["pre", "skip", "clf"] and back.steps[1][1] == "passthrough"
    assert back.get_params(deep=True).keys() == pipe.get_params(deep=True).keys()
    assert back["pre"].get_params() == {"max_categories": 5, "numeric_text_ratio": 0.9}
    assert list(back["pre"].feature_names_in_) == list(Xtr.columns) and back["pre"].n_features_in_ == Xtr.shape[1]
    shuffled = Xte[list(reversed(Xte.columns))]  # read by name, as the saved one reads it
    for X in (Xte, shuffled):
        assert _same(back.predict(X), pipe.predict(X)) and _same(back.predict_proba(X), pipe.predict_proba(X))
    assert back.score(Xte, yte) == pipe.score(Xte, yte)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "X does not have valid feature names": read by position, as the encoder does
        assert _same(back.predict_proba(Xte.to_numpy()), pipe.predict_proba(Xte.to_numpy()))
    assert read_metadata(path)["extra"] == {"owner": "me"}


def test_the_file_is_a_train_made_models_file(wine_pipe: tuple, tmp_path: Path) -> None:
    """The stored preprocessing is the encoder's to_dict(), so as_pipeline=False gives the MLP that reads raw frames."""
    pipe, _, _, Xte, _ = wine_pipe
    path = tmp_path / "m.safetensors"
    hl.save(pipe, path)
    meta = read_metadata(path)
    assert meta["estimator"] == "MLPClassifier" and meta["preprocessing"] == pipe["pre"].preprocessor_.to_dict()
    assert "feature_names_in_" not in meta["fitted"]
    mlp = hl.load(path, as_pipeline=False)
    assert type(mlp) is hl.MLPClassifier and _same(mlp.predict_proba(Xte), pipe.predict_proba(Xte))
    assert not pipe["clf"].__dict__.get("preprocessing_")  # the user's MLP is not changed by saving


def test_make_pipeline_regressor_with_pandas_output_and_none_step(tmp_path: Path) -> None:
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    X = X.assign(sex=np.where(X["sex"] > 0, "f", "m"))
    pipe = make_pipeline(None, hl.TableEncoder(), hl.MLPRegressor(hidden_layer_sizes=(8,), max_iter=40, random_state=0)).set_output(transform="pandas")
    quiet_fit(pipe, X, y)
    assert {"age", "sex=f", "sex=m"} <= set(pipe[-1].feature_names_in_)  # the MLP was fitted on the encoder's DataFrame
    path = tmp_path / "r.safetensors"
    hl.save(pipe, path)
    back = hl.load(path)
    assert [n for n, _ in back.steps] == [n for n, _ in pipe.steps] and back.steps[0][1] is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "X does not have valid feature names": the output config came back
        assert _same(back.predict(X), pipe.predict(X)) and back.score(X, y) == pipe.score(X, y)
    assert list(back[-1].feature_names_in_) == list(pipe[-1].feature_names_in_)


def test_an_array_fitted_pipeline_reads_by_position(tmp_path: Path) -> None:
    X, y = load_wine(return_X_y=True)
    pipe = quiet_fit(make_pipeline(hl.TableEncoder(), hl.MLPClassifier((4,), max_iter=5, random_state=0)), X, y)
    hl.save(pipe, tmp_path / "a.safetensors")
    back = hl.load(tmp_path / "a.safetensors")
    assert not hasattr(back[0], "feature_names_in_") and _same(back.predict_proba(X), pipe.predict_proba(X))


def test_a_train_made_file_loads_as_a_pipeline_on_request(wine_pipe: tuple, tmp_path: Path) -> None:
    pipe, Xtr, ytr, Xte, _ = wine_pipe
    pre = hl.TablePreprocessor(max_categories=5).fit(Xtr)
    mlp = quiet_fit(hl.MLPClassifier((8,), max_iter=5, random_state=0), pre.transform(Xtr).matrix, ytr)
    mlp.preprocessing_ = {**pre.to_dict(), "target": "y", "task": "classification"}  # as `hiddenlayers train` stores it
    path = tmp_path / "t.safetensors"
    mlp.save(path)
    assert type(hl.load(path)) is hl.MLPClassifier  # as before
    as_pipe = hl.load(path, as_pipeline=True)
    assert [n for n, _ in as_pipe.steps] == ["tableencoder", "mlpclassifier"] and as_pipe[0].max_categories == 5
    assert _same(as_pipe.predict_proba(Xte), mlp.predict_proba(Xte))
    hl.save(as_pipe, tmp_path / "again.safetensors")  # and saved as a Pipeline from there
    assert _same(hl.load(tmp_path / "again.safetensors").predict_proba(Xte), mlp.predict_proba(Xte))
    twice = Pipeline([("pre", as_pipe[0]), ("clf", hl.load(path))])  # the MLP as loaded reads raw tables itself
    with pytest.raises(ValueError, match=r"^MLPClassifier in the Pipeline already stores its own table preprocessing \(a model from "
                                         r"`hiddenlayers train`\), so the encoder would run twice: save the MLP alone with hl\.save\(pipe\[-1\], path\)\.$"):
        hl.save(twice, tmp_path / "twice.safetensors")
    assert not (tmp_path / "twice.safetensors").exists()
    plain = tmp_path / "p.safetensors"
    quiet_fit(hl.MLPClassifier((4,), max_iter=2), np.ones((4, 2)), [0, 1, 0, 1]).save(plain)
    with pytest.raises(ValueError, match=re.escape(f"as_pipeline=True gives a TableEncoder and the MLP, but '{plain}' holds an MLPClassifier "
                                                   "fitted on a matrix (no table preprocessing stored): load it with hl.load(path).")):
        hl.load(plain, as_pipeline=True)
    with pytest.raises(TypeError, match=r"^as_pipeline must be True, False or None \(what was saved\)\. Received: as_pipeline='yes'\.$"):
        hl.load(plain, as_pipeline="yes")  # type: ignore[arg-type]


@pytest.mark.parametrize(("steps", "message"), [
    ([("pre", hl.TableEncoder()), ("scale", StandardScaler()), ("clf", hl.MLPClassifier())],
     "step 'scale' is a StandardScaler: TableEncoder already standardises the numeric columns (median fill, mean 0, sd 1), so drop the step."),
    ([("pre", hl.TableEncoder()), ("clf", LogisticRegression())],
     "its steps are 'pre' (TableEncoder), 'clf' (LogisticRegression): end it with a hl.MLPClassifier or hl.MLPRegressor"),
    ([("clf", hl.MLPClassifier())], "its steps are 'clf' (MLPClassifier): put one hl.TableEncoder() (or scikit-learn steps) before the MLP"),
    ([("pre", hl.TableEncoder()), ("mm", MinMaxScaler()), ("clf", hl.MLPClassifier())],
     "put one hl.TableEncoder() before the MLP and nothing else (it fills, standardises and one-hot encodes a DataFrame), "
     "or scikit-learn steps without it."),
    ([("scale", StandardScaler()), ("norm", Normalizer()), ("clf", hl.MLPClassifier())],
     "step 'norm' is a Normalizer, which has no pickle-free file: use StandardScaler, MinMaxScaler, MaxAbsScaler, RobustScaler, "
     "SimpleImputer, PCA or one hl.TableEncoder() before the MLP, or save the Pipeline with its own library."),
    ([("scale", _MyScaler()), ("clf", hl.MLPClassifier())], "step 'scale' is a _MyScaler, which has no pickle-free file"),
    ([("pre", hl.TableEncoder()), ("clf", hl.MLPClassifier()), ("end", "passthrough")], "end it with a hl.MLPClassifier or hl.MLPRegressor"),
])
def test_other_pipelines_are_refused_in_one_line_and_nothing_is_written(tmp_path: Path, steps: list, message: str) -> None:
    path = tmp_path / "x.safetensors"
    with pytest.raises(TypeError) as info:
        hl.save(Pipeline(steps), path)
    text = str(info.value)
    assert text.startswith("save() takes a Pipeline of a hl.TableEncoder, or of scikit-learn steps (StandardScaler, MinMaxScaler, MaxAbsScaler, "
                           "RobustScaler, SimpleImputer, PCA), then a hl.MLPClassifier or hl.MLPRegressor ('passthrough' steps aside); ")
    assert message in text and "\n" not in text and not path.exists()
    with pytest.raises(TypeError, match=r"^export_onnx\(\) takes a Pipeline of"):
        hl.export_onnx(Pipeline(steps), tmp_path / "x.onnx")
    assert not (tmp_path / "x.onnx").exists()


def test_parameters_set_after_fit_are_kept_as_the_user_left_them(tmp_path: Path) -> None:
    """scikit-learn's rule: set_params after fit changes the next fit, not this one; the file keeps both as they are."""
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "c": ["x", "y", "x", "z"]})
    pipe = quiet_fit(make_pipeline(hl.TableEncoder(), hl.MLPClassifier((3,), max_iter=2, random_state=0)), X, [0, 1, 0, 1])
    pipe.set_params(tableencoder__max_categories=2)
    hl.save(pipe, tmp_path / "m.safetensors")
    back = hl.load(tmp_path / "m.safetensors")
    assert back[0].max_categories == 2 and back[0].preprocessor_.max_categories == 20
    assert _same(back.predict_proba(X), pipe.predict_proba(X))


def test_an_unfitted_pipeline_gets_scikit_learns_not_fitted_error(tmp_path: Path) -> None:
    path = tmp_path / "x.safetensors"
    with pytest.raises(NotFittedError, match=r"^This Pipeline instance is not fitted yet\. Call 'fit' with appropriate arguments"):
        hl.save(make_pipeline(hl.TableEncoder(), hl.MLPRegressor()), path)
    assert not path.exists()


def _rewrite(path: Path, out: Path, meta: dict) -> None:
    out.write_bytes(st_save(load_file(str(path)), metadata={"hiddenlayers": json.dumps(meta)}))


def _meta(path: Path) -> dict:
    with safe_open(str(path), framework="pt") as fh:
        return dict(json.loads(fh.metadata()["hiddenlayers"]))


@pytest.mark.parametrize(("edit", "problem"), [
    (lambda p: p["encoder"].update(feature_names_in_=["a", "b"]), "ValueError: the encoder's feature_names_in_ are not its preprocessing's columns"),
    (lambda p: p["encoder"]["params"].update(code="import os"), "TypeError: the encoder's parameters are not ['max_categories', 'numeric_text_ratio']"),
    (lambda p: p["steps"].reverse(), "are not a TableEncoder then the file's MLPClassifier"),
    (lambda p: p["steps"][0].__setitem__(1, "os.system"), "ValueError: the pipeline steps hold unknown kinds"),
    (lambda p: p.update(steps=[["a", "TableEncoder"], ["a", "MLPClassifier"]]), "are not distinct non-empty names"),
])
def test_a_tampered_pipeline_record_is_a_model_file_error(wine_pipe: tuple, tmp_path: Path, edit: Any, problem: str) -> None:
    path, bad = tmp_path / "m.safetensors", tmp_path / "bad.safetensors"
    hl.save(wine_pipe[0], path)
    meta = _meta(path)
    edit(meta["pipeline"])
    _rewrite(path, bad, meta)
    with pytest.raises(hl.ModelFileError, match=re.escape(f"'{bad}' has inconsistent pipeline metadata (")) as info:
        hl.load(bad)
    assert problem in str(info.value) and str(info.value).endswith("the file was altered or is damaged.")
    assert type(hl.load(bad, as_pipeline=False)) is hl.MLPClassifier  # the MLP itself does not read the record


def test_any_edit_of_the_pipeline_metadata_loads_or_is_a_model_file_error(tmp_path: Path) -> None:
    """Hypothesis: set any field of the pipeline record or the preprocessing to null or another type, or remove it:
    loading gives a Pipeline that predicts or a one-line ModelFileError naming the file, never another exception."""
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "c": ["x", "y", "x", None]})
    path = tmp_path / "m.safetensors"
    hl.save(quiet_fit(make_pipeline(hl.TableEncoder(), hl.MLPClassifier((3,), max_iter=2, random_state=0)), X, [0, 1, 0, 1]), path)

    def usable(model: Any) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert model.predict(X).shape == (4,)

    check_every_edit(path, tmp_path / "h.safetensors", lambda p: p[0] in ("pipeline", "preprocessing"), usable)


def test_export_onnx_puts_the_encoder_in_the_graph(wine_pipe: tuple, tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    pipe, Xtr, _, Xte, _ = wine_pipe
    report = hl.export_onnx(pipe, tmp_path / "m.onnx", X=Xte)
    assert report.input_columns == list(Xtr.columns) and report.string_input_columns == ["band"] and report.max_abs_diff < 1e-5
    onnx = hl.ship.OnnxModel(tmp_path / "m.onnx")
    np.testing.assert_allclose(onnx.predict_proba(Xte), pipe.predict_proba(Xte), atol=1e-5)
    assert list(onnx.predict(Xte)) == list(pipe.predict(Xte))


# --- scikit-learn steps before the MLP: scalers, imputers, PCA ---------------------------------------------------------

@pytest.mark.parametrize("kind", list(STEPS))
def test_a_pipeline_of_scikit_learn_steps_loads_back_bit_equal(kind: str, tmp_path: Path) -> None:
    Xtr, Xte, ytr, yte = iris_holes()
    pipe = quiet_fit(make_pipeline(*STEPS[kind](), hl.MLPClassifier((8,), max_iter=60, random_state=0)), Xtr, ytr)
    path = tmp_path / "m.safetensors"
    hl.save(pipe, path, extra={"kind": kind})
    back = hl.load(path)
    assert type(back) is Pipeline and [(n, _kind_of(s)) for n, s in back.steps] == [(n, _kind_of(s)) for n, s in pipe.steps]
    assert repr(back.get_params(deep=True)) == repr(pipe.get_params(deep=True))  # repr: NaN parameters compare equal
    for (_, mine), (_, theirs) in zip(back.steps[:-1], pipe.steps[:-1]):
        if not isinstance(mine, str):
            assert type(mine) is type(theirs) and mine is not theirs
            _same_fitted(mine, theirs)
    assert _same(back[:-1].transform(Xte), pipe[:-1].transform(Xte))
    assert _same(back.predict(Xte), pipe.predict(Xte)) and _same(back.predict_proba(Xte), pipe.predict_proba(Xte))
    assert back.score(Xte, yte) == pipe.score(Xte, yte)
    meta = read_metadata(path)
    assert meta["format_version"] == 2 and meta["extra"] == {"kind": kind} and "preprocessing" not in meta
    mlp = hl.load(path, as_pipeline=False)  # the MLP alone reads the steps' output
    assert type(mlp) is hl.MLPClassifier and _same(mlp.predict_proba(pipe[:-1].transform(Xte)), pipe.predict_proba(Xte))
    arrays = {f"pipeline.{n}.{a}" for n, s in pipe.steps[:-1] if not isinstance(s, str) for a, v in vars(s).items()
              if isinstance(v, np.ndarray) and v.dtype != object}  # every numeric array is a tensor of the file
    with safe_open(str(path), framework="pt") as fh:
        assert {k for k in fh.keys() if k.startswith("pipeline.")} == arrays


def _kind_of(step: Any) -> Any:
    return step if step is None or isinstance(step, str) else type(step).__name__


def _same_fitted(mine: Any, theirs: Any) -> None:
    """Every attribute of the loaded step is the saved one's: same type, dtype and bits (NaN equal to NaN)."""
    assert vars(mine).keys() == vars(theirs).keys()
    for key, want in vars(theirs).items():
        got = vars(mine)[key]
        assert type(got) is type(want), key
        if isinstance(want, np.ndarray):
            assert got.dtype == want.dtype and got.shape == want.shape, key
            assert [repr(v) for v in got.ravel().tolist()] == [repr(v) for v in want.ravel().tolist()], key
        else:
            assert repr(got) == repr(want), key


def test_a_regressor_pipeline_of_steps_on_a_dataframe_with_pandas_output(tmp_path: Path) -> None:
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    pipe = make_pipeline(RobustScaler(), MaxAbsScaler(), hl.MLPRegressor(hidden_layer_sizes=(8,), max_iter=30, random_state=0))
    quiet_fit(pipe.set_output(transform="pandas"), X, y)
    hl.save(pipe, tmp_path / "r.safetensors")
    back = hl.load(tmp_path / "r.safetensors")
    assert list(back[0].feature_names_in_) == list(X.columns) and list(back[-1].feature_names_in_) == list(X.columns)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "X does not have valid feature names": the output config came back
        assert _same(back.predict(X), pipe.predict(X)) and back.score(X, y) == pipe.score(X, y)
        assert isinstance(back[:-1].transform(X), pd.DataFrame)


@pytest.fixture(scope="module")
def iris_mlp() -> tuple[Any, np.ndarray, np.ndarray]:
    """One MLP fitted on 4 columns, put after steps fitted on their own (a Pipeline need not be fitted as a whole)."""
    Xtr, Xte, ytr, _ = iris_holes()
    filled = np.nan_to_num(Xtr, nan=3.0)
    return quiet_fit(hl.MLPClassifier((6,), max_iter=20, random_state=0), filled, ytr), Xtr, Xte


def _step_strategy() -> Any:
    from hypothesis import strategies as st

    low = st.floats(-5, 4, allow_nan=False).map(lambda v: round(v, 3))
    quantiles = st.tuples(st.floats(1, 49), st.floats(51, 99))
    return st.one_of(
        st.builds(StandardScaler, with_mean=st.booleans(), with_std=st.booleans()),
        st.builds(lambda lo, clip: MinMaxScaler(feature_range=(lo, lo + 1.5), clip=clip), low, st.booleans()),
        st.builds(MaxAbsScaler, clip=st.booleans()),
        st.builds(RobustScaler, with_centering=st.booleans(), with_scaling=st.booleans(), quantile_range=quantiles, unit_variance=st.booleans()),
        st.builds(SimpleImputer, strategy=st.sampled_from(["mean", "median", "most_frequent"]), keep_empty_features=st.booleans()),
        st.builds(lambda v: SimpleImputer(strategy="constant", fill_value=v), st.one_of(st.integers(-3, 3), low)),
    )


def test_any_step_parameters_round_trip_bit_for_bit(iris_mlp: tuple, tmp_path: Path) -> None:
    """Hypothesis over each step kind's parameters: an imputer then the step, saved and loaded, transforms and predicts the
    held-out rows to the same bits, and gives back the same parameters."""
    from hypothesis import HealthCheck, given, settings

    mlp, Xtr, Xte = iris_mlp

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(step=_step_strategy())
    def check(step: Any) -> None:
        first = SimpleImputer(strategy="median").fit(Xtr)
        step.fit(first.transform(Xtr))
        pipe = Pipeline([("fill", first), ("step", step), ("clf", mlp)])
        hl.save(pipe, tmp_path / "h.safetensors")
        back = hl.load(tmp_path / "h.safetensors")
        assert repr(back["step"].get_params()) == repr(step.get_params())
        _same_fitted(back["step"], step)
        assert _same(back[:-1].transform(Xte), pipe[:-1].transform(Xte))
        assert _same(back.predict_proba(Xte), pipe.predict_proba(Xte))

    check()


@pytest.mark.parametrize(("step", "message"), [
    (PCA(n_components=2, random_state=np.random.RandomState(0)),
     "step 'step' (PCA) has random_state of type RandomState, which is not plain data and has no pickle-free file: "
     "set it to a number, text or None (or a list of them) before fitting."),
    (SimpleImputer(add_indicator=True),
     "step 'step' (SimpleImputer) holds indicator_ of type MissingIndicator, which has no pickle-free file: fit it with numeric data and "
     "its default options (e.g. add_indicator=False), or save the Pipeline with its own library."),
    (SimpleImputer(missing_values=pd.NA, strategy="most_frequent"), "step 'step' (SimpleImputer) has missing_values of type NAType, which is not plain data"),
])
def test_a_step_whose_state_is_not_plain_data_is_refused_in_one_line(iris_mlp: tuple, tmp_path: Path, step: Any, message: str) -> None:
    mlp, Xtr, _ = iris_mlp
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        step.fit(np.nan_to_num(Xtr) if isinstance(step, PCA) else pd.DataFrame(Xtr).astype(object).where(pd.notna(Xtr), pd.NA)
                 if step.get_params().get("missing_values") is pd.NA else Xtr)
    path = tmp_path / "x.safetensors"
    with pytest.raises(TypeError) as info:
        hl.save(Pipeline([("step", step), ("clf", mlp)]), path)
    assert str(info.value).startswith(message) and "\n" not in str(info.value) and not path.exists()


@pytest.fixture(scope="module")
def steps_file(iris_mlp: tuple, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Pipeline]:
    mlp, Xtr, _ = iris_mlp
    first = SimpleImputer().fit(Xtr)
    pipe = Pipeline([("fill", first), ("scale", StandardScaler().fit(first.transform(Xtr))), ("clf", mlp)])
    path = tmp_path_factory.mktemp("steps") / "m.safetensors"
    hl.save(pipe, path)
    return path, pipe


def _edit_steps_file(path: Path, out: Path, edit: Any, tensors: Any = None) -> None:
    meta, arrays = _meta(path), load_file(str(path))
    edit(meta["pipeline"])
    if tensors is not None:
        tensors(arrays)
    out.write_bytes(st_save(arrays, metadata={"hiddenlayers": json.dumps(meta)}))


@pytest.mark.parametrize(("edit", "tensors", "problem"), [
    (lambda p: p["steps"][1].__setitem__(1, "Normalizer"), None, "ValueError: the pipeline steps hold unknown kinds"),
    (lambda p: p["steps"][1].__setitem__(1, "MinMaxScaler"), None, "TypeError: step 'scale''s parameters are not MinMaxScaler's"),
    (lambda p: p["matrix_steps"]["scale"]["params"]["values"].update(code="import os"), None, "TypeError: step 'scale''s parameters are not"),
    (lambda p: p["matrix_steps"]["scale"]["fitted"].update(__class__={"value": "x"}), None, "ValueError: step 'scale' stores '__class__', not a fitted"),
    (lambda p: p["matrix_steps"]["scale"]["fitted"]["mean_"].update(tensor="pipeline.fill.statistics_"), None,
     "ValueError: step 'scale' names tensor 'pipeline.fill.statistics_', not one of its own"),
    (lambda p: p["matrix_steps"]["fill"]["fitted"]["_fit_dtype"].update(dtype="<M8[ns]"), None, "ValueError: step 'fill' stores dtype datetime64[ns]"),
    (lambda p: None, lambda t: t.update({"pipeline.scale.scale_": t["pipeline.scale.scale_"][:2]}),
     "ValueError: operands could not be broadcast"),
    (lambda p: p["matrix_steps"].pop("scale"), None, "TypeError: the stored steps are not the pipeline's ['fill', 'scale']"),
    (lambda p: p["matrix_steps"]["fill"]["fitted"]["n_features_in_"].update(value=10**12), None,
     "ValueError: the first step's n_features_in_=1000000000000 is not a number of columns"),
])
def test_a_tampered_steps_record_is_a_model_file_error(steps_file: tuple, tmp_path: Path, edit: Any, tensors: Any, problem: str) -> None:
    path, _ = steps_file
    bad = tmp_path / "bad.safetensors"
    _edit_steps_file(path, bad, edit, tensors)
    with pytest.raises(hl.ModelFileError, match=re.escape(f"'{bad}' has inconsistent pipeline metadata (")) as info:
        hl.load(bad)
    assert problem in str(info.value) and "\n" not in str(info.value)


def test_an_array_of_names_takes_its_width_from_its_items_not_from_the_file(steps_file: tuple, tmp_path: Path) -> None:
    """A stored '<U2' (or a width of gigabytes) is not the width the names are read in: they come back whole."""
    path, pipe = steps_file
    bad = tmp_path / "names.safetensors"
    names = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    _edit_steps_file(path, bad, lambda p: p["matrix_steps"]["fill"]["fitted"].update(feature_names_in_={"items": names, "dtype": "<U2"}))
    back = hl.load(bad)
    assert list(back[0].feature_names_in_) == names
    X = pd.DataFrame(np.ones((2, 4)), columns=names)
    assert _same(back.predict_proba(X), pipe.predict_proba(X.to_numpy()))


def test_a_step_class_from_the_file_is_never_imported(steps_file: tuple, tmp_path: Path) -> None:
    """A tampered class name (a module path) is refused by the allow-list before anything is imported."""
    import sys

    path, _ = steps_file
    bad = tmp_path / "bad.safetensors"
    for name in ("antigravity", "this", "sklearn.svm.SVC"):
        _edit_steps_file(path, bad, lambda p, n=name: p["steps"][1].__setitem__(1, n))
        before = set(sys.modules)
        with pytest.raises(hl.ModelFileError, match="the pipeline steps hold unknown kinds"):
            hl.load(bad)
        assert set(sys.modules) == before


def test_any_edit_of_a_steps_record_loads_or_is_a_model_file_error(steps_file: tuple, tmp_path: Path) -> None:
    """Hypothesis: any field of the scikit-learn steps' record set to null or another type, or removed: a Pipeline that
    predicts, or one ModelFileError line naming the file."""
    path, pipe = steps_file
    X = np.asarray([[5.0, np.nan, 1.5, 0.2], [6.0, 3.0, 4.5, 1.5]])

    def usable(model: Any) -> None:
        # an edit of the imputer's missing_values (NaN -> -1) is another valid setting: that Pipeline, as one built so, does
        # not fill NaN (scikit-learn refuses the NaN row at predict), so it must predict the row without a missing cell
        marker = next((step.missing_values for _, step in model.steps if hasattr(step, "missing_values")), np.nan)
        rows = X if isinstance(marker, float) and np.isnan(marker) else X[1:]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert model.predict(rows).shape == (len(rows),)

    check_every_edit(path, tmp_path / "h.safetensors", lambda p: p[0] == "pipeline", usable)


def test_export_onnx_and_serve_take_a_pipeline_of_steps_whole(steps_file: tuple, tmp_path: Path) -> None:
    """The steps run before the MLP in the export's graph and in the server (tests/ship/test_pipeline_onnx.py has the rest);
    only the encoder's reading of a Pipeline as one MLP refuses them, in one line."""
    from hiddenlayers.ship import check_servable
    from hiddenlayers.ship._pipeline import pipeline_as_model

    path, pipe = steps_file
    X = np.asarray([[5.0, np.nan, 1.5, 0.2], [6.0, 3.0, 4.5, 1.5]])
    hl.export_onnx(pipe, tmp_path / "x.onnx", X=X)
    np.testing.assert_allclose(hl.ship.OnnxModel(tmp_path / "x.onnx").predict_proba(X), pipe.predict_proba(X), atol=1e-5)
    assert check_servable(path) == "MLPClassifier"
    with pytest.raises(TypeError, match=r"^serve\(\) reads a Pipeline of a hl\.TableEncoder then an MLP as one MLP; this one runs "
                                        r"scikit-learn steps 'fill' \(SimpleImputer\), 'scale' \(StandardScaler\) before its MLP") as info:
        pipeline_as_model(pipe, "serve()")
    assert "\n" not in str(info.value)


def test_pipeline_inputs_reads_the_first_steps_width_and_nothing_from_a_damaged_record(tmp_path: Path) -> None:
    """``info``'s input width of a Pipeline file of steps: the first step's ``n_features_in_``; a record edited into any shape
    gives None (info falls back to the network's width), never an exception."""
    from hypothesis import given
    from hypothesis import strategies as st

    from hiddenlayers._meta import PIPELINE_KEY, pipeline_inputs

    X, y = load_wine(return_X_y=True)
    pipe = quiet_fit(make_pipeline(StandardScaler(), PCA(3), hl.MLPClassifier((4,), max_iter=2, random_state=0)), X, y)
    hl.save(pipe, tmp_path / "p.safetensors")
    meta = read_metadata(tmp_path / "p.safetensors")
    assert pipeline_inputs(meta) == 13 and pipeline_inputs({}) is None
    for first in ([["a"], "StandardScaler"], ["a", "StandardScaler"]):  # an unhashable name; a width that is no stored value
        assert pipeline_inputs({PIPELINE_KEY: {"steps": [first], "matrix_steps": {"a": {"fitted": {"n_features_in_": 5}}}}}) is None

    json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                               lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8)

    @given(json_values)
    def edited(record: Any) -> None:
        n = pipeline_inputs({PIPELINE_KEY: record})
        assert n is None or (isinstance(n, int) and n > 0)

    edited()
