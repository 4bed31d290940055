"""The fingerprint of a streamed source's files (data/_stream_fingerprint): what identifies a Parquet file (size, footer rows,
footer digest; not its modification time) and a CSV file (size, modification time), and records written before footers
were digested, judged by the time as they were then."""

from __future__ import annotations

import hashlib
import os
import shutil

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from hiddenlayers.data import ParquetSource, fingerprint_change, retimed


def _write(folder, values: np.ndarray, suffix: str = "parquet") -> None:
    """``values`` as column ``a`` (label ``y``) in ``folder/t.<suffix>``: Parquet uncompressed and plain-encoded, so a file of
    other values of the same count has the same size."""
    folder.mkdir(exist_ok=True)
    frame = pd.DataFrame({"a": values, "y": np.arange(len(values)) % 2})
    if suffix == "csv":
        frame.to_csv(folder / "t.csv", index=False)
    else:
        frame.to_parquet(folder / "t.parquet", compression=None, use_dictionary=False, row_group_size=50)


def _touch(path, seconds: int = 10) -> None:
    st_ = os.stat(path)
    os.utime(path, ns=(st_.st_atime_ns, st_.st_mtime_ns + seconds * 10**9))


def test_a_parquet_copy_that_did_not_keep_times_is_the_same_files(tmp_path):
    """Before, a copy without times (cp without -p, a download) refused the resume: the modification time was the file's identity.
    A Parquet file is now its size, footer rows and footer digest; its time is recorded, not judged."""
    _write(tmp_path / "a", np.linspace(0, 1, 100))
    old = ParquetSource(str(tmp_path / "a"), target="y").fingerprint()
    (tmp_path / "b").mkdir()
    shutil.copyfile(tmp_path / "a" / "t.parquet", tmp_path / "b" / "t.parquet")  # the bytes, not the times
    _touch(tmp_path / "b" / "t.parquet")
    new = ParquetSource(str(tmp_path / "b"), target="y").fingerprint()
    assert new["files"]["t.parquet"]["mtime_ns"] != old["files"]["t.parquet"]["mtime_ns"]
    assert fingerprint_change(old, new) is None
    assert retimed(old, new) == ["t.parquet"] and retimed(old, old) == []  # what train DIR's resume note names


def test_a_parquet_file_rewritten_with_its_size_rows_and_time_is_told_by_its_footer(tmp_path):
    """Other values, the same size and rows, the time put back (a sync tool, a restore): before, nothing differed and the resume
    went on with the old rows' statistics; the footer (its column statistics) differs."""
    _write(tmp_path, np.linspace(0, 1, 100))
    path = tmp_path / "t.parquet"
    st_ = os.stat(path)
    old = ParquetSource(str(tmp_path), target="y").fingerprint()
    _write(tmp_path, np.linspace(5, 9, 100))
    os.utime(path, ns=(st_.st_atime_ns, st_.st_mtime_ns))
    assert os.path.getsize(path) == st_.st_size
    new = ParquetSource(str(tmp_path), target="y").fingerprint()
    assert fingerprint_change(old, new) == "'t.parquet' was rewritten after the checkpoint's run read it (its Parquet footer changed)"


def test_a_value_edited_inside_its_columns_range_keeps_the_footer_as_the_docs_now_say(tmp_path):
    """The limit the guide and README state (they said any rewrite was refused): the footer holds chunk sizes and min/max,
    not the values, so one value changed inside its column's range (pandas' default Parquet: snappy, dictionary) and a
    flipped label keep it, and the resume is not refused. If this starts failing, the fingerprint sees values: update the docs."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=2000), "y": rng.integers(0, 2, 2000)})
    frame.to_parquet(tmp_path / "t.parquet", index=False)
    old = ParquetSource(str(tmp_path), target="y").fingerprint()
    frame.loc[10, "a"], frame.loc[20, "y"] = frame.loc[10, "a"] / 2, 1 - frame.loc[20, "y"]
    frame.to_parquet(tmp_path / "t.parquet", index=False)
    new = ParquetSource(str(tmp_path), target="y").fingerprint()
    assert fingerprint_change(old, new) is None


def test_a_csv_file_and_an_older_parquet_record_are_told_by_their_modification_time(tmp_path):
    """A CSV file has no footer (its rows would take a read of every line): a new time is a change, as before. A record written
    before footers were digested (no "footer") is judged by the time too, as it was then."""
    _write(tmp_path / "c", np.linspace(0, 1, 20), "csv")
    old = ParquetSource(str(tmp_path / "c"), target="y").fingerprint()
    assert old["files"]["t.csv"]["footer"] is None and old["files"]["t.csv"]["rows"] is None
    _touch(tmp_path / "c" / "t.csv")
    said = "'t.csv' was modified after the checkpoint's run read it (its modification time changed)"
    assert fingerprint_change(old, ParquetSource(str(tmp_path / "c"), target="y").fingerprint()) == said

    _write(tmp_path / "p", np.linspace(0, 1, 100))
    older = ParquetSource(str(tmp_path / "p"), target="y").fingerprint()
    older["files"]["t.parquet"].pop("footer")  # as the record was written then
    assert fingerprint_change(older, ParquetSource(str(tmp_path / "p"), target="y").fingerprint()) is None
    _touch(tmp_path / "p" / "t.parquet")
    assert fingerprint_change(older, ParquetSource(str(tmp_path / "p"), target="y").fingerprint()) == said.replace("t.csv", "t.parquet")


def test_the_footer_digest_is_the_sha256_of_the_footer_the_file_ends_with(tmp_path):
    from hiddenlayers.data._stream_fingerprint import footer_digest

    _write(tmp_path, np.arange(10.0))
    data = (tmp_path / "t.parquet").read_bytes()
    length = int.from_bytes(data[-8:-4], "little")
    assert footer_digest(str(tmp_path / "t.parquet")) == hashlib.sha256(data[-8 - length:-8]).hexdigest()[:16]


@settings(max_examples=60, deadline=None)
@given(body=st.binary(max_size=40), length=st.integers(0, 2**32 - 1), magic=st.sampled_from([b"PAR1", b"PARE", b"PAR0"]))
def test_the_footer_digest_of_any_bytes_is_a_digest_or_none(tmp_path_factory, body, length, magic):
    """Any file's tail: a 16-hex digest where it ends as a Parquet file does (a length that fits, the magic), else None;
    never an error (a truncated or foreign file is the reader's to refuse, with its own line)."""
    from hiddenlayers.data._stream_fingerprint import footer_digest

    path = tmp_path_factory.mktemp("tail") / "f.parquet"
    tail = length.to_bytes(4, "little") + magic
    path.write_bytes(body + tail)
    got = footer_digest(str(path))
    fits = magic in (b"PAR1", b"PARE") and length <= len(body) - 4
    if fits:
        assert got == hashlib.sha256(body[len(body) - length:]).hexdigest()[:16]
    else:
        assert got is None
