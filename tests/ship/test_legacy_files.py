"""Nothing a user saved breaks: model files and pickles written by the flat
layout's code (tests/fixtures/legacy, made once by make_legacy.py before the
move into stage packages) load with today's code and give the same answers."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import hiddenlayers as hl

LEGACY = Path(__file__).parents[1] / "fixtures" / "legacy"

PREDICT: dict[str, Callable[[Any, np.ndarray], Any]] = {
    "mlp_classifier": lambda m, X: m.predict_proba(X),
    "mlp_regressor": lambda m, X: m.predict(X),
    "image_classifier": lambda m, X: m.predict_proba(X),
    "sequence_classifier": lambda m, X: m.predict_proba(X),
    "text_classifier": lambda m, X: m.predict_proba(list(X)),
    "translator": lambda m, X: m.predict(list(X)),
    "forecaster": lambda m, X: m.predict(2),
    "autoencoder": lambda m, X: m.score_samples(X),
    "recommender": lambda m, X: m.predict((X[0], X[1])),
    "dqn_agent": lambda m, X: np.array([m.act(row) for row in X]),
}


def _check(name: str, model: Any) -> None:
    expected = np.load(LEGACY / f"{name}.expected.npz")
    got = np.asarray(PREDICT[name](model, expected["X"]))
    if got.dtype.kind in "fc":
        np.testing.assert_allclose(got, expected["pred"], rtol=1e-5, atol=1e-6)
    else:
        np.testing.assert_array_equal(got, expected["pred"])


@pytest.mark.parametrize("name", sorted(PREDICT))
def test_legacy_model_file_loads_and_predicts_the_same(name: str) -> None:
    _check(name, hl.load(LEGACY / f"{name}.safetensors"))


@pytest.mark.parametrize("name", sorted(PREDICT))
def test_legacy_pickle_unpickles_and_predicts_the_same(name: str) -> None:
    # Our own fixture, written by this project's code: unpickling it is the point.
    model = pickle.loads((LEGACY / f"{name}.pkl").read_bytes())  # noqa: S301
    _check(name, model)
    # parameters added since (init_from, freeze, domain_adaptation, ...) take their defaults: scikit-learn's tools work
    from sklearn.base import clone

    params = model.get_params()
    assert type(clone(model)) is type(model) and repr(model)
    assert all(params[k] == v for k, v in type(model)().get_params().items() if k in ("init_from", "freeze", "domain_adaptation"))
