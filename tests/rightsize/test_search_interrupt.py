"""search() and Ctrl-C: a KeyboardInterrupt inside a trial's fit stops the whole search (the trial failed, not scored)."""

from __future__ import annotations

import logging

import optuna
import pytest

from hiddenlayers.rightsize import SearchSpace, search
from hiddenlayers.rightsize._search import run as run_module
from hiddenlayers.training import Callback

TINY = SearchSpace(layers=(1, 1), widths=(4, 8), batch_sizes=(32,), learning_rate_init=(3e-3, 3e-2))


def _ctrl_c_in_trial(monkeypatch: pytest.MonkeyPatch, trial: int, epoch: int = 2) -> None:
    """Raise KeyboardInterrupt (as Ctrl-C does) at ``epoch`` of trial ``trial``'s first fold, inside the estimator's fit."""
    seen = {"fits": 0}
    real_init = run_module.FoldScore.__init__
    real_end = run_module.FoldScore.on_epoch_end

    def init(self, *args, **kwargs):  # noqa: ANN001, ANN202
        real_init(self, *args, **kwargs)
        seen["fits"] += 1
        self.fit_number = seen["fits"]

    def on_epoch_end(self, **kwargs):  # noqa: ANN003, ANN202
        real_end(self, **kwargs)
        if self.fit_number == trial and len(self.curve) == epoch:
            raise KeyboardInterrupt

    monkeypatch.setattr(run_module.FoldScore, "__init__", init)
    monkeypatch.setattr(run_module.FoldScore, "on_epoch_end", on_epoch_end)


def test_ctrl_c_in_a_trial_stops_the_search_and_fails_that_trial(iris, tmp_path, monkeypatch, caplog) -> None:
    X, y = iris
    _ctrl_c_in_trial(monkeypatch, trial=2)  # cv=1: one fit per trial, so fit 2 is trial 1
    storage = f"sqlite:///{tmp_path / 's.db'}"
    optuna.logging.enable_propagation()  # Optuna's logger does not propagate by default: caplog would see none of its records
    try:
        with caplog.at_level(logging.WARNING, logger="optuna"), pytest.raises(KeyboardInterrupt):
            search(X, y, trials=6, space=TINY, max_epochs=6, cv=1, storage=storage, study_name="s", refit=False)
    finally:
        optuna.logging.disable_propagation()
    study = optuna.load_study(study_name="s", storage=storage)
    states = [t.state for t in study.trials]
    # before: the fit caught Ctrl-C, the cut trial was scored as complete and the search ran all 6 trials
    assert states == [optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.FAIL]
    assert not [r for r in caplog.records if "Trial 1" in r.getMessage()], "Optuna's log of the interrupt (and traceback) is not shown"
    # before: the interrupted trial said no reason (trials()' failed_because: "reason not recorded")
    assert study.trials[1].user_attrs["failed_because"] == "interrupted (Ctrl-C)"


def test_ctrl_c_in_the_refit_saves_no_model(iris, tmp_path, monkeypatch) -> None:
    X, y = iris
    real_build = run_module.build_estimator

    class CtrlC(Callback):
        def on_epoch_end(self, **kwargs: object) -> None:
            raise KeyboardInterrupt

    def build(cfg, setup, callbacks, epochs=None):  # noqa: ANN001, ANN202
        model = real_build(cfg, setup, callbacks, epochs)
        if epochs is not None:  # the refit: Ctrl-C at its first epoch
            model.set_params(callbacks=[CtrlC()])
        return model

    monkeypatch.setattr("hiddenlayers.rightsize._search.result.build_estimator", build)
    (tmp_path / "models").mkdir()
    with pytest.raises(KeyboardInterrupt):
        search(X, y, trials=1, space=TINY, max_epochs=4, cv=1, save_dir=tmp_path / "models")
    assert not list(tmp_path.glob("models/*"))  # before: a model cut after one epoch was saved as the chosen one
