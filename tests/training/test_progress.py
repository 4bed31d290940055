"""The opt-in progress bar (progress_bar=True): one bar on stderr that fits 80 columns, then why training stopped."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_iris

import hiddenlayers as hl


def test_bar_fits_80_columns_and_names_the_stop_reason(capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    X, y = load_iris(return_X_y=True)
    clf = hl.MLPClassifier((8,), max_iter=7, tol=0.0, n_iter_no_change=10**6, random_state=0, progress_bar=True)
    clf.fit(X, y)
    out = capsys.readouterr()
    assert out.out == ""  # progress goes to stderr, keeping stdout for results and pipes
    lines = [line for line in out.err.splitlines() if line.strip()]
    bar = [line for line in lines if "7/7" in line]
    assert bar and all(len(line) <= 80 for line in bar)
    assert "loss " in bar[-1] and "val -" in bar[-1]
    assert lines[-1] == f"MLPClassifier stopped after epoch 7: {clf.history_.stop_message} (max_epochs)"
    assert clf.stop_reason_ == "max_epochs"


def test_quiet_by_default(capsys) -> None:
    X, y = load_iris(return_X_y=True)
    hl.MLPClassifier((4,), max_iter=3, random_state=0).fit(X, np.asarray(y))
    out = capsys.readouterr()
    assert "stopped after" not in out.err and out.out == ""


def test_a_divergence_with_no_usable_epoch_does_not_claim_a_restore(capsys) -> None:
    # before: "... grew past 1e4 times its start; best weights restored (diverged)", just before the error that no epoch is usable
    from hiddenlayers.training import History, ProgressBar
    from hiddenlayers.training._stopping import STOP_REASONS

    for held, words in ((0, "no epoch is usable"), (None, "no epoch is usable"), (1, "best weights restored")):
        bar = ProgressBar(5, "Autoencoder")
        bar.on_train_begin()
        history = History(epoch=[1, 2], stop_reason="diverged", stop_message=STOP_REASONS["diverged"], held_epoch=held)
        bar.on_train_end(history=history)
        last = [line for line in capsys.readouterr().err.splitlines() if line.strip()][-1]
        assert last == f"Autoencoder stopped after epoch 2: the loss became NaN or infinite, or grew past 1e4 times its start; {words} (diverged)"



def test_a_description_naming_a_file_prints_as_given(capsys) -> None:
    """ProgressBar(total, description) read the description as Rich markup: 'fit of [bold] d.csv' lost '[bold]', and
    '[/blue]' raised MarkupError."""
    from hiddenlayers.training import History, ProgressBar

    for description in ("fit of [bold] d.csv", "fit of runs[/blue].csv :x:"):
        bar = ProgressBar(2, description)
        bar.on_train_begin()
        bar.on_epoch_end(logs={"train_loss": 0.5})
        bar.on_train_end(history=History(epoch=[1], stop_reason="max_epochs"))
        err = capsys.readouterr().err
        assert f"{description} stopped after epoch 1: max_epochs" in err.splitlines()
        assert any(line.startswith(description) and "1/2" in line for line in err.splitlines())


def _bar_lines(capsys, monkeypatch, columns: int, description: str, label: str, total: int = 500) -> list[str]:
    from hiddenlayers.training import History, ProgressBar

    monkeypatch.setenv("COLUMNS", str(columns))
    bar = ProgressBar(total, description, (label, lambda logs: logs.get("v")))
    bar.on_train_begin()
    for _ in range(3):
        bar.on_epoch_end(logs={"train_loss": 123.456789, "v": 0.123456})
    bar.on_train_end(history=History(epoch=[3], stop_reason="max_epochs"))
    return [line for line in capsys.readouterr().err.splitlines() if "3/" in line]


def test_an_apps_bar_keeps_every_figure_within_80_columns(capsys, monkeypatch) -> None:
    """'training Autoencoder' with a 20-column bar, both times and 'val error' was 96 columns: cut to '3/5…' and '0:00:…' at 80,
    and 96 wide on a wider terminal. Now the bar takes what the text leaves of at most 80 columns."""
    for description, label in (("training Autoencoder", "val error"), ("training SpeechRecognizer", "val CER"), ("MLPClassifier", "val")):
        for columns in (80, 200):
            lines = _bar_lines(capsys, monkeypatch, columns, description, label)
            assert lines and all(len(line) <= 80 for line in lines), lines
            last = lines[-1]
            assert last.startswith(description) and "…" not in last
            assert f" 3/500 loss 123.4568 {label} 0.1235 " in last


def _recorded(monkeypatch, terminal: bool):
    """The bar's console as Rich's recording console (80 columns; a terminal's in-place redraws or a pipe's one final render)."""
    import io

    from rich.console import Console

    import hiddenlayers._rich_plain as rich_plain

    recorded = Console(file=io.StringIO(), record=True, width=80, force_terminal=terminal, markup=False, emoji=False)
    monkeypatch.setattr(rich_plain, "console", lambda **kwargs: recorded)
    return recorded


def _last_bar(recorded, total: int, description: str = "MLPClassifier") -> str:
    """The bar's last render (on a terminal, the renders of one line follow each other, joined by cursor moves)."""
    line = [line for line in recorded.export_text(clear=False).splitlines() if f"/{total} " in line][-1]
    return description + line.rsplit(description, 1)[-1]


