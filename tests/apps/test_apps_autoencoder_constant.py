"""Autoencoder: a column constant in the training rows keeps its own units (scale 1, StandardScaler's rule), so a change
there at scoring outweighs every other column; fit names such columns, and scoring says when rows move them."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from cli_helpers import run
from hiddenlayers import Autoencoder, ModelFileError
from metadata_edits import edit_file


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(200, 4)), columns=["a", "b", "c", "d"])
    frame["c"] = 7.0  # a sensor that never moved (0.1 * 70: its mean is not exactly the value in float64)
    frame["d"] = 0.1
    return frame


@pytest.fixture(scope="module")
def fitted(rows) -> Autoencoder:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Autoencoder(n_components=1, max_iter=3, random_state=0).fit(rows)


def test_fit_names_the_constant_columns(rows):
    with pytest.warns(UserWarning, match=r"^columns 'c', 'd' of the training rows hold one value: with no spread to standardize by, the scale is 1 "):
        ae = Autoencoder(n_components=1, max_iter=2, random_state=0).fit(rows)
    assert ae.constant_columns_ == [2, 3] and ae.scale_[2] == ae.scale_[3] == 1.0
    with pytest.warns(UserWarning, match=r"^column 2 of the training rows holds one value"):  # an array: by position
        Autoencoder(n_components=1, max_iter=2, random_state=0).fit(rows.drop(columns="d").to_numpy())


def test_no_warning_without_constant_columns_or_without_standardizing(rows):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Autoencoder(n_components=1, max_iter=2, random_state=0).fit(rows[["a", "b"]]).constant_columns_ == []
        raw = Autoencoder(n_components=1, max_iter=2, random_state=0, standardize=False).fit(rows)  # every column in its own units
        assert raw.constant_columns_ == []
        raw.score_samples(rows.assign(c=100.0))


def test_constant_means_what_the_scaling_means(rows):
    """The columns named constant are exactly those the fit scales by 1: a column in units of 1e-13 has a spread (its own
    scale, no warning), and one of 1e6 that moves only by rounding is constant (the relative rule of data.constant_spread)."""
    rng = np.random.default_rng(1)
    frame = rows[["a", "b"]].assign(tiny=rng.normal(1e-13, 5e-14, len(rows)), big=1e6 + rng.normal(0, 1e-7, len(rows)))
    with pytest.warns(UserWarning, match=r"^column 'big' of the training rows holds one value"):
        ae = Autoencoder(n_components=1, max_iter=2, random_state=0).fit(frame)
    assert ae.constant_columns_ == [3] and ae.scale_[3] == 1.0 and 1e-14 < ae.scale_[2] < 1e-13


def test_scoring_says_when_rows_move_a_constant_column(fitted, rows):
    """The score of a moved row jumps by the change squared (a change of 100: ~10**4 / 4 columns), which it did without a word."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the training rows (and their float rounding of the value) move nothing
        before = fitted.reconstruction_error(rows.iloc[:5])
    moved = rows.iloc[:5].copy()
    moved.loc[moved.index[:2], "c"] = 107.0
    with pytest.warns(UserWarning) as said:
        after = fitted.reconstruction_error(moved)
    assert [str(w.message) for w in said] == [
        "2 of 5 rows change column 'c', which held one value in every training row (scale 1: its own units); the largest change, 100, "
        "counts squared in its row's reconstruction error, so such rows score as anomalies whatever their other columns say."]
    assert (after[:2] > 100 * before[:2].max()).all() and np.allclose(after[2:], before[2:], rtol=1e-6)


def test_fit_says_once_when_its_validation_rows_move_a_constant_column(rows):
    """X_val is scaled by X's statistics and scored by early stopping: a move of a column constant in X decided when the fit
    stopped, without the word scoring gives; a validation_fraction split's rows are X's own and set its statistics (none)."""
    val = rows.iloc[:10].copy()
    val.loc[val.index[:3], "c"] = 9.0
    with pytest.warns(UserWarning) as said:
        ae = Autoencoder(n_components=1, max_iter=2, random_state=0).fit(rows, X_val=val)
    moved = [str(w.message) for w in said if "X_val" in str(w.message)]
    assert moved == ["X_val: 3 of 10 rows change column 'c', which held one value in every row of X (scale 1: its own units); the largest "
                     "change, 2, counts squared in the reconstruction error early stopping scores, so those rows decide when the fit stops "
                     "whatever their other columns say. Drop such columns from X and X_val unless a change in them is itself an anomaly."]
    assert all(w.filename == __file__ for w in said)  # at the user's line
    with pytest.warns(UserWarning, match="X_val: 3 of 10 rows change column 'c'"):  # a warm fit goes on with X's columns: said again
        ae.set_params(warm_start=True).fit(rows, X_val=val)
    with warnings.catch_warnings(record=True) as quiet:
        warnings.simplefilter("always")
        Autoencoder(n_components=1, max_iter=2, random_state=0).fit(rows, X_val=rows.iloc[:10])  # nothing moves
        Autoencoder(n_components=1, max_iter=2, random_state=0).fit(pd.concat([rows, val]))  # a split of X's own rows
    assert not [w for w in quiet if "X_val" in str(w.message) or "rows change" in str(w.message)]


def test_the_file_keeps_them_and_an_edited_one_is_refused(fitted, rows, tmp_path):
    path = tmp_path / "ae.safetensors"
    fitted.save(path)
    loaded = Autoencoder.load(path)
    assert loaded.constant_columns_ == [2, 3]
    with pytest.warns(UserWarning, match="rows change column 'd'"):
        loaded.score_samples(rows.assign(d=5.0))
    older = edit_file(path, tmp_path / "older.safetensors", lambda m: m["state"].pop("constant_columns_"))  # written before they were kept
    assert Autoencoder.load(older).constant_columns_ == []
    bad = edit_file(path, tmp_path / "bad.safetensors", lambda m: m["state"].update(constant_columns_=[9]))
    with pytest.raises(ModelFileError, match="constant_columns_"):
        Autoencoder.load(bad)


def test_the_command_line_says_it_once(fitted, rows, tmp_path):
    """predict and evaluate score the rows and flag them (two passes): one note, not one per pass."""
    path, data = tmp_path / "ae.safetensors", tmp_path / "new.csv"
    fitted.save(path)
    rows.iloc[:20].assign(c=8.0, anomaly=[1] * 5 + [0] * 15).to_csv(data, index=False)
    for args in (("predict", path, data), ("evaluate", path, data, "-t", "anomaly")):
        result = run(*args)
        assert result.exit_code == 0, result.output
        assert result.stderr.count("note: 20 of 20 rows change column 'c'") == 1, result.stderr
