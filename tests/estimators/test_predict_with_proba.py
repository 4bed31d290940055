"""MLPClassifier.predict_with_proba: one forward pass gives exactly ``predict`` and ``predict_proba``."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.exceptions import NotFittedError

import hiddenlayers as hl
from fit_helpers import labelled_classifier

KINDS = ["binary", "multiclass", "multilabel", "one-class", "strings", "strings-3", "float32"]


MODELS = {kind: labelled_classifier(kind) for kind in KINDS}


def _assert_same(est: hl.MLPClassifier, X: np.ndarray) -> None:
    labels, proba = est.predict_with_proba(X)
    expected = est.predict_proba(X)
    np.testing.assert_array_equal(labels, est.predict(X))
    np.testing.assert_array_equal(proba, expected)  # NaN equals NaN here
    assert labels.dtype == est.predict(X).dtype and proba.dtype == expected.dtype


@pytest.mark.parametrize("kind", KINDS)
def test_equals_predict_and_predict_proba(kind: str) -> None:
    est, X = MODELS[kind]
    far = (50 * np.random.default_rng(1).normal(size=(100, 5))).astype(X.dtype)  # saturated outputs: probabilities of exactly 0 and 1
    _assert_same(est, np.vstack([X, far]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(KINDS), X=arrays(np.float64, st.tuples(st.integers(1, 20), st.just(5)),
                                             elements=st.floats(-1e6, 1e6, allow_nan=False)))
def test_equals_predict_on_any_finite_input(kind: str, X: np.ndarray) -> None:
    est, Xfit = MODELS[kind]
    _assert_same(est, X.astype(Xfit.dtype))


@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel", "strings-3"])
def test_ties_and_nan_outputs_decide_as_predict(kind: str) -> None:
    """All-zero head outputs (exact ties, binary logit 0) and NaN outputs give predict's labels, not ones re-derived from probabilities."""
    est, X = labelled_classifier(kind)
    head = est.network_.linears()[-1]
    with torch.no_grad():
        head.weight.zero_()
        head.bias.zero_()
    est.replace_network(est.network_)
    _assert_same(est, X)
    with torch.no_grad():
        est.network_.linears()[0].weight.fill_(float("nan"))
    est.replace_network(est.network_)
    labels, proba = est.predict_with_proba(X)
    assert np.isnan(proba).all()
    _assert_same(est, X)


def test_runs_the_network_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import hiddenlayers.estimators._mlp as mlp

    est, X = MODELS["strings-3"]
    calls = []
    real = mlp.raw_output
    monkeypatch.setattr(mlp, "raw_output", lambda *a, **k: calls.append(1) or real(*a, **k))
    est.predict_with_proba(X)
    assert len(calls) == 1


def test_before_fit_is_not_fitted() -> None:
    with pytest.raises(NotFittedError, match="This MLPClassifier instance is not fitted yet"):
        hl.MLPClassifier().predict_with_proba(np.zeros((2, 3)))
