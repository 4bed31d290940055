"""Shared helper for the tests of scoring a folder (``predict DIR``, ``predict(ParquetSource)``): the folders they read."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def write_folders(d: Path, frames: list[pd.DataFrame], row_group_size: int) -> pd.DataFrame:
    """``frames`` as ``d/pq/part{i}.parquet`` (row groups of ``row_group_size`` rows) and their CSV twins ``d/csv/part{i}.csv``;
    returns every row in one frame, in file order."""
    (d / "pq").mkdir()
    (d / "csv").mkdir()
    for i, f in enumerate(frames):
        f.to_parquet(d / "pq" / f"part{i}.parquet", row_group_size=row_group_size)
        f.to_csv(d / "csv" / f"part{i}.csv", index=False)
    return pd.concat(frames, ignore_index=True)
