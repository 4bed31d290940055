"""search(): one typed hidden-layer variable, TPE/NSGA-II, hopeless-trial stopping, shared storages."""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import Callable

import numpy as np
import optuna
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hiddenlayers as hl
from hiddenlayers.rightsize import SearchSpace, search
from hiddenlayers.rightsize._search.run import HopelessStop, TrialSetup, make_folds, mean_curve, write_job
from hiddenlayers.rightsize._search.space import params_of
from hiddenlayers.rightsize._search.storage import create_or_load, fail_dead_local_trials, make_storage

TINY = SearchSpace(layers=(1, 2), widths=(4, 8, 16), batch_sizes=(16, 32), learning_rate_init=(3e-3, 3e-2))


def test_hidden_choices_counts_and_funnel() -> None:
    assert len(SearchSpace().hidden_choices(64, 10)) == 5 + 25 + 125
    funnel = SearchSpace(funnel=True).hidden_choices(64, 10)
    assert "64,32" in funnel and "32,64" not in funnel and len(funnel) == 5 + 15 + 35


@settings(max_examples=40, deadline=None)
@given(
    widths=st.lists(st.integers(1, 300), min_size=1, max_size=4, unique=True),
    hi=st.integers(1, 3),
    n_in=st.integers(1, 50),
    budget=st.integers(10, 100_000),
)
def test_hidden_choices_respect_budget_and_space(widths, hi, n_in, budget) -> None:
    space = SearchSpace(layers=(1, hi), widths=tuple(widths))
    for text in space.hidden_choices(n_in, 3, max_params=budget):
        units = [int(u) for u in text.split(",")]
        assert 1 <= len(units) <= hi and set(units) <= set(widths)
        assert params_of(n_in, units, 3) <= budget
        assert hl.Spec.parse(text).to_text() == text  # every choice is a valid spec


def test_single_objective_one_typed_variable_and_refit(iris, tmp_path) -> None:
    X, y = iris
    r = search(X, y, trials=6, space=TINY, max_epochs=15, random_state=0, save_dir=tmp_path)
    assert r.objectives == ("score",) and len(r.rows) == 1 and r.n_trials == 6
    assert r.best["score"] >= 0.8
    for t in r.study.get_trials():
        # exactly one hidden-layer variable: no per-layer leftovers
        assert set(t.params) == {"hidden", "activation", "learning_rate_init", "alpha", "batch_size"}
        assert t.user_attrs["spec"] == t.params["hidden"]
        if t.state == optuna.trial.TrialState.COMPLETE:  # scored by 3-fold CV (iris: 150 rows -> cv="auto" = 3)
            assert len(t.user_attrs["fold_scores"]) == 3
            assert t.values[0] == pytest.approx(max(t.user_attrs["cv_curve"]))
            assert t.user_attrs["best_epoch"] == int(np.argmax(t.user_attrs["cv_curve"])) + 1
    # the refit trains on all rows for the epochs the mean fold curve peaked at
    assert r.best_model.n_iter_ == r.best["best_epoch"]
    assert r.best_model.hidden_layer_sizes == tuple(int(w) for w in r.best["hidden"].split(","))
    loaded = hl.load(r.paths[0])
    np.testing.assert_array_equal(loaded.predict(X), r.best_model.predict(X))
    assert r.to_dict()["rows"][0]["hidden"] == r.best["hidden"]


def test_multi_objective_pareto_front_is_non_dominated(iris, tmp_path) -> None:
    from rich.console import Console

    X, y = iris
    r = search(X, y, objectives=("score", "params"), trials=8, space=TINY, max_epochs=10, max_params=200, refit=False)
    assert r.rows and all(row["params"] <= 200 for row in r.rows)
    pts = [(row["score"], row["params"]) for row in r.rows]
    for a in pts:
        assert not any(b != a and b[0] >= a[0] and b[1] <= a[1] for b in pts)
    console = Console(width=200, record=True)
    console.print(r)
    assert "Pareto front" in console.export_text()
    # print(r) shows the same table as plain text; repr(r) is one line, not the dataclass's dump of rows, models and study
    assert "Pareto front" in str(r) and "\x1b[" not in str(r)
    front = r.rows[0]
    assert repr(r) == (f"SearchResult(Pareto front ({len(r.rows)} configurations): best hidden={front['hidden']}, score={front['score']:.4g}, "
                       f"params={front['params']:,.4g}; {r.n_complete} complete, {r.n_pruned} stopped early of 8 trials; print() shows the table)")
    r.save_html(tmp_path / "search.html")
    page = (tmp_path / "search.html").read_text(encoding="utf-8")
    assert "<svg" in page and "Pareto front" in page and r.rows[0]["hidden"] in page
    _assert_search_page(page, r)


def _assert_search_page(page: str, r) -> None:
    """The search page: the reports' shared shell, the SVG without its XML prolog, the terminal's number formats."""
    assert page.startswith("<!DOCTYPE html>") and "<?xml" not in page and "<!DOCTYPE svg" not in page and "http://" not in page.split("<svg")[0]
    assert "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">" in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert f"{len(r.rows)} of {r.n_trials} trials shown ({r.n_complete} complete, {r.n_pruned} stopped early of {r.n_trials} trials)" in page
    assert "<th>params</th>" in page and f"<td>{r.rows[0]['params']:,}</td>" in page and "<th>flops</th>" in page
    assert f"<td>{r.rows[0]['score']:.4g}</td>" in page and f"<td>{r.rows[0]['learning_rate_init']:.2g}</td>" in page


def test_single_objective_page_says_best_trial(iris, tmp_path) -> None:
    X, y = iris
    r = search(X, y, objectives=("score", "latency"), trials=3, space=TINY, max_epochs=5, refit=False)
    r.save_html(tmp_path / "s.html")
    page = (tmp_path / "s.html").read_text(encoding="utf-8")
    _assert_search_page(page, r)
    with pytest.raises(ValueError, match="is a folder: give a file path such as search.html"):  # as every report page (write_page)
        r.save_html(tmp_path)
    assert f"<td>{r.rows[0]['latency']:.4g} µs</td>" in page
    r1 = search(X, y, trials=2, space=TINY, max_epochs=5, refit=False)
    r1.save_html(tmp_path / "s1.html")
    page = (tmp_path / "s1.html").read_text(encoding="utf-8")
    assert "<h2>Best trial</h2>" in page and "Pareto front" not in page


def test_each_latency_records_the_threads_it_was_measured_under(iris, tmp_path) -> None:
    """torch's and BLAS's thread counts sit beside each measured latency: in the trial, the rows, to_dict, the table and the page."""
    from rich.console import Console

    from hiddenlayers.rightsize._cost import blas_threads
    from hiddenlayers.rightsize._search.result import SearchResult

    X, y = iris
    r = search(X, y, objectives=("score", "latency"), trials=2, space=TINY, max_epochs=3, refit=False, threads=2)
    done = r.study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    blas = None if blas_threads() is None else 2  # search(threads=2) limits both while the trials run
    assert done and all(t.user_attrs["torch_threads"] == 2 and t.user_attrs["blas_threads"] == blas for t in done)
    row = r.to_dict()["rows"][0]
    assert row["torch_threads"] == 2 and row["blas_threads"] == blas and row["latency"] > 0
    console = Console(width=250, record=True)
    console.print(r)
    text = console.export_text()
    shown = "2 torch" + ("" if blas is None else ", 2 BLAS")
    assert "threads" in text and shown in text
    r.save_html(tmp_path / "s.html")
    assert "<th>threads</th>" in (page := (tmp_path / "s.html").read_text(encoding="utf-8")) and f"<td>{shown}</td>" in page
    # a trial stored before the threads were recorded shows "-", and a search without latency has no threads column
    old = SearchResult(("score", "latency"), [{**r.best, "torch_threads": None, "blas_threads": None}], 1, 1, 0, "s", None)
    cols = old._columns()
    assert cols[cols.index("latency") + 1] == "threads"
    console = Console(width=250, record=True)
    console.print(old)
    assert re.search(r"µs\s*│\s*-\s*│", console.export_text())
    plain = search(X, y, trials=1, space=TINY, max_epochs=2, refit=False)
    assert "threads" not in plain._columns() and "torch_threads" not in plain.study.trials[0].user_attrs


