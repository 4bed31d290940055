"""MLPClassifier / MLPRegressor ``weight_averaging``: EMA and SWA written out by hand, the averaged weights scored and kept,
the raw training unchanged, files, refusals, and a learning test on digits."""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pytest
import torch
from sklearn.datasets import load_diabetes, load_digits, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

import hiddenlayers as hl
from averaging_helpers import RecordWeights, flat, swalr_rates
from hiddenlayers.data import ParquetSource

pytestmark = [pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
              pytest.mark.filterwarnings("ignore:ema_decay=.* averages over about:UserWarning")]


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


@pytest.mark.parametrize("engine", ["dense", "autograd"])
def test_ema_equals_the_hand_computed_average(digits, engine: str) -> None:
    X, y = digits[0][:300], digits[1][:300]
    rec = RecordWeights()
    clf = hl.MLPClassifier((16,), max_iter=2, batch_size=100, random_state=0, engine=engine, weight_averaging="ema", ema_decay=0.6,
                           callbacks=[rec]).fit(X, y)
    assert len(rec.steps) == 6
    ema = rec.steps[0]
    for w in rec.steps[1:]:
        ema = 0.6 * ema + 0.4 * w
    torch.testing.assert_close(flat(clf.network_), ema, rtol=1e-5, atol=1e-6)
    # coefs_ and predict read the averaged weights
    first = ema[: 64 * 16].reshape(16, 64).T.numpy()
    np.testing.assert_allclose(clf.coefs_[0], first, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("swa_start", "first_epoch"), [(0.5, 3), (4, 4), (1.0, 6)])
def test_swa_is_the_mean_of_the_epochs_from_swa_start(digits, swa_start: Any, first_epoch: int) -> None:
    X, y = digits[0][:300], digits[1][:300]
    rec = RecordWeights()
    clf = hl.MLPClassifier((16,), max_iter=6, random_state=0, weight_averaging="swa", swa_start=swa_start, callbacks=[rec],
                           n_iter_no_change=100).fit(X, y)
    torch.testing.assert_close(flat(clf.network_), torch.stack(rec.epochs[first_epoch - 1 :]).mean(0), rtol=1e-5, atol=1e-6)


def test_no_averaging_is_bit_identical_and_averaging_leaves_the_raw_training_alone(digits) -> None:
    X, y = digits[0][:400], digits[1][:400]
    default = hl.MLPClassifier((16,), max_iter=5, random_state=0).fit(X, y)
    none = hl.MLPClassifier((16,), max_iter=5, random_state=0, weight_averaging=None).fit(X, y)
    assert torch.equal(flat(default.network_), flat(none.network_)) and default.loss_curve_ == none.loss_curve_
    ema = hl.MLPClassifier((16,), max_iter=5, random_state=0, weight_averaging="ema", ema_decay=0.9).fit(X, y)
    assert ema.loss_curve_ == default.loss_curve_  # loss_curve_ is the raw weights' training loss
    assert not torch.equal(flat(ema.network_), flat(default.network_))


class _Scored(hl.MLPClassifier):
    """Records the weights that each early-stopping score is computed with."""

    def _held_out(self, X: Any, y: Any, sample_weight: Any = None, **kw: Any) -> tuple[float, float]:  # early stopping's loss and score
        self.__dict__.setdefault("scored", []).append(flat(self.network_))
        return super()._held_out(X, y, sample_weight, **kw)


def test_early_stopping_scores_and_keeps_the_averaged_weights(digits) -> None:
    X, y = digits
    rec = RecordWeights()
    clf = _Scored((16,), max_iter=8, random_state=0, early_stopping=True, n_iter_no_change=100, weight_averaging="swa", swa_start=3,
                  callbacks=[rec]).fit(X, y)
    scored = clf.__dict__["scored"]
    assert len(scored) == len(clf.validation_scores_) == 8
    torch.testing.assert_close(scored[0], rec.epochs[0])  # before swa_start: the raw weights
    for k in range(2, 8):  # epoch k+1 >= 3: the mean of epochs 3..k+1
        torch.testing.assert_close(scored[k], torch.stack(rec.epochs[2 : k + 1]).mean(0))
    best = int(np.argmax(clf.validation_scores_))
    assert clf.best_validation_score_ == clf.validation_scores_[best]
    torch.testing.assert_close(flat(clf.network_), scored[best])  # the best epoch's averaged weights are kept


