"""``hiddenlayers search --lr``: one learning-rate range for every solver (``LOW,HIGH``) or one per solver
(``SOLVER=LOW:HIGH,...``); without it each solver's default range."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cli_helpers import assert_user_error, ok, run
from hiddenlayers.cli._common import UserError
from hiddenlayers.cli._rightsize import parse_learning_rates
from hiddenlayers.rightsize import DEFAULT_LEARNING_RATES

SMALL = ("--trials", "4", "--epochs", "2", "--layers", "1", "--widths", "8", "--activations", "relu", "--no-check", "--json")


def _spaces(monkeypatch) -> list:
    """The spaces the trials were sampled from (each trial's), recorded as they run."""
    from hiddenlayers.rightsize._search import run as trials

    seen, original = [], trials.suggest
    monkeypatch.setattr(trials, "suggest", lambda trial, setup: seen.append(setup.space) or original(trial, setup))
    return seen


@pytest.mark.parametrize(("args", "rates"), [
    ([], {"adam": (3e-4, 3e-2), "sgd": DEFAULT_LEARNING_RATES["sgd"]}),
    (["--lr", "1e-3,0.1"], {"adam": (1e-3, 0.1), "sgd": (1e-3, 0.1)}),
    (["--lr", "sgd=0.05:0.3"], {"adam": (3e-4, 3e-2), "sgd": (0.05, 0.3)}),
    (["--lr", " ADAM = 1e-3 : 1e-2 , sgd=0.05"], {"adam": (1e-3, 1e-2), "sgd": (0.05, 0.05)}),
])
def test_the_ranges_reach_the_trials_and_each_row_keeps_its_solver_s_range(args, rates, tmp_path, monkeypatch):
    seen = _spaces(monkeypatch)
    r = json.loads(ok("search", "iris", *SMALL, "--solvers", "adam,sgd", "--out-dir", tmp_path, *args).stdout)
    assert seen and all(sp.learning_rates() == rates for sp in seen)
    row = r["rows"][0]
    lo, hi = rates[row["solver"]]
    assert lo <= row["learning_rate_init"] <= hi


@pytest.mark.parametrize(("args", "message"), [
    (["--lr", "fast"], "--lr takes LOW,HIGH (one range for every solver, e.g. 3e-4,3e-2) or SOLVER=LOW:HIGH,... (e.g. "
                       "sgd=0.01:0.3,adam=3e-4:3e-2). Received: 'fast'."),
    (["--lr", "sgd=0.1"], "--lr names solver 'sgd', which --solvers (adam) does not try: add it to --solvers, or drop it from --lr."),
    (["--solvers", "adam,sgd", "--lr", "sgd=0.1,sgd=0.2"], "--lr names solver 'sgd' twice: give each solver one range. "
                                                           "Received: 'sgd=0.1,sgd=0.2'."),
    (["--lr", "3e-2,3e-4"], "--lr: learning_rate_init must be (low, high) with low <= high"),
    (["--lr", "sdg=0.1"], "--lr: learning_rate_init keys must be solvers, each one of adam, adamw, rmsprop, sgd. Did you mean 'sgd'?"),
    (["--solvers", "adam,sgd", "--lr", "sgd=0:0.3"], "--lr: learning_rate_init for solver 'sgd': learning_rate_init['sgd'] must be "
                                                     "(low, high) with both > 0"),
])
def test_a_bad_lr_is_one_line_before_any_trial_and_nothing_is_written(args, message, tmp_path, monkeypatch):
    from hiddenlayers.rightsize._search import run as trials

    monkeypatch.setattr(trials, "objective", lambda *a, **k: pytest.fail("a trial ran"))
    assert_user_error(run("search", "iris", "--trials", "1", "--epochs", "1", "--out-dir", tmp_path / "out", *args), message)
    assert not (tmp_path / "out").exists()


_NUM = st.floats(min_value=1e-8, max_value=1e3, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(_NUM, _NUM, st.sampled_from([",", ":", " , "]))
def test_one_range_reads_back_exactly(low, high, sep):
    assert parse_learning_rates(f"{low!r}{sep}{high!r}") == (low, high)
    assert parse_learning_rates(repr(low)) == (low, low)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["adam", "adamw", "rmsprop", "sgd"]), st.tuples(_NUM, _NUM), min_size=1))
def test_per_solver_ranges_read_back_exactly(rates):
    text = ",".join(f"{s}={lo!r}:{hi!r}" for s, (lo, hi) in rates.items())
    assert parse_learning_rates(text) == rates


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=25), st.lists(st.sampled_from(["sgd=", "adam", "0.1", ":", ",", "=", "1e-3", "x", " ", "inf", "1e999"]),
                                                max_size=8).map("".join)))
def test_any_text_parses_or_is_one_line_naming_lr(text):
    try:
        got = parse_learning_rates(text)
    except UserError as exc:
        assert str(exc).startswith("--lr ") and "\n" not in str(exc) and "Received:" in str(exc)
    else:
        pairs = got.values() if isinstance(got, dict) else [got]
        assert all(len(p) == 2 and all(isinstance(v, float) and abs(v) < float("inf") for v in p) for p in pairs)


def test_the_help_states_the_default_ranges_the_space_has():
    import typer

    from hiddenlayers.cli._app import app

    (lr,) = [p for p in typer.main.get_command(app).commands["search"].params if p.name == "lr"]
    assert "Default per solver: adam/adamw/rmsprop 3e-4:3e-2, sgd 3e-3:0.1." in lr.help
    assert DEFAULT_LEARNING_RATES == {"adam": (3e-4, 3e-2), "adamw": (3e-4, 3e-2), "rmsprop": (3e-4, 3e-2), "sgd": (3e-3, 0.1)}
