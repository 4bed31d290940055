"""Every application's methods before fit: our NotFittedError (also scikit-learn's), naming the class."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest
import sklearn.exceptions
from sklearn.utils.validation import check_is_fitted

import hiddenlayers as hl
from hiddenlayers import apps

X = np.zeros((3, 4))
IMAGES = np.zeros((2, 1, 8, 8))
SEQS = [[1, 2, 3], [4, 5]]
PAIRS = (np.array(["u1", "u2"]), np.array(["i1", "i2"]))
LONG = pd.DataFrame({"id": [1, 1], "x": [0.0, 1.0]})  # a long table: one row per time step
Z = np.zeros((2, 2), dtype=np.float32)  # a network output, for network_loss
# the loss the lens reads (network_targets, network_loss): both need the fitted targets' form
LOSS = {"network_targets": ([0, 1],), "network_loss": (Z, Z)}
# each public method an application defines (plus scikit-learn's score) with arguments it would accept once fitted
CALLS: dict[str, dict[str, tuple]] = {
    "ImageClassifier": {**LOSS, "predict": (IMAGES,), "predict_proba": (IMAGES,), "transform": (IMAGES,), "score": (IMAGES, [0, 1]), "save": ("m.safetensors",),
                        "get_feature_names_out": ()},
    "SequenceClassifier": {**LOSS, "predict": (SEQS,), "predict_proba": (SEQS,), "transform": (SEQS,), "score": (SEQS, [0, 1]), "save": ("m.safetensors",),
                           "get_feature_names_out": (), "sequences_from_long": (LONG,)},
    "TextClassifier": {**LOSS, "predict": (["a b", "c"],), "predict_proba": (["a b", "c"],), "transform": (["a b", "c"],), "score": (["a b", "c"], [0, 1]),
                       "save": ("m.safetensors",), "get_feature_names_out": ()},
    "Translator": {"predict": (["a b"],), "log_probability": (["a b"], ["c d"]), "score": (["a b"], ["c d"]), "attention_map": ("a b",),
                   "transform": (["a b"],), "save": ("m.safetensors",), "network_input": ((["a b"], ["c d"]),), "lens_network": (),
                   "unknown_words": (["a b"],)},
    "Forecaster": {"network_targets": (np.arange(30.0),), "network_loss": (Z, Z), "network_input": (np.arange(30.0),), "forecast": (3,),
                   "forecast_many": (3, [np.arange(30.0)]), "backtest": (np.arange(30.0),), "predict": (np.arange(30.0),), "score": (np.arange(30.0),),
                   "save": ("m.safetensors",)},
    "Autoencoder": {"network_targets": (X,), "network_loss": (Z, Z), "network_input": (X,), "transform": (X,), "inverse_transform": (X[:, :2],), "reconstruction_error": (X,), "feature_errors": (X,),
                    "score_samples": (X,), "decision_function": (X,), "predict": (X,), "save": ("m.safetensors",)},
    "Recommender": {"network_targets": ([1.0, 2.0],), "network_loss": (Z, Z), "predict": (PAIRS,), "network_input": (PAIRS,), "seen": (PAIRS,), "rmse": (PAIRS, [1.0, 2.0]), "score": (PAIRS, [1.0, 2.0]), "save": ("m.safetensors",), "recommend": ([1],)},
    "DQNAgent": {"q_values": (np.zeros(4),), "network_input": (np.zeros(4),), "act": (np.zeros(4),), "evaluate": ("CartPole-v1",), "check_env": ("CartPole-v1",),
                 "rollout": ("CartPole-v1",), "save": ("m.safetensors",)},
}
NOT_CHECKED = {"fit", "fit_long", "partial_fit", "load", "get_params", "set_params", "fit_transform", "fit_predict", "set_output"}


def _public_methods(cls: type) -> set[str]:
    """Methods an application defines itself (its own modules, not scikit-learn's mixins), and ``score``."""
    names, instance = set(), cls()
    for name, fn in inspect.getmembers(cls, callable):
        if name.startswith("_") or name in NOT_CHECKED or inspect.isclass(fn) or not hasattr(instance, name):  # available_if: not for this class
            continue
        if getattr(fn, "__module__", "").startswith("hiddenlayers.") or name == "score":
            names.add(name)
    return names


@pytest.mark.parametrize("name", sorted(CALLS))
def test_the_table_lists_every_public_method(name: str) -> None:
    assert set(CALLS[name]) == _public_methods(getattr(apps, name))


@pytest.mark.parametrize(("name", "method"), [(n, m) for n, calls in sorted(CALLS.items()) for m in calls])
def test_methods_before_fit_raise_not_fitted_naming_the_class(name: str, method: str, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # save() must not write anything anyway
    model = getattr(apps, name)()
    with pytest.raises(hl.NotFittedError, match=rf"^This {name} (instance )?is not (fitted|trained) yet[.:] [Cc]all .?fit") as info:
        getattr(model, method)(*CALLS[name][method])
    assert isinstance(info.value, sklearn.exceptions.NotFittedError)  # what scikit-learn's tools catch
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("name", sorted(CALLS))
def test_sklearn_check_is_fitted_agrees(name: str) -> None:
    with pytest.raises(sklearn.exceptions.NotFittedError):
        check_is_fitted(getattr(apps, name)())