class _State:
    stop_training = False


def _epoch(cb: HopelessStop, score: float) -> _State:
    state = _State()
    cb.on_epoch_end(logs={"val_score": score}, state=state)
    return state


def test_hopeless_stop_uses_the_median_of_peers_after_warmup() -> None:
    peers = [[0.5, 0.8, 0.9], [0.6, 0.85, 0.9], [0.4, 0.9], [0.7, 0.7, 0.95]]
    cb = HopelessStop(peers, warmup=2, min_peers=4)
    assert not _epoch(cb, 0.1).stop_training  # epoch 1: still warming up
    assert _epoch(cb, 0.2).stop_training  # epoch 2: median of peers' best-so-far is 0.825
    assert cb.stopped_at == 2
    good = HopelessStop(peers, warmup=2, min_peers=4)
    _epoch(good, 0.9)
    assert not _epoch(good, 0.9).stop_training
    few = HopelessStop(peers[:2], warmup=1, min_peers=4)
    assert not _epoch(few, 0.0).stop_training  # too few peers to judge


def test_hopeless_trials_are_pruned_in_a_real_search(iris) -> None:
    X, y = iris
    # a learning rate too small to learn in time: later trials fall below the median and stop
    space = SearchSpace(layers=(1, 1), widths=(4, 8), batch_sizes=(32,), learning_rate_init=(1e-5, 3e-2))
    r = search(X, y, trials=14, space=space, max_epochs=20, warmup_epochs=3, min_peers=2, refit=False, random_state=1)
    pruned = [t for t in r.study.get_trials() if t.state == optuna.trial.TrialState.PRUNED]
    assert r.n_pruned == len(pruned) >= 1
    assert all("below the median" in t.user_attrs["stopped_early"] for t in pruned)


def test_create_or_load_survives_concurrent_creation(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'race.db'}"
    ids, errors = [], []

    def go() -> None:
        try:
            study = create_or_load(make_storage(url), "race", ["maximize"], None)
            ids.append(study._study_id)
        except Exception as exc:  # pragma: no cover - the failure this test guards against
            errors.append(exc)

    threads = [threading.Thread(target=go) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(set(ids)) == 1 and len(ids) == 6


def test_a_sqlite_study_file_another_worker_is_creating_is_not_refused_as_foreign(tmp_path) -> None:
    """The race behind the flaky test above (5 of 30 runs failed beside a CPU-heavy process): RDBStorage creates Optuna's
    tables one at a time, and a worker checking the file in between saw 'studies' without 'version_info' and refused it
    as "a SQLite database with other tables (studies)". Only tables that are not Optuna's make a file foreign."""
    import sqlite3

    import sqlalchemy
    from optuna.storages._rdb.models import BaseModel

    from hiddenlayers.rightsize._search.storage import check_storage_file

    path = tmp_path / "half.db"
    engine = sqlalchemy.create_engine(f"sqlite:///{path}")
    for name in ("studies", "study_directions"):  # the schema half made, as RDBStorage makes it: no version_info yet
        BaseModel.metadata.tables[name].create(engine)
    engine.dispose()
    check_storage_file(f"sqlite:///{path}")  # no error
    study = create_or_load(make_storage(f"sqlite:///{path}"), "half", ["maximize"], None)  # Optuna completes the schema
    assert study.study_name == "half"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE people (name TEXT)")
    with pytest.raises(ValueError, match=r"it is a SQLite database with other tables \(people\)\. Give a new file name"):
        check_storage_file(f"sqlite:///{path}")
    from hiddenlayers.rightsize._search.storage import OPTUNA_TABLES

    assert set(BaseModel.metadata.tables) <= OPTUNA_TABLES  # this Optuna's tables, all known


def test_two_worker_processes_share_one_storage(iris, tmp_path) -> None:
    """A SQLite file (a journal file: tests/rightsize/test_search_workers.py's search; PostgreSQL: below)."""
    X, y = iris
    storage = f"sqlite:///{tmp_path / 's.db'}"
    r = search(X, y, trials=6, space=TINY, max_epochs=5, storage=storage, study_name="shared", workers=2,
               min_peers=100, refit=False)
    study = optuna.load_study(study_name="shared", storage=make_storage(storage))
    trials = study.get_trials()
    numbers = [t.number for t in trials]
    assert len(numbers) == len(set(numbers)) >= 6  # unique; at most workers-1 extra
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
    assert all(t.values is not None and "hidden" in t.params for t in trials)
    assert r.n_complete == len(trials)


@pytest.mark.parametrize(
    ("new", "old"),
    [
        ("hiddenlayers.rightsize._search.space", "hiddenlayers.rightsize._search_space"),
        ("hiddenlayers.rightsize._search.result", "hiddenlayers.rightsize._search_result"),
        ("hiddenlayers.rightsize._search.result", "hiddenlayers._search_result"),  # the flat layout's
    ],
)
def test_pickles_naming_the_search_modules_old_paths_still_load(new: str, old: str) -> None:
    import pickle

    from hiddenlayers.rightsize import SearchResult

    objects = {"space": TINY, "result": SearchResult(objectives=("score",), rows=[{"trial": 0, "score": 0.9}], n_trials=1,
                                                     n_complete=1, n_pruned=0, study_name="s", storage=None)}
    obj = objects[new.rsplit(".", 1)[1]]
    data = pickle.dumps(obj, protocol=0)  # protocol 0 names the class's module as plain text
    assert f"c{new}\n".encode() in data
    back = pickle.loads(data.replace(f"c{new}\n".encode(), f"c{old}\n".encode()))
    assert type(back) is type(obj) and back == obj


def test_workers_without_storage_leave_no_temporary_journal(iris, tmp_path, monkeypatch) -> None:
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # mkdtemp's folder, for this test only
    X, y = iris
    r = search(X, y, trials=4, space=TINY, max_epochs=3, workers=2, min_peers=100, refit=False)
    assert r.n_complete >= 4 and r.storage is None
    assert len(r.study.get_trials()) == r.n_complete  # the trials stay readable after the journal is gone
    assert list(tmp_path.iterdir()) == []


def _pg_bin(name: str) -> str | None:
    import glob
    import shutil

    found = shutil.which(name)
    if found:
        return found
    hits = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return hits[-1] if hits else None


@pytest.fixture(scope="module")
def postgres_url():
    """A throwaway PostgreSQL server on a loopback port, run as the `postgres` user; stopped at the end."""
    import pwd
    import shutil
    import socket
    import subprocess
    import tempfile

    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql; see .ci/system-deps.sh)")
    if os.geteuid() != 0:
        pytest.skip("starting PostgreSQL as the postgres user needs root (runuser)")
    try:
        pw = pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("no 'postgres' system user (the Debian postgresql package creates it)")
    data = tempfile.mkdtemp(prefix="hl-pg-")
    os.chown(data, pw.pw_uid, pw.pw_gid)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    def as_pg(*cmd: str) -> subprocess.CompletedProcess:
        return subprocess.run(["runuser", "-u", "postgres", "--", *cmd], capture_output=True, text=True, timeout=120)

    res = as_pg(initdb, "-D", f"{data}/db", "-A", "trust", "-U", "postgres")
    if res.returncode != 0:
        shutil.rmtree(data, ignore_errors=True)
        pytest.skip(f"initdb failed: {res.stderr.strip()[-200:]}")
    opts = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off"
    res = as_pg(pg_ctl, "-D", f"{data}/db", "-o", opts, "-l", f"{data}/log", "-w", "start")
    if res.returncode != 0:
        shutil.rmtree(data, ignore_errors=True)
        pytest.skip(f"pg_ctl start failed: {res.stderr.strip()[-200:]}")
    try:
        import psycopg2

        conn = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres")
        conn.autocommit = True
        conn.cursor().execute("CREATE DATABASE hl")
        conn.close()
        yield f"postgresql://postgres@127.0.0.1:{port}/hl"
    finally:
        as_pg(pg_ctl, "-D", f"{data}/db", "-m", "fast", "-w", "stop")
        shutil.rmtree(data, ignore_errors=True)


