"""``train --weight-averaging ema|swa [--ema-decay D] [--swa-start S] [--swa-lr R [--swa-anneal-epochs E]]``: stored in the model,
shown by info, bad values refused in one line."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hiddenlayers as hl
from cli_helpers import assert_user_error, ok, run
from hiddenlayers.cli._common import UserError
from hiddenlayers.cli._options import parse_swa_start


@pytest.mark.parametrize(("options", "expected", "shown"), [
    (["--weight-averaging", "SWA", "--swa-start", "2"], ("swa", 0.99, 2), "swa (swa_start=2)"),
    (["--weight-averaging", "ema", "--ema-decay", "0.9"], ("ema", 0.9, 0.75), "ema (ema_decay=0.9)"),
    (["--weight-averaging", "swa", "--swa-start", "0.5"], ("swa", 0.99, 0.5), "swa (swa_start=0.5)"),
])
def test_train_stores_the_averaging_and_info_shows_it(table, tmp_path, options, expected, shown) -> None:
    out = tmp_path / "m.safetensors"
    ok("train", table, "-t", "label", "--hidden", "4", "--epochs", "4", "-q", "-o", out, *options)
    model = hl.load(out)
    assert (model.weight_averaging, model.ema_decay, model.swa_start) == expected
    assert shown in ok("info", out, "--json").output


def test_train_summary_says_the_model_holds_averaged_weights(table, tmp_path, monkeypatch) -> None:
    """train's summary named the sample weights but not the averaging: nothing said the file holds an average."""
    monkeypatch.setenv("COLUMNS", "200")  # the line read whole: at 80 columns (xdist's) a binary target's longer rows wrap it
    out = tmp_path / "m.safetensors"
    summary = json.loads(ok("train", table, "-t", "label", "--hidden", "4", "--epochs", "4", "--json", "-o", out,
                            "--weight-averaging", "swa", "--swa-start", "2").stdout)
    assert summary["weight_averaging"] == "swa (swa_start=2)"
    text = ok("train", table, "-t", "label", "--hidden", "4", "--epochs", "4", "-q", "-o", out, "--force", "--weight-averaging", "ema").stdout
    assert "ema (ema_decay=0.99): the model holds the" in text
    plain = json.loads(ok("train", table, "-t", "label", "--hidden", "4", "--epochs", "4", "--json", "-o", out, "--force").stdout)
    assert "weight_averaging" not in plain


def test_train_swa_anneal_strategy_linear_is_stored_and_shown(table, tmp_path) -> None:
    out = tmp_path / "m.safetensors"
    ok("train", table, "-t", "label", "--hidden", "4", "--epochs", "6", "-q", "-o", out, "--weight-averaging", "swa", "--swa-start", "2",
       "--lr", "0.01", "--swa-lr", "0.002", "--swa-anneal-epochs", "3", "--swa-anneal-strategy", "linear")
    model = hl.load(out)
    assert model.swa_anneal_strategy == "linear"
    assert model.history_.lr[1:] == pytest.approx([0.01, 0.022 / 3, 0.014 / 3, 0.002, 0.002])  # equal steps from --lr to --swa-lr (cos: 0.008)
    assert "swa (swa_start=2, swa_lr=0.002, swa_anneal_epochs=3, swa_anneal_strategy=linear)" in ok("info", out, "--json").output


def test_train_stores_swa_lr_and_info_shows_it(table, tmp_path) -> None:
    out = tmp_path / "m.safetensors"
    ok("train", table, "-t", "label", "--hidden", "4", "--epochs", "4", "-q", "-o", out, "--weight-averaging", "swa", "--swa-start", "2",
       "--swa-lr", "0.02", "--swa-anneal-epochs", "1")
    model = hl.load(out)
    assert (model.swa_lr, model.swa_anneal_epochs) == (0.02, 1)
    assert model.history_.lr[1:] == [0.001, 0.02, 0.02]  # --lr 0.001 until epoch 2, then annealed to 0.02 over one epoch
    assert "swa (swa_start=2, swa_lr=0.02, swa_anneal_epochs=1)" in ok("info", out, "--json").output
    assert "swa (swa_start=2, swa_lr=0.02, swa_anneal_epochs=1)" in ok("info", out).output


