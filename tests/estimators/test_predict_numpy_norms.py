"""``predict`` of a table MLP with dropout and batch or layer norms runs in NumPy on the CPU, as a plain dense one does.

Before, such a network went through the PyTorch forward in blocks (``torch_forward``) for every ``predict``; now its
norms' eval-mode maps and no dropout step run on NumPy copies (``_predict.cache_weights``), which the server's NumPy
path of its ``.safetensors`` file runs too (tests/ship/test_serve_dense.py: the same bits). Here: the answers agree
with the network's own eval-mode PyTorch forward, and the copies follow the running statistics when they change.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import torch

import hiddenlayers as hl
from hiddenlayers.estimators import _predict

SPEC = "16:relu:dropout=0.2:batchnorm,8:tanh:layernorm"


def _fit(est, X, y):  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, y)


def _torch_out(est, X) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The head outputs of ``est.network_``'s eval-mode PyTorch forward (its mode handed back)."""
    net = est.network_
    dtype = next(net.parameters()).dtype
    was = net.training
    net.eval()
    try:
        with torch.no_grad():
            return net(torch.as_tensor(np.asarray(X), dtype=dtype)).numpy()  # type: ignore[no-any-return]
    finally:
        net.train(was)


@pytest.fixture(scope="module")
def fitted(iris):  # type: ignore[no-untyped-def]
    X, y = iris
    Y = np.stack([y == 0, y == 2, X[:, 0] > 0], axis=1).astype(int)
    return {
        "multiclass": _fit(hl.MLPClassifier(SPEC, max_iter=20, random_state=0), X, y),
        "multiclass float64": _fit(hl.MLPClassifier(SPEC, dtype="float64", max_iter=20, random_state=0), X, y),
        "binary": _fit(hl.MLPClassifier("8:gelu:layernorm:dropout=0.5", max_iter=20, random_state=0), X, y == 1),
        "multi-label": _fit(hl.MLPClassifier("8:batchnorm", max_iter=20, random_state=0), X, Y),
        "regressor": _fit(hl.MLPRegressor(hidden_layer_sizes="8:silu:batchnorm:dropout=0.1", scale_target=True, max_iter=20, random_state=0),
                          X[:, 1:], X[:, 0]),
    }


@pytest.mark.parametrize("name", ["multiclass", "multiclass float64", "binary", "multi-label", "regressor"])
def test_predict_runs_in_numpy_and_agrees_with_the_eval_mode_torch_forward(fitted, iris, monkeypatch, name: str) -> None:  # type: ignore[no-untyped-def]
    est = fitted[name]
    X = iris[0] if name != "regressor" else iris[0][:, 1:]
    want = _torch_out(est, X)

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("predict went through the PyTorch forward")

    monkeypatch.setattr(_predict, "torch_forward", refuse)
    z = _predict.raw_output(est, X)
    double = name.endswith("float64")
    assert z.dtype == (np.float64 if double else np.float32)
    np.testing.assert_allclose(z, want, rtol=1e-10 if double else 2e-5, atol=1e-10 if double else 2e-5)
    if name == "regressor":
        assert np.allclose(est.predict(X), want[:, 0] * est.target_scale_[0] + est.target_mean_[0], rtol=1e-5)
        return
    labels, proba = est.predict_with_proba(X)
    np.testing.assert_array_equal(labels, est.predict(X))
    np.testing.assert_array_equal(proba, est.predict_proba(X))
    if name == "multi-label":
        np.testing.assert_array_equal(labels, (want > 0).astype(int))
        np.testing.assert_allclose(proba, 1.0 / (1.0 + np.exp(-want)), rtol=1e-5)
    elif name == "binary":
        np.testing.assert_array_equal(labels, est.classes_[(want[:, 0] > 0).astype(int)])
    else:
        np.testing.assert_array_equal(labels, est.classes_[want.argmax(axis=1)])
        np.testing.assert_allclose(proba, torch.softmax(torch.as_tensor(want, dtype=torch.float64), dim=1).numpy(), rtol=1e-5, atol=1e-7)
    assert np.array_equal(est.predict(sp.csr_matrix(X)), labels)  # a sparse X: the same NumPy path, never made dense


def test_predict_follows_the_running_statistics_a_training_mode_pass_changes(iris) -> None:  # type: ignore[no-untyped-def]
    """The NumPy copies hold the batch norm's running statistics, buffers no optimizer step touches: a user's own forward pass
    in training mode moves them in place, and ``predict`` computes with what the network holds then."""
    X, y = iris
    clf = _fit(hl.MLPClassifier("8:batchnorm", max_iter=5, random_state=0), X, y)
    before = clf.predict_logits(X)
    clf.network_.train()
    with torch.no_grad():
        clf.network_(torch.as_tensor(X[y == 0] * 3 + 1, dtype=torch.float32))  # running_mean and running_var move
    clf.network_.eval()
    after = clf.predict_logits(X)
    assert not np.allclose(after, before)
    np.testing.assert_allclose(after, _torch_out(clf, X), rtol=2e-5, atol=2e-5)


def test_a_replaced_norm_goes_through_pytorch(iris) -> None:  # type: ignore[no-untyped-def]
    """A norm module NumPy has no map for (put in by hand) leaves the NumPy path: predict is the network's own forward."""
    X, y = iris
    clf = _fit(hl.MLPClassifier("8:layernorm", max_iter=5, random_state=0), X, y)
    clf.predict(X)
    clf.network_.hidden1.norm = torch.nn.GroupNorm(2, 8)
    np.testing.assert_allclose(clf.predict_logits(X), _torch_out(clf, X), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("spec", ["8:layernorm", (8,)])
def test_an_activation_module_put_in_by_hand_goes_through_pytorch(iris, spec) -> None:  # type: ignore[no-untyped-def]
    """The NumPy forward knows a layer's activation by its name: a module put in its place (nn.Hardswish in a layer named
    relu) is computed by PyTorch. A plain dense network's predict answered relu's numbers before, silently."""
    X, y = iris
    clf = _fit(hl.MLPClassifier(spec, max_iter=5, random_state=0), X, y)
    clf.predict(X)  # the NumPy copies taken
    clf.network_.hidden1.act = torch.nn.Hardswish()  # seen without a word to the estimator (as the export tests swap it)
    np.testing.assert_allclose(clf.predict_logits(X), _torch_out(clf, X), rtol=1e-6, atol=1e-6)