def test_two_worker_processes_share_one_postgresql_study(iris, postgres_url) -> None:
    X, y = iris
    r = search(X, y, trials=6, space=TINY, max_epochs=5, storage=postgres_url, study_name="pg", workers=2,
               min_peers=100, refit=False)
    trials = optuna.load_study(study_name="pg", storage=make_storage(postgres_url)).get_trials()
    numbers = [t.number for t in trials]
    assert len(numbers) == len(set(numbers)) >= 6
    assert all(t.state == optuna.trial.TrialState.COMPLETE and "hidden" in t.params for t in trials)
    assert r.n_complete == len(trials) and r.storage == postgres_url


def test_folds_are_stratified_deterministic_and_cover_every_row(iris) -> None:
    X, y = iris
    setup = TrialSetup(X=X, y=y, classifier=True, objectives=("score",), choices=["4"], space=TINY, max_epochs=5,
                       validation_fraction=0.2, max_latency_us=None, warmup=5, min_peers=4, random_state=0, latency_calls=1, cv=3)
    folds = make_folds(setup)
    assert len(folds) == 3
    held = np.concatenate([va for _, va in folds])
    assert sorted(held) == list(range(len(y)))  # each row held out exactly once
    for tr, va in folds:
        assert np.ptp(np.bincount(y[va])) <= 1  # stratified: each class evenly spread
        assert not set(tr) & set(va)
    again = make_folds(setup)
    assert all((a[1] == b[1]).all() for a, b in zip(folds, again))  # same folds for every trial: paired comparisons
    single = make_folds(TrialSetup(**{**vars(setup), "cv": 1}))
    assert len(single) == 1 and len(single[0][1]) == 30


def test_mean_curve_pads_folds_that_stopped_early_with_their_last_score() -> None:
    assert mean_curve([[0.5, 0.7, 0.6], [0.6, 0.8]]) == pytest.approx([0.55, 0.75, 0.7])
    assert mean_curve([[float("nan"), 0.5], [0.5, 0.5]])[0] == -np.inf


def test_table_input_is_taken_as_the_estimators_take_it(iris) -> None:
    import pandas as pd

    X, y = iris
    frame = pd.DataFrame(X, columns=["sl", "sw", "pl", "pw"])
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    r = search(frame, labels, trials=2, space=TINY, max_epochs=5, random_state=0)
    assert list(r.best_model.feature_names_in_) == ["sl", "sw", "pl", "pw"]  # the refit saw the DataFrame
    assert set(r.best_model.predict(frame)) <= set(labels)
    text = frame.assign(colour=["red", "blue", "green"] * 50)
    with pytest.raises(hl.DataError, match="X has non-numeric values .*encode text or category columns as numbers first"):
        search(text, labels, trials=1)
    with pytest.raises(hl.DataError, match="X has non-numeric values"):
        hl.MLPClassifier().fit(text, labels)  # the same refusal as the estimator's


