"""search()'s class_weight, label_smoothing and sample_weight: every trial's estimator and the refit carry them,
and the held-out score that ranks the trials is weighted as MLPClassifier's own early-stopping score is."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.utils.class_weight import compute_sample_weight

from hiddenlayers.rightsize import SearchSpace, check_search_options, search
from hiddenlayers.rightsize._search import run

ONE = SearchSpace(layers=(1, 1), widths=(8,), activations=("relu",), batch_sizes=(32,), learning_rate_init=(1e-2, 1e-2))


@pytest.fixture(scope="module")
def imbalanced(iris) -> tuple[np.ndarray, np.ndarray]:
    """Iris with 10 rows of class 2 and 50 of each other: 110 rows."""
    X, y = iris
    keep = np.r_[np.where(y != 2)[0], np.where(y == 2)[0][:10]]
    return X[keep], y[keep]


def _setup(X: np.ndarray, y: np.ndarray, **weights: object) -> run.TrialSetup:
    """The trials' setup of a 2-fold search of ``ONE`` (its folds are the search's: same seed and rows)."""
    return run.TrialSetup(X=X, y=y, classifier=True, objectives=("score",), choices=["8"], space=ONE, max_epochs=2,
                          validation_fraction=0.2, max_latency_us=None, warmup=5, min_peers=4, random_state=0, latency_calls=1,
                          cv=2, **weights)  # type: ignore[arg-type]


class _Spy:
    """Records every estimator the trials and the refit build (their parameters) and every fold score's weights."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.params: list[dict[str, object]] = []
        self.fit_weights: list[object] = []
        self.score_weights: list[object] = []
        build, fold = run.build_estimator, run.FoldScore
        spy = self

        def building(*args, **kwargs):
            model = build(*args, **kwargs)
            spy.params.append(model.get_params())
            fit = model.fit

            def fitting(X, y, sample_weight=None):
                spy.fit_weights.append(sample_weight)
                return fit(X, y, sample_weight=sample_weight)

            model.fit = fitting
            return model

        class Recorded(fold):  # type: ignore[misc, valid-type]
            def __init__(self, X, y, patience, sample_weight=None, **kwargs):
                super().__init__(X, y, patience, sample_weight, **kwargs)
                spy.score_weights.append(sample_weight)

        monkeypatch.setattr(run, "build_estimator", building)
        monkeypatch.setattr(run, "FoldScore", Recorded)
        import hiddenlayers.rightsize._search.result as result

        monkeypatch.setattr(result, "build_estimator", building)


def test_every_trial_and_the_refit_carry_class_weight_and_label_smoothing(imbalanced, monkeypatch) -> None:
    X, y = imbalanced
    spy = _Spy(monkeypatch)
    found = search(X, y, trials=2, space=ONE, max_epochs=3, cv=2, class_weight="balanced", label_smoothing=0.1)
    assert len(spy.params) == 2 * 2 + 1  # 2 trials x 2 folds, then the refit
    assert all(p["class_weight"] == "balanced" and p["label_smoothing"] == 0.1 for p in spy.params)
    assert found.best_model.class_weight == "balanced" and found.best_model.label_smoothing == 0.1
    for t in found.study.get_trials():  # a resumed study says what its trials trained with
        assert t.user_attrs["class_weight"] == "balanced" and t.user_attrs["label_smoothing"] == 0.1
        assert t.user_attrs["sample_weight"] is False


def test_the_score_that_ranks_trials_is_weighted_by_the_balanced_class_weights(imbalanced, monkeypatch) -> None:
    X, y = imbalanced
    spy = _Spy(monkeypatch)
    found = search(X, y, trials=1, space=ONE, max_epochs=2, cv=2, class_weight="balanced")
    balanced = compute_sample_weight("balanced", y)  # over all of y, sliced per fold: as early stopping weighs its split
    folds = run.make_folds(_setup(X, y))
    assert len(spy.score_weights) == 2
    for w, (_, va) in zip(spy.score_weights, folds):
        np.testing.assert_allclose(w, balanced[va])
    # FoldScore's figure is the estimator's weighted score of the held-out rows
    scorer = run.FoldScore(X, y, patience=10, sample_weight=balanced)
    scorer.model = found.best_model
    logs: dict[str, float] = {}
    scorer.on_epoch_end(logs=logs, state=None)
    assert logs["val_score"] == pytest.approx(found.best_model.score(X, y, sample_weight=balanced))
    assert logs["val_score"] != pytest.approx(found.best_model.score(X, y))  # class 2 (10 rows) counts as much as the others


