"""data/_footer_values: an infinite Parquet cell found from the footers' statistics, named by its row as a batch names it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hiddenlayers.data import refuse_infinite_in_footers
from hiddenlayers.exceptions import DataError


@given(n=st.integers(1, 40), group=st.integers(1, 12), at=st.data(), sign=st.sampled_from([1.0, -1.0]))
@settings(max_examples=25, deadline=None)
def test_the_row_named_is_the_first_infinite_cell_whatever_the_row_groups(tmp_path_factory, n: int, group: int, at, sign: float) -> None:
    rows = sorted(set(at.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=3))))
    a = np.arange(n, dtype=np.float64)
    a[rows] = sign * np.inf
    path = tmp_path_factory.mktemp("f") / "p.parquet"
    pd.DataFrame({"a": a, "b": np.full(n, np.inf)}).to_parquet(path, row_group_size=group)
    with pytest.raises(DataError, match=rf"^column 'a' is numeric, but '{path}' row {rows[0] + 1} holds the infinite number {sign * np.inf}: "):
        refuse_infinite_in_footers([str(path)], ["a"])
    refuse_infinite_in_footers([str(path)], ["x"])  # b's infinite cells: not a column asked about


def test_missing_cells_csv_files_and_footers_without_statistics_pass(tmp_path) -> None:
    frame = pd.DataFrame({"a": [1.0, np.nan, 3.0]})
    frame.to_parquet(tmp_path / "nan.parquet")
    frame.assign(a=[1.0, np.inf, 3.0]).to_parquet(tmp_path / "nostats.parquet", write_statistics=False)
    (tmp_path / "x.csv").write_text("a\ninf\n")  # CSV: found when its batch is read
    refuse_infinite_in_footers([str(tmp_path / n) for n in ("nan.parquet", "nostats.parquet", "x.csv")], ["a"])