def test_a_killed_worker_loses_only_its_running_trial(iris, tmp_path) -> None:
    """SIGKILL a worker process mid-trial; resuming fails that trial and completes the rest, numbers unique."""
    import signal
    import subprocess
    import sys
    import time

    X, y = iris
    storage = str(tmp_path / "kill.log")
    # a trial that runs for long: thousands of epochs without a stop rule firing
    setup = TrialSetup(X=X, y=y, classifier=True, objectives=("score",), choices=TINY.hidden_choices(4, 3), space=TINY,
                       max_epochs=100_000, validation_fraction=0.2, max_latency_us=None, warmup=5, min_peers=100,
                       random_state=0, latency_calls=1, cv=1, patience=100_000)
    job = write_job(setup, str(tmp_path), storage, "killed", ["maximize"], 5, None)
    proc = subprocess.Popen([sys.executable, "-m", "hiddenlayers.rightsize._search.run", job, "0"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        running: list = []
        while not running:
            assert time.monotonic() < deadline, "the worker never started a trial"
            time.sleep(0.2)
            try:
                trials = optuna.load_study(study_name="killed", storage=make_storage(storage)).get_trials()
            except KeyError:  # the worker has not created the study yet
                continue
            running = [t for t in trials if t.state == optuna.trial.TrialState.RUNNING and "worker" in t.user_attrs]
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    study = optuna.load_study(study_name="killed", storage=make_storage(storage))
    assert [t.state for t in study.get_trials()] == [optuna.trial.TrialState.RUNNING]  # left running by the dead worker
    r = search(X, y, trials=4, space=TINY, max_epochs=5, storage=storage, study_name="killed", min_peers=100, refit=False)
    trials = optuna.load_study(study_name="killed", storage=make_storage(storage)).get_trials()
    assert [t.number for t in trials] == list(range(len(trials))) and len(trials) == 4
    assert trials[0].state == optuna.trial.TrialState.FAIL and "died" in trials[0].user_attrs["failed_because"]
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in trials[1:])
    assert r.n_complete == 3
    assert fail_dead_local_trials(study) == []  # nothing left to fail; live trials are never touched


def test_a_trial_whose_worker_never_recorded_itself_is_failed_once_old(tmp_path) -> None:
    """A process stopped between Optuna creating its trial and the objective's first line leaves a trial with no
    ``worker``: nobody can tell whether it lives, so it is failed only once older than ORPHAN_AFTER_S."""
    import datetime

    from hiddenlayers.rightsize._search.storage import ORPHAN_AFTER_S, WORKER_ATTR, this_worker

    S = optuna.trial.TrialState
    study = create_or_load(make_storage(str(tmp_path / "o.log")), "o", ["maximize"], None)
    now = datetime.datetime.now()

    def running(age_s: float, attrs: dict) -> int:
        template = optuna.trial.FrozenTrial(number=0, state=S.RUNNING, value=None, datetime_start=now - datetime.timedelta(seconds=age_s),
                                            datetime_complete=None, params={}, distributions={}, user_attrs=attrs,
                                            system_attrs={}, intermediate_values={}, trial_id=0)
        return study._storage.create_new_trial(study._study_id, template_trial=template)

    running(ORPHAN_AFTER_S + 60, {})  # orphaned long ago
    running(5, {})  # another worker's trial, a moment old: its objective has not begun
    running(ORPHAN_AFTER_S + 60, {WORKER_ATTR: this_worker()})  # old, but its worker (this process) lives
    assert fail_dead_local_trials(study) == [0]
    trials = study.get_trials()
    assert [t.state for t in trials] == [S.FAIL, S.RUNNING, S.RUNNING]
    assert trials[0].user_attrs["failed_because"].startswith("its worker stopped before recording itself (trial created ")
    assert fail_dead_local_trials(study) == []


def test_a_trial_killed_before_it_sampled_its_settings_is_one_of_the_results_failures(iris, tmp_path) -> None:
    """A worker killed between Optuna creating its trial and the trial's first setting: the resumed search counted the
    trial failed (n_failed 1) but trials(), failures() and the command's note left it out, its reason unsaid."""
    import subprocess
    import sys

    from hiddenlayers.rightsize._search.storage import WORKER_ATTR, this_worker

    S = optuna.trial.TrialState
    storage = str(tmp_path / "k.log")
    study = create_or_load(make_storage(storage), "k", ["maximize"], None)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    template = optuna.trial.FrozenTrial(number=0, state=S.RUNNING, value=None, datetime_start=None, datetime_complete=None, params={},
                                        distributions={}, user_attrs={WORKER_ATTR: {**this_worker(), "pid": gone.pid}},
                                        system_attrs={}, intermediate_values={}, trial_id=0)
    study._storage.create_new_trial(study._study_id, template_trial=template)
    X, y = iris
    r = search(X, y, trials=2, space=TINY, max_epochs=2, cv=1, storage=storage, study_name="k", refit=False)
    assert (r.n_failed, r.n_complete) == (1, 1)
    assert r.failures() == [f"trial 0: worker process {gone.pid} died"]
    table = r.trials_table()
    assert table["state"].tolist() == ["fail", "complete"] and table["hidden"].isna().tolist() == [True, False]


def test_a_resumed_study_counts_its_earlier_trials(iris, tmp_path) -> None:
    """``trials`` is the study's total: resuming a study that already holds them runs none, and asking one more runs one."""
    X, y = iris
    storage = str(tmp_path / "resume.log")
    kw = dict(space=TINY, max_epochs=3, refit=False, storage=storage, study_name="resume")
    assert search(X, y, trials=2, **kw).n_trials == 2
    assert search(X, y, trials=2, **kw).n_trials == 2  # was 3: Optuna's MaxTrialsCallback stops only after a trial
    assert search(X, y, trials=3, **kw).n_trials == 3
    assert [t.number for t in optuna.load_study(study_name="resume", storage=make_storage(storage)).get_trials()] == [0, 1, 2]


def test_a_resumed_study_is_judged_by_this_search_s_latency_limit(iris, tmp_path) -> None:
    """Feasibility comes from each trial's measured latency and the limit now given, not the constraint stored under an old one."""
    X, y = iris
    kw = dict(space=TINY, max_epochs=3, refit=False, storage=str(tmp_path / "limit.log"), study_name="limit", trials=2)
    with pytest.raises(RuntimeError, match="no feasible trial finished"):
        search(X, y, objectives=("score", "params"), max_latency_us=0.001, **kw)  # nothing predicts in a nanosecond
    r = search(X, y, objectives=("score", "params"), max_latency_us=1e9, **kw)  # the same trials, a limit they all meet
    assert r.n_trials == 2 and r.rows and all(row["latency"] is not None for row in r.rows)


def test_a_latency_limit_shows_the_latency_in_the_table_and_page(iris, tmp_path) -> None:
    """With max_latency_us but latency no objective, the table and page show each row's latency and threads, which the
    limit judged; before, they were only in rows and to_dict."""
    from rich.console import Console

    X, y = iris
    r = search(X, y, max_latency_us=1e9, space=TINY, max_epochs=2, refit=False, trials=1)
    assert r.objectives == ("score",) and r.best["latency"] > 0
    cols = r._columns()
    assert cols[-2:] == ["latency", "threads"]
    console = Console(width=250, record=True)
    console.print(r)
    text = console.export_text()
    assert re.search(r"latency\s*[│┃]\s*threads", text) and re.search(r"[0-9] µs\s*│\s*[0-9]+ torch", text)
    r.save_html(tmp_path / "s.html")
    assert "<th>latency</th>" in (tmp_path / "s.html").read_text(encoding="utf-8")


def test_the_result_says_how_many_complete_trials_the_latency_limit_left_out(iris, tmp_path) -> None:
    """Trials over max_latency_us are in no row, so the title and to_dict count them; before, they vanished without a word."""
    from rich.console import Console

    X, y = iris
    kw = dict(space=TINY, max_epochs=2, refit=False, storage=str(tmp_path / "count.log"), study_name="count", trials=3)
    r = search(X, y, max_latency_us=1e9, **kw)
    assert (r.max_latency_us, r.n_infeasible) == (1e9, 0) and r.to_dict()["n_infeasible"] == 0
    study = optuna.load_study(study_name="count", storage=make_storage(kw["storage"]))
    latencies = sorted(t.user_attrs["latency_us"] for t in study.get_trials() if t.state == optuna.trial.TrialState.COMPLETE)
    limit = latencies[-1] - 1e-3  # the slowest trial is over it
    r = search(X, y, max_latency_us=limit, **kw)  # the same trials, judged again
    assert r.n_infeasible == sum(v > limit for v in latencies) >= 1
    assert all(row["latency"] <= limit for row in r.rows)
    console = Console(width=250, record=True)
    console.print(r)
    assert f"{r.n_infeasible} over the latency limit of {limit:g} µs" in console.export_text()
    assert "over the latency limit" not in search(X, y, **{**kw, "study_name": "free", "trials": 1})._counts()


def _nsga_generation_key() -> str:
    """The system attribute NSGA-II keeps a trial's generation in: ``NSGAIISampler:generation`` (Optuna >= 4.1's GA base), ``nsga2:generation`` (4.0)."""
    key = getattr(optuna.samplers.NSGAIISampler, "_GENERATION_KEY", None)
    if key is None:
        from optuna.samplers.nsgaii import _sampler

        key = _sampler._GENERATION_KEY  # type: ignore[attr-defined]
    return str(key)


def _stored_latency_study(n_objectives: int, sampler: object, old_limit: float) -> optuna.Study:
    """An in-memory study of 20 finished trials (latency 10..200 µs, the slower the better) whose constraints were stored under ``old_limit``."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution

    from hiddenlayers.rightsize._search.limit import constraint_attrs

    study = optuna.create_study(directions=["maximize"] + ["minimize"] * (n_objectives - 1), sampler=sampler)  # type: ignore[arg-type]
    dists = {"hidden": CategoricalDistribution(["4", "8"]), "alpha": FloatDistribution(1e-5, 1e-1, log=True)}
    for i in range(1, 21):
        system = {**constraint_attrs(10.0 * i, old_limit), _nsga_generation_key(): 0}
        study.add_trial(optuna.trial.create_trial(
            params={"hidden": "4" if i % 2 else "8", "alpha": 1e-4 * i}, distributions=dists, values=[i / 20, i][:n_objectives],
            user_attrs={"latency_us": 10.0 * i}, system_attrs=system))
    return study


def _constraint(t: optuna.trial.FrozenTrial) -> float:
    """The latency constraint a sampler reads from ``t`` (Optuna 5: ``constraints:latency_us``; Optuna 4: ``constraints``)."""
    return t.system_attrs.get("constraints:latency_us", (t.system_attrs.get("constraints") or [None])[0])


@pytest.mark.parametrize("n_objectives", [1, 2])
def test_a_resumed_study_steers_the_sampler_by_the_new_latency_limit(monkeypatch, n_objectives) -> None:
    """Trials stored under a 1000 µs limit, resumed under 55 µs: TPE (one objective) and NSGA-II (two) read each
    trial's constraint as ``latency - 55``, not the stored ``latency - 1000``; the stored trials stay as they were."""
    import optuna.samplers._tpe.sampler as tpe
    import optuna.samplers.nsgaii._elite_population_selection_strategy as elite

    from hiddenlayers.rightsize._search.run import make_sampler

    seen: dict[int, float] = {}

    def spy(module: object, name: str, position: int) -> None:
        real = getattr(module, name)

        def recorded(*args: object, **kwargs: object) -> object:
            seen.update({t.number: _constraint(t) for t in args[position]})  # type: ignore[attr-defined]
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, recorded)

    spy(tpe, "_split_trials", 1)
    spy(elite, "_validate_constraints", 0)
    study = _stored_latency_study(n_objectives, make_sampler(n_objectives, 0, 55.0), old_limit=1000.0)
    trial = study.ask()
    trial.suggest_categorical("hidden", ["4", "8"])
    trial.suggest_float("alpha", 1e-5, 1e-1, log=True)
    assert len(seen) == 20
    assert seen == {t.number: t.user_attrs["latency_us"] - 55.0 for t in study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))}
    assert all(_constraint(t) == t.user_attrs["latency_us"] - 1000.0 for t in study.get_trials(states=(optuna.trial.TrialState.COMPLETE,)))


