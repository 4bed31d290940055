"""by_position_note: the one note that a model fitted without column names reads a table's columns by position."""

from __future__ import annotations

from hiddenlayers.data import by_position_note


def test_the_note_names_the_columns_in_the_files_order() -> None:
    assert by_position_note(["d", "b", "a"]) == ("the model was fitted without column names, so the file's columns are read by position: "
                                                 "d, b, a (fit it on a DataFrame to have them matched by name)")


def test_names_that_are_the_positions_get_no_note() -> None:
    assert by_position_note(["x0", "x1", "x2"]) is None  # scikit-learn's names for an array's columns
    assert by_position_note([0, 1, 2]) is None  # pd.DataFrame(X)
    assert by_position_note(["x1", "x0"]) is not None  # in another order: read by position, not by these names
