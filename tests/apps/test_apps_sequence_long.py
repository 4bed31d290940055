"""``SequenceClassifier.fit_long``: sequences from a long table (one row per time step), as tsfresh and sktime users hold them.

The digits images are read as 8 time steps (rows) of 8 features (pixels) each, the rows shuffled: the
classifier must learn them through the id and order columns, and every bad table is one DataError naming
the column, the sequence and its rows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hiddenlayers import DataError
from hiddenlayers.apps import SequenceClassifier, long_labels, long_sequences

FAST = dict(max_iter=12, learning_rate_init=0.01, random_state=0)


def digits_long(n: int = 900, seed: int = 0) -> pd.DataFrame:
    """The first ``n`` digits as a long table: id, step t (0-7), the row's 8 pixels f0..f7, the label on every row; rows shuffled."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    images = X[:n].reshape(n, 8, 8)
    frame = pd.DataFrame({"id": np.repeat(np.arange(n) + 100, 8), "t": np.tile(np.arange(8), n),
                          **{f"f{j}": images[:, :, j].ravel() for j in range(8)}, "label": np.repeat(y[:n], 8)})
    return frame.sample(frac=1, random_state=seed).reset_index(drop=True)


@pytest.fixture(scope="module")
def fitted() -> tuple[SequenceClassifier, pd.DataFrame]:
    frame = digits_long()
    train = frame[frame["id"] < 100 + 700]
    return SequenceClassifier("gru24", **FAST).fit_long(train, "label", id_column="id", order_column="t"), frame[frame["id"] >= 100 + 700]


def test_learns_digits_from_a_shuffled_long_table(fitted: tuple[SequenceClassifier, pd.DataFrame]) -> None:
    model, held = fitted
    long = model.sequences_from_long(held.drop(columns=["label"]))
    assert len(long.ids) == 200 and all(s.shape == (8, 8) for s in long.sequences)
    truth = held.groupby("id")["label"].first().loc[long.ids].to_numpy()
    assert (model.predict(long.sequences) == truth).mean() >= 0.85  # chance is 0.1
    assert model.long_columns_ == {"id_column": "id", "order_column": "t", "features": [f"f{j}" for j in range(8)], "target": "label"}


def test_order_column_puts_the_steps_back_in_order() -> None:
    frame = pd.DataFrame({"id": ["b", "a", "b", "a", "b"], "t": [3, 2, 1, 1, 2], "x": [30.0, 2.0, 10.0, 1.0, 20.0]})
    long = long_sequences(frame, "id", ["x"], "t")
    assert long.ids.tolist() == ["b", "a"]  # in the order the ids first appear
    assert [s[:, 0].tolist() for s in long.sequences] == [[10.0, 20.0, 30.0], [1.0, 2.0]]
    unordered = long_sequences(frame, "id", ["x"])  # no order column: the rows' order
    assert [s[:, 0].tolist() for s in unordered.sequences] == [[30.0, 10.0, 20.0], [2.0, 1.0]]


def test_an_order_column_of_dates_orders_by_date_never_as_text() -> None:
    # days across a month's end: as text, "01/02/2020" sorted before "30/01/2020", so the steps ran February first, silently
    days = pd.date_range("2020-01-30", periods=4)
    frame = pd.DataFrame({"id": [1] * 4 + [2] * 4, "x": [0.0, 1.0, 2.0, 3.0] * 2})
    iso = frame.assign(when=list(days.strftime("%Y-%m-%d")) + list(days.strftime("%Y-%m-%dT%H:%M")))  # ISO 8601 text: dates
    assert [s[:, 0].tolist() for s in long_sequences(iso, "id", ["x"], "when").sequences] == [[0.0, 1.0, 2.0, 3.0]] * 2
    as_dates = frame.assign(when=list(days) * 2)  # datetime64, and numbers written as text ("10" after "9"), keep their order
    assert [s[:, 0].tolist() for s in long_sequences(as_dates, "id", ["x"], "when").sequences] == [[0.0, 1.0, 2.0, 3.0]] * 2
    numbers = frame.assign(when=["8", "9", "10", "11"] * 2)
    assert [s[:, 0].tolist() for s in long_sequences(numbers, "id", ["x"], "when").sequences] == [[0.0, 1.0, 2.0, 3.0]] * 2
    with pytest.raises(DataError, match=r"^the order column 'when' holds '30/01/2020' on row 1, neither a number nor an ISO 8601 date: sorted as text, "
                       r"the steps would be out of order \(28/01 after 03/02\); give numbers, or dates as YYYY-MM-DD"):
        long_sequences(frame.assign(when=list(days.strftime("%d/%m/%Y")) * 2), "id", ["x"], "when")
    with pytest.raises(DataError, match=r"^sequence id=1 has two rows at when='2020-01-30T00:00' \(row 1 and row 2\)"):  # one time, two spellings
        long_sequences(frame.assign(when=["2020-01-30T00:00", "2020-01-30", "2020-01-31", "2020-02-01"] * 2), "id", ["x"], "when")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=2, max_size=40), st.randoms(use_true_random=False))