def test_a_resumed_study_without_a_limit_steers_the_sampler_unconstrained(monkeypatch) -> None:
    """The limit dropped on resume: TPE sees no constraint on the trials that ran under one."""
    import optuna.samplers._tpe.sampler as tpe

    from hiddenlayers.rightsize._search.run import make_sampler

    seen: list[dict[str, object]] = []
    real = tpe._split_trials
    # Optuna 5: _split_trials(study, trials, n_below); Optuna 4: also constraints_enabled
    monkeypatch.setattr(tpe, "_split_trials", lambda study, trials, *rest: seen.extend(t.system_attrs for t in trials) or real(study, trials, *rest))
    study = _stored_latency_study(1, make_sampler(1, 0, None), old_limit=55.0)
    study.ask().suggest_float("alpha", 1e-5, 1e-1, log=True)
    assert len(seen) == 20 and not any(k.startswith("constraints") for attrs in seen for k in attrs)


@pytest.mark.parametrize("objectives", [("score",), ("score", "params")])
def test_a_latency_limit_reaches_the_sampler_without_optunas_deprecated_constraints_func(iris, tmp_path, objectives) -> None:
    """Optuna 5 deprecates samplers' constraints_func (a FutureWarning on every search): each trial sets its latency
    constraint on itself instead, which TPE and NSGA-II read. Optuna 4 needs constraints_func but calls it
    experimental (an ExperimentalWarning, a `note:` line in the CLI, on every search): not shown either."""
    import warnings

    X, y = iris
    storage = str(tmp_path / "c.log")
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        warnings.simplefilter("error", optuna.exceptions.ExperimentalWarning)
        search(X, y, objectives=objectives, max_latency_us=1e9, space=TINY, max_epochs=3, refit=False, trials=2,
               storage=storage, study_name="c")
    trials = optuna.load_study(study_name="c", storage=make_storage(storage)).get_trials()
    if hasattr(trials[0], "constraints"):  # Optuna 5's FrozenTrial
        assert all(set(t.constraints) == {"latency_us"} and t.constraints["latency_us"] < 0 for t in trials)


def test_pareto_front_keeps_ties_and_drops_the_dominated() -> None:
    """Score maximised, costs minimised; equal points dominate neither."""
    from types import SimpleNamespace

    from hiddenlayers.rightsize._search.result import pareto_front

    pts = {"a": (0.9, 100, 5.0), "a2": (0.9, 100, 5.0), "b": (0.95, 200, 5.0), "c": (0.9, 150, 5.0), "d": (0.8, 50, 9.0),
           "e": (0.8, 60, 9.0), "f": (0.8, 50, 4.0), "g": (0.96, 300, 1.0)}
    trials = [SimpleNamespace(name=k, values=list(v)) for k, v in pts.items()]
    front = {t.name for t in pareto_front(trials)}
    assert front == {"a", "a2", "b", "f", "g"}  # c: a is cheaper at the same score; d, e: f is as cheap and faster
    assert {t.name for t in pareto_front([SimpleNamespace(name=k, values=[v[0]]) for k, v in pts.items()])} == {"g"}


def test_budgets_count_every_output_of_two_column_targets() -> None:
    """Two regression targets: the head has 2 outputs, so "8" (4·8+8 + 8·2+2 = 58 parameters) is over max_params=50."""
    from hiddenlayers.rightsize._search.search import _hidden_choices

    X, Y = np.zeros((10, 4)), np.c_[np.arange(10.0), np.arange(10.0) * 2]
    space = SearchSpace(layers=(1, 1), widths=(4, 8))
    assert _hidden_choices(X, Y, "auto", space, 50, None)[2] == ["4"]  # was ["8", "4"]: the budget counted one output
    assert params_of(4, [4], 2) == 30 <= 50 < params_of(4, [8], 2) == 58


