"""The fast checks on wide tables: the block-at-a-time numpy path (data/_check/blocks.py) gives exactly the findings of the
per-column code it replaces, on messy generated tables, and still finds what it should on a wide one."""

from __future__ import annotations

from contextlib import ExitStack
from unittest import mock

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hiddenlayers.data import check
from hiddenlayers.data._check import blocks
from hiddenlayers.data._check.common import combine_columns
from hiddenlayers.data._check.leakage import leakage_scores, leakage_target

KINDS = ("normal", "nan", "inf", "few", "constant", "near", "int", "id", "big_int", "bool", "text", "category", "float32",
         "signed_zero", "nullable", "leak", "leak_sorted")


def _column(kind: str, n: int, y: np.ndarray, rng: np.random.Generator) -> object:
    """One column of ``n`` rows of the given kind (``y``: the target, for a leaky copy)."""
    if kind == "normal":
        return rng.normal(size=n)
    if kind in ("nan", "inf"):
        v = rng.normal(size=n).round(1)
        v[rng.random(n) < 0.2] = np.nan if kind == "nan" else np.inf * rng.choice([-1, 1])
        return v
    if kind == "few":
        return rng.integers(0, int(rng.integers(1, 25)), n).astype(float)
    if kind == "constant":
        return np.full(n, 3.5)
    if kind == "near":
        return np.where(rng.random(n) < 0.995, 1.0, 2.0)
    if kind == "int":
        return rng.integers(-5, 60, n)
    if kind == "id":
        return rng.permutation(n) * 7
    if kind == "big_int":
        return (2**60 + rng.integers(0, 3, n)).astype(np.int64)
    if kind == "bool":
        return rng.random(n) < 0.5
    if kind == "text":
        return pd.Series(rng.choice(["a", "b", "c", " "], n), dtype=object)
    if kind == "category":
        return pd.Categorical(rng.choice(["u", "v"], n))
    if kind == "float32":
        return rng.normal(size=n).astype(np.float32).round(1)
    if kind == "signed_zero":
        return np.where(rng.random(n) < 0.5, 0.0, -0.0)
    if kind == "nullable":
        return pd.array(np.where(rng.random(n) < 0.1, None, rng.integers(0, 40, n)), dtype="Int64")
    codes = np.asarray(pd.factorize(pd.Series(y))[0] if y.dtype == object else y, dtype=np.float64)
    if kind == "leak_sorted":  # many distinct values, in the target's order but for a few rows: the sorted-neighbour score
        return codes + rng.random(n) * 0.5 + (rng.random(n) < 0.02)
    return codes * 2.0 + 1.0  # leak


@st.composite
def tables(draw: st.DrawFn) -> tuple[pd.DataFrame, np.ndarray, str]:
    n = draw(st.integers(0, 400))
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=40))
    task = draw(st.sampled_from(["classification", "regression"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if task == "classification":
        y = rng.choice(np.array(["p", "q", "r"], dtype=object), n) if draw(st.booleans()) else rng.integers(0, 3, n)
    else:
        y = rng.normal(size=n).round(draw(st.sampled_from([0, 3])))
    frame = pd.DataFrame({f"c{j}": _column(k, n, y, rng) for j, k in enumerate(kinds)})
    return frame, y, task


def _findings(frame: pd.DataFrame, y: np.ndarray, task: str, *, per_column: bool = False, block_bytes: int | None = None) -> list[dict]:
    """check(fast=True)'s findings as dicts, with every plain numeric column sent to the per-column code, or with tiny blocks."""
    with ExitStack() as stack:
        if per_column:
            none = lambda frame: np.zeros(frame.shape[1], dtype=bool)  # noqa: E731
            for module in ("columns", "leakage", "table"):
                stack.enter_context(mock.patch(f"hiddenlayers.data._check.{module}.plain_columns", none))
        if block_bytes is not None:
            stack.enter_context(mock.patch.object(blocks, "BLOCK_BYTES", block_bytes))
        return [f.to_dict() for f in check(frame, y, task=task, fast=True).findings]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(tables())
def test_block_path_gives_the_per_column_findings_exactly(table):
    frame, y, task = table
    reference = _findings(frame, y, task, per_column=True)
    assert _findings(frame, y, task) == reference
    assert _findings(frame, y, task, block_bytes=8 * max(len(frame), 1) * 2) == reference  # blocks of a column or two


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(tables())
def test_block_scores_equal_the_per_column_scores(table):
    """Every column's leakage score, not only those over the 0.99 threshold, to 1e-12 (sums run in the same order)."""
    frame, y, task = table
    target = leakage_target(y, task, len(frame))
    if target is None:
        return
    want = leakage_scores(frame, target)
    with mock.patch("hiddenlayers.data._check.leakage.plain_columns", lambda f: np.zeros(f.shape[1], dtype=bool)):
        reference = leakage_scores(frame, target)
    assert want.keys() == reference.keys()
    for c, s in reference.items():
        assert (want[c] is None) == (s is None), c
        assert s is None or abs(want[c] - s) <= 1e-12, (c, want[c], s)


def test_the_per_column_switch_reaches_the_per_column_code():
    """The reference above is really the other path: with no plain columns, the block code never runs."""
    frame = pd.DataFrame({"a": np.arange(50.0) % 7, "b": np.r_[np.zeros(49), 1.0]})
    with mock.patch("hiddenlayers.data._check.leakage._block_scores", side_effect=AssertionError("block path ran")):
        _findings(frame, np.arange(50) % 2, "classification", per_column=True)


def test_combine_columns_equals_hashing_each_column_in_turn():
    """Wide (many columns a block) and long (a column a block) matrices hash as column by column did."""
    rng = np.random.default_rng(0)
    for shape in ((37, 300), (2**17 + 3, 3)):
        U = rng.integers(0, 2**63, size=shape, dtype=np.int64).view(np.uint64)
        h = np.full(shape[0], np.uint64(0xCBF29CE484222325))
        with np.errstate(over="ignore"):
            for j in range(U.shape[1]):
                h = (h ^ pd.util.hash_array(U[:, j])) * np.uint64(0x100000001B3)
        assert np.array_equal(combine_columns(U), h)


def test_a_wide_sparse_table_gets_its_findings():
    """3,000 TF-IDF-like columns (mostly zeros): the planted leak, constant, infinite and ID columns are each named."""
    rng = np.random.default_rng(1)
    n, p = 120, 3000
    X = pd.DataFrame(rng.random((n, p)) * (rng.random((n, p)) < 0.05), columns=[f"k{j}" for j in range(p)])
    y = rng.integers(0, 4, n)
    X["k5"] = y * 0.25 + 0.1
    X["k9"] = 0.0
    X.loc[3, "k11"] = np.inf
    X["k13"] = np.arange(n) * 3
    found = {f.check: f for f in check(X, y, fast=True).findings}
    assert found["leakage"].columns == ("k5",)
    assert "k9" in found["constant_columns"].columns
    assert found["infinite_values"].columns == ("k11",) and found["infinite_values"].rows == (3,)
    assert found["id_columns"].columns == ("k13",)
