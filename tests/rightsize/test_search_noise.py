"""search() says how noisy its best score is: each row's fold standard deviation, and the trials the folds cannot tell from the best."""

from __future__ import annotations

import numpy as np
import pytest

from hiddenlayers.rightsize import SearchSpace, search

TINY = SearchSpace(layers=(1, 2), widths=(4, 8, 16), batch_sizes=(32,), learning_rate_init=(3e-3, 3e-2))


@pytest.fixture(scope="module")
def found(iris):  # noqa: ANN001, ANN201
    X, y = iris
    return search(X, y, trials=5, space=TINY, max_epochs=4, cv=3, refit=False, min_peers=100)


def test_each_trial_s_score_is_the_mean_of_its_fold_scores_and_sd_their_spread(found) -> None:
    complete = [t for t in found.study.trials if t.state.name == "COMPLETE"]
    assert len(complete) == 5
    rows = {r["trial"]: r for r in found.trials()}
    for t in complete:
        folds = t.user_attrs["fold_scores_at_best"]
        assert len(folds) == 3
        assert t.values[0] == pytest.approx(np.mean(folds))  # the scores at the epoch the refit trains for
        # before: no row said the spread of its score over the folds
        assert rows[t.number]["score_sd"] == pytest.approx(np.std(folds, ddof=1))


def test_the_trials_within_one_sd_of_the_best_are_named(found) -> None:
    best = found.best
    close = [t["trial"] for t in found.trials() if t["trial"] != best["trial"] and t["score"] >= best["score"] - best["score_sd"]]
    assert found.within_noise() == close and found.to_dict()["within_noise"] == close
    table = found.table()
    assert "sd" in [c.header for c in table.columns]
    assert f"the best is {best['score']:.4g} ± {best['score_sd']:.2g}" in table.caption


def test_one_validation_split_has_no_sd(iris) -> None:
    X, y = iris
    one = search(X, y, trials=2, space=TINY, max_epochs=2, cv=1, refit=False)
    assert one.best["score_sd"] is None and one.within_noise() == [] and one.noise_note() is None
    assert "sd" not in [c.header for c in one.table().columns] and one.table().caption is None
