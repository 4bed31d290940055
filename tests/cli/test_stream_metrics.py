"""MetricSums: metrics summed over batches equal prediction_metrics of every row at once (to 1e-12), however the rows are cut."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hiddenlayers.cli._data import prediction_metrics
from hiddenlayers.cli._stream_metrics import MetricSums


def _cuts(n: int, seed: int) -> list[int]:
    rng = np.random.default_rng(seed)
    return sorted(set(rng.integers(0, n + 1, size=4).tolist()) | {0, n})


def _summed(y, pred, w, classes, cuts, proba=None, positive=1):
    sums = MetricSums(classes, positive)
    for lo, hi in zip(cuts[:-1], cuts[1:]):
        sums.add(y[lo:hi], pred[lo:hi], None if w is None else w[lo:hi], None if proba is None else proba[lo:hi])
    return sums.metrics()


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 60), k=st.integers(2, 4), seed=st.integers(0, 10_000), weighted=st.booleans(), scored=st.booleans(),
       positive=st.sampled_from([0, 1]))
def test_classification_sums_equal_the_metrics_of_every_row(n, k, seed, weighted, scored, positive):
    """With probabilities (``scored``), ROC-AUC and average precision too: the rows' scores are kept, not summed."""
    rng = np.random.default_rng(seed)
    classes = np.arange(k) if seed % 2 else np.array(["no", "yes", "maybe", "never"][:k], dtype=object)  # text labels: kept as indices
    y, pred = classes[rng.integers(0, k, n)], classes[rng.integers(0, k, n)]
    w = rng.choice([0.0, 0.5, 1.0, 2.5], n) if weighted else None
    if w is not None and w.sum() == 0:
        w[0] = 1.0
    P = rng.dirichlet(np.ones(k), n).astype(np.float32) if scored else None
    one = prediction_metrics(pred, y, classes, w, proba=P, positive=positive)
    many = _summed(y, pred, w, classes, _cuts(n, seed), P, positive)
    assert many["confusion_matrix"] == one["confusion_matrix"]
    assert set(many) == set(one)  # two classes: sensitivity and specificity too
    for key in set(one) - {"confusion_matrix"}:
        assert many[key] == pytest.approx(one[key], abs=1e-12, rel=0, nan_ok=True), key


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 60), seed=st.integers(0, 10_000), weighted=st.booleans(), offset=st.sampled_from([0.0, 1e6]),
       constant=st.booleans())
def test_regression_sums_equal_the_metrics_of_every_row(n, seed, weighted, offset, constant):
    rng = np.random.default_rng(seed)
    y = np.full(n, offset + 1.0) if constant else offset + rng.normal(size=n)
    pred = y + rng.normal(scale=0.3, size=n) * rng.integers(0, 2)  # sometimes exact predictions
    w = rng.uniform(0.1, 3.0, n) if weighted else None
    one = prediction_metrics(pred, y, None, w)
    many = _summed(y, pred, w, None, _cuts(n, seed))
    assert many.keys() == one.keys()
    for key, value in one.items():
        if np.isnan(value):
            assert np.isnan(many[key]), key
        else:
            assert many[key] == pytest.approx(value, abs=1e-9 if offset else 1e-12, rel=1e-12), key
