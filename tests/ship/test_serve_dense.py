"""The server's NumPy path: a `.safetensors` table MLP of dense layers served without the estimator class.

Before, every `.safetensors` file went through `hl.load`, which imports scikit-learn (SciPy's stats, pandas, pyarrow)
and PyTorch: 2.6 CPU s to the first answer, against 0.37 for the same model's `.onnx` (bench_serve_start.py). Now such a
file is read by `hiddenlayers.estimators.dense_model`, and must answer exactly as `predict`/`predict_proba` do, and
refuse every file `hl.load` refuses in the same words (anything it is unsure of goes to `hl.load`). Dense layers with
dropout, batch or layer norm, multi-label classifiers and float64 models take it too (they went to `hl.load` before).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors import safe_open
from safetensors.numpy import load_file
from safetensors.numpy import save as st_save

pytest.importorskip("starlette")

import hiddenlayers as hl  # noqa: E402
from hiddenlayers.data import TablePreprocessor, float32_numbers, load_table  # noqa: E402
from hiddenlayers.estimators import DenseModel  # noqa: E402
from hiddenlayers.ship._serve.model import RequestError, ServedModel  # noqa: E402
from metadata_edits import EDITS, edited, field_paths  # noqa: E402

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _fit(est: Any, frame: pd.DataFrame, y: Any) -> Any:
    pre = TablePreprocessor().fit(frame)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(pre.transform(frame).matrix, y)
    est.preprocessing_ = {**pre.to_dict(), "target": "target", "task": "classification" if hasattr(est, "classes_") else "regression"}
    return est


def _bundled(name: str) -> tuple[pd.DataFrame, np.ndarray]:
    frame = load_table(name)
    return frame.drop(columns="target"), frame["target"].to_numpy()


def _cities(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    f = pd.DataFrame({"age": rng.integers(18, 80, n).astype(float), "income": rng.normal(50000, 15000, n),
                      "city": rng.choice(["Lyon", "Paris", "Nice"], n), "score": rng.normal(size=n)})
    f.loc[rng.random(n) < 0.1, "income"] = np.nan
    f.loc[rng.random(n) < 0.1, "city"] = None
    return f


def _rows(frame: pd.DataFrame) -> list[dict]:
    return [{k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()} for r in frame.astype(object).to_dict("records")]


def _with_gaps(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame``'s first rows with missing cells (columns that had none in training: filled, and noted) and, where it has
    a text column, unseen categories."""
    f = frame.head(12).copy().astype(object)
    for j in range(f.shape[1]):
        f.iloc[j % len(f), j] = None
    if "city" in f:
        f.loc[f.index[1::3], "city"] = "Marseille"
    return f


def _data(name: str) -> tuple[pd.DataFrame, np.ndarray]:
    """A bundled dataset's features and target, ``"cities"``: a table with a text column and missing cells, or
    ``"iris-multilabel"``: iris with three 0/1 labels per row."""
    if name == "cities":
        frame = _cities(300, 0)
        return frame, np.where(frame["age"] > 45, "old", "young")
    if name == "iris-multilabel":
        X, y = _bundled("iris")
        return X, np.stack([y == 0, y == 2, X.iloc[:, 0] > 5.8], axis=1).astype(int)
    if name.startswith("iris-as-"):  # labels of another type: bool, 0.0/1.0 floats (binary), float or int32 classes
        X, names = _bundled("iris")
        y = np.unique(names, return_inverse=True)[1]  # the species as 0, 1, 2
        return X, {"bool": y == 0, "float-binary": (y == 2).astype(float), "float": y.astype(float), "int32": y.astype(np.int32)}[name[8:]]
    return _bundled(name)


