"""_files: what the atomic writers do when the disk refuses a write (full, quota, read-only): one sentence naming the output, nothing replaced, no temp file."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from hiddenlayers import _files
from hiddenlayers._files import atomic_stream, atomic_write_bytes, atomic_write_files


def _full_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every fsync raises ENOSPC, as a full disk does once the written pages reach it (NFS, quota, thin volumes)."""
    def fsync(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(_files.os, "fsync", fsync)


def _left(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_full_disk_names_the_output_and_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = tmp_path / "model.safetensors"
    old.write_bytes(b"old")
    _full_disk(monkeypatch)
    with pytest.raises(OSError) as info:
        atomic_write_bytes(old, b"new" * 100)
    assert info.value.errno == errno.ENOSPC and info.value.filename == str(old)
    assert info.value.strerror.startswith(f"no space left on the device while writing '{old}'")
    assert info.value.strerror.endswith("free some space or choose another output path.")
    assert old.read_bytes() == b"old" and _left(tmp_path) == ["model.safetensors"]


def test_a_full_disk_on_the_second_of_two_files_writes_neither(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def fsync(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(errno.EDQUOT, os.strerror(errno.EDQUOT))

    monkeypatch.setattr(_files.os, "fsync", fsync)
    with pytest.raises(OSError, match=f"disk quota exceeded while writing '{tmp_path / 'b.onnx'}'"):
        atomic_write_files({tmp_path / "a.onnx": b"a", tmp_path / "b.onnx": b"b"})
    assert _left(tmp_path) == []


def test_a_full_disk_while_streaming_names_the_output(tmp_path: Path) -> None:
    out = tmp_path / "pred.csv"

    with pytest.raises(OSError) as info, atomic_stream(out) as fh:
        fh.write(b"a,b\n")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # as fh.write raises it on a full disk
    assert info.value.strerror.startswith(f"no space left on the device while writing '{out}'")
    assert _left(tmp_path) == []


def test_other_os_errors_pass_unchanged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fsync(fd: int) -> None:
        raise OSError(errno.EBADF, "bad file descriptor")

    monkeypatch.setattr(_files.os, "fsync", fsync)
    with pytest.raises(OSError, match="bad file descriptor") as info:
        atomic_write_bytes(tmp_path / "x", b"x")
    assert info.value.errno == errno.EBADF and _left(tmp_path) == []


def test_a_read_only_file_system_is_not_told_to_free_space(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """EROFS (a read-only mount, where even root cannot write) names a writable file system, not space to free."""
    def mkstemp(path: Path) -> tuple[int, str]:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(tmp_path / ".x.tmp"))

    monkeypatch.setattr(_files, "_open_temp", mkstemp)
    with pytest.raises(OSError) as info:
        atomic_write_bytes(tmp_path / "x.onnx", b"x")
    assert info.value.strerror == (f"read-only file system while writing '{tmp_path / 'x.onnx'}': nothing was written there "
                                   "(an old file is as it was); choose an output path on a writable file system.")


_KILLED_MID_SAVE = """
import os, sys, time
from hiddenlayers import _files

def fsync(fd):  # the bytes are written; wait here, as a large save waits on the disk, to be killed
    print("writing", flush=True)
    time.sleep(60)

_files.os.fsync = fsync
_files.atomic_write_bytes(sys.argv[1], b"new" * 1000)
"""


@pytest.mark.skipif(not hasattr(os, "O_TMPFILE") or not os.path.isdir("/proc/self/fd"), reason="unnamed temp files need Linux's O_TMPFILE and /proc")
def test_a_kill_during_a_save_leaves_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    """kill -9 (or the OOM killer) while the temp file is written: the old file as it was and nothing beside it
    (a named temp file stayed behind, as large as the model)."""
    import signal
    import subprocess
    import sys

    old = tmp_path / "model.safetensors"
    old.write_bytes(b"old")
    src = Path(_files.__file__).parents[1]
    env = {**os.environ, "PYTHONPATH": str(src)}
    child = subprocess.Popen([sys.executable, "-c", _KILLED_MID_SAVE, str(old)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert child.stdout is not None and child.stdout.readline() == "writing\n"
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        child.kill()
    assert old.read_bytes() == b"old" and _left(tmp_path) == ["model.safetensors"]


def test_where_linking_is_refused_the_temp_file_is_a_named_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A sandbox that refuses the /proc link still gets the whole file, with its mode, and no temp file left."""
    def link(*args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(_files.os, "link", link)
    old_umask = os.umask(0o022)
    try:
        atomic_write_files({tmp_path / "a.bin": b"a" * 3_000_000, tmp_path / "b.bin": b"b"})
    finally:
        os.umask(old_umask)
    assert (tmp_path / "a.bin").read_bytes() == b"a" * 3_000_000 and (tmp_path / "b.bin").read_bytes() == b"b"
    assert (tmp_path / "a.bin").stat().st_mode & 0o777 == 0o644
    assert _left(tmp_path) == ["a.bin", "b.bin"]


def test_a_symlink_output_stays_a_link_and_its_file_is_written(tmp_path: Path) -> None:
    """The rename replaced the link with a plain file (the file it named kept the old bytes): the link's file is written, as open() would."""
    real = tmp_path / "v3.safetensors"
    real.write_bytes(b"old")
    link = tmp_path / "current.safetensors"
    link.symlink_to(real.name)
    atomic_write_bytes(link, b"new")
    assert link.is_symlink() and os.readlink(link) == real.name and real.read_bytes() == b"new"
    dangling = tmp_path / "next.csv"
    dangling.symlink_to("made.csv")
    with atomic_stream(dangling) as fh:
        fh.write(b"a\n")
    assert dangling.is_symlink() and (tmp_path / "made.csv").read_bytes() == b"a\n"
    assert _left(tmp_path) == ["current.safetensors", "made.csv", "next.csv", "v3.safetensors"]


def test_every_suffix_read_table_reads_is_named_a_data_file(tmp_path: Path) -> None:
    # two lists of one rule (_files cannot import data, which imports it): a format read_table learns must be named here too
    from hiddenlayers._files import DATA_SUFFIXES, foreign_format
    from hiddenlayers.data._table import SUFFIXES

    assert set(SUFFIXES) <= DATA_SUFFIXES
    for suffix in SUFFIXES:
        data = tmp_path / f"rows{suffix.upper()}"
        data.write_bytes(b"a,b\n1,2\n")
        assert (foreign_format(data) or "").startswith("it is a data file, not a model:"), suffix
    parquet = tmp_path / "rows"  # no suffix: known by Parquet's magic bytes
    parquet.write_bytes(b"PAR1" + b"\0" * 8)
    assert (foreign_format(parquet) or "").startswith("it is a data file, not a model:")


def test_a_compressed_model_is_not_called_a_data_file(tmp_path: Path) -> None:
    import gzip

    from hiddenlayers._files import foreign_format

    rows = tmp_path / "rows.csv.gz"
    rows.write_bytes(gzip.compress(b"a,b\n1,2\n"))
    assert (foreign_format(rows) or "").startswith("it is a data file, not a model:")
    model = tmp_path / "model.safetensors.gz"  # the one .gz suffix made it 'a data file' that the command takes second
    model.write_bytes(gzip.compress(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      "))
    assert "data file" not in (foreign_format(model) or "")