def test_sample_weight_reaches_every_fit_and_the_score(imbalanced, monkeypatch) -> None:
    X, y = imbalanced
    sw = np.linspace(0.5, 2.0, len(y))
    spy = _Spy(monkeypatch)
    found = search(X, y, trials=1, space=ONE, max_epochs=2, cv=2, sample_weight=sw, class_weight={0: 1.0, 1: 1.0, 2: 3.0})
    folds = run.make_folds(_setup(X, y))
    for fitted, scored, (tr, va) in zip(spy.fit_weights, spy.score_weights, folds):
        np.testing.assert_array_equal(fitted, sw[tr])  # the estimator multiplies its class weights in itself
        np.testing.assert_allclose(scored, sw[va] * np.where(y[va] == 2, 3.0, 1.0))
    np.testing.assert_array_equal(spy.fit_weights[-1], sw)  # the refit on all rows
    assert found.best_model.class_weight == {0: 1.0, 1: 1.0, 2: 3.0}


def test_worker_processes_get_the_weights_and_a_dict_s_labels(imbalanced, tmp_path, monkeypatch) -> None:
    X, y = imbalanced
    setup = _setup(X, y, sample_weight=np.arange(len(y), dtype=float), class_weight={0: 1.0, 1: 2.0, 2: 5.0}, label_smoothing=0.2)
    job = run.write_job(setup, str(tmp_path), "search.log", "s", ["maximize"], 1, None)
    got = []
    monkeypatch.setattr(run, "run_worker", lambda s, *a, **k: got.append(s))
    run.worker_main(job, 0)
    assert got[0].class_weight == {0: 1.0, 1: 2.0, 2: 5.0} and got[0].label_smoothing == 0.2  # int labels, not JSON's text keys
    np.testing.assert_array_equal(got[0].sample_weight, setup.sample_weight)
    assert "sample_weight" not in json.loads(open(job).read())  # the weights travel in the .npz, beside X and y


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"class_weight": "balance"}, "class_weight must be None, 'balanced' or a dict {label: weight}. Received: class_weight='balance' (did you mean 'balanced'?)."),
    ({"class_weight": {0: 1.0, 1: 0.0, 2: 1.0}}, "class_weight must give each class a finite weight > 0. Received: class_weight[1]=0.0"),
    ({"class_weight": {0: 1.0, 1: 2.0}}, "class_weight gives no weight to the classes [2] of y"),
    ({"class_weight": {0: 1.0, 1: 1.0, 2: 1.0, 7: 1.0}}, "class_weight names labels that are not classes of y: [7]"),
    ({"label_smoothing": 1.0}, "label_smoothing must be a share of each target in [0, 1), e.g. 0.1 (0: none). Received: label_smoothing=1.0."),
    ({"sample_weight": np.zeros(110)}, "Sample weights must contain at least one non-zero number"),
    ({"sample_weight": np.r_[1.0, np.zeros(109)]}, "search() scores each trial on 3 parts of the data and got 1 row(s) of sample_weight > 0 "
                                                   "(rows of weight 0 are as if absent): give at least 3 rows a weight > 0, or pass a smaller cv"),
    ({"sample_weight": np.ones(3)}, "sample_weight"),
])
def test_bad_weights_fail_before_any_trial(imbalanced, monkeypatch, kwargs, message) -> None:
    X, y = imbalanced
    monkeypatch.setattr(run, "objective", lambda *a, **k: pytest.fail("a trial ran"))
    with pytest.raises(ValueError) as info:
        search(X, y, trials=1, space=ONE, max_epochs=1, **kwargs)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_class_weight_and_label_smoothing_are_refused_for_regression(rng, monkeypatch) -> None:
    monkeypatch.setattr(run, "objective", lambda *a, **k: pytest.fail("a trial ran"))
    X = rng.normal(size=(40, 3))
    for kwargs in ({"class_weight": "balanced"}, {"label_smoothing": 0.1}):
        with pytest.raises(ValueError, match=r"^class_weight and label_smoothing apply to classification, and y is a regression target"):
            search(X, X[:, 0] * 1.5, trials=1, space=ONE, max_epochs=1, **kwargs)


@settings(max_examples=25, deadline=None)
@given(st.one_of(st.floats(allow_nan=True), st.integers(-5, 5), st.booleans(), st.text(max_size=3)))
def test_label_smoothing_passes_the_check_exactly_in_0_to_1(value) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 1
    if ok:
        check_search_options(label_smoothing=value)
    else:
        with pytest.raises(ValueError, match=r"^label_smoothing must be a share of each target in \[0, 1\)"):
            check_search_options(label_smoothing=value)