#: name -> (data, the estimator fitted on it)
CASES = {
    "iris": ("iris", lambda: hl.MLPClassifier(hidden_layer_sizes=(16, 8), max_iter=30, random_state=0)),
    "wine-tanh-gce": ("wine", lambda: hl.MLPClassifier(hidden_layer_sizes=(12,), activation="tanh", loss="gce", max_iter=30, random_state=0)),
    "breast-cancer-spec": ("breast_cancer", lambda: hl.MLPClassifier(hidden_layer_sizes="16:logistic,8:elu", max_iter=20, random_state=0)),
    "digits": ("digits", lambda: hl.MLPClassifier(hidden_layer_sizes=(32,), max_iter=5, random_state=0)),
    "diabetes-scaled": ("diabetes", lambda: hl.MLPRegressor(hidden_layer_sizes=(16,), activation="silu", scale_target=True, max_iter=30,
                                                            random_state=0)),
    "diabetes-poisson": ("diabetes", lambda: hl.MLPRegressor(loss="poisson", hidden_layer_sizes=(8,), max_iter=20, random_state=0)),
    "cities-labels": ("cities", lambda: hl.MLPClassifier(hidden_layer_sizes=(8,), activation="leaky_relu", max_iter=20, random_state=0)),
    # dropout (the identity at inference) and norms in eval mode, multi-label, float64: hl.load's before
    "iris-norms-dropout": ("iris", lambda: hl.MLPClassifier("16:relu:dropout=0.2:batchnorm,8:tanh:layernorm", max_iter=30, random_state=0)),
    "cities-batchnorm-binary": ("cities", lambda: hl.MLPClassifier("8:elu:batchnorm:dropout=0.5", max_iter=20, random_state=0)),
    "iris-multilabel": ("iris-multilabel", lambda: hl.MLPClassifier(hidden_layer_sizes=(8,), max_iter=30, random_state=0)),
    "iris-multilabel-float64": ("iris-multilabel", lambda: hl.MLPClassifier("8:silu:layernorm", dtype="float64", max_iter=30, random_state=0)),
    "wine-float64-gce": ("wine", lambda: hl.MLPClassifier(hidden_layer_sizes=(12,), loss="gce", dtype="float64", max_iter=20, random_state=0)),
    "diabetes-float64-batchnorm": ("diabetes", lambda: hl.MLPRegressor(hidden_layer_sizes="16:batchnorm:dropout=0.1", dtype="float64",
                                                                        scale_target=True, max_iter=30, random_state=0)),
    # labels given as bool, 0.0/1.0 or other floats, or int32: hl.load's before, now the NumPy path's with the same labels and dtype
    **{f"iris-as-{kind}": (f"iris-as-{kind}", lambda: hl.MLPClassifier(hidden_layer_sizes=(8,), max_iter=10, random_state=0))
       for kind in ("bool", "float-binary", "float", "int32")},
}


def _frame(name: str) -> pd.DataFrame:
    """Rows to ask case ``name``'s model about: its data's first 60 rows."""
    return _data(CASES[name][0])[0].head(60)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Any, Path]]:
    d = tmp_path_factory.mktemp("dense")
    out = {}
    for name, (data, make) in CASES.items():
        est = _fit(make(), *_data(data))
        est.save(d / f"{name}.safetensors")
        out[name] = (est, d / f"{name}.safetensors")
    return out


def _written(est: Any, values: np.ndarray) -> list:
    """``values`` (probabilities, a regressor's values) as the server writes a model's numbers: float32's shortest digits, or
    a float64 model's own."""
    return values.tolist() if est.dtype == "float64" else float32_numbers(values)


@pytest.mark.parametrize("name", list(CASES))
def test_the_numpy_path_answers_bit_for_bit_as_predict(files: dict, name: str) -> None:
    est, path = files[name]
    sm = ServedModel(path)
    assert isinstance(sm.estimator, DenseModel)
    frame = pd.concat([_frame(name), _with_gaps(_frame(name))])
    rows = _rows(frame)
    checked = sm.rows({"rows": rows}, 1000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the preprocessing's notes on the gaps
        A = TablePreprocessor.from_dict(est.preprocessing_).transform(frame).matrix
    labels = sm.predict(checked, False)
    if hasattr(est, "classes_"):
        assert labels == est.predict(A).tolist() and sm.estimator.predict(A).dtype == est.predict(A).dtype
        assert sm.predict(checked, True) == _written(est, est.predict_proba(A))  # the very bits, written as predict writes them
        assert sm.metadata()["classes"] == est.classes_.tolist() and sm.multilabel == (est.label_type_ == "multilabel-indicator")
    else:
        assert labels == _written(est, est.predict(A))
    assert sm.notes(checked) == ServedModel(est).notes(checked)  # the gaps said as today
    meta = sm.metadata()
    assert (meta["estimator"], meta["format"], meta["columns"]) == (type(est).__name__, "safetensors", ServedModel(est).metadata()["columns"])


def test_a_model_without_stored_preprocessing_reads_its_named_columns(tmp_path: Path) -> None:
    """A model fitted in Python on a DataFrame: no stored preprocessing, its columns by their names, a missing cell refused."""
    X, y = _bundled("iris")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = hl.MLPClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0).fit(X, y)
    est.save(tmp_path / "named.safetensors")
    sm = ServedModel(tmp_path / "named.safetensors")
    assert isinstance(sm.estimator, DenseModel) and sm.columns == list(X.columns)
    rows = sm.rows({"rows": _rows(X.head(30))}, 100)
    assert sm.predict(rows, False) == est.predict(X.head(30)).tolist()
    assert sm.predict(rows, True) == float32_numbers(est.predict_proba(X.head(30)))
    with pytest.raises(RequestError, match="is missing .null or NaN., and this model has no stored preprocessing to fill it"):
        sm.rows({"rows": [[None, 1.0, 2.0, 3.0]]}, 1)