def test_a_multilabel_indicator_is_searched_as_classification() -> None:
    """A 0/1 label matrix: classifiers with one output per label, scored by accuracy (it was regressed, R² of 0/1 columns)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((120, 4))
    Y = (X[:, :3] > 0).astype(int)
    r = search(X, Y, trials=2, space=SearchSpace(layers=(1, 1), widths=(4, 8), batch_sizes=(16,)), max_epochs=3)
    assert isinstance(r.best_model, hl.MLPClassifier) and 0 <= r.best["score"] <= 1
    assert r.best["params"] == r.best_model.n_parameters_ and set(np.unique(r.best_model.predict(X))) <= {0, 1}
    assert r.best_model.predict(X).shape == Y.shape


def test_errors(iris) -> None:
    X, y = iris
    with pytest.raises(ValueError, match="objectives must start with 'score' followed by any of params, flops, latency"):
        search(X, y, objectives=("params",))
    with pytest.raises(ValueError, match="trials must be an integer >= 1. Received: trials=0"):
        search(X, y, trials=0)
    with pytest.raises(ValueError, match="no hidden-layer spec of the space fits max_params=5"):
        search(X, y, max_params=5)
    with pytest.raises(ValueError, match="storage must be a journal file"):
        search(X, y, storage="ftp://x")
    with pytest.raises(ValueError, match="cv must be 'auto' or a number of folds from 1 \\(one validation split\\) to 20. Received: cv=0"):
        search(X, y, cv=0)
    with pytest.raises(ValueError, match="patience must be an integer >= 1. Received: patience=0"):
        search(X, y, patience=0)
    with pytest.raises(ValueError, match="layers must be \\(min, max\\)"):
        SearchSpace(layers=(0, 2)).hidden_choices(4, 3)


def test_fixed_values_are_used_in_trials_rows_and_the_refit(iris) -> None:
    """Equal ends fix a value: Optuna does not record it as a parameter, the trial, its row and the refit still use it."""
    X, y = iris
    sp = SearchSpace(layers=(1, 1), widths=(8,), activations=("relu",), learning_rate_init=(0.01, 0.01), alpha=(1e-4, 1e-4),
                     dropout=(0.1, 0.1), batch_sizes=(32,))
    r = search(X, y, trials=2, max_epochs=5, cv=1, space=sp, max_saved=1, random_state=0)
    assert (r.best["learning_rate_init"], r.best["alpha"], r.best["dropout"]) == (0.01, 1e-4, 0.1)
    model = r.best_model
    assert (model.learning_rate_init, model.alpha) == (0.01, 1e-4) and model.hidden_layer_sizes == "8:dropout=0.1"
    for t in r.study.get_trials():
        assert t.user_attrs["fixed"] == {"learning_rate_init": 0.01, "alpha": 1e-4, "dropout": 0.1, "weight_averaging": None, "solver": "adam"}
        assert set(t.params) == {"hidden", "activation", "batch_size"}


_BOUNDS = st.floats(1e-6, 1e-1)


@st.composite
def _valid_spaces(draw: st.DrawFn) -> SearchSpace:
    lo = draw(st.integers(1, 3))
    lr = sorted(draw(st.tuples(_BOUNDS, _BOUNDS)))
    alpha = draw(st.sampled_from([(0.0, 0.0), tuple(sorted(draw(st.tuples(_BOUNDS, _BOUNDS))))]))
    drop = sorted(draw(st.tuples(st.floats(0.0, 0.9), st.floats(0.0, 0.9))))
    return SearchSpace(
        layers=(lo, draw(st.integers(lo, 3))), widths=tuple(draw(st.lists(st.integers(1, 64), min_size=1, max_size=3))),
        funnel=draw(st.booleans()), activations=tuple(draw(st.lists(st.sampled_from(hl.activation_names()), min_size=1, max_size=3))),
        learning_rate_init=(lr[0], lr[1]), alpha=alpha, dropout=(drop[0], drop[1]),
        batch_sizes=tuple(draw(st.lists(st.integers(1, 512), min_size=1, max_size=3))),
        weight_averaging=tuple(draw(st.lists(st.sampled_from([None, "ema", "swa"]), min_size=1, max_size=3))),
        solvers=tuple(draw(st.lists(st.sampled_from(["adam", "adamw", "rmsprop", "sgd"]), min_size=1, max_size=4))),
    )


@settings(max_examples=60, deadline=None)
@given(space=_valid_spaces())
def test_valid_spaces_pass_the_check(space: SearchSpace) -> None:
    space.check()
    assert set(space.fixed()) <= {"learning_rate_init", "alpha", "dropout", "weight_averaging", "solver"}
    assert ("solver" in space.fixed()) == (len(set(space.solvers)) == 1)
    assert ("weight_averaging" in space.fixed()) == (len(set(space.weight_averaging)) == 1)


# each kind of bad field, with the start of the one-line message that must name it
BAD_FIELDS = {
    "layers": [((0, 2), "layers must be (min, max) with 1 <= min <= max <= 8"), ((3, 1), "layers must be (min, max)")],
    "widths": [((), "widths must be positive integers"), ((8, 0), "widths must be positive integers")],
    "funnel": [("yes", "funnel must be True or False")],
    "activations": [((), "activations must be a non-empty tuple of activation names (identity, relu"),
                    (("bogus",), "activations must be activation names, each one of identity, relu"),
                    (("rel",), "activations must be activation names, each one of identity, relu, leaky_relu, elu, gelu, silu, tanh, "
                               "logistic, softplus, sigmoid, linear, swish, none. Did you mean 'relu'? Received: activations=('rel',).")],
    "learning_rate_init": [((0.1, 0.001), "learning_rate_init must be (low, high) with low <= high (equal ends fix a value); both > 0 "
                                          "(searched on a log scale), e.g. (3e-4, 3e-2). Received: learning_rate_init=(0.1, 0.001)."),
                           ((-1, 0.01), "learning_rate_init must be (low, high) with both > 0 (searched on a log scale), e.g. (3e-4, 3e-2). "
                                        "Received: learning_rate_init=(-1, 0.01)."),
                           ((0.0, 0.0), "learning_rate_init must be (low, high) with both > 0"),
                           ((0.01,), "learning_rate_init must be a (low, high) pair of numbers"),
                           ((float("nan"), 0.1), "learning_rate_init must be a (low, high) pair of numbers")],
    "alpha": [((0.0, 0.01), "alpha must be (low, high) with low <= high; a range is searched on a log scale, so its low must be > 0, "
                            "e.g. (1e-6, 1e-2); (0.0, 0.0) fixes no L2 penalty. Received: alpha=(0.0, 0.01)."),
              ((-1e-3, -1e-3), "alpha must be (low, high) with low <= high; a range is searched on a log scale"),
              (("a", "b"), "alpha must be a (low, high) pair of numbers")],
    "dropout": [((0.5, 1.5), "dropout must be (low, high) with both in [0, 1), e.g. (0.0, 0.3). Received: dropout=(0.5, 1.5)."),
                ((-0.1, 0.2), "dropout must be (low, high) with both in [0, 1)"),
                ((0.3, 0.1), "dropout must be (low, high) with low <= high (equal ends fix a value)")],
    "batch_sizes": [((), "batch_sizes must be a non-empty tuple of positive integers, e.g. (32, 64). Received: batch_sizes=()."),
                    ((0,), "batch_sizes must be a non-empty tuple of positive integers, e.g. (32, 64). Received: batch_sizes=(0,)."),
                    ((32.5,), "batch_sizes must be a non-empty tuple of positive integers")],
    "weight_averaging": [((), "weight_averaging must be a non-empty tuple of None, 'ema', 'swa', e.g. (None, 'swa'). Received: weight_averaging=()."),
                         (("none",), "weight_averaging must be a non-empty tuple of None, 'ema', 'swa'"),
                         (("ema", "bogus"), "weight_averaging must be a non-empty tuple of None, 'ema', 'swa', e.g. (None, 'swa'). "
                                            "Received: weight_averaging=('ema', 'bogus')."),
                         ("swa", "weight_averaging must be a non-empty tuple of None, 'ema', 'swa'")],
    "solvers": [(("adam", "lbfgs"), "solvers must be a non-empty tuple of 'adam', 'adamw', 'rmsprop', 'sgd' (lbfgs is not offered: it has no "
                                    "epochs for a trial to score and stop), e.g. ('adam', 'sgd'). Received: solvers=('adam', 'lbfgs')."),
                ((), "solvers must be a non-empty tuple of 'adam', 'adamw', 'rmsprop', 'sgd', e.g. ('adam', 'sgd'). Received: solvers=()."),
                (("Adam",), "solvers must be a non-empty tuple of 'adam', 'adamw', 'rmsprop', 'sgd'"),
                ((None,), "solvers must be a non-empty tuple of")],
}


@settings(max_examples=60, deadline=None)
@given(space=_valid_spaces(), bad=st.sampled_from([(f, v, m) for f, cases in BAD_FIELDS.items() for v, m in cases]))
def test_each_bad_field_raises_naming_it(space: SearchSpace, bad: tuple[str, object, str]) -> None:
    import dataclasses
    import re

    field, value, message = bad
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        dataclasses.replace(space, **{field: value}).check()


def test_bad_space_and_settings_fail_before_any_trial(iris, monkeypatch) -> None:
    """Each bad setting is one ValueError naming it, raised before the data is read or any trial runs."""
    import hiddenlayers.rightsize._search.search as search_module

    monkeypatch.setattr(search_module, "_inputs", lambda *a: pytest.fail("the data was read before the settings were checked"))
    X, y = iris
    cases = [
        (dict(space=SearchSpace(activations=("bogus",))), "activations must be activation names"),
        (dict(space=SearchSpace(learning_rate_init=(0.1, 0.001))), "learning_rate_init must be (low, high) with low <= high"),
        (dict(validation_fraction=2.0), "validation_fraction must be a share of rows in (0, 1), e.g. 0.2. Received: validation_fraction=2.0."),
        (dict(max_epochs=0), "max_epochs must be an integer >= 1. Received: max_epochs=0."),
        (dict(timeout=-1), "timeout must be a positive number of seconds or None. Received: timeout=-1."),
        (dict(max_flops="abc"), "max_flops must be a positive integer (FLOPs of one prediction) or None. Received: max_flops='abc'."),
        (dict(max_saved=-1), "max_saved must be an integer >= 1 (refit=False refits none). Received: max_saved=-1."),
        (dict(warmup_epochs=-1), "warmup_epochs must be an integer >= 0. Received: warmup_epochs=-1."),
        (dict(min_peers=-1), "min_peers must be an integer >= 0. Received: min_peers=-1."),
        (dict(storage="sqlite:////nonexistent/dir/x.db"),
         "storage: folder '/nonexistent/dir' does not exist: create it first, or give a path in an existing folder."),
    ]
    import re

    for kwargs, message in cases:
        with pytest.raises(ValueError, match="^" + re.escape(message)):
            search(X, y, trials=2, **kwargs)
    with pytest.raises(TypeError, match=r"^space must be a SearchSpace or None. Received: dict.$"):
        search(X, y, space={"layers": (1, 2)})


def test_a_sqlite_storage_in_a_missing_folder_fails_at_once(iris, tmp_path) -> None:
    import time

    X, y = iris
    import optuna  # noqa: F401  (imported before the clock starts: a cold import under load is not what is timed)

    start = time.perf_counter()
    with pytest.raises(ValueError, match=f"^storage: folder '{tmp_path / 'nodir'}' does not exist"):
        search(X, y, trials=2, storage=f"sqlite:///{tmp_path / 'nodir' / 'x.db'}")
    assert time.perf_counter() - start < 1.0 and list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match=f"^storage: folder '{tmp_path / 'nodir'}' does not exist"):
        make_storage(str(tmp_path / "nodir" / "x.db"))


def test_search_page_states_the_count_once(tmp_path) -> None:
    """The 'N of M trials shown' line is the page's header, not repeated as the table's lead."""
    from sklearn.datasets import load_iris

    import hiddenlayers as hl

    X, y = load_iris(return_X_y=True)
    r = hl.search(X, y, trials=2, max_epochs=2, cv=1, max_saved=1)
    r.save_html(tmp_path / "s.html")
    page = (tmp_path / "s.html").read_text()
    assert page.count(" trials shown (") == 1 and "The kept trials: settings" in page


# --- a storage path that cannot be written: one ValueError naming it, before any trial ---

def test_a_journal_under_a_file_is_one_error_naming_it(iris, tmp_path) -> None:
    X, y = iris
    (tmp_path / "notes.txt").write_text("x")
    for storage in (f"journal:{tmp_path / 'notes.txt' / 'runs' / 's.log'}", str(tmp_path / "notes.txt" / "s.log")):
        folder = os.path.dirname(storage.removeprefix("journal:"))
        with pytest.raises(ValueError, match=f"^storage: folder '{re.escape(folder)}' cannot be created: "
                                             f"'{re.escape(str(tmp_path / 'notes.txt'))}' is a file. Give a path in a folder.$"):
            search(X, y, trials=1, storage=storage)
        with pytest.raises(ValueError, match="is a file. Give a path in a folder.$"):
            make_storage(storage)
    with pytest.raises(ValueError, match=f"^storage: '{re.escape(str(tmp_path))}' is a folder: give a file name"):
        search(X, y, trials=1, storage=f"journal:{tmp_path}")
    assert (tmp_path / "notes.txt").read_text() == "x" and sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_make_storage_turns_a_failed_journal_open_into_one_error(tmp_path) -> None:
    """What the read-only check cannot see (here: it is skipped) still fails as one ValueError naming the path."""
    (tmp_path / "notes.txt").write_text("x")
    path = tmp_path / "notes.txt" / "s.log"
    with pytest.raises(ValueError, match=f"^storage: cannot open the journal '{re.escape(str(path))}' "
                                         rf"\(File exists: '{re.escape(str(tmp_path / 'notes.txt'))}'\): give a path in a folder you can write to.$"):
        make_storage(f"journal:{path}", check=False)


def test_an_unwritable_journal_is_one_error_naming_it(iris, tmp_path) -> None:
    from privilege_helpers import read_only_places, run_unprivileged

    X, y = iris
    read_only_places(tmp_path)

    def attempt(storage: str) -> Callable[[], str]:
        return lambda: repr(search(X, y, trials=1, storage=storage))

    cases = {
        "ro/s.log": "ValueError: storage: folder 'ro' is not writable (the study writes its file and a lock file there): "
                    "give a path in a folder you can write to.",
        "journal:ro/runs/s.log": "ValueError: storage: folder 'ro/runs' cannot be created: 'ro' is not writable. "
                                 "Give a path in a folder you can write to.",
        "ro/s.db": "ValueError: storage: folder 'ro' is not writable",
        "rw/old.log": "ValueError: storage: 'rw/old.log' is read-only: make it writable (chmod u+w) to add trials to it, "
                      "or give a new file name.",
    }
    for storage, message in cases.items():
        assert run_unprivileged(attempt(storage), tmp_path).startswith(message), storage
    # the open itself fails the same way when the check is skipped
    out = run_unprivileged(lambda: repr(make_storage("ro/s.log", check=False)), tmp_path)
    assert out == "ValueError: storage: cannot open the journal 'ro/s.log' (Permission denied): give a path in a folder you can write to."
    assert list((tmp_path / "ro").iterdir()) == [] and (tmp_path / "rw" / "old.log").read_bytes() == b""


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["a", "b b", "é", ".x", "sub"]), min_size=0, max_size=3), st.sampled_from(["s.log", "s.journal", "s.db"]))
def test_a_storage_under_a_file_is_always_named_and_nothing_is_created(parts: list[str], name: str) -> None:
    import tempfile
    from pathlib import Path

    from hiddenlayers.rightsize import storage_problem

    with tempfile.TemporaryDirectory() as d:
        blocker = Path(d) / "file"
        blocker.write_text("x")
        path = blocker.joinpath(*parts, name)
        why = storage_problem(str(path))
        assert why == f"folder '{path.parent}' cannot be created: '{blocker}' is a file. Give a path in a folder."
        assert [p.name for p in Path(d).iterdir()] == ["file"] and blocker.read_text() == "x"


def _optuna_db(path: object) -> bytes:
    """A SQLite file holding one Optuna study; its bytes."""
    optuna.create_study(storage=make_storage(f"sqlite:///{path}"), study_name="old")
    with open(str(path), "rb") as fh:
        return fh.read()


def test_a_folder_in_the_place_of_sqlite_s_journal_is_one_error_naming_it(iris, tmp_path) -> None:
    """SQLite writes ``NAME.db-journal`` beside the database: a folder there made every write a 'disk I/O error' after the check passed."""
    X, y = iris
    before = _optuna_db(tmp_path / "old.db")
    for name in ("new.db", "old.db"):
        (tmp_path / f"{name}-journal").mkdir()
        message = (f"storage: '{tmp_path / name}-journal' is in the way: SQLite writes its journal file there while it writes the study. "
                   "Remove it, or give another file name.")
        with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
            search(X, y, trials=1, storage=str(tmp_path / name))
    assert (tmp_path / "old.db").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.db-journal", "old.db", "old.db-journal"]  # no probe left behind


@pytest.mark.parametrize("content", [b"name,age\nann,3\n", b"SQLite format 3\x00" + b"\xff" * 200])
def test_a_non_sqlite_file_given_as_sqlite_storage_is_one_error_and_left_as_it_was(iris, tmp_path, content) -> None:
    X, y = iris
    path = tmp_path / "notes.db"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=f"^storage: '{re.escape(str(path))}' is not an Optuna study database or journal: [^\n]*$"):
        search(X, y, trials=1, storage=f"sqlite:///{path}")
    assert path.read_bytes() == content and [p.name for p in tmp_path.iterdir()] == ["notes.db"]


@pytest.mark.parametrize("name", ["run#1.db", "what?.db"])
def test_a_sqlite_file_name_with_uri_characters_is_checked_as_itself(tmp_path, name) -> None:
    """SQLite reads ``file:`` URIs: an unquoted '#' or '?' cut the name, so the check read (and created) another file."""
    import sqlite3

    from hiddenlayers.rightsize._search.storage import storage_problem

    foreign = tmp_path / name
    with contextlib.closing(sqlite3.connect(foreign)) as con:
        con.execute("CREATE TABLE people (name TEXT)")
    assert "other tables (people)" in (storage_problem(f"sqlite:///{foreign}") or "")
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_the_storage_check_tries_writing_where_permissions_read_as_writable(monkeypatch) -> None:
    """``os.access`` passes root on immutable files and says nothing of locks: the check tries a temporary file in the
    folder, an append-open of an existing journal and a rolled-back write lock on an existing database instead.
    Here ``os.access`` is made to say yes to everything (as it does for root) over places this user cannot write.
    The folder is made under the system's temporary folder, not pytest's (closed to other users): SQLite opens
    databases by absolute path, so every folder above must be open to the unprivileged user."""
    import shutil
    import tempfile
    from pathlib import Path

    from privilege_helpers import read_only_places

    tmp_path = Path(tempfile.mkdtemp())
    try:
        read_only_places(tmp_path)
        _try_writing_where_permissions_read_as_writable(tmp_path, monkeypatch)
    finally:
        shutil.rmtree(tmp_path)


def _try_writing_where_permissions_read_as_writable(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    from hiddenlayers.rightsize import storage_problem
    from privilege_helpers import run_unprivileged

    assert isinstance(tmp_path, Path)
    before = _optuna_db(tmp_path / "rw" / "old.db")
    (tmp_path / "rw" / "old.db").chmod(0o444)
    monkeypatch.setattr(os, "access", lambda *args, **kwargs: True)
    cases = {
        "ro/s.log": "folder 'ro' is not writable (creating a file there failed: Permission denied): give a path in a folder you can write to.",
        "ro/s.db": "folder 'ro' is not writable (creating a file there failed: Permission denied): give a path in a folder you can write to.",
        "ro/runs/s.log": "folder 'ro' is not writable (creating a file there failed: Permission denied): give a path in a folder you can write to.",
        "rw/old.log": "'rw/old.log' cannot be opened for writing (Permission denied): make it writable, or give a new file name.",
        "rw/old.db": "'rw/old.db' cannot be opened for writing (Permission denied): make it writable, or give a new file name.",
        "rw/new.db": "None",
    }
    for storage, message in cases.items():
        assert run_unprivileged(lambda storage=storage: str(storage_problem(storage)), tmp_path) == message, storage
    assert list((tmp_path / "ro").iterdir()) == [] and sorted(p.name for p in (tmp_path / "rw").iterdir()) == ["old.db", "old.log"]
    assert (tmp_path / "rw" / "old.db").read_bytes() == before and (tmp_path / "rw" / "old.log").read_bytes() == b""


def test_a_database_another_worker_is_writing_passes_the_check_at_once(tmp_path) -> None:
    """The check's write lock is refused while another process writes (workers share the file): that is no problem, and no wait."""
    import sqlite3
    import time

    from hiddenlayers.rightsize import storage_problem

    before = _optuna_db(tmp_path / "s.db")
    writer = sqlite3.connect(tmp_path / "s.db", isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        start = time.perf_counter()
        assert storage_problem(str(tmp_path / "s.db")) is None
        assert time.perf_counter() - start < 1.0
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert (tmp_path / "s.db").read_bytes() == before


def _lat_trial(name: str, score: float, latency: float, spread: float | None = None):
    from types import SimpleNamespace

    return SimpleNamespace(name=name, values=[score, latency], user_attrs={} if spread is None else {"latency_spread_us": spread})


def test_pareto_front_takes_latencies_within_their_resolution_as_the_same() -> None:
    """A model worse on score and 0.01 µs faster is dominated (the front kept it); within 5% or the timings' spread is the same."""
    from hiddenlayers.rightsize._search.dominance import same_latency
    from hiddenlayers.rightsize._search.result import pareto_front

    objectives = ("score", "latency")
    front = {t.name for t in pareto_front([_lat_trial("a", 0.9, 10.00), _lat_trial("b", 0.8, 9.99)], objectives)}
    assert front == {"a"}
    # 5% of the faster one: 9.6 is the same as 10, 9.4 is faster
    assert {t.name for t in pareto_front([_lat_trial("a", 0.9, 10.0), _lat_trial("b", 0.8, 9.6)], objectives)} == {"a"}
    assert {t.name for t in pareto_front([_lat_trial("a", 0.9, 10.0), _lat_trial("b", 0.8, 9.4)], objectives)} == {"a", "b"}
    # the spread of either trial's timings widens it: 8 µs against 10 µs with a spread of 2.5 is the same
    trials = [_lat_trial("a", 0.9, 10.0, spread=2.5), _lat_trial("b", 0.8, 8.0, spread=0.1), _lat_trial("c", 0.7, 5.0, spread=0.1)]
    assert {t.name for t in pareto_front(trials, objectives)} == {"a", "c"}
    # a better score at a latency within the resolution dominates from the slow side too; equal scores keep both
    assert {t.name for t in pareto_front([_lat_trial("a", 0.9, 10.2), _lat_trial("b", 0.8, 10.0)], objectives)} == {"a"}
    assert {t.name for t in pareto_front([_lat_trial("a", 0.9, 10.2), _lat_trial("b", 0.9, 10.0)], objectives)} == {"a", "b"}
    assert same_latency(10.0, 10.4) and not same_latency(10.0, 10.6) and same_latency(10.0, 12.0, 0.1, 2.0)
    # without the objectives' names every value compares exactly, as before
    assert {t.name for t in pareto_front([_lat_trial("a", 0.9, 10.00), _lat_trial("b", 0.8, 9.99)])} == {"a", "b"}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0.7, 0.8, 0.9]), st.floats(1.0, 20.0), st.sampled_from([None, 0.0, 0.5, 3.0])),
                min_size=1, max_size=12))
