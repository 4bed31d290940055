"""A warm fit after set_params of a parameter that shapes the network (hidden_layer_sizes, activation, dtype) kept the old
layers silently; it is a ValueError naming both values and the fix, before anything of the model changes."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import load_iris

import hiddenlayers as hl


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


def _fitted(X, y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 3 epochs do not converge: not the point here
        return hl.MLPClassifier((8,), max_iter=3, random_state=0, warm_start=True, **kw).fit(X, y)


@pytest.mark.parametrize("change, says", [
    ({"hidden_layer_sizes": (16, 4)}, "Received: hidden_layer_sizes=(16, 4), but the fitted network has hidden_layer_sizes=(8,); "
                                      "set warm_start=False to train a new network"),
    ({"hidden_layer_sizes": "8:tanh"}, "Received: hidden_layer_sizes='8:tanh', but the fitted network has hidden_layer_sizes=(8,);"),
    ({"hidden_layer_sizes": "8:dropout=0.2"}, "hidden_layer_sizes='8:dropout=0.2', but"),
    ({"activation": "tanh"}, "Received: activation='tanh', but the fitted network's layers use activation='relu'; set warm_start=False"),
    ({"dtype": "float64"}, "Received: dtype='float64', but the fitted network's weights are 'float32';"),
])
def test_a_warm_fit_refuses_a_new_shape_and_leaves_the_model(iris, change, says):
    X, y = iris
    clf = _fitted(X, y)
    before = [p.detach().clone() for p in clf.network_.parameters()]
    curve = list(clf.loss_curve_)
    with pytest.raises(ValueError, match=re.escape(says)) as err:
        clf.set_params(**change).fit(X, y)
    assert str(err.value).startswith("warm_start=True goes on from the fitted network's layers")
    assert "init_from=the fitted model" in str(err.value)
    assert clf.loss_curve_ == curve and all(torch.equal(a, b) for a, b in zip(before, clf.network_.parameters()))


def test_partial_fit_refuses_a_new_shape_as_well(iris):
    X, y = iris
    clf = _fitted(X, y).set_params(warm_start=False, hidden_layer_sizes=(9,))
    with pytest.raises(ValueError, match=re.escape("partial_fit goes on from the fitted network's layers, which this change would leave "
                                                   "as they are. Received: hidden_layer_sizes=(9,), but the fitted network has "
                                                   "hidden_layer_sizes=(8,); call fit with warm_start=False")):
        clf.partial_fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y)  # a cold fit builds the new network
    assert clf.network_.hidden_layers[0].linear.out_features == 9


@pytest.mark.parametrize("change", [
    {"learning_rate_init": 0.01, "alpha": 0.1, "max_iter": 2, "batch_size": 16, "solver": "sgd"},
    {"hidden_layer_sizes": "8:relu"},  # the same network written out
    {"hidden_layer_sizes": "8:relu", "activation": "tanh"},  # every layer names its own activation: the default changes nothing
])
def test_a_warm_fit_takes_settings_of_the_run_and_the_same_network_in_other_words(iris, change):
    X, y = iris
    clf = _fitted(X, y)
    first = clf.n_iter_
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.set_params(**change).fit(X, y)
    assert len(clf.loss_curve_) > first  # it went on from the fitted network
    assert np.isfinite(clf.loss_)


@pytest.mark.parametrize("solver, schedule", [("sgd", "adaptive"), ("sgd", "invscaling"), ("adam", "plateau"), ("sgd", "constant")])
@pytest.mark.parametrize("call", ["fit", "partial_fit"])
def test_a_warm_call_starts_at_a_changed_learning_rate_init(iris, solver, schedule, call):
    # 'adaptive' and 'plateau' went on at the rate the last call left (and 'invscaling' for its first epoch):
    # set_params(learning_rate_init=0.5) before fine-tuning was ignored, 0.01 kept
    X, y = iris
    clf = _fitted(X, y, solver=solver, learning_rate=schedule, learning_rate_init=0.01)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.set_params(learning_rate_init=0.5)
        getattr(clf, call)(X, y)
    assert clf.history_.lr[3] == 0.5  # the first epoch of the warm call
    assert clf._optimizer_state["t"] > 3  # the moments and step count went on


def test_a_warm_call_at_the_same_learning_rate_init_goes_on_at_the_schedules_rate(iris):
    X, y = iris
    clf = _fitted(X, y, solver="sgd", learning_rate="invscaling", learning_rate_init=0.1)
    left = clf._optimizer_state["lr"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y)
    assert left < 0.1 and clf.history_.lr[3] == left



def _held_out_rows(monkeypatch, fit, module=None) -> list[set[int]]:
    """The rows each early-stopping split of ``fit()`` held out, by the id in X's last column (a spy on ``module``'s split)."""
    if module is None:
        import hiddenlayers.estimators._fit as module
    splits: list[set[int]] = []
    real = module.train_test_split

    def spy(*arrays, **kwargs):
        parts = real(*arrays, **kwargs)
        splits.append({int(i) for i in parts[1][:, -1]})
        return parts

    monkeypatch.setattr(module, "train_test_split", spy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 2 epochs do not converge: not the point here
        fit()
    return splits


@pytest.mark.parametrize("random_state", [0, None])
def test_a_warm_fit_holds_out_the_rows_the_first_fit_held_out(iris, monkeypatch, random_state):
    # scikit-learn's rule drew each call's split after the initial weights, which a warm fit does not draw: the second
    # call held out other rows (161 of digits' 180 had trained in the call before), so early stopping scored rows the
    # model had learned, against a best score of other rows
    X, y = iris
    Xi = np.c_[X, np.arange(len(X))]
    clf = hl.MLPClassifier((4,), max_iter=2, early_stopping=True, warm_start=True, random_state=random_state)
    first, second, third = _held_out_rows(monkeypatch, lambda: [clf.fit(Xi, y) for _ in range(3)])
    assert len(first) == 15 and first == second == third
    if random_state is None:
        return
    # a new model draws its split as scikit-learn's does (its first call's rows, for an int seed)
    clf.set_params(warm_start=False)
    (fresh,) = _held_out_rows(monkeypatch, lambda: clf.fit(Xi, y))
    import sklearn.neural_network._multilayer_perceptron as sk_mlp

    (theirs,) = _held_out_rows(monkeypatch, lambda: sk_mlp.MLPClassifier((4,), max_iter=2, early_stopping=True, random_state=0).fit(Xi, y),
                               module=sk_mlp)
    assert fresh == first == theirs


def test_head_first_scores_its_second_phase_on_the_rows_of_its_first(iris, monkeypatch):
    # phase 2 (every layer) drew a new split: it early-stopped on rows phase 1 had trained the head on
    X, y = iris
    Xi = np.c_[X, np.arange(len(X))]
    clf = hl.MLPClassifier((4,), max_iter=2, early_stopping=True, freeze="head_first", random_state=0)
    one, two = _held_out_rows(monkeypatch, lambda: clf.fit(Xi, y))
    assert one == two


@pytest.mark.parametrize("call", ["fit", "partial_fit"])
def test_set_params_device_cpu_between_warm_calls_moves_nothing_and_changes_no_bit(iris, call):
    X, y = iris
    kw = dict(hidden_layer_sizes=(8,), max_iter=5, random_state=0, warm_start=True, device="cpu")
    a, b = (hl.MLPClassifier(**kw).fit(X, y) for _ in range(2))
    params, moments = list(b.network_.parameters()), dict(b._optimizer_state)
    b.set_params(device="cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for model in (a, b):
            getattr(model, call)(X, y)
    assert all(p is q for p, q in zip(b.network_.parameters(), params, strict=True))  # the same Parameter objects
    assert b._optimizer_state["m"].device.type == "cpu" and moments["m"].device.type == "cpu"
    for wa, wb in zip([*a.coefs_, *a.intercepts_], [*b.coefs_, *b.intercepts_]):
        np.testing.assert_array_equal(wa, wb)


@pytest.mark.parametrize("solver, keys", [("adam", ("m", "v")), ("sgd", ("velocity",))])
def test_follow_device_moves_the_network_and_the_kept_moments_to_the_resolved_device(iris, solver, keys):
    # A second device on a CPU-only machine: "meta" (shapes only). tests/test_cuda.py does the GPU -> CPU warm fit itself.
    from hiddenlayers.estimators._warm import follow_device

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = hl.MLPClassifier(hidden_layer_sizes=(8,), max_iter=3, random_state=0, solver=solver).fit(*iris)
    model._device = torch.device("meta")  # as _fit_arrays sets it from set_params(device=...)
    follow_device(model)
    assert {t.device.type for t in (*model.network_.parameters(), *model.network_.buffers())} == {"meta"}
    assert all(model._optimizer_state[k].device.type == "meta" for k in keys)
    assert model._optimizer_state["t"] > 0  # the rest of the state kept



@pytest.mark.parametrize("incremental, says", [
    (True, "y has 2 outputs but the model was fitted with 1; partial_fit continues the fitted model: pass y with 1 output(s), "
           "or call fit() with warm_start=False to train a new model on 2."),
    (False, "y has 2 outputs but the model was fitted with 1; pass y with 1 output(s), or set_params(warm_start=False) "
            "to train a new model on 2."),
])
def test_a_continued_fit_on_y_of_other_width_names_a_fix_that_applies(incremental, says):
    """partial_fit ignores warm_start, yet its refusal of a y with another number of outputs said
    "refit with warm_start=False"; each path now names what changes the head, and the model is kept."""
    X = np.random.default_rng(0).normal(size=(40, 3))
    y = X.sum(axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg = hl.MLPRegressor(hidden_layer_sizes=(4,), max_iter=2, random_state=0, warm_start=not incremental)
        reg = reg.partial_fit(X, y) if incremental else reg.fit(X, y)
    kept = [c.copy() for c in reg.coefs_]
    with pytest.raises(ValueError, match=f"^{re.escape(says)}$"):
        (reg.partial_fit if incremental else reg.fit)(X, np.c_[y, -y])
    assert reg.n_outputs_ == 1 and all(np.array_equal(a, b) for a, b in zip(reg.coefs_, kept))
