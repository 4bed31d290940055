"""A last batch of one row joins the batch before it when the network has batch norm (which cannot train on one row).

Before, 201 rows at the default batch of 200 (or iris at ``batch_size=149``) ended each epoch on a one-row batch, and
``fit`` of a ``"8:batchnorm"`` network raised PyTorch's "Expected more than 1 value per channel when training".
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import hiddenlayers as hl
from hiddenlayers.training._batches import Batches, batch_bounds, min_batch_rows


@given(n=st.integers(1, 500), batch_size=st.integers(1, 300), min_rows=st.integers(1, 3))
def test_bounds_cover_every_row_once_in_order_and_end_on_enough_rows(n: int, batch_size: int, min_rows: int) -> None:
    bounds = batch_bounds(n, batch_size, min_rows)
    assert bounds[0][0] == 0 and bounds[-1][1] == n
    assert all(stop == start for (_, stop), (start, _) in zip(bounds, bounds[1:]))  # contiguous: each row once, in order
    assert all(stop - start == batch_size for start, stop in bounds[:-2])  # only the last two may differ from batch_size
    last = bounds[-1][1] - bounds[-1][0]
    assert last >= min_rows or len(bounds) == 1  # a single batch is the data, however small
    assert last <= batch_size + min_rows - 1
    assert bounds == [(s, min(s + batch_size, n)) for s in range(0, n, batch_size)] or (n % batch_size) < min_rows


@given(n=st.integers(2, 120), batch_size=st.integers(1, 40), data=st.data())
def test_empty_batches_are_found_alike_in_numpy_and_torch(n: int, batch_size: int, data: st.DataObject) -> None:
    w = np.array(data.draw(st.lists(st.sampled_from([0.0, 0.0, 1.5]), min_size=n, max_size=n)))
    if not (w > 0).any():
        w[-1] = 1.0
    X = torch.zeros(n, 2, dtype=torch.float64)
    Y = torch.zeros(n, 1, dtype=torch.float64)
    got = {}
    for numpy_engine in (True, False):
        convert = (lambda t: t.numpy()) if numpy_engine else (lambda t: t)
        batches = Batches(X, Y, torch.as_tensor(w), batch_size, shuffle=False, generator=None, convert=convert,
                          numpy_engine=numpy_engine, device=torch.device("cpu"), dtype=torch.float64, min_rows=2)
        got[numpy_engine] = [np.asarray(wb).tolist() for _, _, wb in batches]
    expected = [w[s:e].tolist() for s, e in batch_bounds(n, batch_size, 2) if (w[s:e] > 0).any()]
    assert got[True] == got[False] == expected


def test_min_rows_is_two_only_with_batch_norm() -> None:
    assert min_batch_rows(torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))) == 2
    assert min_batch_rows(torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.LayerNorm(4))) == 1


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_batch_norm_fits_when_the_last_batch_would_be_one_row(solver: str) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(201, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few epochs: the fit itself is the point
        clf = hl.MLPClassifier("16:batchnorm", max_iter=3, solver=solver, random_state=0).fit(X, y)  # default batch: 200 + 1
        assert clf.t_ == 3 * 201  # every row seen every epoch: the lone row joined the batch before, none dropped
        clf = hl.MLPClassifier("16:batchnorm", batch_size=50, max_iter=60, solver=solver, random_state=0).fit(X, y)  # 4 x 50 + 1
    assert clf.t_ == 60 * 201
    assert clf.score(X, y) > 0.85  # it learns (0.90-0.98 over seeds 0-2 and both solvers): the joined batch trains as the others do


def test_batch_norm_fits_iris_at_a_batch_one_short_of_the_data() -> None:
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    w = np.ones(len(y))
    w[:3] = 0.0  # weights too: the lone row's batch is found by the same bounds
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = hl.MLPClassifier("8:batchnorm", batch_size=149, max_iter=5, random_state=0).fit(X, y, sample_weight=w)
    assert np.isfinite(clf.loss_curve_).all()


def test_lr_find_takes_a_batch_norm_network_with_a_lone_last_row() -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(201, 4))
    y = (X[:, 0] > 0).astype(int)
    found = hl.lr_find(hl.MLPClassifier("8:batchnorm", random_state=0), X, y, num_steps=5)
    assert len(found.lrs) >= 2


@given(n=st.integers(1, 500), batch_size=st.integers(1, 600), norm=st.booleans())
def test_steps_per_epoch_counts_the_batches(n: int, batch_size: int, norm: bool) -> None:
    """``steps_per_epoch`` is the number of batches ``batch_bounds`` makes (counted without the list), batch norm's joins included."""
    from hiddenlayers.training import steps_per_epoch

    net = torch.nn.Sequential(torch.nn.Linear(2, 2), *([torch.nn.BatchNorm1d(2)] if norm else []))
    assert steps_per_epoch(n, batch_size, net) == len(batch_bounds(n, min(batch_size, n), min_batch_rows(net)))
