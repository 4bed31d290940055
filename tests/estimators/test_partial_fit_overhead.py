"""What a repeated ``partial_fit`` call pays besides its training steps: no library scan, no CUDA seeding, one thread for a small network.

Each check pins one cost found by benchmarks/bench_partial_fit.py, and that the
checks and the failed-call restore still run on every call.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import threadpoolctl
import torch
from hypothesis import given
from hypothesis import strategies as st
from sklearn.utils import check_random_state

import hiddenlayers as hl
from hiddenlayers.estimators import _mlp_base
from hiddenlayers.estimators._mlp_params import check_random_state_param


@pytest.fixture
def small_fit():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1500, 64))  # 96k values: above torch's grain, so a conversion would use every thread
    y = rng.integers(0, 3, 1500)
    est = hl.MLPClassifier((16,), random_state=0, device="cpu").partial_fit(X, y, classes=[0, 1, 2])
    return est, X, y


@pytest.fixture
def two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def test_a_repeated_call_does_not_rescan_the_loaded_libraries(small_fit, monkeypatch):
    est, X, y = small_fit
    est.partial_fit(X, y)  # the cache is made (or remade if an import happened since)
    scans = []
    real = threadpoolctl.ThreadpoolController._load_libraries
    monkeypatch.setattr(threadpoolctl.ThreadpoolController, "_load_libraries", lambda self: (scans.append(1), real(self))[1])
    for _ in range(3):
        est.partial_fit(X, y)
    assert scans == []  # a fresh controller reads /proc/self/maps: ~2.5 ms a call in a process with torch


def test_a_repeated_call_converts_and_checks_x_on_one_thread(small_fit, two_threads, monkeypatch):
    est, X, y = small_fit
    seen = []
    real = _mlp_base.checked_training_tensor
    monkeypatch.setattr(_mlp_base, "checked_training_tensor", lambda e, a: (seen.append(torch.get_num_threads()), real(e, a))[1])
    est.partial_fit(X, y)
    assert seen == [1]
    assert torch.get_num_threads() == 2  # given back after the call


def test_a_failed_call_gives_the_threads_back_and_leaves_the_model_as_it_was(small_fit, two_threads):
    est, X, y = small_fit
    coefs, n_epochs = [c.copy() for c in est.coefs_], len(est.history_)
    bad = X.copy()
    bad[7, 3] = np.nan  # found by the check on the training tensor, inside the one-thread scope
    with pytest.raises(ValueError, match="NaN"):
        est.partial_fit(bad, y)
    assert torch.get_num_threads() == 2
    assert len(est.history_) == n_epochs and all(np.array_equal(a, b) for a, b in zip(coefs, est.coefs_))


def test_a_cpu_call_seeds_only_the_cpu_generator(small_fit, monkeypatch):
    est, X, y = small_fit
    monkeypatch.setattr(torch, "manual_seed", lambda seed: pytest.fail("torch.manual_seed queues a seed for every CUDA device"))
    est.partial_fit(X, y)


def test_dropout_draws_still_repeat_from_random_state():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(200, 8)), rng.integers(0, 2, 200)
    runs = []
    for _ in range(2):
        est = hl.MLPClassifier("32:dropout=0.5", random_state=3, device="cpu")
        for _ in range(3):
            est.partial_fit(X, y, classes=[0, 1])
        runs.append(est.coefs_[0])
    assert np.array_equal(*runs)


_SEEDS = st.one_of(st.none(), st.integers(min_value=-2**40, max_value=2**40), st.booleans(), st.floats(allow_nan=True),
                   st.text(max_size=3), st.sampled_from([np.int64(5), np.uint32(2**32 - 1), np.random.RandomState(0), 2**32, math.inf]))


@given(_SEEDS)
def test_the_random_state_check_accepts_exactly_what_scikit_learn_does(seed):
    try:
        check_random_state(seed)
    except (ValueError, TypeError) as exc:
        with pytest.raises(type(exc)):
            check_random_state_param(seed)
    else:
        check_random_state_param(seed)
