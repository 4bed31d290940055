"""search() over weight averaging and solvers: sampled per trial, fixed when the space offers one, scored on the
averaged weights, shown in the result and carried to the refit; a resumed study with other choices is refused."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_diabetes

from hiddenlayers import MLPRegressor
from hiddenlayers.rightsize import SearchSpace, search
from hiddenlayers.rightsize._search import run

SMALL = dict(layers=(1, 1), widths=(8,), activations=("relu",), batch_sizes=(32,), learning_rate_init=(1e-2, 1e-2))


def _setup(X: np.ndarray, y: np.ndarray, space: SearchSpace, max_epochs: int = 8) -> run.TrialSetup:
    return run.TrialSetup(X=X, y=y, classifier=True, objectives=("score",), choices=["8"], space=space, max_epochs=max_epochs,
                          validation_fraction=0.2, max_latency_us=None, warmup=5, min_peers=4, random_state=0, latency_calls=1)


def test_both_averaging_kinds_and_both_solvers_are_tried_and_the_refit_has_the_best_s(iris) -> None:
    X, y = iris
    space = SearchSpace(**SMALL, weight_averaging=(None, "swa"), solvers=("adam", "sgd"))
    r = search(X, y, trials=10, max_epochs=8, cv=1, patience=2, space=space, random_state=0)
    done = [t for t in r.study.get_trials() if t.params]
    assert {t.params["weight_averaging"] for t in done} == {None, "swa"}
    assert {t.params["solver"] for t in done} == {"adam", "sgd"}
    for t in done:
        if t.params["weight_averaging"] == "swa" and "best_epoch" in t.user_attrs:
            assert t.user_attrs["epochs"] >= 6  # patience holds until SWA's first epoch (ceil(0.75 * 8))
            assert t.user_attrs["averaged"] == (t.user_attrs["best_epoch"] >= 6)
        elif "best_epoch" in t.user_attrs:
            assert t.user_attrs["averaged"] is False
    best, model = r.best, r.best_model
    assert model.solver == best["solver"]
    assert model.weight_averaging == (best["weight_averaging"] if best["averaged"] else None)
    columns = [c.header for c in r.table().columns]
    assert "solver" in columns and "averaging" in columns
    assert {"solver", "weight_averaging", "averaged"} <= set(r.to_dict()["rows"][0])


def test_one_choice_is_fixed_not_sampled_and_reaches_every_estimator(iris, monkeypatch) -> None:
    X, y = iris
    built: list[dict[str, object]] = []
    build = run.build_estimator

    def spying(*args, **kwargs):
        model = build(*args, **kwargs)
        built.append(model.get_params())
        return model

    monkeypatch.setattr(run, "build_estimator", spying)
    import hiddenlayers.rightsize._search.result as result

    monkeypatch.setattr(result, "build_estimator", spying)
    r = search(X, y, trials=2, max_epochs=3, cv=2, space=SearchSpace(**SMALL, weight_averaging=("ema",), solvers=("sgd",)), random_state=0)
    for t in r.study.get_trials():
        assert "solver" not in t.params and "weight_averaging" not in t.params
        assert t.user_attrs["fixed"]["solver"] == "sgd" and t.user_attrs["fixed"]["weight_averaging"] == "ema"
        assert t.user_attrs["averaged"] is True  # EMA averages from the first step
    assert len(built) == 2 * 2 + 1  # two folds per trial, one refit
    assert all(p["solver"] == "sgd" and p["weight_averaging"] == "ema" for p in built)
    assert (r.best["solver"], r.best["weight_averaging"]) == ("sgd", "ema")
    assert "solver" in [c.header for c in r.table().columns]  # not the default: shown


def test_the_default_space_shows_no_solver_or_averaging_column(iris) -> None:
    X, y = iris
    r = search(X, y, trials=1, max_epochs=2, cv=1, space=SearchSpace(**SMALL), refit=False)
    columns = [c.header for c in r.table().columns]
    assert "solver" not in columns and "averaging" not in columns
    assert (r.best["solver"], r.best["weight_averaging"], r.best["averaged"]) == ("adam", None, False)


def test_a_fold_scores_the_averaged_weights() -> None:
    """The fold's last score is the fitted model's (which holds the SWA average), not the raw last epoch's."""
    X, y = load_diabetes(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    y = (y - y.mean()) / y.std()
    tr, va = np.arange(300), np.arange(300, 442)
    scorer = run.FoldScore(X[va], y[va], patience=100)
    model = MLPRegressor(hidden_layer_sizes=(16,), max_iter=6, learning_rate_init=0.05, batch_size=32, early_stopping=False, random_state=0,
                         weight_averaging="swa", swa_start=2, callbacks=[scorer])
    scorer.model = model
    model.fit(X[tr], y[tr])
    assert scorer.curve[-1] == pytest.approx(model.score(X[va], y[va]), abs=1e-9)
    raw = MLPRegressor(hidden_layer_sizes=(16,), max_iter=6, learning_rate_init=0.05, batch_size=32, early_stopping=False, random_state=0).fit(X[tr], y[tr])
    assert abs(raw.score(X[va], y[va]) - scorer.curve[-1]) > 1e-6  # the average is not the raw weights


def test_patience_holds_until_swa_starts() -> None:
    """A flat fold is not stopped before SWA's first averaged epoch; from there patience counts."""
    from hiddenlayers.training import TrainState

    class Flat:
        def score(self, X, y, sample_weight=None):
            return 0.5

        def _cache_weights(self) -> None:
            pass

    scorer = run.FoldScore(None, None, patience=2, hold=5)
    scorer.model = Flat()
    state = TrainState()
    while not state.stop_training and len(scorer.curve) < 9:
        scorer.on_epoch_end(logs={}, state=state)
    assert len(scorer.curve) == 6  # epochs 5 and 6 flat from the hold on


def test_an_swa_refit_averages_the_trial_s_epochs_or_none() -> None:
    X, y = np.zeros((4, 2)), np.array([0, 1, 0, 1])
    setup = _setup(X, y, SearchSpace(**SMALL, weight_averaging=("swa",)), max_epochs=20)  # SWA from epoch 15
    cfg = {"weight_averaging": "swa"}
    assert run.averaging_start(cfg, setup) == 15
    assert run._averaging_options(cfg, setup, None) == {"weight_averaging": "swa", "swa_start": 0.75}
    assert run._averaging_options(cfg, setup, 18) == {"weight_averaging": "swa", "swa_start": 15}
    assert run._averaging_options(cfg, setup, 9) == {"weight_averaging": None}  # the trial peaked before SWA began
    assert run._averaging_options({"weight_averaging": "ema"}, setup, 9) == {"weight_averaging": "ema"}
    model = run.build_estimator({"hidden": "8", "activation": "relu", "learning_rate_init": 0.01, "alpha": 1e-4, "dropout": 0.0,
                                 "batch_size": 32, "weight_averaging": "swa", "solver": "rmsprop"}, setup, None, epochs=18)
    assert (model.solver, model.weight_averaging, model.swa_start, model.max_iter) == ("rmsprop", "swa", 15, 18)


def test_a_resumed_study_with_other_choices_is_refused_in_one_line(iris, tmp_path) -> None:
    X, y = iris
    storage = str(tmp_path / "s.log")
    kw = dict(max_epochs=2, cv=1, refit=False, storage=storage, study_name="s")
    search(X, y, trials=2, space=SearchSpace(**SMALL, solvers=("adam", "sgd")), **kw)
    with pytest.raises(ValueError, match=r"^study 's' in .*s\.log chose its solvers among \('adam', 'sgd'\), and this search offers "
                                         r"\('adam', 'rmsprop'\): an Optuna study keeps one list of choices per setting\. Pass a new study_name"):
        search(X, y, trials=3, space=SearchSpace(**SMALL, solvers=("adam", "rmsprop")), **kw)
    r = search(X, y, trials=3, space=SearchSpace(**SMALL, solvers=("adam", "sgd")), **kw)  # the same choices resume
    assert r.n_complete == 3


def test_a_resumed_regression_with_another_scale_target_is_refused(tmp_path) -> None:
    X, y = load_diabetes(return_X_y=True)
    storage = str(tmp_path / "r.log")
    kw = dict(max_epochs=2, cv=1, refit=False, storage=storage, study_name="r", space=SearchSpace(**SMALL))
    search(X, y, trials=1, task="regression", scale_target=True, **kw)
    with pytest.raises(ValueError, match=r"holds trials trained with scale_target=True, and this search has scale_target=False"):
        search(X, y, trials=2, task="regression", scale_target=False, **kw)
