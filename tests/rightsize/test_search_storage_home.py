"""A study file's path with a leading ``~`` (``~/s.log``, ``sqlite:///~/s.db``) is in the home folder, as the command line reads it."""

from __future__ import annotations

import pytest

from hiddenlayers.rightsize import SearchSpace, search
from hiddenlayers.rightsize._search.storage import storage_file, storage_kind

SPACE = SearchSpace(layers=(1, 1), widths=(4,), batch_sizes=(32,), learning_rate_init=(1e-2, 1e-2))
TINY = {"space": SPACE, "max_epochs": 1, "cv": 1, "refit": False}


@pytest.mark.parametrize("storage, name", [("~/s.log", "s.log"), ("journal:~/j.txt", "j.txt"), ("sqlite:///~/s.db", "s.db"), ("~/t.db", "t.db")])
def test_a_study_file_under_tilde_is_written_in_the_home_folder(iris, tmp_path, monkeypatch, storage, name) -> None:
    """search(storage='~/s.log') wrote the journal into a new folder named '~' in the current one (which a later
    `rm -rf ~` removes with the home folder); 'sqlite:///~/s.db' was refused ("folder '~' does not exist"). A second
    search resumes the same study from the home folder's file."""
    X, y = iris
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    assert search(X, y, trials=1, storage=storage, **TINY).n_trials == 1
    assert (home / name).is_file() and list(work.iterdir()) == []
    assert search(X, y, trials=2, storage=storage, **TINY).n_trials == 2  # resumed from the same file


def test_the_storage_parsers_expand_only_a_leading_tilde(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert storage_file("~/a/s.log") == (f"{tmp_path}/a/s.log", "journal")
    assert storage_kind("sqlite:///~/s.db") == ("rdb", f"sqlite:///{tmp_path}/s.db")
    assert storage_file("runs/~x.log") == ("runs/~x.log", "journal")  # a '~' inside a path is a name
    assert storage_kind("postgresql://u@h/db") == ("rdb", "postgresql://u@h/db")
