"""search() and a trial that raises: the search goes on, the trial is failed with its reason, and the result says it."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import optuna
import pytest

from hiddenlayers.rightsize import SearchSpace, search
from hiddenlayers.rightsize._search import run as run_module

TINY = SearchSpace(layers=(1, 1), widths=(4, 8), batch_sizes=(32,), learning_rate_init=(3e-3, 3e-2))


@pytest.fixture(autouse=True)
def optuna_logs_reach_caplog():  # noqa: ANN201
    """Optuna's logger does not propagate by default, so caplog would see none of its records."""
    optuna.logging.enable_propagation()
    yield
    optuna.logging.disable_propagation()


def _raise_in_fits(monkeypatch: pytest.MonkeyPatch, fits: set[int], error: Exception) -> None:
    """Raise ``error`` from the trials' fits numbered ``fits`` (from 1; cv=1: fit n is trial n - 1)."""
    seen = {"fits": 0}
    real = run_module.fit_or_interrupt

    def fit(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        seen["fits"] += 1
        if seen["fits"] in fits:
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(run_module, "fit_or_interrupt", fit)


def test_a_trial_that_raises_fails_with_its_reason_and_the_search_goes_on(iris, monkeypatch, caplog) -> None:
    X, y = iris
    _raise_in_fits(monkeypatch, {2}, RuntimeError("mat1 and mat2 shapes cannot be multiplied"))
    with caplog.at_level(logging.WARNING, logger="optuna"):
        found = search(X, y, trials=3, space=TINY, max_epochs=2, cv=1, refit=False)
    # before: a RuntimeError (only ValueError and FloatingPointError were caught) ended the whole search with a traceback
    assert (found.n_trials, found.n_complete, found.n_failed) == (3, 2, 1)
    states = [(t["state"], t["failed_because"]) for t in found.trials()]
    assert states == [("complete", None), ("fail", "RuntimeError: mat1 and mat2 shapes cannot be multiplied"), ("complete", None)]
    assert found.failures() == ["trial 1: RuntimeError: mat1 and mat2 shapes cannot be multiplied"]
    assert found.to_dict()["n_failed"] == 1 and found.to_dict()["trials"][1]["failed_because"].startswith("RuntimeError")
    assert "1 failed" in found.table().title
    assert any(r.exc_info for r in caplog.records if "Trial 1 failed" in r.getMessage())  # an unexpected error keeps its traceback


def test_a_diverged_trial_is_logged_in_one_line(iris, monkeypatch, caplog) -> None:
    X, y = iris
    _raise_in_fits(monkeypatch, {1}, ValueError("training diverged in its first epoch: lower learning_rate_init"))
    with caplog.at_level(logging.WARNING, logger="optuna"):
        found = search(X, y, trials=2, space=TINY, max_epochs=2, cv=1, refit=False)
    failed = [r for r in caplog.records if "Trial 0 failed" in r.getMessage()]
    # before: Optuna's record carried the 30-line traceback of the search's own frames, then "Trial 0 failed with value None."
    assert len(failed) == 1 and failed[0].exc_info is None and "training diverged" in failed[0].getMessage()
    assert found.trials()[0]["failed_because"] == "ValueError: training diverged in its first epoch: lower learning_rate_init"


def test_when_every_trial_fails_the_error_says_why_not_the_constraints(iris, monkeypatch) -> None:
    X, y = iris
    _raise_in_fits(monkeypatch, {1, 2}, ValueError("training diverged in its first epoch: lower learning_rate_init"))
    # before: "no feasible trial finished (0 complete of 2): raise the constraints or run more trials" with no constraint given
    with pytest.raises(RuntimeError, match=r"no trial finished: 2 of 2 failed \(trial 0: ValueError: training diverged.*"
                                           r"fix what the failure names"):
        search(X, y, trials=2, space=TINY, max_epochs=2, cv=1, refit=False)


def test_a_failed_worker_process_names_its_kept_log(iris, tmp_path, monkeypatch) -> None:
    X, y = iris
    real = run_module.write_job

    def broken_job(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        path = real(*args, **kwargs)
        with open(path, "w") as fh:
            fh.write("{}")  # the worker fails reading it, with a traceback in its log
        return path

    monkeypatch.setattr(run_module, "write_job", broken_job)
    # workers=3: this process is worker 0 (it reads no job file) and runs the trials; the 2 processes fail
    with pytest.raises(RuntimeError, match=r"2 search worker process\(es\) failed \(exit 1: KeyError: 'arrays' \(log: ") as caught:
        search(X, y, trials=2, space=TINY, max_epochs=1, cv=1, refit=False, workers=3, storage=str(tmp_path / "s.log"))
    # before: the line named no log, and the worker's log (its traceback) was removed with the job's temporary folder
    log = str(caught.value).split("(log: ")[1].split(")")[0]
    text = Path(log).read_text()
    shutil.rmtree(Path(log).parent)
    assert "Traceback" in text and "KeyError: 'arrays'" in text
