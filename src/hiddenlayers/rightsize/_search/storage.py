"""Optuna storages for :func:`hiddenlayers.search`: open, create-or-load, recover dead workers.

Kept apart from ``run.py`` (which runs trials): this module only
knows storages and studies. A killed worker leaves its trial ``RUNNING``;
RDB storages fail it by heartbeat (after ``grace_period``), and every storage
(the journal file too, which has no heartbeat in Optuna 5) gets
:func:`fail_dead_local_trials`, run whenever a worker starts or a search
resumes: a running trial whose recorded local worker process is gone is
marked ``FAIL`` at once, and one that never recorded its worker (its process
was stopped between Optuna creating the trial and the objective's first line)
once it is :data:`ORPHAN_AFTER_S` old.
"""

from __future__ import annotations

import contextlib
import os
import random
import socket
import time
import urllib.parse
import warnings
from collections.abc import Callable, Iterator
from typing import Any


# ------------------------------------------------------------------ storage
def make_storage(storage: Any, check: bool = True) -> Any:
    """An Optuna storage from a URL or path; ``None`` -> in memory.

    ``*.log``/``*.journal``/``journal:PATH`` -> journal file (safe for many
    local processes, no server); ``sqlite:///F``, ``*.db``/``*.sqlite`` ->
    SQLite; ``postgresql://...`` -> PostgreSQL. RDB storages get a heartbeat,
    so a killed worker's running trial is marked failed, not left running.
    ``check=False`` skips :func:`check_storage_file` (a read of the whole file)
    where ``search`` has checked it already: its own study and its workers.
    """
    import optuna

    if storage is None or isinstance(storage, optuna.storages.BaseStorage):
        return storage
    if not isinstance(storage, (str, os.PathLike)):
        raise TypeError(f"storage must be a URL or file path string. Received: {type(storage).__name__}.")
    text = os.fspath(storage)
    if check:
        check_storage_file(text)
    kind, where = storage_kind(text)
    if kind == "journal":
        return _journal(where)
    kwargs: dict[str, Any] = {}
    if where.startswith("sqlite:"):
        kwargs["connect_args"] = {"timeout": 60}
    return _rdb(_pg_driver(where) if where.startswith("postgresql://") else where, kwargs, given=text)


def close_storage(store: Any) -> None:
    """Release what an RDB storage from :func:`make_storage` holds open: its session and its SQLAlchemy engine's
    pooled connections (``engine.dispose()``); nothing for a journal or in-memory storage.

    Why: a storage opened only to read (``saved_files``) kept its SQLite connection, or a server connection, open
    until the garbage collector found it.
    """
    if hasattr(store, "remove_session"):
        store.remove_session()
    engine = getattr(store, "engine", None)
    if engine is not None:
        engine.dispose()


def close_study(study: Any) -> None:
    """Release what ``study``'s RDB storage holds open (:func:`close_storage`); nothing for a journal or in-memory study, or None.
    The study stays readable: its engine connects again when asked.

    Why: :func:`~.search.search` closes its storage when it returns, but a caller that goes on with the study (the command
    line reads the files it recorded, then records the model files it wrote) connected its engine again, and that
    connection (the SQLite file, or a PostgreSQL server's connection slot) stayed open until the process ended.

    Parameters
    ----------
    study : optuna.Study or None
        The study (:attr:`SearchResult.study`).
    """
    store = getattr(study, "_storage", None)  # (Optuna gives no public handle on a study's storage)
    store = getattr(store, "_backend", store)  # the RDBStorage that Optuna's _CachedStorage wraps
    if store is not None:
        close_storage(store)


