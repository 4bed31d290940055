"""``hiddenlayers search --weight-averaging none,ema,swa --solvers adam,sgd``: the choices every trial samples among."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cli_helpers import assert_user_error, ok, run
from hiddenlayers.cli._common import UserError
from hiddenlayers.cli._rightsize import parse_solvers, parse_weight_averaging


def test_the_choices_reach_the_trials_the_rows_and_the_saved_models(tmp_path):
    r = json.loads(ok("search", "iris", "--trials", "4", "--epochs", "4", "--layers", "1", "--widths", "8", "--activations", "relu",
                      "--weight-averaging", "none,ema", "--solvers", "sgd,adam", "--out-dir", tmp_path, "--no-check", "--json").stdout)
    row = r["rows"][0]
    assert row["weight_averaging"] in (None, "ema") and row["solver"] in ("sgd", "adam")
    shown = json.loads(ok("info", r["paths"][0], "--json").stdout)["training"]
    assert shown["solver"] == row["solver"]
    assert (shown["weight_averaging"] is None) == (row["weight_averaging"] is None)
    text = ok("search", "iris", "--trials", "1", "--epochs", "2", "--layers", "1", "--widths", "8", "--solvers", "SGD",
              "--weight-averaging", " EMA ", "--out-dir", tmp_path / "b", "--no-check").stdout
    assert "sgd" in text and "ema" in text  # one choice each, not the defaults: the table shows them


@pytest.mark.parametrize(("args", "message"), [
    (["--solvers", "adam,lbfgs"], "--solvers takes comma-separated names from adam, adamw, rmsprop, sgd (not lbfgs: it has no epochs "
                                  "for a trial to score and stop), e.g. adam,sgd. Received: 'adam,lbfgs'."),
    (["--solvers", ","], "--solvers takes comma-separated names from adam, adamw, rmsprop, sgd, e.g. adam,sgd. Received: ','."),
    (["--weight-averaging", "none,polyak"], "--weight-averaging takes comma-separated names from none, ema, swa, e.g. none,swa. "
                                            "Received: 'none,polyak'."),
])
def test_bad_choices_are_one_line_before_any_trial_and_nothing_is_written(args, message, tmp_path, monkeypatch):
    from hiddenlayers.rightsize._search import run as trials

    monkeypatch.setattr(trials, "objective", lambda *a, **k: pytest.fail("a trial ran"))
    assert_user_error(run("search", "iris", "--trials", "1", "--epochs", "1", "--out-dir", tmp_path / "out", *args), message)
    assert not (tmp_path / "out").exists()


_NAMES = st.sampled_from(["none", "ema", "swa", "adam", "adamw", "rmsprop", "sgd", "lbfgs", "", " ", "EMA", "x"])


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=20), st.lists(_NAMES, max_size=5).map(",".join)))
def test_the_parsers_take_known_names_and_refuse_the_rest_in_one_line(text):
    for option, parse, allowed in (("--weight-averaging", parse_weight_averaging, {None, "ema", "swa"}),
                                   ("--solvers", parse_solvers, {"adam", "adamw", "rmsprop", "sgd"})):
        names = [p.strip().lower() for p in text.split(",") if p.strip()]
        try:
            got = parse(text)
        except UserError as exc:
            assert str(exc).startswith(f"{option} takes comma-separated names from ") and "Received:" in str(exc)
            assert "\n" not in str(exc)
        else:
            assert got and set(got) <= allowed and len(set(got)) == len(got)
            assert len(got) == len(set(names))  # every name taken, repeats once
