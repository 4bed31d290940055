"""``max_time``: a wall-clock budget for every application's fit, the MLP estimators' rule (``training.time_limit``).

The fit stops after the epoch in which the call's seconds reach ``max_time``, keeps the weights any other stop keeps
and records ``stop_reason_ == "time_limit"``. The clock is a stand-in for ``time.perf_counter`` that moves 1000 s at
each reading, so a budget of 1 s is spent in the first epoch whatever the machine (no test reads real time).
"""

from __future__ import annotations

import itertools
import json
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from app_cases import APPS
from app_cases import app_case as _case
from hiddenlayers.apps import Autoencoder, Forecaster, Recommender, SpeechRecognizer


def _outputs(model: Any, args: tuple[Any, ...]) -> np.ndarray:
    """What the fitted model answers on its training inputs, as numbers to compare."""
    if isinstance(model, Autoencoder):
        return np.asarray(model.score_samples(args[0]))
    if isinstance(model, Forecaster):
        return np.asarray(model.predict(args[0]))
    if isinstance(model, SpeechRecognizer):
        return torch.cat([p.detach().flatten() for p in model.network_.parameters()]).numpy()
    if isinstance(model, Recommender):
        return np.asarray(model.predict(args[0]))
    return np.asarray(model.predict_proba(args[0]))


@pytest.fixture
def fast_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """``time.perf_counter`` moves 1000 s at each reading: any budget of seconds is spent by the first epoch's end."""
    ticks = itertools.count()
    monkeypatch.setattr(time, "perf_counter", lambda: 1000.0 * next(ticks))


@pytest.mark.parametrize("app", APPS)
def test_max_time_stops_after_the_epoch_that_reaches_it_with_the_weights_a_one_epoch_fit_keeps(app: str, monkeypatch: pytest.MonkeyPatch) -> None:
    model, args = _case(app, early_stopping=False)
    one_epoch = _outputs(_case(app, early_stopping=False, max_iter=1)[0].fit(*args), args)
    ticks = itertools.count()
    monkeypatch.setattr(time, "perf_counter", lambda: 1000.0 * next(ticks))
    model.set_params(max_time=1.0).fit(*args)
    assert model.n_iter_ == 1 and model.stop_reason_ == "time_limit" and model.history_.stop_reason == "time_limit"
    assert model.history_.time[-1] >= 1.0
    np.testing.assert_allclose(_outputs(model, args), one_epoch, rtol=1e-5, atol=1e-6)  # the last (only) epoch's weights


@pytest.mark.parametrize("app", APPS)
def test_a_budget_not_reached_changes_nothing(app: str) -> None:
    model, args = _case(app, early_stopping=False, max_iter=2)
    plain = _outputs(_case(app, early_stopping=False, max_iter=2)[0].fit(*args), args)
    model.set_params(max_time=1e6).fit(*args)
    assert model.n_iter_ == 2 and model.stop_reason_ != "time_limit"
    np.testing.assert_allclose(_outputs(model, args), plain, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("app", ["image", "autoencoder", "recommender"])
def test_with_early_stopping_the_best_held_out_epoch_is_kept(app: str, fast_clock: None) -> None:
    model, args = _case(app, early_stopping=True, max_time=1.0)
    model.fit(*args)
    assert model.stop_reason_ == "time_limit" and model.n_iter_ == 1
    # restored as after a no-improvement stop: the best held-out epoch's weights (the Recommender's start, epoch 0, when none beats it)
    assert model.history_.held_epoch == (model.history_.best_epoch or 0)


@pytest.mark.parametrize("app", ["image", "sequence", "recommender"])
def test_a_warm_fit_counts_its_own_call(app: str, fast_clock: None) -> None:
    model, args = _case(app, early_stopping=False, warm_start=True)
    model.fit(*args)  # no budget: 3 epochs
    assert model.n_iter_ == 3
    model.set_params(max_time=1.0).fit(*args)  # the history's clock runs on; the budget counts from this call
    assert len(model.history_) == 4 and model.stop_reason_ == "time_limit"


@pytest.mark.parametrize("app", APPS)
@pytest.mark.parametrize("bad", [0, -1.0, math.nan, True, "10"])
def test_bad_max_time_is_refused_in_one_line(app: str, bad: Any) -> None:
    model, args = _case(app, max_time=bad)
    with pytest.raises(ValueError, match=r"^max_time must be None or a number of seconds > 0\. Received: max_time="):
        model.fit(*args)


@pytest.mark.parametrize("app", APPS)
def test_max_time_is_saved_and_a_file_without_it_loads_as_none(app: str, tmp_path: Path) -> None:
    model, args = _case(app, early_stopping=False, max_iter=1, max_time=30.0)
    model.fit(*args)
    path = tmp_path / "m.safetensors"
    model.save(path)
    assert type(model).load(path).max_time == 30.0
    _drop_param(path, "max_time")  # as a file written before max_time existed
    assert type(model).load(path).max_time is None


def _drop_param(path: Path, name: str) -> None:
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    with safe_open(str(path), "pt") as f:
        metadata = dict(f.metadata())
    doc = json.loads(metadata["hiddenlayers"])
    assert name in doc["params"]
    del doc["params"][name]
    save_file(load_file(str(path)), str(path), metadata={**metadata, "hiddenlayers": json.dumps(doc)})


def test_time_limit_is_the_estimators_rule_too() -> None:
    from hiddenlayers.training import History, time_limit

    assert time_limit(None, History()) is None
    history = History(epoch=[1, 2], time=[3.0, 7.5])
    rule = time_limit(2.0, history)
    assert rule is not None and rule.seconds == 9.5  # from the seconds the history holds
    assert rule(History(time=[9.4])) is None and rule(History(time=[9.5])) == "time_limit"


