"""The model files written for a study, recorded in it (``rightsize._search.saved``): what a resumed search may write over."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest

from hiddenlayers.rightsize import record_saved, recorded_files, saved_files, written_for


@pytest.mark.parametrize("name", ["s.db", "s.log"])
def test_saved_files_round_trip_through_the_storage_and_see_a_changed_file(tmp_path, name):
    storage = str(tmp_path / name)
    assert saved_files(storage, "st") == {} and not (tmp_path / name).exists()  # only read: no storage file made
    assert saved_files(None, "st") == {}
    study = optuna.create_study(study_name="st", storage=f"sqlite:///{storage}" if name.endswith(".db") else
                                optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(storage)))
    assert saved_files(storage, "st") == {} and saved_files(storage, "other") == {}
    a, b = tmp_path / "st-trial0.safetensors", tmp_path / "st-trial1.safetensors"
    a.write_bytes(b"first")
    b.write_bytes(b"second")
    record_saved(study, [a, b])
    recorded = saved_files(storage, "st")
    assert set(recorded) == {str(a.resolve()), str(b.resolve())} and recorded == recorded_files(study)
    assert written_for(recorded, a) and written_for(recorded, tmp_path / "." / b.name)  # one file by either path
    b.write_bytes(b"second, changed")
    assert not written_for(recorded, b) and not written_for(recorded, tmp_path / "st-trial2.safetensors")
    record_saved(study, [b], removed=[a])  # a's entry forgotten, b's digest renewed
    recorded = saved_files(storage, "st")
    assert list(recorded) == [str(b.resolve())] and written_for(recorded, b)


def test_a_hand_edited_record_reads_as_nothing_recorded(tmp_path):
    study = optuna.create_study(study_name="st", storage=f"sqlite:///{tmp_path / 's.db'}")
    study.set_user_attr("saved_files", ["not", "a", "dict"])
    assert saved_files(str(tmp_path / "s.db"), "st") == {}
    study.set_user_attr("saved_files", {"a": 1, str(Path("b").resolve()): "x"})
    assert recorded_files(study) == {str(Path("b").resolve()): "x"}


@pytest.mark.parametrize("study_name", ["st", "other"])
def test_saved_files_disposes_the_engine_it_opened(tmp_path, monkeypatch, study_name):
    # the RDB storage opened only to read kept its engine and pooled SQLite connection until garbage collection
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.pool import Pool

    optuna.create_study(study_name="st", storage=f"sqlite:///{tmp_path / 's.db'}")
    disposed, open_now = [], [0]
    real_dispose = Engine.dispose
    monkeypatch.setattr(Engine, "dispose", lambda self, *a, **k: (disposed.append(self), real_dispose(self, *a, **k))[1])

    def opened(*_):
        open_now[0] += 1

    def closed(*_):
        open_now[0] -= 1

    event.listen(Pool, "connect", opened)
    event.listen(Pool, "close", closed)
    try:
        assert saved_files(str(tmp_path / "s.db"), study_name) == {}
    finally:
        event.remove(Pool, "connect", opened)
        event.remove(Pool, "close", closed)
    assert len(disposed) == 1 and open_now[0] == 0