@contextlib.contextmanager
def opened_storage(storage: Any, check: bool = True) -> Iterator[Any]:
    """:func:`make_storage` of ``storage`` (in memory for None) for the block, closed (:func:`close_storage`) when it ends,
    returns or raises (Ctrl-C included); an Optuna storage object given is the caller's and is left open.

    Why: every caller opened an RDB storage and left its engine's pooled connection (a PostgreSQL server's connection
    slot) open until the garbage collector found it; a worker process held it for its whole life.
    """
    import optuna

    if storage is None:
        yield optuna.storages.InMemoryStorage()
        return
    store = make_storage(storage, check=check)
    try:
        yield store
    finally:
        if store is not storage:
            close_storage(store)


def storage_kind(storage: str) -> tuple[str, str]:
    """``("journal", path)`` or ``("rdb", URL)``: how :func:`make_storage` opens ``storage`` (nothing opened here).

    Raises one ``ValueError`` naming the forms it takes when ``storage`` is none of them, or names no file where it
    takes one (:func:`_no_file`).
    """
    text = storage
    _no_file(storage)
    found = storage_file(storage)
    if found is not None and found[1] == "journal":
        return "journal", found[0]
    if found is not None:  # a SQLite file: its path with '~' expanded, in a URL
        text = f"sqlite:///{found[0] if storage.startswith('sqlite:///') else os.path.abspath(found[0])}"
    if text.startswith(("sqlite:", "postgresql", "postgres:", "mysql")):
        if text.startswith("postgres:"):
            text = "postgresql:" + text[len("postgres:"):]
        return "rdb", text
    raise ValueError(
        "storage must be a journal file (*.log, *.journal or journal:PATH), a SQLite file or URL "
        f"(*.db, sqlite:///F), or a PostgreSQL URL (postgresql://user@host/db). Received: storage={text!r}."
    )


def _names_no_file(storage: str) -> bool:
    """``journal:`` without a path, or a SQLite URL without a file: ``sqlite:``, ``sqlite:/F`` or ``sqlite://host/F``
    (fewer or more slashes than ``sqlite:///F``), ``sqlite://``, ``sqlite:///`` or ``sqlite:///:memory:`` (in memory)."""
    if storage.startswith("journal:"):
        return not storage[len("journal:"):]
    return storage.startswith("sqlite:") and (not storage.startswith("sqlite:///") or storage[len("sqlite:///"):] in ("", ":memory:"))


def _no_file(storage: str) -> None:
    """Raise one ``ValueError`` when ``storage`` is a SQLite URL or a ``journal:`` path that names no file (:func:`_names_no_file`).

    Why: ``sqlite://``, ``sqlite:///`` and ``sqlite:///:memory:`` are SQLAlchemy's in-memory database, one per
    connection, so Optuna's heartbeat thread found no tables and printed tracebacks, and nothing was kept to resume;
    ``sqlite:`` and ``sqlite://host/F`` were an internal ``ArgumentError`` after the data was read, and ``sqlite:/F`` a
    file in a new folder named ``sqlite:``; ``journal:`` failed opening a file named ''.
    """
    if not _names_no_file(storage):
        return
    if storage.startswith("journal:"):
        raise ValueError(f"storage={storage!r} names no journal file: write journal:PATH, e.g. journal:search.log (or search.log).")
    raise ValueError(
        f"storage={storage!r} names no SQLite file: write sqlite:///search.db, three slashes then the file's path "
        "(sqlite:////data/search.db for an absolute one), or leave storage out for a study in memory "
        "(an in-memory SQLite database keeps nothing to resume)."
    )


_SQLITE_HEADER = b"SQLite format 3\x00"
# Optuna's RDB tables (its models' metadata, and alembic's version row): a file holding only some of them is a study
# database another worker is creating right now (RDBStorage creates them one at a time), not a foreign one
OPTUNA_TABLES = frozenset({
    "studies", "study_directions", "study_system_attributes", "study_user_attributes", "trial_heartbeats", "trial_intermediate_values",
    "trial_params", "trial_system_attributes", "trial_user_attributes", "trial_values", "trials", "version_info", "alembic_version",
})
_JOURNAL_SUFFIXES = (".log", ".journal", ".jsonl")
_SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")