def test_warm_start_starts_a_new_average_from_the_model(digits) -> None:
    X, y = digits[0][:300], digits[1][:300]
    clf = hl.MLPClassifier((16,), max_iter=3, random_state=0, weight_averaging="swa", swa_start=2, warm_start=True).fit(X, y)
    rec = RecordWeights()
    clf.set_params(callbacks=[rec]).fit(X, y)
    torch.testing.assert_close(flat(clf.network_), torch.stack(rec.epochs[1:]).mean(0))


def test_saved_file_holds_the_averaged_weights_and_the_settings(digits, tmp_path) -> None:
    X, y = digits[0][:300], digits[1][:300]
    reg = hl.MLPRegressor(hidden_layer_sizes=(8,), max_iter=4, random_state=0, weight_averaging="ema", ema_decay=0.95).fit(X, y.astype(float))
    reg.save(tmp_path / "m.safetensors")
    back = hl.load(tmp_path / "m.safetensors")
    assert (back.weight_averaging, back.ema_decay, back.swa_start) == ("ema", 0.95, 0.75)
    np.testing.assert_array_equal(back.predict(X), reg.predict(X))
    plain = hl.MLPRegressor(hidden_layer_sizes=(8,), max_iter=2, random_state=0).fit(X, y.astype(float))
    plain.save(tmp_path / "p.safetensors")
    assert hl.load(tmp_path / "p.safetensors").weight_averaging is None


def test_a_file_saved_before_weight_averaging_loads_with_the_defaults(digits, tmp_path) -> None:
    import json

    from safetensors import safe_open
    from safetensors.torch import load_file
    from safetensors.torch import save as st_save

    X, y = digits[0][:200], digits[1][:200]
    hl.MLPClassifier((4,), max_iter=2, random_state=0).fit(X, y).save(tmp_path / "m.safetensors")
    with safe_open(str(tmp_path / "m.safetensors"), framework="pt") as fh:
        meta = json.loads(fh.metadata()["hiddenlayers"])
    for key in ("weight_averaging", "ema_decay", "swa_start", "swa_lr", "swa_anneal_epochs"):  # as a file written before they existed
        del meta["params"][key]
    old = tmp_path / "old.safetensors"
    old.write_bytes(st_save(load_file(str(tmp_path / "m.safetensors")), metadata={"hiddenlayers": json.dumps(meta)}))
    back = hl.load(old)
    assert (back.weight_averaging, back.ema_decay, back.swa_start, back.swa_lr, back.swa_anneal_epochs) == (None, 0.99, 0.75, None, 10)
    np.testing.assert_array_equal(back.predict(X), hl.load(tmp_path / "m.safetensors").predict(X))


