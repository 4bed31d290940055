"""``hiddenlayers search --json`` carries every trial (``trials``: what ``SearchResult.trials_table()`` holds), not only the best rows."""

from __future__ import annotations

import datetime
import json

import optuna
import pytest

from cli_helpers import ok
from hiddenlayers.rightsize._search.result import _trial_extra

SMALL = ("--trials", "4", "--epochs", "3", "--layers", "1", "--widths", "4,8", "--activations", "relu,tanh", "--no-check", "--json")


def test_search_json_lists_every_trial_with_its_settings_state_score_and_time(tmp_path):
    r = json.loads(ok("search", "iris", *SMALL, "--out-dir", tmp_path, "--study", "tr").stdout)
    trials = r["trials"]
    assert [t["trial"] for t in trials] == list(range(r["n_trials"])) == [0, 1, 2, 3]
    assert sum(t["state"] == "complete" for t in trials) == r["n_complete"]
    assert sum(t["state"] == "pruned" for t in trials) == r["n_pruned"]
    for t in trials:
        assert t["hidden"] in ("4", "8") and t["params"] == {"4": 35, "8": 67}[t["hidden"]]  # 4 inputs, 3 classes
        assert t["activation"] in ("relu", "tanh") and t["learning_rate_init"] > 0 and t["solver"] == "adam"
        assert t["duration_s"] is not None and t["duration_s"] > 0
        assert (t["stopped_at"] is None) == (t["state"] != "pruned")
        if t["state"] == "complete":
            assert 0 <= t["score"] <= 1 and 1 <= t["best_epoch"] <= t["epochs"] == 3
    best = r["rows"][0]
    same = next(t for t in trials if t["trial"] == best["trial"])
    assert same["score"] == best["score"] and same["hidden"] == best["hidden"] and same["activation"] == best["activation"]


@pytest.mark.parametrize("state, attrs, stopped", [
    (optuna.trial.TrialState.PRUNED, {"epochs": 4, "stopped_at": 4}, 4),
    (optuna.trial.TrialState.PRUNED, {"epochs": 5}, 5),  # a trial stored before stopped_at was: its epochs
    (optuna.trial.TrialState.COMPLETE, {"epochs": 9}, None),
])
def test_a_trial_stopped_early_says_its_epoch_and_every_trial_its_seconds(state, attrs, stopped):
    start = datetime.datetime(2026, 1, 1, 12, 0, 0)
    t = optuna.trial.create_trial(state=state, value=0.5 if state == optuna.trial.TrialState.COMPLETE else None, user_attrs=attrs)
    t.datetime_start, t.datetime_complete = start, start + datetime.timedelta(seconds=2.5)
    assert _trial_extra(t) == {"duration_s": 2.5, "stopped_at": stopped, "failed_because": None}  # a trial that did not fail


def test_a_failed_trial_counts_toward_trials_and_the_note_says_so(tmp_path, monkeypatch):
    """--trials 4 with one trial raising: 4 trials, one failed, and the note says how many of the 4 finished and that a failed
    trial counts toward --trials as in Optuna's n_trials (before: "1 trial(s) failed", which left the count to the table)."""
    from hiddenlayers.rightsize._search import run as run_module

    real, seen = run_module.fit_or_interrupt, {"fits": 0}

    def fit(*args, **kwargs):
        seen["fits"] += 1
        if seen["fits"] == 2:
            raise RuntimeError("boom")
        return real(*args, **kwargs)

    monkeypatch.setattr(run_module, "fit_or_interrupt", fit)
    result = ok("search", "iris", *SMALL, "--out-dir", tmp_path, "--study", "fails")
    r = json.loads(result.stdout)
    assert (r["n_trials"], r["n_failed"]) == (4, 1)
    said = " ".join(result.stderr.split())
    assert (f"1 of 4 trials failed ({r['n_complete']} complete; a failed trial counts toward --trials, as in Optuna's n_trials: "
            "raise --trials, same --study, to run more): trial ") in said and "RuntimeError: boom" in said
