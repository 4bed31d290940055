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


@pytest.fixture(scope="module")
def float64_apps() -> dict[str, object]:
    """Tiny ImageClassifier, SequenceClassifier and SpeechRecognizer fitted with dtype="float64" (and a float32 sequence model)."""
    from hiddenlayers.apps import ImageClassifier, SequenceClassifier, SpeechRecognizer
    from speech_helpers import toy_utterances

    rng = np.random.default_rng(0)
    frames, labels = [rng.standard_normal((6, 3)) for _ in range(40)], np.array(["a", "b"] * 20)
    utterances, texts = toy_utterances(12)
    common = {"random_state": 0, "device": "cpu", "early_stopping": False}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # two epochs: convergence notes
        return {
            "sequence": SequenceClassifier("conv4k3:same,gap,4", max_iter=2, dtype="float64", **common).fit(frames, labels),
            "image": ImageClassifier("conv4k3:same,pool2,8", max_iter=2, dtype="float64", **common).fit(rng.uniform(0, 3, (40, 8, 8)), labels),
            "speech": SpeechRecognizer("conv6k3:same", max_iter=2, dtype="float64", **common).fit(utterances, texts),
            "sequence32": SequenceClassifier("conv4k3:same,gap,4", max_iter=2, **common).fit(frames, labels),
            "widths": utterances[0].shape[1],
        }


def test_apps_fitted_in_float64_are_served_values_beyond_float32_as_their_predict_takes_them(float64_apps: dict, tmp_path: Path) -> None:
    # before: their .safetensors adapters refused 1e39 as 'beyond ±3.4e38, the float32 range the model computes in'
    from hiddenlayers.ship._serve.app_model import open_served

    rng = np.random.default_rng(1)
    seq = rng.standard_normal((6, 3))
    seq[2, 1] = 1e39
    image = rng.uniform(0, 3, (8, 8))
    image[0, 0] = -1e300
    utterance = rng.standard_normal((8, float64_apps["widths"]))
    utterance[3, 0] = 1e39
    cases = [("sequence", {"sequences": [seq.tolist()]}, lambda m: m.predict_proba([seq]).tolist()),
             ("image", {"images": [image.tolist()]}, lambda m: m.predict_proba(image[None]).tolist()),
             ("speech", {"utterances": [utterance.tolist()]}, lambda m: m.predict([utterance]))]
    for name, body, own in cases:
        app = float64_apps[name]
        app.save(tmp_path / f"{name}.safetensors")
        served = open_served(tmp_path / f"{name}.safetensors")
        assert served.double, name
        assert served.predict(served.rows(body, 8), name != "speech") == own(app), name
    served32 = open_served(float64_apps["sequence32"])
    with pytest.raises(RequestError, match=r"^sequences\[0\] holds 1e\+39, beyond ±3\.4e38, the float32 range the model computes in"):
        served32.rows({"sequences": [seq.tolist()]}, 8)


def test_the_table_row_adapter_takes_the_range_of_the_float_type_it_is_given() -> None:
    from hiddenlayers.ship._serve.app_auto import _NumericRows

    assert _NumericRows(["a"], double=True).rows({"rows": [[1e300]]}, 8) == [[1e300]]
    with pytest.raises(RequestError, match=r"^row 1, column 'a' is out of range: 1e\+300 is beyond ±3\.4e38"):
        _NumericRows(["a"]).rows({"rows": [[1e300]]}, 8)


def test_a_float32_regressor_answers_with_float32s_digits(float64_files: tuple[Path, Path, Path]) -> None:
    # before: float64's digits of float32 values (152.33999633789062 where `predict` writes 152.34)
    *_, float32_file = float64_files
    rows = [{"age": 0.01 * i, "bmi": -0.02 * i, "bp": 0.03} for i in range(20)]
    got = _answer(ServedModel(float32_file), rows)
    want = hl.load(float32_file).predict(pd.DataFrame(rows)).astype(np.float32)
    assert np.array_equal(np.asarray(got, dtype=np.float32), want)
    assert [repr(v) for v in got] == [str(w) for w in want]