def test_pareto_front_with_a_latency_resolution_is_never_empty(points) -> None:
    """Comparing within a resolution is no order; still no cycle: some trial always stays, and none kept is dominated."""
    from hiddenlayers.rightsize._search.dominance import dominates
    from hiddenlayers.rightsize._search.result import pareto_front

    trials = [_lat_trial(str(i), s, lat, spread) for i, (s, lat, spread) in enumerate(points)]
    front = pareto_front(trials, ("score", "latency"))
    assert front
    assert not any(dominates(b, a, 1) for a in front for b in trials if b is not a)
    best = max(s for s, _, _ in points)
    assert any(t.values[0] == best for t in front)


def test_the_result_states_what_the_same_latency_means() -> None:
    """The rule is in the table's caption, the page's lead and to_dict; with no latency objective it is absent."""
    from rich.console import Console

    from hiddenlayers.rightsize._search.result import SAME_LATENCY_RULE, SearchResult

    row = {"trial": 0, "hidden": "8", "activation": "relu", "score": 0.9, "latency": 10.0, "latency_spread": 0.3}
    r = SearchResult(("score", "latency"), [row], 1, 1, 0, "s", None)
    assert r.to_dict()["same_latency"] == SAME_LATENCY_RULE and "5% of the faster one" in SAME_LATENCY_RULE
    console = Console(width=400, record=True)
    console.print(r)
    assert "latencies count as the same when they differ by at most 5%" in console.export_text()
    assert SearchResult(("score", "params"), [row], 1, 1, 0, "s", None).to_dict()["same_latency"] is None