@pytest.mark.parametrize(("params", "call", "message"), [
    ({}, "partial_fit", "weight_averaging is not supported with partial_fit: each call is one epoch and keeps no average between calls."),
    ({"solver": "lbfgs"}, "fit", "weight_averaging averages the steps of a stochastic solver, and solver='lbfgs' takes full-batch"),
    ({"domain_adaptation": "dann"}, "fit", "weight_averaging is not supported with domain_adaptation='dann'"),
    ({"weight_averaging": "swa", "swa_start": 9, "max_iter": 5}, "fit", "swa_start must be an epoch <= max_iter=5 (no epoch past it would be averaged). Received: swa_start=9;"),
    ({"ema_decay": 1.0}, "fit", "ema_decay must be"),
    ({"weight_averaging": "mean"}, "fit", "weight_averaging must be None, 'ema' or 'swa'"),
    ({"weight_averaging": "swa", "swa_start": 1.5}, "fit", "swa_start must be a share of max_iter in (0, 1] or an epoch number >= 1"),
    ({"swa_lr": 0.05}, "fit", "swa_lr sets the learning rate of SWA's epochs and needs weight_averaging='swa'. Received: swa_lr=0.05 with "
                              "weight_averaging='ema'; set weight_averaging='swa', or swa_lr=None."),
    ({"weight_averaging": None, "swa_lr": 0.05}, "fit", "needs weight_averaging='swa'. Received: swa_lr=0.05 with weight_averaging=None;"),
    ({"weight_averaging": "swa", "swa_lr": 0.0}, "fit", "swa_lr must be None or a number > 0"),
    ({"weight_averaging": "swa", "swa_lr": True}, "fit", "swa_lr must be None or a number > 0"),
    ({"weight_averaging": "swa", "swa_lr": 0.1, "swa_anneal_epochs": -1}, "fit", "swa_anneal_epochs must be"),
])
def test_refusals_name_the_combination(digits, params: dict[str, Any], call: str, message: str) -> None:
    X, y = digits[0][:100], digits[1][:100]
    clf = hl.MLPClassifier((4,), **{"weight_averaging": "ema", **params})
    with pytest.raises(AttributeError if call == "partial_fit" else ValueError) as err:
        if call == "partial_fit":
            clf.partial_fit(X, y, classes=np.arange(10))
        else:
            clf.fit(X, y)
    # partial_fit is unavailable (scikit-learn's available_if, as for lbfgs): its AttributeError's cause says why
    assert message in str(err.value.__cause__ if call == "partial_fit" else err.value)
    assert not hasattr(clf, "network_")


def test_partial_fit_is_unavailable_with_averaging_as_for_lbfgs() -> None:
    assert hasattr(hl.MLPRegressor(), "partial_fit") and not hasattr(hl.MLPRegressor(weight_averaging="swa"), "partial_fit")


@pytest.mark.parametrize("est", [hl.MLPClassifier(max_iter=20, random_state=0, weight_averaging="swa"),
                                 hl.MLPRegressor(max_iter=20, random_state=0, weight_averaging="ema", ema_decay=0.9, dtype="float64")],
                         ids=["clf", "reg"])
def test_check_estimator_with_averaging(est) -> None:
    """(The EMA regressor in float64: in float32 one of check_methods_subset_invariance's 20 predictions differs in its last bit, as
    the sample-weight checks do without averaging: rtol=1e-7 is below float32's resolution.)"""
    from sklearn.utils.estimator_checks import check_estimator

    xfail = {"check_sample_weight_equivalence_on_dense_data": "float32 rounding (as without averaging)",
             "check_sample_weight_equivalence_on_sparse_data": "float32 rounding (as without averaging)"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        results = check_estimator(est, expected_failed_checks=xfail, on_fail=None)
    assert [(r["check_name"], str(r["exception"])[:200]) for r in results if r["status"] == "failed"] == []


def test_streamed_fit_refuses_averaging(tmp_path) -> None:
    import pandas as pd

    X, y = load_digits(return_X_y=True)
    frame = pd.DataFrame(X[:200, :5], columns=[f"f{i}" for i in range(5)]).assign(label=y[:200])
    frame.to_parquet(tmp_path / "part.parquet")
    with pytest.raises(ValueError, match="weight_averaging is not supported with a streamed fit"):
        hl.MLPClassifier((4,), weight_averaging="swa").fit(ParquetSource(str(tmp_path), target="label"))


@pytest.mark.parametrize(("solver", "kind"), [("adam", "swa"), ("sgd", "ema")])
def test_learning_on_digits_with_averaging(digits, solver: str, kind: str) -> None:
    X_train, X_test, y_train, y_test = train_test_split(*digits, test_size=0.3, random_state=0, stratify=digits[1])
    clf = hl.MLPClassifier((64,), solver=solver, learning_rate_init=0.01 if solver == "adam" else 0.1, max_iter=40, random_state=0,
                           weight_averaging=kind, ema_decay=0.99)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X_train, y_train)
    assert clf.score(X_test, y_test) >= 0.95


