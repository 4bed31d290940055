"""search(X, y, X_val=, y_val=, sample_weight_val=): every trial scored on the user's own validation rows."""

from __future__ import annotations

import numpy as np
import optuna
import pytest

from hiddenlayers import MLPClassifier
from hiddenlayers.rightsize import SearchSpace, search

SPACE = SearchSpace(layers=(1, 1), widths=(8, 16), activations=("relu",), batch_sizes=(16,), learning_rate_init=(1e-2, 3e-2))


def _split(iris):
    X, y = iris
    rng = np.random.default_rng(0)
    order = rng.permutation(len(y))
    tr, va = order[:100], order[100:]
    return X[tr], y[tr], X[va], y[va]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_each_trial_scores_the_validation_rows_as_its_network_scores_them_by_hand_and_its_refit_scores_the_same(iris) -> None:
    X, y, Xv, yv = _split(iris)
    wv = np.where(yv == 0, 3.0, 1.0)
    # patience >= max_epochs: each trial trains all 4 epochs, so the curve's last point is the network trained 4 epochs
    found = search(X, y, X_val=Xv, y_val=yv, sample_weight_val=wv, trials=2, space=SPACE, max_epochs=4, patience=10,
                   random_state=0)
    assert found.n_complete == 2
    # the refit trains on all of X, as its trial did, at the trial's rate: the trial's model at its best epoch, scoring on
    # X_val what the trial reported (annealed to 0 over its epochs, it was another model, which scored less)
    assert len(found.models) == len(found.rows) == 1  # one objective: the best trial
    for row, refitted in zip(found.rows, found.models):
        assert refitted.score(Xv, yv, sample_weight=wv) == pytest.approx(row["score"], abs=1e-12)
    for t in found.study.trials:
        curve = t.user_attrs["cv_curve"]
        assert len(curve) == 4 and t.values[0] == max(curve)
        p = t.params
        model = MLPClassifier(hidden_layer_sizes=(int(p["hidden"]),), activation="relu", learning_rate_init=p["learning_rate_init"],
                              alpha=p["alpha"], batch_size=16, max_iter=4, early_stopping=False, random_state=0, device="cpu")
        model.fit(X, y)  # all of X trains: no fold, no split
        assert model.score(Xv, yv, sample_weight=wv) == pytest.approx(curve[-1], abs=1e-12)
        assert t.user_attrs["data"]["validation"]["rows"] == len(yv)
        assert t.user_attrs["budget"]["validation_fraction"] is None


def test_the_validation_rows_refuse_split_settings_and_bad_rows(iris) -> None:
    X, y, Xv, yv = _split(iris)
    tiny = {"trials": 1, "space": SPACE, "max_epochs": 1, "refit": False}
    for extra, words in (({"cv": 3}, "cv=3 with X_val"), ({"cv": 1}, "cv=1 with X_val"),
                         ({"validation_fraction": 0.3}, "validation_fraction=0.3 with X_val")):
        with pytest.raises(ValueError, match=words):
            search(X, y, X_val=Xv, y_val=yv, **extra, **tiny)
    with pytest.raises(ValueError, match="y_val was not provided"):
        search(X, y, X_val=Xv, **tiny)
    with pytest.raises(ValueError, match="sample_weight_val weights the rows of X_val"):
        search(X, y, sample_weight_val=np.ones(len(yv)), **tiny)
    with pytest.raises(ValueError, match="X_val has 3 columns and X 4"):
        search(X, y, X_val=Xv[:, :3], y_val=yv, **tiny)
    with pytest.raises(ValueError, match="y_val holds labels that y does not"):
        search(X, y, X_val=Xv, y_val=np.where(yv == 0, 7, yv), **tiny)
    with pytest.raises(ValueError, match="sample_weight_val is 0 for every row"):
        search(X, y, X_val=Xv, y_val=yv, sample_weight_val=np.zeros(len(yv)), **tiny)
    with pytest.raises(ValueError, match="X_val has 1 row"):
        search(X, y, X_val=Xv[:1], y_val=yv[:1], **tiny)


def test_a_resumed_study_refuses_other_validation_rows_or_none(iris, tmp_path) -> None:
    X, y, Xv, yv = _split(iris)
    storage = f"sqlite:///{tmp_path / 's.db'}"
    tiny = {"space": SPACE, "max_epochs": 1, "storage": storage, "refit": False}
    search(X, y, X_val=Xv, y_val=yv, trials=1, **tiny)
    with pytest.raises(ValueError, match=r"other data \(.*scored on 50 validation rows.*scored on 40 validation rows"):
        search(X, y, X_val=Xv[:40], y_val=yv[:40], trials=2, **tiny)
    with pytest.raises(ValueError, match=r"scored on 50 validation rows.*, and this search has .*scored on folds of them"):
        search(X, y, trials=2, **tiny)
    with pytest.raises(ValueError, match="other data"):  # the same rows, weighted
        search(X, y, X_val=Xv, y_val=yv, sample_weight_val=np.arange(1.0, 51.0), trials=2, **tiny)
    assert len(optuna.load_study(study_name="hiddenlayers", storage=storage).trials) == 1  # nothing ran
    assert search(X, y, X_val=Xv, y_val=yv, trials=2, **tiny).n_trials == 2  # the same rows go on


def test_worker_processes_score_the_same_validation_rows(iris, tmp_path) -> None:
    X, y, Xv, yv = _split(iris)
    wv = np.linspace(0.5, 2.0, len(yv))
    found = search(X, y, X_val=Xv, y_val=yv, sample_weight_val=wv, trials=2, space=SPACE, max_epochs=2, workers=2,
                   storage=str(tmp_path / "s.log"), refit=False)
    assert found.n_complete == 2
    alone = search(X, y, X_val=Xv, y_val=yv, sample_weight_val=wv, trials=1, space=SPACE, max_epochs=2, refit=False)
    # the job file carried the rows and their weights: the workers' trials record the same fingerprint as one in this process
    assert {t.user_attrs["data"]["validation"]["digest"] for t in found.study.trials} == {alone.validation_set["digest"]}