def test_task_auto_reads_many_whole_number_floats_as_a_quantity() -> None:
    """diabetes' target (25.0 ... 346.0) was searched as 214 classes scored by accuracy; `hiddenlayers search` read it as
    regression. Integer labels stay classes however many, and floats with few whole values (0.0 / 1.0) stay labels."""
    from sklearn.datasets import load_diabetes

    from hiddenlayers.rightsize._search.search import _trial_setup

    def task_of(X: np.ndarray, y: np.ndarray) -> str:
        setup = _trial_setup(X, y, ("score",), SearchSpace(widths=(4,), layers=(1, 1)), task="auto", cv=1, threads=None, max_params=None,
                             max_flops=None, max_epochs=1, validation_fraction=0.2, max_latency_us=None, warmup_epochs=5, min_peers=4,
                             random_state=0, patience=3)[0]
        assert setup.classifier == (setup.data["task"] == "classification")
        return setup.data["task"]

    X, y = load_diabetes(return_X_y=True)
    assert task_of(X, y) == "regression"
    assert task_of(X, (y % 30).astype(np.int64)) == "classification"  # 30 integer labels
    assert task_of(X, (y % 3).astype(np.float64)) == "classification"  # 0.0, 1.0, 2.0


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_a_missing_target_is_the_estimators_one_line_naming_its_row(iris) -> None:
    """Was scikit-learn's bare "Input contains NaN." from type_of_target, after a RuntimeWarning (invalid value in cast)."""
    X, y = iris
    target = y.astype(np.float64)
    target[3] = np.nan
    with pytest.raises(ValueError, match=r"^Input y contains NaN\. 1 of 150 target value\(s\) are missing \(first: row 3\): drop those rows"):
        search(X, target, trials=1, space=TINY, max_epochs=1, cv=1, refit=False)
