"""The Optuna storages search() and its workers open are closed on every exit: return, error, Ctrl-C."""

from __future__ import annotations

import os
import types
from pathlib import Path
from typing import Any

import pytest

from hiddenlayers.rightsize import SearchSpace, search
from hiddenlayers.rightsize._search import run
from hiddenlayers.rightsize._search import storage as storage_module

TINY = SearchSpace(layers=(1, 1), widths=(4,), batch_sizes=(32,))


def _held_open(path: Path) -> int:
    """How many of this process's file descriptors are open on ``path`` (Linux's /proc)."""
    held = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            held += os.path.realpath(f"/proc/self/fd/{fd}") == os.path.realpath(path)
        except OSError:  # the listing's own descriptor, closed by now
            pass
    return held


@pytest.fixture
def opened(monkeypatch) -> list[Any]:
    """Every RDB storage make_storage opens from here on."""
    stores: list[Any] = []
    real = storage_module._rdb

    def spy(*args: Any, **kwargs: Any) -> Any:
        stores.append(real(*args, **kwargs))
        return stores[-1]

    monkeypatch.setattr(storage_module, "_rdb", spy)
    return stores


def _closed(stores: list[Any], path: Path) -> bool:
    return bool(stores) and all(s.engine.pool.checkedin() == 0 == s.engine.pool.checkedout() for s in stores) and _held_open(path) == 0


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts open files through /proc")
def test_search_closes_its_sqlite_storage_on_return_error_and_ctrl_c(iris, tmp_path, opened, monkeypatch) -> None:
    """search() left its SQLite storage's engine holding pooled connections (the database file open; on PostgreSQL a
    server connection) until the garbage collector found it, after a search that returned, raised, or was interrupted."""
    X, y = iris
    path = tmp_path / "s.db"
    kw: dict[str, Any] = dict(space=TINY, max_epochs=2, refit=False, storage=f"sqlite:///{path}", study_name="s")
    found = search(X, y, trials=1, **kw)
    assert _closed(opened, path)
    opened.clear()
    with pytest.raises(ValueError, match="objectives"):  # a resumed study of other objectives: refused after opening it
        search(X, y, trials=2, objectives=("score", "params"), **kw)
    assert _closed(opened, path)
    opened.clear()

    def interrupted(trial: Any, setup: Any) -> float:
        raise KeyboardInterrupt

    monkeypatch.setattr(run, "objective", interrupted)
    with pytest.raises(KeyboardInterrupt):
        search(X, y, trials=2, **kw)
    assert _closed(opened, path)
    assert len(found.study.get_trials()) == 2  # the first search's study still reads: its engine connects again when asked


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts open files through /proc")
def test_a_worker_closes_the_storage_it_opens(tmp_path, opened) -> None:
    """A worker process (run_worker given the storage's URL) held its connection for its whole life."""
    path = tmp_path / "w.db"
    setup = types.SimpleNamespace(max_latency_us=None, objectives=("score",))  # what a worker reads before its trials
    run.run_worker(setup, f"sqlite:///{path}", "w", ["maximize"], 0, 0, None)  # type: ignore[arg-type]
    assert _closed(opened, path)


def test_a_failed_attempt_to_set_up_an_rdb_storage_releases_its_engine(tmp_path, monkeypatch) -> None:
    """Optuna makes a storage's engine, then creates the tables and the version row, which race with another process doing
    the same: _rdb retries. Each failed attempt's engine kept its pooled connection (the database file open; on PostgreSQL
    a server connection) until the garbage collector found it. The first attempt fails here once it has connected (the
    version row); a Ctrl-C in an attempt is raised, its engine released too."""
    import sqlalchemy
    from optuna.storages._rdb import storage as optuna_rdb
    from sqlalchemy.exc import OperationalError

    engines: list[Any] = []
    make = sqlalchemy.engine.create_engine
    monkeypatch.setattr(sqlalchemy.engine, "create_engine", lambda *a, **kw: engines.append(make(*a, **kw)) or engines[-1])
    set_up = optuna_rdb._VersionManager.__init__
    fail = [OperationalError("INSERT INTO version_info", {}, Exception("database is locked"))]

    def version_row(self: Any, *args: Any) -> None:
        if fail:
            raise fail.pop()
        set_up(self, *args)

    monkeypatch.setattr(optuna_rdb._VersionManager, "__init__", version_row)
    path = tmp_path / "s.db"
    store = storage_module._rdb(f"sqlite:///{path}", {})
    assert len(engines) == 2 and store.engine is engines[1]
    assert engines[0].pool.checkedin() == 0 == engines[0].pool.checkedout()  # was 1 connection left checked in
    assert store.get_all_studies() == []  # the second attempt's storage works
    storage_module.close_storage(store)
    assert _held_open(path) == 0
    fail.append(KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        storage_module._rdb(f"sqlite:///{path}", {})
    assert len(engines) == 3 and engines[2].pool.checkedin() == 0 == engines[2].pool.checkedout() and _held_open(path) == 0