def _rewritten(path: Path, out: Path, edit: Any = None, tensors: Any = None) -> Path:
    """``path``'s model file written to ``out`` with its JSON record passed through ``edit`` and its tensors through ``tensors``."""
    with safe_open(str(path), framework="np") as fh:
        meta = json.loads(fh.metadata()["hiddenlayers"])
    arrays = load_file(str(path))
    out.write_bytes(st_save(tensors(arrays) if tensors else arrays, metadata={"hiddenlayers": json.dumps(edit(meta) if edit else meta)}))
    return out


def test_what_the_numpy_path_is_unsure_of_keeps_the_estimator(files: dict, tmp_path: Path) -> None:
    """Files `hl.load` reads that the NumPy path does not claim to know: a multi-label record whose labels are not the
    columns 0..k-1 (hl.load reads only their count), a batch norm's negative running variance (NaN answers, refused row by
    row), a saved device other than cpu/auto. Each is served by the estimator, answering as `hl.load`'s."""

    def labels(meta: dict) -> dict:
        meta["classes"]["values"] = [5, 6, 7]
        return meta

    def device(meta: dict) -> dict:
        meta["params"]["device"] = "cuda:7"
        return meta

    def variance(arrays: dict) -> dict:
        var = arrays["hidden1.norm.running_var"].copy()
        var[0] = -1.0
        return {**arrays, "hidden1.norm.running_var": var}

    kept = {"labels": ("iris-multilabel", labels, None), "device": ("iris-norms-dropout", device, None),
            "variance": ("iris-norms-dropout", None, variance)}
    for what, (name, edit, tensors) in kept.items():
        path = _rewritten(files[name][1], tmp_path / f"{what}.safetensors", edit, tensors)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the device this machine lacks
            sm, est = ServedModel(path), hl.load(path)
        assert type(sm.estimator).__name__ == "MLPClassifier", what
        rows = _rows(_frame(name).head(5))
        assert _outcome(lambda sm=sm: sm, rows) == _outcome(lambda est=est: ServedModel(est), rows), what


def _outcome(make: Any, rows: list[dict]) -> tuple:
    """What a server would do with a model: its refusal (type and words), or its labels and probabilities for ``rows``."""
    try:
        sm = make()
    except Exception as exc:  # noqa: BLE001 - the outcome compared is the refusal itself
        return type(exc).__name__, str(exc)
    try:
        checked = sm.rows({"rows": rows}, 100)
        return "served", sm.predict(checked, False), sm.predict(checked, True) if sm.classes else None, sm.metadata()["classes"]
    except RequestError as exc:
        return "request", str(exc)


@pytest.mark.parametrize("name", ["cities-labels", "wine-tanh-gce", "diabetes-scaled", "iris-norms-dropout", "iris-multilabel-float64",
                                  "diabetes-float64-batchnorm", "iris-as-float-binary"])
def test_an_edited_file_is_served_or_refused_exactly_as_hl_load_makes_it(files: dict, name: str, tmp_path: Path) -> None:
    """Every field of the file's JSON set to another type or removed: the server's NumPy path answers as the estimator
    `hl.load` gives, or refuses the file with `hl.load`'s own words (it never serves a file `hl.load` refuses)."""
    est, path = files[name]
    with safe_open(str(path), framework="np") as fh:
        original = json.loads(fh.metadata()["hiddenlayers"])
    tensors = load_file(str(path))
    rows = _rows(_with_gaps(_frame(name)).head(4))
    bad = tmp_path / "bad.safetensors"
    paths = [p for p in field_paths(original) if p[0] not in ("history", "library_version")]

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(path=st.sampled_from(paths), value=st.sampled_from(EDITS))
    def check(path: tuple, value: Any) -> None:
        bad.write_bytes(st_save(tensors, metadata={"hiddenlayers": json.dumps(edited(original, path, value))}))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert _outcome(lambda: ServedModel(bad), rows) == _outcome(lambda: ServedModel(hl.load(bad, as_pipeline=False)), rows), (path, value)

    check()