def test_the_result_says_what_weighted_the_ranking_score(imbalanced) -> None:
    X, y = imbalanced
    found = search(X, y, trials=1, space=ONE, max_epochs=1, cv=2, refit=False, class_weight={0: 1.0, 1: 1.0, 2: 3.0},
                   label_smoothing=0.1, sample_weight=np.ones(len(y)))
    d = found.to_dict()
    assert (d["class_weight"], d["label_smoothing"], d["sample_weight"]) == ([[0, 1.0], [1, 1.0], [2, 3.0]], 0.1, True)
    json.dumps(d)  # the CLI's --json prints it
    caption = found.table().title  # the table's header line, once for every row
    assert "scored with class_weight={0: 1.0, 1: 1.0, 2: 3.0}, label_smoothing=0.1, sample_weight given" in caption
    plain = search(X, y, trials=1, space=ONE, max_epochs=1, cv=2, refit=False)
    assert (plain.to_dict()["class_weight"], plain.to_dict()["label_smoothing"], plain.to_dict()["sample_weight"]) == (None, 0.0, False)
    assert "scored with" not in plain._counts()  # the plain score: nothing to say


@pytest.mark.parametrize("change", [{"class_weight": None}, {"label_smoothing": 0.1}, {"class_weight": {0: 1.0, 1: 1.0, 2: 2.0}}])
def test_a_resumed_study_refuses_other_scoring_settings(imbalanced, tmp_path, monkeypatch, change) -> None:
    X, y = imbalanced
    storage = str(tmp_path / "search.log")
    first = {"class_weight": "balanced", "label_smoothing": 0.0}
    search(X, y, trials=1, space=ONE, max_epochs=1, cv=2, refit=False, storage=storage, study_name="s", **first)
    monkeypatch.setattr(run, "objective", lambda *a, **k: pytest.fail("a trial ran"))
    with pytest.raises(ValueError) as info:
        search(X, y, trials=2, space=ONE, max_epochs=1, cv=2, refit=False, storage=storage, study_name="s", **{**first, **change})
    message = str(info.value)
    assert message.startswith("study 's' in ") and "\n" not in message
    assert "holds trials scored with class_weight='balanced', label_smoothing=0, sample_weight none, and this search has " in message
    assert message.endswith("their scores do not rank together. Pass a new study_name, or the settings the study was run with.")


def test_a_resumed_study_with_the_same_settings_goes_on(imbalanced, tmp_path) -> None:
    X, y = imbalanced
    storage = str(tmp_path / "search.log")
    weights = {"class_weight": {0: 1.0, 1: 1.0, 2: 3.0}, "label_smoothing": 0.1}
    search(X, y, trials=1, space=ONE, max_epochs=1, cv=2, refit=False, storage=storage, study_name="s", **weights)
    again = search(X, y, trials=2, space=ONE, max_epochs=1, cv=2, refit=False, storage=storage, study_name="s",
                   class_weight={2: 3, 1: 1, 0: 1}, label_smoothing=0.1)  # the same weights, in another order and type
    assert again.n_trials == 2


def test_rows_of_weight_zero_are_as_if_absent(imbalanced) -> None:
    """Rows of sample_weight 0 took places in the folds (the other rows' folds changed) and came back in the refit's data:
    the search differed from the search without them. It is now that search (as fit leaves such rows out)."""
    X, y = imbalanced
    sw = np.linspace(0.5, 2.0, len(y))
    rng = np.random.RandomState(0)
    at = np.sort(rng.choice(len(y) + 30, 30, replace=False))  # 30 rows of weight 0 spread through the data
    Xp = np.insert(X, at - np.arange(30), 50.0 * rng.randn(30, X.shape[1]), axis=0)
    yp, swp = np.insert(y, at - np.arange(30), rng.randint(0, 3, 30)), np.insert(sw, at - np.arange(30), 0.0)
    assert (Xp[swp > 0] == X).all() and (yp[swp > 0] == y).all()
    found = [search(a, b, trials=2, space=ONE, max_epochs=3, cv=2, sample_weight=w) for a, b, w in ((X, y, sw), (Xp, yp, swp))]
    assert [r["score"] for r in found[0].rows] == [r["score"] for r in found[1].rows]
    for c, d in zip(found[0].best_model.coefs_, found[1].best_model.coefs_):
        np.testing.assert_array_equal(c, d)