def test_learning_regression_with_swa() -> None:
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y / 100, test_size=0.3, random_state=0)
    reg = hl.MLPRegressor(hidden_layer_sizes=(32,), learning_rate_init=0.01, max_iter=200, random_state=0, weight_averaging="swa").fit(X_train, y_train)
    assert reg.score(X_test, y_test) >= 0.35


def test_an_ema_longer_than_the_fit_warns(digits) -> None:
    X, y = digits[0][:400], digits[1][:400]  # 2 batches x 5 epochs = 10 steps
    with pytest.warns(UserWarning, match=r"ema_decay=0.99 averages over about 100 steps, but this fit takes at most 10: .* below 0.9, or"):
        hl.MLPClassifier((4,), max_iter=5, random_state=0, weight_averaging="ema", ema_decay=0.99).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        hl.MLPClassifier((4,), max_iter=5, random_state=0, weight_averaging="ema", ema_decay=0.8).fit(X, y)


def test_an_swa_fit_stopped_before_swa_start_warns(digits) -> None:
    X, y = digits
    with pytest.warns(UserWarning, match=r"the fit stopped after \d+ epochs \(no_improvement_validation_score\), before swa_start's epoch 150"):
        clf = hl.MLPClassifier((16,), learning_rate_init=0.01, early_stopping=True, n_iter_no_change=2, random_state=0,
                               weight_averaging="swa").fit(X, y)
    assert clf.n_iter_ < 150


