"""Pickling a fitted MLP estimator writes CPU tensors only and unpickles on a machine without the GPU it was fitted on.

The GPU is played (``pickle_helpers.play_gpu``): every tensor counts as fitted on ``cuda:0`` and this machine has no
CUDA GPU, so pickling takes a GPU model's path and unpickling a CPU-only machine's. ``tests/test_cuda.py`` does it on a GPU.
"""

from __future__ import annotations

import pickle

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import load_diabetes, load_digits

import hiddenlayers as hl
from pickle_helpers import play_gpu, tensors_written, unpickled_with_one_warning

DIGITS_X, DIGITS_Y = load_digits(return_X_y=True)
DIGITS_X = DIGITS_X / 16.0


def _weights(model: hl.MLPClassifier | hl.MLPRegressor) -> list[np.ndarray]:
    return [*model.coefs_, *model.intercepts_]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("kw", [dict(solver="adam"), dict(solver="sgd", momentum=0.9), dict(solver="lbfgs"),
                                dict(weight_averaging="ema", ema_decay=0.9), dict(engine="autograd")],
                         ids=["adam", "sgd", "lbfgs", "ema", "autograd"])
def test_a_gpu_fitted_classifier_pickles_cpu_tensors_and_predicts_on_the_cpu(kw: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    model = hl.MLPClassifier(hidden_layer_sizes=(16,), max_iter=5, random_state=0, **kw).fit(DIGITS_X, DIGITS_Y)
    expected = model.predict_proba(DIGITS_X)
    live = [p for p in model.network_.parameters()]
    play_gpu(monkeypatch)
    data = pickle.dumps(model)
    seen, wrapped = tensors_written(model)
    assert len(seen) == wrapped >= 4  # network and optimizer state: every tensor a CPU copy that unpickles onto its device
    assert [p for p in model.network_.parameters()] == live and model._device == torch.device("cpu")  # the live model is unchanged
    back = unpickled_with_one_warning(data, "MLPClassifier")
    assert back._device == torch.device("cpu") and {p.device.type for p in back.network_.parameters()} == {"cpu"}
    np.testing.assert_array_equal(back.predict_proba(DIGITS_X), expected)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # 20 iterations: the pickle, not the fit, is tested
def test_a_model_of_device_cuda_predicts_after_unpickling_without_the_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    model = hl.MLPRegressor(hidden_layer_sizes=(8,), max_iter=20, random_state=0).fit(*load_diabetes(return_X_y=True))
    model.device = "cuda"  # as a model fitted with device="cuda" has it
    X = load_diabetes(return_X_y=True)[0]
    play_gpu(monkeypatch)
    back = unpickled_with_one_warning(pickle.dumps(model), "MLPRegressor")
    np.testing.assert_array_equal(back.predict(X), model.predict(X))
    assert back.get_params()["device"] == "cuda"  # the parameter is the user's; fitting on needs set_params(device=...)
    with pytest.raises(ValueError, match=r"^device='cuda' but this machine has no CUDA GPU: use device='auto'"):
        back.partial_fit(X[:10], np.zeros(10))
    back.set_params(device="cpu").partial_fit(X[:10], np.zeros(10))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_partial_fit_after_the_round_trip_goes_on_as_without_it(solver: str, monkeypatch: pytest.MonkeyPatch) -> None:
    kw = dict(hidden_layer_sizes=(16,), solver=solver, random_state=0, shuffle=False, momentum=0.9)
    a = hl.MLPClassifier(**kw).partial_fit(DIGITS_X[:600], DIGITS_Y[:600], classes=np.arange(10))
    play_gpu(monkeypatch)
    b = unpickled_with_one_warning(pickle.dumps(a), "MLPClassifier")
    for model in (a, b):
        model.partial_fit(DIGITS_X[600:1200], DIGITS_Y[600:1200])
    for wa, wb in zip(_weights(a), _weights(b)):
        np.testing.assert_array_equal(wa, wb)
    assert b._optimizer_state["t"] == a._optimizer_state["t"]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_warm_start_fit_after_the_round_trip_goes_on_as_without_it(monkeypatch: pytest.MonkeyPatch) -> None:
    X, y = load_diabetes(return_X_y=True)
    a = hl.MLPRegressor(hidden_layer_sizes=(8,), max_iter=5, warm_start=True, learning_rate="adaptive", solver="sgd",
                        random_state=0).fit(X, y)
    play_gpu(monkeypatch)
    b = unpickled_with_one_warning(pickle.dumps(a), "MLPRegressor")
    a.fit(X, y)
    b.fit(X, y)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    assert a.loss_curve_ == b.loss_curve_


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_joblib_and_cloudpickle_round_trips_and_clone(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    model = hl.MLPClassifier(hidden_layer_sizes=(16,), max_iter=5, random_state=0).fit(DIGITS_X, DIGITS_Y)
    play_gpu(monkeypatch)
    joblib.dump(model, tmp_path / "m.joblib")
    with pytest.warns(UserWarning, match=r"^this MLPClassifier was fitted on cuda:0, which this machine lacks"):
        back = joblib.load(tmp_path / "m.joblib")
    np.testing.assert_array_equal(back.predict(DIGITS_X), model.predict(DIGITS_X))
    cloudpickle = pytest.importorskip("cloudpickle")
    again = unpickled_with_one_warning(cloudpickle.dumps(model), "MLPClassifier")
    np.testing.assert_array_equal(again.predict(DIGITS_X), model.predict(DIGITS_X))
    fresh = clone(model)
    assert fresh.get_params() == model.get_params() and not hasattr(fresh, "network_")


def test_a_cpu_model_pickles_as_before_without_a_warning(recwarn: pytest.WarningsRecorder) -> None:
    model = hl.MLPClassifier(hidden_layer_sizes=(8,), max_iter=30, random_state=0).fit(DIGITS_X, DIGITS_Y)
    recwarn.clear()
    state = model.__getstate__()
    assert "_fitted_device" not in state and state["network_"] is model.network_  # nothing copied
    back = pickle.loads(pickle.dumps(model))
    assert not [w for w in recwarn if "machine lacks" in str(w.message)]
    np.testing.assert_array_equal(back.predict(DIGITS_X), model.predict(DIGITS_X))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_domain_adapted_and_distilled_models_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    X, Xt = DIGITS_X[:800], DIGITS_X[800:] * 0.9
    dann = hl.MLPClassifier(hidden_layer_sizes=(16,), max_iter=3, random_state=0, domain_adaptation="dann").fit(X, DIGITS_Y[:800], X_target=Xt)
    student = hl.distill(hl.MLPClassifier(hidden_layer_sizes=(8,), max_iter=3, random_state=0), dann, X, DIGITS_Y[:800])
    play_gpu(monkeypatch)
    for model in (dann, student):
        seen, wrapped = tensors_written(model)
        assert len(seen) == wrapped > 0
        back = unpickled_with_one_warning(pickle.dumps(model), "MLPClassifier")
        np.testing.assert_array_equal(back.predict_proba(Xt), model.predict_proba(Xt))


def test_an_lr_find_result_holds_no_tensor() -> None:
    result = hl.lr_find(hl.MLPClassifier(hidden_layer_sizes=(8,), random_state=0), DIGITS_X, DIGITS_Y, num_steps=20)
    assert tensors_written(result) == ([], 0)  # plain floats: it pickles the same on any machine
    assert pickle.loads(pickle.dumps(result)) == result