@pytest.mark.parametrize(("options", "message"), [
    (["--weight-averaging", "polyak"], "--weight-averaging must be ema or swa. Received: 'polyak'."),
    (["--weight-averaging", "ema", "--ema-decay", "1"], "--ema-decay must be a number in (0, 1), e.g. 0.999. Received: 1.0."),
    (["--weight-averaging", "swa", "--swa-start", "1.5"], "--swa-start must be a share of --epochs in (0, 1] (e.g. 0.75) or an epoch number >= 1"),
    (["--weight-averaging", "swa", "--swa-start", "9"], "--swa-start: swa_start must be an epoch <= max_iter=4"),
    (["--weight-averaging", "ema", "--solver", "lbfgs"], "--weight-averaging: weight_averaging averages the steps of a stochastic solver"),
    (["--weight-averaging", "ema", "--workers", "2"], "--weight-averaging needs one process and a table that fits in memory"),
    (["--set", "weight_averaging=ema"], "use --weight-averaging instead of --set weight_averaging=ema"),
    # a setting of the other kind of averaging (or of none) was ignored without a word
    (["--ema-decay", "0.5"], "--ema-decay needs --weight-averaging ema (no --weight-averaging was given)"),
    (["--weight-averaging", "swa", "--ema-decay", "0.5"], "--ema-decay needs --weight-averaging ema (--weight-averaging swa does not use it)"),
    (["--weight-averaging", "ema", "--swa-start", "0.5"], "--swa-start needs --weight-averaging swa (--weight-averaging ema does not use it)"),


    (["--weight-averaging", "ema", "--swa-lr", "0.01"],
     "--swa-lr needs --weight-averaging swa (--weight-averaging ema does not use it): add --weight-averaging swa, or drop --swa-lr."),
    (["--swa-lr", "0.01"], "--swa-lr needs --weight-averaging swa (no --weight-averaging was given): add --weight-averaging swa, or drop --swa-lr."),
    (["--weight-averaging", "swa", "--swa-lr", "0"], "--swa-lr must be a finite number > 0, e.g. 0.01. Received: 0.0."),
    (["--weight-averaging", "swa", "--swa-lr", "inf"], "--swa-lr must be a finite number > 0, e.g. 0.01. Received: inf."),
    (["--weight-averaging", "swa", "--swa-lr", "0.1", "--swa-anneal-epochs", "-1"],
     "--swa-anneal-epochs must be a whole number of epochs >= 0, e.g. 10 (0: --swa-lr at once). Received: -1."),
    (["--weight-averaging", "swa", "--swa-anneal-epochs", "3"], "--swa-anneal-epochs sets how --swa-lr is reached, and no --swa-lr was given"),
    (["--set", "swa_lr=0.1"], "use --swa-lr instead of --set swa_lr=0.1"),
    (["--weight-averaging", "swa", "--swa-lr", "0.1", "--swa-anneal-strategy", "cosine"],
     "--swa-anneal-strategy must be cos or linear (PyTorch SWALR's names). Received: 'cosine'."),
    (["--weight-averaging", "swa", "--swa-anneal-strategy", "linear"], "--swa-anneal-strategy sets how --swa-lr is reached, and no --swa-lr was given"),
    (["--set", "swa_anneal_strategy=linear"], "use --swa-anneal-strategy instead of --set swa_anneal_strategy=linear"),
])
def test_bad_averaging_options_are_refused(table, tmp_path, options, message) -> None:
    out = tmp_path / "m.safetensors"
    assert_user_error(run("train", table, "-t", "label", "--epochs", "4", "-q", "-o", out, *options), message)
    assert not out.exists()


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=8))
def test_swa_start_parser_takes_shares_and_epochs_only(text: str) -> None:
    try:
        value = parse_swa_start(text)
    except UserError as err:
        assert str(err).startswith("--swa-start must be")
        return
    assert (isinstance(value, int) and value >= 1) or (isinstance(value, float) and 0 < value <= 1)
