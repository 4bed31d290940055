"""warm_start=True on the apps trained on squared error (Autoencoder on wine's rows, Forecaster on a noisy wave): a second fit goes
on from the fitted weights, keeps the first fit's columns and standardisation, refuses a changed shape, numbers its epochs on
(after load too, where the file keeps only loss_curve_), and clone drops it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import load_wine

from hiddenlayers.apps import Autoencoder, Forecaster

WAVE = np.sin(np.arange(400) * 2 * np.pi / 25) + 0.05 * np.random.default_rng(0).normal(size=400)
Case = tuple[Callable[..., Any], Any, Any, Callable[[Any, Any], float]]  # (make(**params), X, X_test, error(model, X_test))


def _case(kind: str) -> Case:
    if kind == "autoencoder":
        wine = load_wine(as_frame=True).data

        def make(**kw: Any) -> Any:
            return Autoencoder((8,), **{"n_components": 3, "max_iter": 5, "early_stopping": False, "random_state": 0, "device": "cpu",
                                        "warm_start": True, "learning_rate_init": 1e-2, **kw})

        return make, wine.iloc[:130], wine.iloc[130:], lambda m, X: float(-m.score_samples(X).mean())

    def make_forecaster(**kw: Any) -> Any:
        return Forecaster(10, 1, (16,), **{"max_iter": 5, "early_stopping": False, "random_state": 0, "device": "cpu", "warm_start": True, **kw})

    def error(m: Any, X: Any) -> float:
        return float(np.mean((m.predict(X)[:-1, 0] - X[10:]) ** 2))

    return make_forecaster, WAVE[:300], WAVE[300:], error


KINDS = ["autoencoder", "forecaster"]


def _weights(model: Any) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.network_.state_dict().items()}


def _same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor], atol: float = 0.0) -> bool:
    return a.keys() == b.keys() and all(torch.allclose(a[k].double(), b[k].double(), rtol=0, atol=atol) for k in a)


@pytest.mark.parametrize("kind", KINDS)
def test_second_fit_starts_from_the_first_fits_weights(kind: str) -> None:
    make, X, _, _ = _case(kind)
    model = make().fit(X)
    end = _weights(model)
    model.set_params(learning_rate_init=1e-12, max_iter=1).fit(X)
    assert _same(_weights(model), end, atol=1e-6)
    cold = make(warm_start=False, learning_rate_init=1e-12, max_iter=1).fit(X)
    assert not _same(_weights(cold), end, atol=1e-3)


@pytest.mark.parametrize("kind", KINDS)
def test_warm_fit_goes_on_and_improves(kind: str) -> None:
    make, X, Xt, error = _case(kind)
    model = make().fit(X)
    first_curve, first_error, first_scale = list(model.loss_curve_), error(model, Xt), model.scale_
    model.fit(X)
    assert model.n_iter_ == 10 and model.history_.epoch == list(range(1, 11)) and model.loss_curve_[:5] == first_curve
    assert model.loss_curve_[5] < first_curve[0] and model.loss_curve_[-1] < first_curve[-1]
    assert error(model, Xt) <= first_error * 1.02
    assert model.scale_ is first_scale  # the first fit's standardisation stays


@pytest.mark.parametrize("kind", KINDS)
def test_identical_warm_sequences_give_identical_weights(kind: str) -> None:
    make, X, _, _ = _case(kind)
    a, b = make(max_iter=2), make(max_iter=2)
    for model in (a, b):
        model.fit(X).fit(X[:100] if isinstance(X, np.ndarray) else X.iloc[:100])
    assert _same(_weights(a), _weights(b))


@pytest.mark.parametrize(("kind", "params", "name"), [
    ("autoencoder", {"n_components": 2}, "n_components"),
    ("autoencoder", {"hidden_layer_sizes": (4,)}, "hidden_layer_sizes"),
    ("autoencoder", {"standardize": False}, "standardize"),
    ("forecaster", {"window": 12}, "window"),
    ("forecaster", {"target": "delta"}, "target"),
])
def test_a_changed_architecture_parameter_is_refused(kind: str, params: dict[str, Any], name: str) -> None:
    make, X, _, _ = _case(kind)
    model = make(max_iter=1).fit(X)
    before = _weights(model)
    model.set_params(**params)
    with pytest.raises(ValueError, match=rf"warm_start=True goes on from the fitted network.*Received: {name}=.*set warm_start=False"):
        model.fit(X)
    assert _same(_weights(model), before) and model.n_iter_ == 1
    model.set_params(warm_start=False).fit(X)
    assert model.n_iter_ == 1


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
def test_autoencoder_other_columns_are_refused() -> None:
    make, X, _, _ = _case("autoencoder")
    model = make(max_iter=1).fit(X)
    with pytest.raises(ValueError, match="The feature names should match those that were passed during fit"):
        model.fit(X.iloc[:, :5])
    with pytest.raises(ValueError, match="X has 5 features, but Autoencoder is expecting 13 features as input"):
        model.fit(X.to_numpy()[:, :5])


def test_forecaster_forecasts_after_the_warm_fits_series() -> None:
    make, X, _, _ = _case("forecaster")
    model = make(max_iter=1).fit(X)
    model.fit(WAVE)
    np.testing.assert_array_equal(model.last_window_, WAVE[-10:])


@pytest.mark.parametrize("kind", KINDS)
def test_save_load_then_warm_fit(kind: str, tmp_path: Path) -> None:
    make, X, _, _ = _case(kind)
    model = make().fit(X)
    path = tmp_path / "m.safetensors"
    model.save(path)
    loaded = type(model).load(path)  # the file keeps loss_curve_, not history_: the epochs go on from n_iter_
    end = _weights(loaded)
    loaded.set_params(learning_rate_init=1e-12, max_iter=2).fit(X)
    assert _same(_weights(loaded), end, atol=1e-6)
    assert loaded.n_iter_ == 7 and loaded.loss_curve_[:5] == model.loss_curve_ and loaded.history_.epoch[-2:] == [6, 7]
    loaded.set_params(hidden_layer_sizes=(32,))
    with pytest.raises(ValueError, match=r"Received: hidden_layer_sizes=\(32,\)"):
        loaded.fit(X)


@pytest.mark.parametrize("kind", KINDS)
def test_clone_is_unfitted_and_keeps_warm_start(kind: str) -> None:
    make, X, _, _ = _case(kind)
    twin = clone(make(max_iter=1).fit(X))
    assert twin.get_params()["warm_start"] is True and not twin.__sklearn_is_fitted__()
    assert twin.fit(X).n_iter_ == 1