def storage_file(storage: str) -> tuple[str, str] | None:
    """``(path, "journal" or "sqlite")`` when ``storage`` names a local file (as :func:`make_storage` reads it), else None.

    A leading ``~`` of the path (``~/s.log``, ``sqlite:///~/s.db``) is the home folder, as the command line reads it: the
    Python API wrote such a study into a new folder named ``~`` in the current one (which ``rm -rf ~`` then removes
    with the home folder), and SQLite refused the URL.
    """
    if _names_no_file(storage):
        return None  # storage_kind says so
    if storage.startswith("journal:"):
        found = storage[len("journal:"):], "journal"
    elif storage.endswith(_JOURNAL_SUFFIXES):
        found = storage, "journal"
    elif storage.startswith("sqlite:///"):
        found = storage[len("sqlite:///"):], "sqlite"
    elif storage.endswith(_SQLITE_SUFFIXES) and "://" not in storage:
        found = storage, "sqlite"
    else:
        return None
    return os.path.expanduser(found[0]), found[1]


def check_storage_file(storage: str) -> None:
    """Raise ``ValueError`` (before any study opens; leaves nothing behind) when ``storage`` is no form
    :func:`make_storage` opens (:func:`storage_kind`) or the file it names cannot hold a study.

    A SQLite file's folder must exist (SQLite cannot create it, and would fail
    only after retries); a journal's folder is created by :func:`make_storage`,
    so it must be creatable. Either way the folder (lock and journal files go
    beside the study) and an existing file must be writable.
    """
    storage_kind(storage)  # a form make_storage opens
    found = storage_file(storage)
    problem = storage_problem(storage, folder=found is not None and found[1] == "sqlite")
    if problem is not None:
        raise ValueError(f"storage: {problem}")


def storage_problem(storage: str, *, folder: bool = False) -> str | None:
    """Why the local file ``storage`` names cannot be an Optuna study store, or None (a fine or a new file, or no file).

    The file must be writable where it is: not a folder, its folder creatable (no file in the way, a writable folder
    above it) and writable, an existing file writable. Permissions are not taken on trust (``os.access`` passes root
    everywhere, and says nothing of immutable files or file systems without locks): a temporary file is created and
    removed in the folder (for SQLite, a temporary database written in a transaction, its journal and locks), an
    existing file is opened for writing (nothing written) and an existing SQLite file takes a write lock
    (``BEGIN IMMEDIATE``) that is rolled back.

    The user's file is never written, so a corrupt or foreign file is left exactly as it was: a SQLite file must carry
    SQLite's header and hold no table but Optuna's (:data:`OPTUNA_TABLES`; some of them without ``version_info`` is a
    study database a worker beside this one is creating, table by table); a journal must be UTF-8 JSON lines (its last
    line may be partly written by a running worker).

    Parameters
    ----------
    storage : str
        The storage URL or path.
    folder : bool
        Also say so when the file's folder does not exist (the command line refuses that; :func:`make_storage` creates
        a journal's folder).
    """
    found = storage_file(storage)
    if found is None:
        return None
    path, kind = found
    problem = _place_problem(path, folder=folder) or _write_problem(path, kind)
    if problem is not None or not os.path.isfile(path) or os.path.getsize(path) == 0:
        return problem
    why = _sqlite_problem(path) if kind == "sqlite" else _journal_problem(path)
    if why is not None:
        return f"'{path}' is not an Optuna study database or journal: {why}"
    return _sqlite_write_problem(path) if kind == "sqlite" else None


