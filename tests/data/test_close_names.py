"""did_you_mean / lacks_columns: the one did-you-mean rule of every missing- or unknown-column message."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hiddenlayers.data import did_you_mean, lacks_columns

NAMES = st.text(alphabet="abcdefgh_ ", min_size=1, max_size=8)


def test_a_renamed_column_is_suggested_case_blind() -> None:
    assert did_you_mean(["age"], ["Age", "income"]) == " Did you mean 'Age'?"
    assert did_you_mean(["sepal length"], ["sepal_length", "petal_length"]) == " Did you mean 'sepal_length'?"
    assert did_you_mean(["zzz"], ["Age", "income"]) == ""  # nothing close: no guess
    assert did_you_mean(["nope"], ["Age", "income"]) == ""  # n, o, e in order (ratio 0.6) offered 'income' before
    assert did_you_mean(["items"], ["texts"]) == ""  # i, t, s (0.6): another word
    assert did_you_mean(["user"], ["customer", "item"]) == " Did you mean 'customer'?"  # a renamed column (0.67) still is


def test_several_missing_names_each_get_their_own_match_used_once() -> None:
    assert did_you_mean(["x_1", "x_2"], ["x1", "x2", "y"]) == " Did you mean 'x1' for 'x_1', 'x2' for 'x_2'?"
    assert did_you_mean(["ab", "abc"], ["abd"]) == " Did you mean 'abd' for 'ab'?"  # 'abd' is not offered twice


def test_lacks_columns_names_the_missing_and_looks_only_among_unused() -> None:
    msg = lacks_columns(["color"], ["colour"])
    assert msg == "the data lacks column(s) 'color' that the model was trained on: add them (values may be empty). Did you mean 'colour'?"
    assert lacks_columns(["color"], []).endswith("(values may be empty).")
    many = lacks_columns([f"c{i}" for i in range(12)], [], what="X_row", fix="pass them")
    assert many.startswith("X_row lacks column(s) 'c0', 'c1'") and "'c9' and 2 more that the model" in many


@given(st.lists(NAMES, min_size=1, max_size=4, unique=True), st.lists(NAMES, max_size=6, unique=True))
def test_a_suggestion_is_always_an_available_name(wanted: list[str], available: list[str]) -> None:
    hint = did_you_mean(wanted, available)
    assert hint == "" or hint.startswith(" Did you mean '") and hint.endswith("?")
    quoted = [part for i, part in enumerate(hint.split("'")) if i % 2]
    offered = quoted if len(wanted) == 1 else quoted[0::2]
    assert all(name in available for name in offered)
    assert len(set(offered)) == len(offered)


def test_a_file_without_its_header_row_is_told_so_when_it_lacks_the_models_columns() -> None:
    """`predict` of a CSV saved without its header said only that it lacks 'a', 'b', 'city'; the data's columns were
    its first row ('0.126', '-0.436', 'Oslo'), and it now says so with the header line to add."""
    from hiddenlayers.data._close_names import lacks_columns

    message = lacks_columns(["a", "b", "city"], ["0.126", "-0.436", "Oslo"])
    assert message.endswith("The header looks like a row of data ('0.126', '-0.436'): the file seems to have no header row; "
                            "add one as its first line, naming each column (e.g. a,b,city).")
    assert "header" not in lacks_columns(["a"], ["A", "b", "0.5"]) and "header" not in lacks_columns(["a"], ["0.5", "1.5"], what="X_row")