def _tensor_edits(tensors: dict[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
    """Each weight or norm tensor damaged: a NaN, another dtype or shape, left out; and a tensor the network has not."""
    out = {"extra": {**tensors, "hidden9.linear.weight": tensors["hidden1.linear.weight"]},
           "missing": {k: v for k, v in tensors.items() if k != "head.bias"}}
    for w in ("hidden1.linear.weight", "hidden1.norm.weight", "hidden1.norm.running_mean", "hidden1.norm.running_var", "hidden2.norm.bias"):
        t = tensors.get(w)
        if t is None:
            continue
        out |= {
            f"{w} nan": {**tensors, w: np.where(np.arange(t.size).reshape(t.shape) == 3, np.nan, t).astype(t.dtype)},
            f"{w} int32": {**tensors, w: t.astype(np.int32)},
            f"{w} float64": {**tensors, w: t.astype(np.float64)},
            f"{w} shape": {**tensors, w: t[..., :-1].copy()},
            f"{w} missing": {k: v for k, v in tensors.items() if k != w},
        }
    if "hidden1.norm.num_batches_tracked" in tensors:
        count = tensors["hidden1.norm.num_batches_tracked"]
        out |= {"count float32": {**tensors, "hidden1.norm.num_batches_tracked": count.astype(np.float32)},
                "count int32": {**tensors, "hidden1.norm.num_batches_tracked": count.astype(np.int32)},
                "count shape": {**tensors, "hidden1.norm.num_batches_tracked": count.reshape(1)}}
    return out


@pytest.mark.parametrize("name", ["cities-labels", "iris-norms-dropout"])
def test_damaged_tensors_and_truncated_files_are_refused_in_hl_loads_words(files: dict, name: str, tmp_path: Path) -> None:
    est, path = files[name]
    with safe_open(str(path), framework="np") as fh:
        meta = fh.metadata()
    rows = _rows(_frame(name).head(3))
    bad = tmp_path / "bad.safetensors"
    for what, tensors in _tensor_edits(load_file(str(path))).items():
        bad.write_bytes(st_save(tensors, metadata=meta))
        want = _outcome(lambda: ServedModel(hl.load(bad, as_pipeline=False)), rows)
        assert _outcome(lambda: ServedModel(bad), rows) == want, what
    data = path.read_bytes()
    for cut in (len(data) - 7, 40, 3):  # a copy that stopped: in the tensors, in the header, at the start
        bad.write_bytes(data[:cut])
        with pytest.raises(hl.ModelFileError) as exc:
            hl.load(bad)
        with pytest.raises(hl.ModelFileError) as served:
            ServedModel(bad)
        assert str(served.value) == str(exc.value) and "\n" not in str(exc.value)


@pytest.mark.parametrize("name", ["cities-labels", "iris-norms-dropout", "iris-multilabel-float64"])
def test_a_dense_file_is_served_without_torch_or_sklearn(files: dict, name: str) -> None:
    # the first answer of a worker serving the .safetensors file, as the onnx test does for its export: before, hl.load
    # imported scikit-learn (SciPy's stats, pandas, pyarrow) and PyTorch, 2.6 CPU s of a 2.6 s start (bench_serve_start.py)
    heavy = ("torch", "sklearn", "scipy", "pandas", "pyarrow", "matplotlib")
    given = _frame(name)
    second = [40, 1e4, "Marseille", 0.5] if name == "cities-labels" else given.iloc[0].tolist()  # cities: an unseen city
    code = ("import sys; from hiddenlayers.ship._serve.serve import ServeConfig, _Server; "
            f"s = _Server(ServeConfig(model={str(files[name][1])!r})); s.app(); m = s.model; "
            f"r = m.rows({{'rows': [[None] * len(m.columns), {second!r}]}}, 2); "  # missing cells, and a row of values
            "print(m.predict(r, False), m.predict(r, True)); "
            f"print([m for m in {heavy!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": SRC}, capture_output=True, text=True, timeout=60)
    answers, loaded = out.stdout.strip().splitlines()
    assert loaded == "[]", out.stderr
    est = files[name][0]
    frame = pd.DataFrame([[None] * given.shape[1], second], columns=given.columns).astype(given.dtypes.to_dict())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        A = TablePreprocessor.from_dict(est.preprocessing_).transform(frame).matrix
    assert answers == f"{est.predict(A).tolist()} {_written(est, est.predict_proba(A))}"


def test_a_parameter_the_class_has_not_is_refused_in_hl_loads_words(files: dict, tmp_path: Path) -> None:
    """A file naming a parameter outside the estimator's (another version's, or an edit) is one hl.load refuses; the NumPy
    path, which reads no class, served it."""
    est, path = files["cities-labels"]
    with safe_open(str(path), framework="np") as fh:
        meta = json.loads(fh.metadata()["hiddenlayers"])
    meta["params"]["bogus"] = 1
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(st_save(load_file(str(path)), metadata={"hiddenlayers": json.dumps(meta)}))
    rows = _rows(_cities(3, 1))
    want = _outcome(lambda: ServedModel(hl.load(bad, as_pipeline=False)), rows)
    assert want[0] == "ModelFileError" and "bogus" in want[1]
    assert _outcome(lambda: ServedModel(bad), rows) == want
