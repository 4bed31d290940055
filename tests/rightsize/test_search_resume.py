"""A resumed search draws new configurations: its sampler is not seeded as the session that began the study."""

from __future__ import annotations

import re

import optuna
import pytest

from hiddenlayers.rightsize import SearchSpace, search
from hiddenlayers.rightsize._search.run import resumed_seed

SPACE = SearchSpace(layers=(1, 3), widths=(4, 8, 16, 32, 64), batch_sizes=(16, 32, 64), learning_rate_init=(1e-3, 3e-2))


def _configs(storage: str, name: str) -> list[tuple]:
    study = optuna.load_study(study_name=name, storage=storage)
    return [tuple(sorted(t.params.items())) for t in study.trials]


def test_a_resumed_search_does_not_repeat_the_first_sessions_trials(iris, tmp_path) -> None:
    X, y = iris
    storage = f"sqlite:///{tmp_path / 's.db'}"
    for objectives in (("score",), ("score", "params")):  # TPE's startup trials, NSGA-II's first generation
        name = "-".join(objectives)
        for total in (3, 6):  # a search of 3, then resumed to 6
            search(X, y, objectives=objectives, trials=total, space=SPACE, max_epochs=1, cv=1, storage=storage, study_name=name,
                   refit=False, random_state=0)
        configs = _configs(storage, name)
        assert len(configs) == 6
        # before: trials 3-5 drew exactly the configurations of trials 0-2 (same seed, same random stream)
        assert configs[3:] != configs[:3]
        assert not set(configs[3:]) <= set(configs[:3])


def test_resumed_seed_is_the_seed_for_a_new_study_and_reproducible_otherwise() -> None:
    assert resumed_seed(7, 0) == 7 and resumed_seed(None, 5) is None
    assert resumed_seed(7, 3) == resumed_seed(7, 3) != 7
    assert len({resumed_seed(7, n) for n in range(1, 50)} | {resumed_seed(8, n) for n in range(1, 50)}) == 98


def test_a_resumed_study_refuses_trials_scored_on_another_target_or_data(iris, tmp_path) -> None:
    X, y = iris
    storage = f"sqlite:///{tmp_path / 's.db'}"
    tiny = {"space": SPACE, "max_epochs": 1, "cv": 1, "storage": storage, "refit": False}
    search(X, y, trials=2, **tiny)
    # before: a regression of another column resumed the accuracy study, ranked an accuracy beside R² and refitted the winner
    with pytest.raises(ValueError, match=r"other data \(classification on 150 rows x 4 columns.*regression on 150 rows x 3 "
                                         r"columns.*Pass a new study_name"):
        search(X[:, 1:], X[:, 0], trials=4, **tiny)
    with pytest.raises(ValueError, match="other data"):  # the same shapes, other rows
        search(X[::-1].copy(), y, trials=4, **tiny)
    assert len(optuna.load_study(study_name="hiddenlayers", storage=storage).trials) == 2  # nothing ran
    found = search(X, y, trials=3, **tiny)  # the same data goes on
    assert found.n_trials == 3


def test_a_resumed_study_refuses_other_objectives_of_the_same_directions(iris, tmp_path) -> None:
    X, y = iris
    storage = f"sqlite:///{tmp_path / 's.db'}"
    tiny = {"space": SPACE, "max_epochs": 1, "cv": 1, "storage": storage, "refit": False}
    search(X, y, objectives=("score", "params"), trials=2, **tiny)
    assert optuna.load_study(study_name="hiddenlayers", storage=storage).metric_names == ["score", "params"]  # Optuna's names
    # before: (maximize, minimize) both, so the FLOPs of new trials were ranked against the parameter counts of old ones
    with pytest.raises(ValueError, match="run for the objectives score, params, and this search has score, flops.*Pass a new study_name"):
        search(X, y, objectives=("score", "flops"), trials=4, **tiny)
    # other directions: the same words (was "study 'hiddenlayers' in this storage has directions ['maximize', 'minimize'],
    # but these objectives need ['maximize']: use another study_name"), the storage named
    with pytest.raises(ValueError, match=f"^study 'hiddenlayers' in {re.escape(storage)} was run for the objectives score, params, and this "
                                         "search has score: their values do not compare. Pass a new study_name"):
        search(X, y, trials=4, **tiny)
    assert search(X, y, objectives=("score", "params"), trials=3, **tiny).n_trials == 3


def test_a_resumed_study_refuses_another_budget_before_any_trial_and_names_the_fix(iris, tmp_path) -> None:
    X, y = iris
    storage = f"sqlite:///{tmp_path / 's.db'}"
    tiny = {"space": SPACE, "storage": storage, "refit": False}
    search(X, y, trials=2, max_epochs=2, cv=1, patience=3, **tiny)
    study = optuna.load_study(study_name="hiddenlayers", storage=storage)
    assert [t.user_attrs["budget"] for t in study.trials] == [{"max_epochs": 2, "cv": 1, "validation_fraction": 0.2, "patience": 3}] * 2
    # before: each was accepted, and the best was chosen across trials trained for 2 and for 3 epochs (or on other folds)
    for other, said in (({"max_epochs": 3}, "max_epochs=2, and this search has max_epochs=3"),
                        ({"cv": 2}, "cv=1, and this search has cv=2"),
                        ({"validation_fraction": 0.3}, "validation_fraction=0.2, and this search has validation_fraction=0.3"),
                        ({"patience": 4}, "patience=3, and this search has patience=4"),
                        ({"max_epochs": 3, "patience": 4}, "max_epochs=2, patience=3, and this search has max_epochs=3, patience=4")):
        budget = {"max_epochs": 2, "cv": 1, "patience": 3, **other}
        with pytest.raises(ValueError, match=rf"^study 'hiddenlayers' in {storage} holds trials scored with {said}: scores earned under "
                                             r"another training budget do not rank together\. Pass .* \(the study's\), or a new study_name\.$"):
            search(X, y, trials=4, **budget, **tiny)
    assert len(optuna.load_study(study_name="hiddenlayers", storage=storage).trials) == 2  # nothing ran
    # not budget: how many trials, for how long, on how many threads, and the hopeless-trial rule's warmup and peers
    found = search(X, y, trials=3, max_epochs=2, cv=1, patience=3, timeout=600, threads=2, warmup_epochs=1, min_peers=1, **tiny)
    assert found.n_trials == 3


def test_folds_resume_under_any_validation_fraction_and_a_study_without_a_budget_is_not_judged(iris, tmp_path) -> None:
    X, y = iris
    storage = f"sqlite:///{tmp_path / 's.db'}"
    tiny = {"space": SPACE, "storage": storage, "refit": False, "max_epochs": 1}
    search(X, y, trials=1, cv=2, **tiny)
    assert search(X, y, trials=2, cv=2, validation_fraction=0.5, **tiny).n_trials == 2  # no split uses it with folds
    with pytest.raises(ValueError, match=r"holds trials scored with cv=2, and this search has cv=1: .* Pass cv=2 \(the study's\)"):
        search(X, y, trials=3, cv=1, **tiny)  # one split against folds: cv says it all
    old = optuna.create_study(study_name="old", storage=storage, direction="maximize")
    for t in optuna.load_study(study_name="hiddenlayers", storage=storage).trials:  # as written before budgets were recorded
        old.add_trial(optuna.trial.create_trial(params=t.params, distributions=t.distributions, value=t.value, state=t.state,
                                                user_attrs={k: v for k, v in t.user_attrs.items() if k != "budget"}))
    assert search(X, y, trials=3, cv=1, study_name="old", **tiny).n_trials == 3