def test_every_row_lands_in_its_sequence_at_its_step(groups: list[int], rnd) -> None:
    counts = pd.Series(groups).value_counts()
    frame = pd.DataFrame({"id": groups, "t": list(range(len(groups)))})
    frame = frame[frame["id"].map(counts) > 1]
    if frame.empty:
        return
    frame = frame.assign(x=frame["t"] * 10.0 + frame["id"]).sample(frac=1, random_state=rnd.randint(0, 99)).reset_index(drop=True)
    long = long_sequences(frame, "id", ["x"], "t")
    for key, seq, rows in zip(long.ids, long.sequences, long.rows):
        expected = sorted(frame.loc[frame["id"] == key, "x"])
        assert seq[:, 0].tolist() == expected and frame["x"].to_numpy()[rows].tolist() == expected
    assert sum(len(r) for r in long.rows) == len(frame)


def test_file_keeps_the_long_columns_and_a_plain_fit_drops_them(fitted: tuple[SequenceClassifier, pd.DataFrame], tmp_path: Path) -> None:
    model, held = fitted
    model.save(tmp_path / "m.safetensors")
    back = SequenceClassifier.load(tmp_path / "m.safetensors")
    assert back.long_columns_ == model.long_columns_
    a, b = model.sequences_from_long(held), back.sequences_from_long(held)
    np.testing.assert_allclose(back.predict_proba(b.sequences), model.predict_proba(a.sequences), atol=1e-6)
    rng = np.random.default_rng(0)
    plain = SequenceClassifier("gru4", max_iter=1, random_state=0).fit([rng.normal(size=(4, 2)) for _ in range(6)], [0, 1] * 3)
    assert not hasattr(plain, "long_columns_")
    with pytest.raises(ValueError, match="fitted on sequences, not a long table"):
        plain.sequences_from_long(held)


def _bad(frame: pd.DataFrame, match: str, **kwargs) -> None:
    with pytest.raises(DataError, match=match):
        SequenceClassifier("gru4", max_iter=1).fit_long(frame, "label", id_column="id", **kwargs)


def test_bad_long_tables_are_one_error_naming_the_sequence_and_rows() -> None:
    good = pd.DataFrame({"id": [1, 1, 2, 2], "t": [0, 1, 0, 1], "x": [0.0, 1.0, 2.0, 3.0], "label": ["a", "a", "b", "b"]})
    _bad(good.assign(label=["a", "a", "b", "c"]), r"sequence id=2 has rows that disagree on the label column 'label': 'b' on row 3, 'c' on row 4")
    _bad(good.assign(label=["a", None, "b", "b"]), r"sequence id=1 .* no label on row 2")
    _bad(good.assign(id=[1, 1, 2, 3]), r"sequence id=2 has one row \(row 3\).*names whole sequences")
    _bad(good.assign(x=[0.0, np.nan, 2.0, 3.0]), r"feature column 'x' has a missing or infinite value on row 2 \(sequence id=1\)")
    _bad(good.assign(t=[0, 0, 0, 1]), r"sequence id=1 has two rows at t=0 \(row 1 and row 2\)", order_column="t")
    _bad(good.iloc[:0], "the data has no rows", order_column="t")
    _bad(good, r"order_column 'T' is not a column of the data.*Did you mean 't'\?", order_column="T")
    _bad(good.assign(x=list("pqrs")), "feature column 'x' holds text", order_column="t")
    with pytest.raises(DataError, match=r"on line 9"):  # the caller's where: a file line
        labels = good.assign(label=["a", "b", "b", "b"])
        long_labels(labels["label"], long_sequences(labels, "id", ["x"]), "id", where=lambda i: f"line {i + 8}")


def test_a_text_classifier_has_no_long_table_methods() -> None:
    """TextClassifier subclasses SequenceClassifier but reads texts: the long-table methods are not there (hasattr is False)."""
    from hiddenlayers.apps import SequenceClassifier, TextClassifier

    clf = TextClassifier()
    assert not hasattr(clf, "fit_long") and not hasattr(clf, "sequences_from_long")
    assert hasattr(SequenceClassifier(), "fit_long") and hasattr(SequenceClassifier(), "sequences_from_long")
    with pytest.raises(AttributeError, match="fit_long"):
        clf.fit_long(pd.DataFrame({"id": [1, 1], "x": [0.0, 1.0], "label": [0, 0]}), "label", id_column="id")
