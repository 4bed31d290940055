"""``predict`` on an application file writes a float32 network's numbers as float32's shortest text (``26.716333``, not the
17 digits of a float64 copy), as it writes a table model's since ``_table_out``; a float64 network's keep their digits."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cli_helpers import ok


def _digits(text: str) -> int:
    """Significant digits of a number written as text."""
    mantissa = text.lower().split("e")[0].lstrip("-").replace(".", "").lstrip("0")
    return len(mantissa)


def _most_digits(column: pd.Series) -> int:
    return max(_digits(v) for v in column.astype(str))


def _written(*args: object) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(ok("predict", *args).stdout), dtype=str)


def test_autoencoder_and_recommender_outputs_are_written_as_float32(tmp_path: Path) -> None:
    from sklearn.datasets import load_breast_cancer

    from hiddenlayers.apps import Autoencoder, Recommender

    X = load_breast_cancer(as_frame=True).data.iloc[:200]
    X.to_csv(tmp_path / "cells.csv", index=False)
    auto = Autoencoder((8,), n_components=2, max_iter=3, random_state=0).fit(X)
    auto.save(tmp_path / "auto.safetensors")
    written = _written(tmp_path / "auto.safetensors", tmp_path / "cells.csv")["reconstruction_error"]
    assert _most_digits(written) <= 9  # float32's shortest text; the float64 copy wrote 16-17
    expected = auto.reconstruction_error(X).astype(np.float32)
    assert [np.float32(v) for v in written] == list(expected)  # the same numbers, to float32's precision
    rng = np.random.default_rng(0)
    ids = pd.DataFrame({"user": rng.integers(0, 10, 300), "item": rng.integers(0, 8, 300)})
    ids.to_csv(tmp_path / "ids.csv", index=False)
    rec = Recommender(n_factors=4, max_iter=2, random_state=0).fit(ids, rng.uniform(1, 5, 300))
    rec.save(tmp_path / "rec.safetensors")
    rating = _written(tmp_path / "rec.safetensors", tmp_path / "ids.csv")["predicted_rating"]
    assert _most_digits(rating) <= 9 and [np.float32(v) for v in rating] == list(rec.predict(ids).astype(np.float32))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_text_app_writes_probabilities_at_its_network_precision(tmp_path: Path, dtype: str) -> None:
    from hiddenlayers.apps import TextClassifier

    texts = ["a fine film", "a dull mess", "great fun", "boring plot"] * 10
    labels = ["pos", "neg", "pos", "neg"] * 10
    model = TextClassifier("embed4,gru4", max_iter=2, dtype=dtype, random_state=0).fit(texts, labels)
    model.save(tmp_path / "t.safetensors")
    pd.DataFrame({"review": texts}).to_csv(tmp_path / "t.csv", index=False)
    proba = _written(tmp_path / "t.safetensors", tmp_path / "t.csv", "--proba")["proba_pos"]
    if dtype == "float32":
        assert _most_digits(proba) <= 9
    else:
        assert _most_digits(proba) >= 15  # a float64 network's digits are its own
    jsonl = tmp_path / "t.jsonl"
    ok("predict", tmp_path / "t.safetensors", tmp_path / "t.csv", "--proba", "--out", jsonl)
    first = json.loads(jsonl.read_text().splitlines()[0])
    assert (_digits(repr(first["proba_pos"])) <= 9) == (dtype == "float32")
