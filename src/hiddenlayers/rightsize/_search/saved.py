"""The model files written for a study, recorded in the study itself: what a resumed search may write over.

Why: ``hiddenlayers search --storage S`` stopped by ``--timeout`` (whose note says "the same command resumes it"),
or run again with more ``--trials``, refused its own model files from the first run ("already exists: pass
--force"). A file's name (``STUDY-trialN.safetensors``) and even its metadata could come from another search
(another storage, an in-memory one) or be a copy; only the study knows what was written for it. Each file is
recorded under :data:`SAVED_ATTR`, a study user attribute (SQLite, PostgreSQL and journal storages alike), by
its absolute path and the SHA-256 of its bytes, so a file the study never wrote, or one changed since, is still
refused.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

#: the study user attribute that holds ``{absolute path: SHA-256 hex}`` of the model files written for the study
SAVED_ATTR = "saved_files"


def file_key(path: str | os.PathLike[str]) -> str:
    """The key a model file is recorded under: its absolute path, links resolved (``found/a`` and ``./found/a`` are one)."""
    return str(Path(path).resolve())


def file_digest(path: str | os.PathLike[str]) -> str:
    """The hex SHA-256 of the file's bytes, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _as_record(value: Any) -> dict[str, str]:
    """The attribute's value as ``{path: digest}``; anything else (absent, edited by hand) as nothing recorded."""
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}


def saved_files(storage: str | None, study_name: str) -> dict[str, str]:
    """``{absolute path: SHA-256}`` of the model files recorded as written for study ``study_name`` in ``storage``.

    Empty without a storage, for a storage file not yet there or empty (nothing is created: it is only read), and
    for a study the storage does not hold. A storage that cannot be opened raises ``ValueError`` (as ``search`` would).

    Parameters
    ----------
    storage : str or None
        The study's storage, as :func:`search` takes it (None: in memory, which nothing outlives).
    study_name : str
        The study's name in ``storage``.
    """
    from .storage import opened_storage, storage_file

    if storage is None:
        return {}
    found = storage_file(storage)
    if found is not None and (not os.path.isfile(found[0]) or os.path.getsize(found[0]) == 0):
        return {}
    with opened_storage(storage) as store:  # closed after: the engine's pooled connection, not left for the garbage collector
        try:
            study_id = store.get_study_id_from_name(study_name)
        except KeyError:
            return {}
        return _as_record(store.get_study_user_attrs(study_id).get(SAVED_ATTR))


def recorded_files(study: Any) -> dict[str, str]:
    """``{absolute path: SHA-256}`` of the model files recorded as written for the open ``study`` (as :func:`saved_files`).

    Parameters
    ----------
    study : optuna.Study
        The study, open in its storage (:attr:`SearchResult.study`).
    """
    return _as_record(study.user_attrs.get(SAVED_ATTR))


def written_for(recorded: dict[str, str], path: str | os.PathLike[str]) -> bool:
    """Whether the file ``path`` is one that ``recorded`` names, with the same bytes it had when written.

    Parameters
    ----------
    recorded : dict of str to str
        What :func:`saved_files` read of the study.
    path : str or PathLike
        The model file.
    """
    digest = recorded.get(file_key(path))
    return digest is not None and os.path.isfile(path) and file_digest(path) == digest


def record_saved(study: Any, written: Iterable[str | os.PathLike[str]], removed: Iterable[str | os.PathLike[str]] = ()) -> None:
    """Record in ``study`` the model files just ``written`` for it, and forget the ``removed`` ones.

    The files recorded in other folders are kept. Written to the study's storage at once (an Optuna user attribute).

    Parameters
    ----------
    study : optuna.Study
        The study, open in its storage (:attr:`SearchResult.study`).
    written : iterable of str or PathLike
        The model files just written for it.
    removed : iterable of str or PathLike
        Files of the study just removed.
    """
    gone = {file_key(p) for p in removed}
    record = {k: v for k, v in recorded_files(study).items() if k not in gone}
    record.update({file_key(p): file_digest(p) for p in written})
    study.set_user_attr(SAVED_ATTR, record)


__all__ = ["SAVED_ATTR", "file_digest", "file_key", "record_saved", "recorded_files", "saved_files", "written_for"]
