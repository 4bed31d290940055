"""`serve --threshold` / `hl.serve(threshold=, pos_label=)`: /predict cuts a two-class table model's positive-class probability
as `predict --threshold` does, /metadata shows it, and the models it cannot apply to are refused in predict's words."""

from __future__ import annotations

import asyncio
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("uvicorn")
pytest.importorskip("starlette")

import hiddenlayers as hl  # noqa: E402
from cli_helpers import assert_user_error, run  # noqa: E402
from hiddenlayers.ship._serve.serve import ServeConfig, _Server  # noqa: E402


def _fitted(y: np.ndarray, X: np.ndarray, regressor: bool = False) -> hl.MLPClassifier | hl.MLPRegressor:
    cls = hl.MLPRegressor if regressor else hl.MLPClassifier
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls(hidden_layer_sizes=(4,), max_iter=100, learning_rate_init=0.05, random_state=0).fit(pd.DataFrame(X, columns=["a", "b"]), y)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A two-class model ('no'/'yes') as .safetensors and .onnx, a regressor, a three-class model and an Autoencoder."""
    d = tmp_path_factory.mktemp("serve_threshold")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 2))
    two = _fitted(np.where(X[:, 0] + 0.5 * rng.normal(size=80) > 0, "yes", "no"), X)
    two.save(d / "two.safetensors")
    hl.export_onnx(two, d / "two.onnx")
    _fitted(X[:, 0] * 2, X, regressor=True).save(d / "reg.safetensors")
    _fitted(np.arange(80) % 3, X).save(d / "three.safetensors")
    hl.Autoencoder(n_components=1, max_iter=1).fit(pd.DataFrame(X, columns=["a", "b"])).save(d / "ae.safetensors")
    return {"dir": d, "two": d / "two.safetensors", "onnx": d / "two.onnx", "reg": d / "reg.safetensors", "three": d / "three.safetensors",
            "ae": d / "ae.safetensors", "rows": [{"a": float(a), "b": float(b)} for a, b in X[:40]]}


@pytest.mark.parametrize("kind", ["two", "onnx"])
@pytest.mark.parametrize("threshold, pos_label", [(0.3, None), (0.7, None), (0.4, "no")])
def test_predict_cuts_the_positive_class_probability(files, kind, threshold, pos_label) -> None:
    """serve had no threshold: /predict answered the more probable class, where predict --threshold answered the class cut at T."""
    server = _Server(ServeConfig(model=str(files[kind]), threshold=threshold, pos_label=pos_label))
    rows = [[r["a"], r["b"]] for r in files["rows"]]
    proba = np.asarray(server.model.predict(rows, True), dtype=np.float64)  # /predict_proba: unchanged
    plain = np.asarray(_Server(ServeConfig(model=str(files[kind]))).model.predict(rows, True), dtype=np.float64)
    np.testing.assert_array_equal(proba, plain)
    positive = 1 if pos_label is None else 0
    expected = np.where(proba[:, positive] >= threshold, ["no", "yes"][positive], ["no", "yes"][1 - positive])
    got = np.asarray(server.model.predict(rows, False))
    assert (got == expected).all() and (got != np.array(["no", "yes"])[proba.argmax(1)]).any()  # some rows moved off the likelier class
    meta = server.model.metadata()
    assert meta["threshold"] == threshold and meta["positive_class"] == ["no", "yes"][positive]
    assert "threshold" not in _Server(ServeConfig(model=str(files[kind]))).model.metadata()


def test_the_command_refuses_what_predict_refuses(files) -> None:
    """Each refusal before the server starts (no port bound), in predict --threshold's words, naming the option."""
    for name, words in (("reg", "holds a regressor, which predicts values: drop --threshold."),
                        ("three", "holds a classifier of 3 classes, which predicts the most probable one: drop --threshold."),
                        ("ae", "--threshold cuts a two-class table model's probability of its positive class; '{path}' holds an Autoencoder (an "
                               "application file): drop --threshold.")):
        path = files[name]
        assert_user_error(run("serve", path, "--threshold", "0.5", "--port", "1"), words.format(path=path.resolve()))
    assert_user_error(run("serve", files["two"], "--threshold", "1.5"), "--threshold must be a probability between 0 and 1 (exclusive)")
    assert_user_error(run("serve", files["two"], "--pos-label", "no"),
                      "--pos-label names the class whose probability --threshold cuts: give --threshold too, or drop --pos-label.")
    assert_user_error(run("serve", files["two"], "--threshold", "0.5", "--pos-label", "maybe"),
                      "--pos-label 'maybe' is not one of the model's two classes, 'no' and 'yes': pass one of them.")


def test_hl_serve_names_its_parameters(files, monkeypatch) -> None:
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("the server started"))
    with pytest.raises(ValueError, match=r"^threshold cuts a two-class classifier's probability of its positive class; '.*reg.safetensors' holds a "
                                         r"regressor, which predicts values: drop threshold.$"):
        hl.serve(files["reg"], threshold=0.5, port=0)
    with pytest.raises(ValueError, match="^pos_label names the class whose probability threshold cuts"):
        hl.serve(files["two"], pos_label="no", port=0)


def test_a_reload_to_a_model_the_threshold_cannot_cut_keeps_the_old_one(files, tmp_path) -> None:
    served = tmp_path / "m.safetensors"
    shutil.copy(files["two"], served)
    server = _Server(ServeConfig(model=str(served), threshold=0.5))
    shutil.copy(files["three"], served)
    with pytest.raises(ValueError, match="holds a classifier of 3 classes"):
        asyncio.run(server.reload())
    assert server.model.version == 1 and server.model.metadata()["threshold"] == 0.5
