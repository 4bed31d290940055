"""The Autoencoder and the Forecaster given the data types a pandas or PyTorch user holds: any magnitude, tensors, dates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.exceptions import DataConversionWarning

from hiddenlayers import Autoencoder, Forecaster, TextClassifier
from hiddenlayers.exceptions import DataError

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ROWS = np.random.default_rng(0).normal(size=(30, 3)) * [1.0, 2.0, 0.5]
SERIES = np.sin(np.arange(40) / 3.0) + 0.1 * np.random.default_rng(1).normal(size=40)


def _autoencoder() -> Autoencoder:
    return Autoencoder(hidden_layer_sizes=(4,), n_components=2, max_iter=2, random_state=0)


def _forecaster() -> Forecaster:
    return Forecaster(window=4, hidden_layer_sizes=(4,), max_iter=2, random_state=0)


@pytest.fixture(scope="module")
def reference() -> tuple[Autoencoder, Forecaster]:
    return _autoencoder().fit(ROWS), _forecaster().fit(SERIES)


@settings(max_examples=6, deadline=None)
@given(exponent=st.sampled_from([-300, -30, -13, 30, 300]))
def test_an_autoencoder_reads_rows_at_any_magnitude(reference: tuple[Autoencoder, Forecaster], exponent: int) -> None:
    # np.std of 1e300 overflowed (scale inf, every row standardised to 0); 1e-13 was under an absolute 1e-12: "constant", scale 1
    factor = 10.0**exponent
    model = _autoencoder().fit(ROWS * factor)
    np.testing.assert_allclose(model.scale_ / factor, reference[0].scale_, rtol=1e-12)
    np.testing.assert_allclose(model.score_samples(ROWS * factor), reference[0].score_samples(ROWS), rtol=1e-5, atol=1e-6)


@settings(max_examples=4, deadline=None)
@given(exponent=st.sampled_from([-300, -13, 300]))
def test_a_forecaster_reads_a_series_at_any_magnitude(reference: tuple[Autoencoder, Forecaster], exponent: int) -> None:
    # 1e300: scale_ was inf and every forecast NaN; 1e-300: the spread underflowed to 0, scale 1, forecasts the flat mean
    factor = 10.0**exponent
    model = _forecaster().fit(SERIES * factor)
    assert model.scale_ / factor == pytest.approx(reference[1].scale_, rel=1e-12)
    np.testing.assert_allclose(model.forecast(3) / factor, reference[1].forecast(3), rtol=1e-5, atol=1e-6)


def test_tensors_fit_the_applications_as_their_values_do(reference: tuple[Autoencoder, Forecaster]) -> None:
    # were PyTorch's "Can't call numpy() on Tensor that requires grad" and "Got unsupported ScalarType BFloat16" (a traceback),
    # or "series must be a 1-D sequence of numbers ... Received: Tensor" for a tensor of numbers
    ae, fc = reference
    grad = torch.tensor(ROWS, requires_grad=True)
    np.testing.assert_array_equal(_autoencoder().fit(grad).score_samples(grad), ae.score_samples(ROWS))
    np.testing.assert_array_equal(_forecaster().fit(torch.tensor(SERIES, requires_grad=True)).forecast(3), fc.forecast(3))
    half = torch.tensor(SERIES, dtype=torch.bfloat16)
    np.testing.assert_array_equal(_forecaster().fit(half).forecast(3), _forecaster().fit(half.float().numpy()).forecast(3))
    bf = torch.tensor(ROWS, dtype=torch.bfloat16)
    np.testing.assert_array_equal(ae.transform(bf), ae.transform(bf.float().numpy()))


def test_a_meta_tensor_is_one_line() -> None:
    for call in (lambda: _autoencoder().fit(torch.empty(30, 3, device="meta")), lambda: _forecaster().fit(torch.empty(40, device="meta"))):
        with pytest.raises(DataError, match=r"tensor on the 'meta' device \(shape .*\), which holds no values"):
            call()


@pytest.mark.parametrize(("values", "what"), [
    (pd.Series(pd.date_range("2024-01-01", periods=40, tz="UTC")), r"holds dates and times \(datetime64\[\w+, UTC\]\).*\(series - series.min\(\)\).dt.days"),
    (pd.Series(pd.to_timedelta(np.arange(40), unit="s")), r"holds durations \(timedelta64\[\w+\]\).*series.dt.total_seconds\(\)"),
    (np.arange(40).astype("datetime64[D]"), r"holds dates and times \(datetime64\[D\]\)"),
    (SERIES + 1j, r"holds complex numbers \(complex128\).*np.abs\(series\)"),
])
def test_a_series_of_dates_or_durations_is_refused(values: object, what: str) -> None:
    # were read as their nanosecond counts (forecasts of 1.58e15) or, complex, cut to their real part
    with pytest.raises(DataError, match=what):
        _forecaster().fit(values)


@pytest.mark.parametrize(("column", "what"), [
    (pd.date_range("2024-01-01", periods=30, tz="Europe/Oslo"), "dates and times"),
    (pd.to_timedelta(np.arange(30), unit="s"), "durations"),
    (ROWS[:, 0] + 1j, "complex numbers"),
])
def test_an_autoencoder_names_a_column_it_cannot_read(column: object, what: str) -> None:
    # were NumPy's DTypePromotionError, float()'s "not 'Timestamp'", or a printout of the frame ("Complex data not supported")
    frame = pd.DataFrame(ROWS, columns=["a", "b", "c"]).assign(when=column)
    with pytest.raises(DataError, match=f"X's column 'when' holds {what}"):
        _autoencoder().fit(frame)


def test_a_column_vector_of_labels_is_read_as_scikit_learns_mlp_reads_it() -> None:
    # df[["label"]] was refused ("y must hold one label per sequence ... y has shape (40, 1)"), where scikit-learn's MLP reads it
    # with a DataConversionWarning
    rng = np.random.default_rng(0)
    texts = [" ".join(rng.choice(["good", "bad", "fine", "poor"], 3)) for _ in range(30)]
    y = np.array([int("good" in t) for t in texts])
    ref = TextClassifier(max_iter=1, random_state=0).fit(texts, y)
    with pytest.warns(DataConversionWarning, match="A column-vector y was passed when a 1d array was expected"):
        got = TextClassifier(max_iter=1, random_state=0).fit(texts, pd.DataFrame({"label": y}))
    np.testing.assert_array_equal(got.predict_proba(texts), ref.predict_proba(texts))
    assert got.score(texts, y.reshape(-1, 1)) == ref.score(texts, y)


@pytest.mark.parametrize(("values", "shown"), [
    (pd.Series([1.0, 2.0, "n/a", 4.0] * 10), r"Received: Series holding 'n/a' at position 2\.$"),
    ([1.0, None, 3.0, "x"] * 10, r"Received: list holding 'x' at position 3\.$"),
    (pd.Series([1.0, pd.NA] * 20, dtype=object), r"Received: Series holding pd\.NA at position 1: fill the missing values first"),
])
def test_a_series_that_is_not_all_numbers_names_its_first_other_value(values: object, shown: str) -> None:
    # was "series must be a 1-D sequence of numbers (list, NumPy array or pandas Series). Received: Series.", no value, no place
    with pytest.raises(DataError, match=r"^series must be a 1-D sequence of numbers \(list, NumPy array or pandas Series\)\. " + shown):
        _forecaster().fit(values)
