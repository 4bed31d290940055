"""Every served model kind refuses a top-level body key it does not read (ship/_serve/keys.py), in one 400 naming it."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hiddenlayers.ship._serve.app_auto import _NumericRows
from hiddenlayers.ship._serve.keys import unknown_keys
from hiddenlayers.ship._serve.model import RequestError, ServedModel

FORM = "{...}"


def _table() -> ServedModel:
    return _NumericRows(["a", "b"])  # the table path's checks (rows, columns, names, values) with no model behind them


@settings(max_examples=60, deadline=None)
@given(extra=st.dictionaries(st.text(string.ascii_letters + "_", min_size=1, max_size=12).filter(lambda k: k not in ("rows", "columns")),
                             st.integers(), min_size=1, max_size=8))
def test_any_unknown_key_is_a_400_naming_it_beside_valid_rows(extra: dict[str, int]) -> None:
    # before: {"rows": [...], <anything>} was answered as if the other keys were not there
    with pytest.raises(RequestError) as e:
        _table().rows({"rows": [[1, 2]], **extra}, 10)
    assert e.value.status == 400 and "\n" not in str(e.value)
    assert all(repr(k) in str(e.value) for k in list(extra)[:5])
    assert "the body takes only 'rows' and 'columns'" in str(e.value)


@pytest.mark.parametrize(("key", "hint"), [("row", "rows"), ("Rows", "rows"), ("column", "columns"), ("instances", None), ("inputs", None)])
def test_a_misspelt_form_names_the_key_and_the_nearest_accepted_one(key: str, hint: str | None) -> None:
    # before: 'the body must be a JSON object with "rows" ... or "columns" ...', which did not say the key was the problem
    with pytest.raises(RequestError) as e:
        _table().rows({key: [[1, 2]]}, 10)
    msg = str(e.value)
    assert e.value.status == 400 and msg.startswith(f"unknown key {key!r}: the body takes only 'rows' and 'columns'")
    assert msg.endswith(f" Did you mean {hint!r}?") if hint else "Did you mean" not in msg


def test_the_hint_looks_among_the_keys_not_sent_and_more_than_five_are_counted() -> None:
    assert unknown_keys(["rows", "rowz"], ("rows", "columns"), FORM) == (
        "unknown key 'rowz': the body takes only 'rows' and 'columns'; it must be {...}.")  # 'rows' was sent: no misspelling of it
    msg = unknown_keys([f"k{i}" for i in range(7)], ("a", "b", "c"), FORM)
    assert msg == "unknown keys 'k0', 'k1', 'k2', 'k3', 'k4' and 2 more: the body takes only 'a', 'b', 'c'; it must be {...}."
    assert unknown_keys(["a"], ("a", "b"), FORM) is None


def test_an_empty_object_and_a_list_still_name_the_form() -> None:
    for body in ({}, [[1, 2]]):
        with pytest.raises(RequestError, match=r'^the body must be a JSON object with "rows" \(a list of objects or lists\) or "columns"'):
            _table().rows(body, 10)