@pytest.mark.parametrize("terminal", [True, False])
@pytest.mark.parametrize("reason, word", [("interrupted", "interrupted"), ("no_improvement_validation_score", "stopped"), ("time_limit", "stopped")])
def test_a_run_ended_early_ends_its_bar_on_what_happened_not_a_time_left(reason, word, terminal, monkeypatch) -> None:
    """Ctrl-C or an early stop at epoch 3 of 50 left the bar's last render on its time-left estimate ("0:00:12", or
    "-:--:--"), as if training went on; that column now says what happened, and the line below why."""
    import re

    from hiddenlayers.training import History, ProgressBar
    from hiddenlayers.training._stopping import STOP_REASONS

    recorded = _recorded(monkeypatch, terminal)
    bar = ProgressBar(50, "MLPClassifier")
    bar.on_train_begin()
    for _ in range(3):
        bar.on_epoch_end(logs={"train_loss": 0.5, "val_score": 0.9})
    bar.on_train_end(history=History(epoch=[1, 2, 3], stop_reason=reason, stop_message=STOP_REASONS[reason]))
    last = _last_bar(recorded, 50)
    assert last.rstrip().endswith(f" 3/50 loss 0.5000 val 0.9000 {word}"), last
    assert not re.search(r"\d:\d\d:\d\d|-:--:--", last), last
    assert len(last) <= 80
    assert recorded.export_text(clear=False).splitlines()[-1].startswith(f"MLPClassifier stopped after epoch 3: {STOP_REASONS[reason]}")


def test_a_run_of_every_epoch_keeps_richs_time_left(monkeypatch) -> None:
    from hiddenlayers.training import History, ProgressBar

    recorded = _recorded(monkeypatch, terminal=False)
    bar = ProgressBar(3, "MLPClassifier")
    bar.on_train_begin()
    for _ in range(3):
        bar.on_epoch_end(logs={"train_loss": 0.5})
    bar.on_train_end(history=History(epoch=[1, 2, 3], stop_reason="max_epochs"))
    assert _last_bar(recorded, 3).rstrip().endswith(" 3/3 loss 0.5000 val - 0:00:00")


def test_an_early_stopped_fit_ends_its_bar_on_stopped(monkeypatch) -> None:
    """The estimator's own fit, stopped by early stopping long before max_iter: the bar's last render says stopped."""
    X, y = load_iris(return_X_y=True)
    recorded = _recorded(monkeypatch, terminal=False)
    clf = hl.MLPClassifier((4,), max_iter=500, n_iter_no_change=2, tol=10.0, random_state=0, progress_bar=True).fit(X, y)
    assert clf.n_iter_ < 500
    assert _last_bar(recorded, 500).rstrip().endswith(" stopped")
