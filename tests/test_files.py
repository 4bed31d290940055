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
    def mkstemp(**kwargs: object) -> tuple[int, str]:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(tmp_path / ".x.tmp"))

    monkeypatch.setattr(_files.tempfile, "mkstemp", mkstemp)
    with pytest.raises(OSError) as info:
        atomic_write_bytes(tmp_path / "x.onnx", b"x")
    assert info.value.strerror == (f"read-only file system while writing '{tmp_path / 'x.onnx'}': nothing was written there "
                                   "(an old file is as it was); choose an output path on a writable file system.")
