"""The server's value rule for a model that computes in float64: any finite float64 is read, as its predict reads it."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hiddenlayers as hl
from hiddenlayers.ship._serve.model import RequestError, ServedModel

pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def float64_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True, as_frame=True)
    X = X[["age", "bmi", "bp"]]
    folder = tmp_path_factory.mktemp("f64")
    paths = []
    for dtype in ("float64", "float32"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = hl.MLPRegressor(hidden_layer_sizes=(8,), max_iter=20, random_state=0, dtype=dtype).fit(X, y)
        model.save(folder / f"{dtype}.safetensors")
        paths.append(folder / f"{dtype}.safetensors")
    hl.export_onnx(hl.load(paths[0]), folder / "float64.onnx", X=X.iloc[:50])
    return paths[0], folder / "float64.onnx", paths[1]


def _answer(served: ServedModel, rows: list[dict]) -> list[float]:
    return served.predict(served.rows({"rows": rows}, 100), False)  # type: ignore[no-any-return]


def test_a_float64_model_and_its_export_answer_values_beyond_float32(float64_files: tuple[Path, Path, Path]) -> None:
    # both refused 1e300 as 'beyond ±3.4e38, the float32 range the model computes in', which they do not compute in
    safetensors_file, onnx_file, _ = float64_files
    rows = [{"age": 1e300 / 1e270, "bmi": 0.01, "bp": 0.02}, {"age": -1e-310, "bmi": 1e39, "bp": 0.0}]
    want = hl.load(safetensors_file).predict(pd.DataFrame(rows))
    for path in (safetensors_file, onnx_file):
        got = _answer(ServedModel(path), rows)
        np.testing.assert_allclose(got, want, rtol=1e-8)
    for path in (safetensors_file, onnx_file):
        with pytest.raises(RequestError, match=r"^row 1, column 'age' is out of range: an integer of 310 digits is beyond ±1\.8e308, the float64 range the model computes in"):
            _answer(ServedModel(path), [{"age": 10**309, "bmi": 0.0, "bp": 0.0}])


def test_a_float32_model_still_refuses_them(float64_files: tuple[Path, Path, Path]) -> None:
    *_, float32_file = float64_files
    with pytest.raises(RequestError, match=r"^row 1, column 'bmi' is out of range: 1e\+39 is beyond ±3\.4e38, the float32 range the model computes in"):
        _answer(ServedModel(float32_file), [{"age": 0.0, "bmi": 1e39, "bp": 0.0}])