def _place_problem(path: str, *, folder: bool) -> str | None:
    """Why a study file cannot be written at ``path`` (a folder there, its folder not creatable or not writable,
    the file read only), or None. Looks only: creates nothing (``os.access``, so root passes the permission checks)."""
    # paths as given, not made absolute: a relative path works where a folder above the current one is closed to this user
    parent = os.path.dirname(path) or "."
    if os.path.isdir(path):
        return f"'{path}' is a folder: give a file name, e.g. '{os.path.join(path, 'search.log')}'."
    existing = _nearest_existing(parent)
    if not os.path.isdir(existing):
        return f"folder '{parent}' cannot be created: '{existing}' is a file. Give a path in a folder."
    if existing != parent:
        if folder:
            return f"folder '{parent}' does not exist: create it first, or give a path in an existing folder."
        if not os.access(existing, os.W_OK | os.X_OK):
            return f"folder '{parent}' cannot be created: '{existing}' is not writable. Give a path in a folder you can write to."
        return None
    if not os.access(parent, os.W_OK | os.X_OK):
        return (f"folder '{parent}' is not writable (the study writes its file and a lock file there): "
                "give a path in a folder you can write to.")
    if os.path.isfile(path) and not os.access(path, os.W_OK):
        return f"'{path}' is read-only: make it writable (chmod u+w) to add trials to it, or give a new file name."
    return None


def _nearest_existing(folder: str) -> str:
    """``folder``, or the nearest folder (or file) above it that exists: where the study's folder would be created."""
    existing = folder
    while not os.path.exists(existing) and (os.path.dirname(existing) or ".") != existing:
        existing = os.path.dirname(existing) or "."
    return existing


def _sqlite_uri(path: str, mode: str) -> str:
    """SQLite's ``file:`` URI of ``path`` opened in ``mode`` ("ro", "rw"), the path quoted: '#' or '?' in a file name
    would cut the URI, and SQLite would open (and create) another file."""
    return f"file:{urllib.parse.quote(path)}?mode={mode}"


_SQLITE_SIDE_FILES = ("-journal", "-wal", "-shm")  # what SQLite creates beside a database while it writes


def _write_problem(path: str, kind: str) -> str | None:
    """Why writing at ``path`` fails when tried (after :func:`_place_problem`'s permission reading), or None.

    Tries in the nearest existing folder what the study will do there, on
    temporary names that are removed again: create a file (journal: also its
    lock file), or create and write a SQLite database (its journal and locks).
    An existing file is opened for writing; nothing is written to it.
    """
    import secrets

    existing = _nearest_existing(os.path.dirname(path) or ".")  # a folder: _place_problem has said so
    if kind == "sqlite":
        for side in _SQLITE_SIDE_FILES:
            if os.path.lexists(path + side) and not os.path.isfile(path + side):
                return (f"'{path}{side}' is in the way: SQLite writes its {side[1:]} file there while it writes the study. "
                        "Remove it, or give another file name.")
    # paths as given (not tempfile's absolute ones): a relative path works where a folder above the current one is closed to this user
    probe = os.path.join(existing, f".hl-storage-check-{os.getpid()}-{secrets.token_hex(4)}{'.db' if kind == 'sqlite' else '.log'}")
    try:
        fd = os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except OSError as exc:
        return (f"folder '{existing}' is not writable (creating a file there failed: {exc.strerror or exc}): "
                "give a path in a folder you can write to.")
    os.close(fd)
    try:
        if kind == "sqlite":
            why = _sqlite_probe(probe)
            if why is not None:
                return f"SQLite cannot write a database in folder '{existing}' ({why}): give a path on a local disk you can write to."
    finally:
        for leftover in (probe, *(probe + side for side in _SQLITE_SIDE_FILES)):
            with contextlib.suppress(FileNotFoundError):
                os.remove(leftover)
    if os.path.isfile(path):
        try:
            with open(path, "r+b"):  # neither created nor truncated; nothing is written
                pass
        except OSError as exc:
            return f"'{path}' cannot be opened for writing ({exc.strerror or exc}): make it writable, or give a new file name."
    return None


def _sqlite_probe(probe: str) -> str | None:
    """Write one table to the new, temporary SQLite file ``probe`` in a transaction; SQLite's error, or None."""
    import sqlite3

    try:
        con = sqlite3.connect(probe, timeout=2, isolation_level=None)
        try:
            con.execute("BEGIN IMMEDIATE")
            con.execute("CREATE TABLE probe (x INTEGER)")
            con.execute("COMMIT")
        finally:
            con.close()
    except sqlite3.Error as exc:
        return str(exc)
    return None


