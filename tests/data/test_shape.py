"""``data.require_2d``: a 1-D or scalar X is one line naming its shape and both reshapes; 2-D and more pass. ``data.row_count``:
the rows of any container the lens and ``cost`` take, None for what has none."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from hiddenlayers.data import require_2d, row_count
from hiddenlayers.exceptions import DataError


@settings(max_examples=50, deadline=None)
@given(shape=st.lists(st.integers(0, 4), max_size=4), name=st.sampled_from(["X", "codes", "X_target"]))
def test_fewer_than_two_axes_is_one_line_naming_the_shape(shape: list[int], name: str) -> None:
    X = np.zeros(shape)
    if len(shape) >= 2:
        require_2d(X, name)
        return
    with pytest.raises(ValueError) as info:  # a ValueError, as scikit-learn's check_estimator requires of 1-D input
        require_2d(X, name)
    msg = str(info.value)
    assert isinstance(info.value, DataError) and "\n" not in msg
    assert msg == (
        f"{name} must be 2-D (n_samples, n_features). Received shape {tuple(shape)}. Reshape your data with {name}.reshape(-1, 1) "
        f"if it holds one feature, or {name}.reshape(1, -1) if it is one sample."
    )


@pytest.mark.parametrize("X", [[1.0, 2.0], pd.Series([1.0, 2.0]), torch.tensor([1.0, 2.0]), np.float64(3.0), 3.0])
def test_lists_series_and_scalars_are_refused_without_printing_values(X: object) -> None:
    with pytest.raises(DataError, match=r"^X must be 2-D .*Received shape \((2,)?\)\.") as info:
        require_2d(X)
    assert "1.0" not in str(info.value) and "3.0" not in str(info.value)


@pytest.mark.parametrize("X", [[[1.0, 2.0]], pd.DataFrame({"a": [1.0]}), sp.csr_matrix(np.eye(2)), [[1.0], [2.0, 3.0]]])
def test_tables_and_ragged_lists_pass(X: object) -> None:
    require_2d(X)  # a ragged list is left to check_array, which says so in its own words


def test_the_message_keeps_scikit_learns_phrase() -> None:
    with pytest.raises(ValueError, match=re.escape("Reshape your data")):
        require_2d(np.arange(3.0))


@settings(max_examples=30, deadline=None)
@given(n=st.integers(0, 5), k=st.integers(1, 3))
def test_row_count_is_the_first_axis_of_every_container_with_a_shape_and_a_lists_length(n: int, k: int) -> None:
    A = np.ones((n, k))
    for X in (A, A[:, 0], torch.as_tensor(A), pd.DataFrame(A), pd.Series(A[:, 0]), sp.csr_matrix(A), A.tolist(), [f"text {i}" for i in range(n)]):
        assert row_count(X) == n, type(X).__name__  # a sparse matrix has no len(): counted by its shape


def test_row_count_is_none_for_what_has_no_rows_so_each_caller_can_say_why_in_its_own_words() -> None:
    for X in (np.float64(1.0), np.array(2.0), (np.ones(3), np.ones(3)), iter([1, 2]), {"a": 1}, None):
        assert row_count(X) is None, type(X).__name__
