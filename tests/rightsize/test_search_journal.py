"""A journal whose last record was cut short (a full disk, a crash) is refused, untouched, before a search appends to it."""

from __future__ import annotations

import os
import re

import optuna
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hiddenlayers.rightsize import SearchSpace, search
from hiddenlayers.rightsize._search.journal import check_journal_tail, torn_tail

SPACE = SearchSpace(layers=(1, 1), widths=(4,), batch_sizes=(32,), learning_rate_init=(1e-2, 1e-2))
TINY = {"space": SPACE, "max_epochs": 1, "cv": 1, "refit": False}


def test_a_journal_cut_short_is_refused_untouched_and_the_named_fix_resumes_it(iris, tmp_path) -> None:
    X, y = iris
    storage = str(tmp_path / "s.log")
    search(X, y, trials=1, storage=storage, **TINY)
    whole = (tmp_path / "s.log").read_bytes()
    (tmp_path / "s.log").write_bytes(whole[:-10])  # the last record's end lost, as a full disk leaves it
    torn = (tmp_path / "s.log").read_bytes()
    # before: the next trial's record was appended onto the torn one; the merged line is no JSON, with records after it,
    # so Optuna refused the whole journal from then on ("Expecting ',' delimiter") and every trial in it was lost
    with pytest.raises(ValueError, match=rf"^storage: the journal '{re.escape(storage)}' ends in a record cut short \(\d+ bytes after "
                                         r"its last complete line.*python -c 'import os; os\.truncate\(.*\)', then run the search again\.$") as info:
        search(X, y, trials=2, storage=storage, **TINY)
    assert (tmp_path / "s.log").read_bytes() == torn
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.log"]  # no lock file left
    size = int(re.search(r'os\.truncate\(".*", (\d+)\)', str(info.value)).group(1))  # type: ignore[union-attr]
    assert size == len(torn) - len(torn.split(b"\n")[-1])
    os.truncate(storage, size)  # the command the message gives
    assert len(optuna.load_study(study_name="hiddenlayers", storage=optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(storage))).trials) == 1  # the complete trial is still there
    assert search(X, y, trials=2, storage=storage, **TINY).n_trials == 2


class _Lock:
    """A stand-in for the journal's lock that records its use."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def acquire(self) -> bool:
        self.calls.append("acquire")
        return True

    def release(self) -> None:
        self.calls.append("release")


def test_the_tail_is_checked_under_the_lock_only_where_it_looks_torn(tmp_path) -> None:
    path = tmp_path / "s.log"
    lock = _Lock()
    for content in (None, b"", b'{"op_code": 0}\n'):
        if content is not None:
            path.write_bytes(content)
        check_journal_tail(str(path), lock)
    assert lock.calls == []  # a new, empty or whole file: no lock file is made
    path.write_bytes(b'{"op_code": 0}\n{"op_co')
    with pytest.raises(ValueError, match=r"7 bytes after its last complete line"):
        check_journal_tail(str(path), lock)
    assert lock.calls == ["acquire", "release"]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.integers(min_value=1, max_value=64))
def test_torn_tail_is_the_size_up_to_the_last_newline(tmp_path_factory, data: bytes, block: int) -> None:
    import hiddenlayers.rightsize._search.journal as journal

    path = tmp_path_factory.getbasetemp() / "journal-tail.log"  # one file, rewritten by each example
    path.write_bytes(data)
    expected = None if not data or data.endswith(b"\n") else data.rfind(b"\n") + 1
    saved = journal._BLOCK
    journal._BLOCK = block  # small blocks: the search backwards crosses several
    try:
        assert torn_tail(str(path)) == expected
    finally:
        journal._BLOCK = saved


@settings(max_examples=100, deadline=None)
@given(name=st.text(st.characters(codec="utf-8", exclude_characters="/\x00"), min_size=1, max_size=12).filter(lambda n: n not in (".", "..")))
def test_the_printed_truncate_command_runs_as_a_shell_reads_it(tmp_path_factory, name: str) -> None:
    """The command the message prints, split as a POSIX shell splits it (shlex), cuts the file named: before, the code was
    in double quotes around repr(path), which a path with a quote (then repr's double quotes), a $ or a backtick broke."""
    import shlex

    from hiddenlayers.rightsize._search.journal import truncate_command

    folder = tmp_path_factory.mktemp("j")
    path = folder / name
    path.write_bytes(b'{"op_code": 0}\n{"op_co')
    with pytest.raises(ValueError) as info:
        check_journal_tail(str(path), _Lock())
    line = str(info.value)
    command = truncate_command(str(path), 15)
    assert command in line
    argv = shlex.split(command)
    assert argv[:2] == ["python", "-c"] and len(argv) == 3
    exec(argv[2], {})  # what `python -c` runs
    assert path.read_bytes() == b'{"op_code": 0}\n'