@pytest.mark.parametrize("engine", ["dense", "autograd"])
def test_swa_lr_gives_each_epoch_swalrs_rate(digits, engine: str) -> None:
    X, y = digits[0][:300], digits[1][:300]
    common = dict(solver="sgd", learning_rate="invscaling", learning_rate_init=0.2, power_t=0.3, max_iter=8, random_state=0, engine=engine,
                  n_iter_no_change=100, weight_averaging="swa", swa_start=4)
    plain = hl.MLPClassifier((16,), **common).fit(X, y)
    rec = RecordWeights()
    clf = hl.MLPClassifier((16,), **common, swa_lr=0.05, swa_anneal_epochs=3, callbacks=[rec]).fit(X, y)
    assert clf.history_.lr[:3] == plain.history_.lr[:3]  # invscaling until swa_start's epoch
    assert clf.history_.lr[3:] == pytest.approx(swalr_rates(plain.history_.lr[3], 0.05, 3, 5), rel=1e-12, abs=0)
    assert clf.loss_curve_[:3] == plain.loss_curve_[:3] and clf.loss_curve_[4] != plain.loss_curve_[4]
    torch.testing.assert_close(flat(clf.network_), torch.stack(rec.epochs[3:]).mean(0), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("strategy", ["cos", "linear"])
def test_swa_anneal_strategy_gives_swalrs_rates_of_that_strategy_and_is_kept_in_the_file(digits, strategy: str, tmp_path) -> None:
    """swa_anneal_strategy='linear' (PyTorch SWALR's other anneal_strategy); before, the annealing was cosine only."""
    X, y = digits[0][:300], digits[1][:300]
    common = dict(solver="sgd", learning_rate_init=0.2, max_iter=8, random_state=0, n_iter_no_change=100, weight_averaging="swa", swa_start=3,
                  swa_lr=0.02, swa_anneal_epochs=4)
    clf = hl.MLPClassifier((16,), **common, swa_anneal_strategy=strategy).fit(X, y)
    assert clf.history_.lr[2:] == pytest.approx(swalr_rates(0.2, 0.02, 4, 6, strategy), rel=1e-12, abs=0)
    clf.save(tmp_path / "m.safetensors")
    assert hl.load(tmp_path / "m.safetensors").swa_anneal_strategy == strategy
    with pytest.raises(ValueError, match=r"swa_anneal_strategy must be a str among \{'cos', 'linear'\}|swa_anneal_strategy"):
        hl.MLPClassifier((16,), **common, swa_anneal_strategy="cosine").fit(X, y)


def test_swa_lr_none_is_bit_identical(digits) -> None:
    X, y = digits[0][:300], digits[1][:300]
    common = dict(solver="sgd", learning_rate="invscaling", max_iter=5, random_state=0, weight_averaging="swa", swa_start=2)
    swa = hl.MLPClassifier((16,), **common).fit(X, y)
    none = hl.MLPClassifier((16,), **common, swa_lr=None, swa_anneal_epochs=10).fit(X, y)  # the default, given: no error
    assert torch.equal(flat(swa.network_), flat(none.network_))
    assert swa.loss_curve_ == none.loss_curve_ and swa.history_.lr == none.history_.lr
    assert len(set(swa.history_.lr)) == 5  # invscaling ran on through SWA's epochs


def test_warm_start_with_swa_lr_goes_on_from_the_schedules_rate(digits) -> None:
    X, y = digits[0][:300], digits[1][:300]
    common = dict(solver="sgd", learning_rate="invscaling", learning_rate_init=0.2, max_iter=4, random_state=0, n_iter_no_change=100,
                  weight_averaging="swa", swa_start=3)
    plain = hl.MLPClassifier((16,), **common).fit(X, y)
    clf = hl.MLPClassifier((16,), **common, swa_lr=0.05, swa_anneal_epochs=0, warm_start=True).fit(X, y)
    assert clf.history_.lr == [*plain.history_.lr[:2], 0.05, 0.05]
    clf.fit(X, y)  # the schedule stood still from epoch 3: its rate then starts the warm fit, invscaling goes on, then SWA's rate again
    assert clf.history_.lr[4:] == pytest.approx([plain.history_.lr[2], 0.2 / (5 * 300 + 1) ** 0.5, 0.05, 0.05], rel=1e-12)


def test_early_stopping_with_swa_lr_scores_the_average(digits) -> None:
    X, y = digits
    clf = hl.MLPClassifier((16,), solver="sgd", learning_rate="adaptive", learning_rate_init=0.1, max_iter=30, random_state=0,
                           early_stopping=True, n_iter_no_change=3, weight_averaging="swa", swa_start=5, swa_lr=0.02,
                           swa_anneal_epochs=2).fit(X, y)
    assert clf.n_iter_ >= 5 and clf.history_.lr[4:7] == pytest.approx(swalr_rates(clf.history_.lr[4], 0.02, 2, 3)[: len(clf.history_.lr[4:7])])
    assert clf.best_validation_score_ == max(clf.validation_scores_)


def test_saved_file_holds_swa_lr(digits, tmp_path) -> None:
    X, y = digits[0][:300], digits[1][:300]
    clf = hl.MLPClassifier((8,), max_iter=4, random_state=0, weight_averaging="swa", swa_start=2, swa_lr=0.004, swa_anneal_epochs=1).fit(X, y)
    clf.save(tmp_path / "m.safetensors")
    back = hl.load(tmp_path / "m.safetensors")
    assert (back.weight_averaging, back.swa_start, back.swa_lr, back.swa_anneal_epochs) == ("swa", 2, 0.004, 1)
    np.testing.assert_array_equal(back.predict(X), clf.predict(X))


def test_learning_on_digits_with_swa_lr(digits) -> None:
    X_train, X_test, y_train, y_test = train_test_split(*digits, test_size=0.3, random_state=0, stratify=digits[1])
    clf = hl.MLPClassifier((64,), solver="sgd", learning_rate="invscaling", power_t=0.5, learning_rate_init=0.1, max_iter=40,
                           random_state=0, weight_averaging="swa", swa_start=0.5, swa_lr=0.05, swa_anneal_epochs=2)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X_train, y_train)
    assert clf.history_.lr[-1] == pytest.approx(0.05)
    assert clf.score(X_test, y_test) >= 0.95