def _sqlite_write_problem(path: str) -> str | None:
    """Why SQLite cannot write the existing database ``path``, or None: opens it read-write and takes, then
    rolls back, a write lock (``BEGIN IMMEDIATE`` writes no page). Busy (another worker writing) counts as fine."""
    import sqlite3

    try:
        con = sqlite3.connect(_sqlite_uri(path, "rw"), uri=True, timeout=0, isolation_level=None)
        try:
            con.execute("BEGIN IMMEDIATE")
            con.execute("ROLLBACK")
        finally:
            con.close()
    except sqlite3.Error as exc:
        if getattr(exc, "sqlite_errorname", "") in ("SQLITE_BUSY", "SQLITE_LOCKED"):
            return None
        return f"SQLite cannot write '{path}' ({exc}): make it and its folder writable, or give a new file name."
    return None


def _sqlite_problem(path: str) -> str | None:
    import sqlite3

    with open(path, "rb") as fh:
        if fh.read(len(_SQLITE_HEADER)) != _SQLITE_HEADER:
            return "it is not a SQLite file. Give a new file name, or the .db file of an earlier search."
    try:
        with contextlib.closing(sqlite3.connect(_sqlite_uri(path, "ro"), uri=True)) as con:
            tables = {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as exc:
        return f"SQLite cannot read it ({exc}). Give a new file name, or the .db file of an earlier search."
    other = sorted(tables - OPTUNA_TABLES)
    if other:  # (Optuna's tables without version_info: a worker beside this one is creating the schema, table by table)
        return f"it is a SQLite database with other tables ({', '.join(other[:3])}). Give a new file name, or the .db file of an earlier search."
    return None


def _journal_problem(path: str) -> str | None:
    import json

    with open(path, "rb") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.endswith(b"\n"):
                break  # a record still being written
            try:
                record = json.loads(line.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                return f"line {number} is not a JSON record. Give a new file name, or the .log file of an earlier search."
            if not isinstance(record, dict) or "op_code" not in record:
                return f"line {number} is not an Optuna journal record. Give a new file name, or the .log file of an earlier search."
    return None


def _pg_driver(url: str) -> str:
    """SQLAlchemy 2.1 maps ``postgresql://`` to psycopg 3; use psycopg2 when only it is installed."""
    import importlib.util

    if importlib.util.find_spec("psycopg") is None and importlib.util.find_spec("psycopg2") is not None:
        return "postgresql+psycopg2://" + url[len("postgresql://"):]
    return url


def _server_problem(url: str, given: str) -> str | None:
    """Why the database server ``url`` names cannot hold a study (its driver missing, the URL malformed, the server
    unreachable or refusing the login), or None; one connection is opened and closed. ``given``: the URL as the user wrote it
    (``url`` may name the driver :func:`_pg_driver` chose), shown without its password.

    Why: Optuna's own errors for these are an ``ImportError`` that names no driver and a ``sqlalchemy`` ``OperationalError``
    (after :func:`_rdb`'s retries, which are for the table-creation race, not a server that is down), and the command line
    took both for internal errors to report, where the fix is the user's: the URL, the server, or ``pip install`` a driver.
    """
    import sqlalchemy
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    try:
        shown = sqlalchemy.engine.make_url(given).render_as_string(hide_password=True)
    except (ArgumentError, ValueError) as exc:
        return f"'{given}' is not a database URL ({exc}): write it as postgresql://user:password@host:port/database."
    try:
        engine = sqlalchemy.create_engine(url)
    except ImportError as exc:  # the dialect's driver (psycopg2, psycopg, MySQLdb, ...)
        return (f"the database driver for '{shown}' is not installed ({exc}): install it (for PostgreSQL: pip install psycopg2-binary), "
                "or use a SQLite file (search.db) or a journal file (search.log).")
    except (ArgumentError, ValueError) as exc:
        return f"'{shown}' is not a database URL ({exc}): write it as postgresql://user:password@host:port/database."
    try:
        with engine.connect():
            pass
    except (SQLAlchemyError, ValueError) as exc:
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
        return (f"cannot connect to '{shown}' ({reason}): check that the server runs and the URL's host, port, user, password "
                "and database name.")
    finally:
        engine.dispose()
    return None


def _rdb(url: str, engine_kwargs: dict[str, Any], given: str | None = None) -> Any:
    """An RDB storage; several processes creating its tables at once race, so retry. A database server that
    cannot be reached is one ``ValueError`` first (:func:`_server_problem`; ``given``: the URL as written, for its message);
    a SQLite file was checked by ``check_storage_file``."""
    import optuna
    from sqlalchemy.exc import DBAPIError

    if not url.startswith("sqlite:"):
        problem = _server_problem(url, given or url)
        if problem is not None:
            raise ValueError(f"storage: {problem}")
    rdb = optuna.storages.RDBStorage
    for attempt in range(8):
        store = rdb.__new__(rdb)  # made apart from its set-up, so that a failed attempt's engine can be disposed of
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                rdb.__init__(store, url, engine_kwargs=engine_kwargs, heartbeat_interval=30, grace_period=120)
            return store
        except BaseException as exc:
            _release_attempt(store)
            # "table already exists", unique version row, locked: another process creates the schema
            if not isinstance(exc, DBAPIError) or attempt == 7:
                raise
        time.sleep(0.05 + random.random() * 0.2 * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover


def _release_attempt(store: Any) -> None:
    """What an ``RDBStorage`` whose set-up failed holds: its session, and its engine's pooled connection.

    Why: Optuna makes the engine first, then creates the tables and the version row, which race with another process
    creating them (:func:`_rdb` retries); each failed attempt's engine kept its connection (the SQLite file, a server's
    connection slot) open until the garbage collector found it. Set-up stops at any step, so only what it made is released.
    """
    made = vars(store)
    if "scoped_session" in made:
        store.remove_session()
    if made.get("engine") is not None:
        made["engine"].dispose()


def _journal(path: str) -> Any:
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock

    from .journal import check_journal_tail

    # storage_problem said why beforehand; this catches what only the attempt shows (a read-only mount, ACLs, a race)
    try:
        if os.path.dirname(path):  # as given: a relative path needs no access to the folders above the current one
            os.makedirs(os.path.dirname(path), exist_ok=True)
        lock = JournalFileOpenLock(path)
        check_journal_tail(path, lock)  # a record cut short would merge with the next one: the journal lost
        return JournalStorage(JournalFileBackend(path, lock_obj=lock))
    except OSError as exc:
        why = exc.strerror or str(exc)
        at = f": '{exc.filename}'" if exc.filename and os.fspath(exc.filename) != path else ""
        raise ValueError(f"storage: cannot open the journal '{path}' ({why}{at}): give a path in a folder you can write to.") from exc


def create_or_load(storage: Any, name: str, directions: list[str], sampler: Any, refuse_other: Callable[[Any], None] | None = None) -> Any:
    """Create the study if it does not exist, else load it, surviving the creation race.

    Several processes creating one brand-new study at once can collide inside
    the RDB storage (a duplicate-key error instead of "already exists"): the
    losers wait a moment and load the winner's study. A study of other directions is one ValueError: ``refuse_other(study)``'s
    where given (``search`` passes :func:`~.scoring.check_resumed_objectives`, which names the objectives the study was run
    for where it recorded them; passed in, as ``scoring`` sits above this module), else one naming the directions.
    """
    import optuna

    last: Exception | None = None
    for attempt in range(8):
        try:
            study = optuna.create_study(storage=storage, study_name=name, directions=list(directions), sampler=sampler,  # type: ignore[arg-type]
                                        load_if_exists=True)
            break
        except Exception as exc:  # DuplicatedStudyError, IntegrityError, OperationalError (sqlite locked)
            last = exc
            time.sleep(0.05 + random.random() * 0.2 * (attempt + 1))
            try:
                study = optuna.load_study(study_name=name, storage=storage, sampler=sampler)
                break
            except Exception as exc2:  # not created yet by the winner: retry
                last = exc2
    else:
        raise RuntimeError(f"could not create or load study {name!r}: {type(last).__name__}: {last}") from last
    if [d.name.lower() for d in study.directions] != directions:
        if refuse_other is not None:  # "was run for the objectives score, and this search has score, params", not directions
            refuse_other(study)
        raise ValueError(
            f"study {name!r} in this storage has directions {[d.name.lower() for d in study.directions]}, "
            f"but these objectives need {directions}: use another study_name."
        )
    return study


# ------------------------------------------------------------ dead workers
WORKER_ATTR = "worker"
ORPHAN_AFTER_S = 300.0
"""Age (seconds since Optuna created it) after which a running trial without a ``worker`` attribute is failed.

The objective records its worker first, milliseconds after the trial is created, so such a trial's process was
stopped in between (a SIGTERM after Ctrl-C, say); five minutes leaves room for a slow storage and for clocks
of other hosts that disagree by a little.
"""


def _start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (Linux ``/proc``), to tell a reused pid apart."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return None
    # field 22 (starttime) counted after the ")" that closes the command name, which may hold spaces
    return int(stat[stat.rindex(b")") + 2:].split()[19])


def this_worker() -> dict[str, Any]:
    """Who runs a trial: host name, pid and process start time (stored as the trial's ``worker`` attribute)."""
    pid = os.getpid()
    return {"host": socket.gethostname(), "pid": pid, "start": _start_ticks(pid)}


def _alive(worker: dict[str, Any]) -> bool:
    """Whether the local process ``worker`` describes still runs (unknown hosts count as alive)."""
    if worker.get("host") != socket.gethostname():
        return True
    pid = worker.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        pass
    start = worker.get("start")
    return start is None or _start_ticks(pid) in (None, start)


def fail_dead_local_trials(study: Any) -> list[int]:
    """Mark ``FAIL`` every running trial whose worker process on this host has died, and every running trial
    older than :data:`ORPHAN_AFTER_S` that never recorded a worker; return their numbers.

    Works on every storage (Optuna's heartbeat covers RDB storages only, and
    only after its grace period, and never fails a trial that wrote no heartbeat).
    Trials of other hosts that recorded their worker are left to them.
    """
    import datetime

    import optuna

    S = optuna.trial.TrialState
    failed = []
    now = datetime.datetime.now()  # Optuna stamps datetime_start with the creating process's local time
    for t in study.get_trials(deepcopy=False, states=(S.RUNNING,)):
        worker = t.user_attrs.get(WORKER_ATTR)
        if isinstance(worker, dict):
            if _alive(worker):
                continue
            why = f"worker process {worker.get('pid')} died"
        elif t.datetime_start is not None and (now - t.datetime_start).total_seconds() > ORPHAN_AFTER_S:
            why = f"its worker stopped before recording itself (trial created {t.datetime_start:%Y-%m-%d %H:%M:%S})"
        else:
            continue
        try:
            study._storage.set_trial_user_attr(t._trial_id, "failed_because", why)
            if study._storage.set_trial_state_values(t._trial_id, state=S.FAIL):
                failed.append(t.number)
        except optuna.exceptions.UpdateFinishedTrialError:  # another process failed it first
            pass
    return failed


__all__ = ["ORPHAN_AFTER_S", "WORKER_ATTR", "check_storage_file", "close_storage", "close_study", "create_or_load", "fail_dead_local_trials", "make_storage", "opened_storage", "storage_kind", "this_worker"]