def test_verbose_adaptive_stop_under_swa_lr_is_no_small_rate(digits, capsys) -> None:
    """Under SWA's own rate 'adaptive' no longer cuts the rate: the stop is the no-improvement one, not "rate too small"."""
    X, y = digits[0][:200], digits[1][:200]
    common = dict(solver="sgd", learning_rate="adaptive", learning_rate_init=0.1, max_iter=30, tol=10.0, n_iter_no_change=1, random_state=0,
                  verbose=True, weight_averaging="swa", swa_start=3)
    plain = hl.MLPClassifier((8,), **common).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert plain.history_.lr[-1] <= 1e-6 and lines[-1].endswith("Learning rate too small. Stopping.")
    clf = hl.MLPClassifier((8,), **common, swa_lr=0.01, swa_anneal_epochs=0).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert clf.history_.lr[2:] == [0.01] * (clf.n_iter_ - 2) and clf.n_iter_ <= 4  # SWA's rate from epoch 3, no cut after it
    assert lines[-1] == "Training loss did not improve more than tol=10.000000 for 1 consecutive epochs. Stopping."


@pytest.mark.parametrize("kw, says", [
    ({"ema_decay": 0.9}, "ema_decay is a setting of weight_averaging='ema' and would be ignored without it. Received: ema_decay=0.9 with "
                         "weight_averaging=None; set weight_averaging='ema', or leave ema_decay at its default 0.99."),
    ({"weight_averaging": "ema", "swa_start": 3}, "swa_start is a setting of weight_averaging='swa'"),
    ({"swa_start": 0.5}, "Received: swa_start=0.5 with weight_averaging=None"),
    ({"weight_averaging": "swa", "swa_anneal_epochs": 0},
     "swa_anneal_epochs is a setting of swa_lr (how SWA's rate is reached) and would be ignored without it. Received: swa_anneal_epochs=0 "
     "with swa_lr=None; set swa_lr (e.g. 0.01), or leave swa_anneal_epochs at its default 10."),
    ({"swa_anneal_epochs": 3}, "Received: swa_anneal_epochs=3 with swa_lr=None;"),
    ({"weight_averaging": "swa", "swa_anneal_strategy": "linear"},
     "swa_anneal_strategy is a setting of swa_lr (how SWA's rate is reached) and would be ignored without it. Received: "
     "swa_anneal_strategy='linear' with swa_lr=None; set swa_lr (e.g. 0.01), or leave swa_anneal_strategy at its default 'cos'."),
])
def test_a_setting_of_an_averaging_the_fit_does_not_run_is_refused_as_swa_lr_and_the_cli_refuse_it(kw, says):
    """ema_decay without weight_averaging='ema' (swa_start without 'swa', swa_anneal_epochs without swa_lr) was silently ignored; swa_lr without 'swa' was refused, and `train --ema-decay` without --weight-averaging ema is: refused alike."""
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match=re.escape(says)):
        hl.MLPClassifier(max_iter=2, **kw).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hl.MLPClassifier(max_iter=2, ema_decay=0.99, swa_start=0.75, swa_anneal_epochs=10).fit(X, y)  # the defaults, given: no error


def test_the_ema_warning_counts_the_steps_taken(digits) -> None:
    """201 rows at batch 200 with batch norm: the lone last row joins the first batch, one step an epoch (5 in 5 epochs),
    where the warning counted ceil(201 / 200) = 2 (10), a step more per epoch than taken, and advised ema_decay below 0.9."""
    X, y = digits[0][:201], digits[1][:201]
    with pytest.warns(UserWarning, match=r"ema_decay=0.99 averages over about 100 steps, but this fit takes at most 5: .* below 0.8, or"):
        hl.MLPClassifier("8:batchnorm", max_iter=5, random_state=0, weight_averaging="ema", ema_decay=0.99).fit(X, y)
