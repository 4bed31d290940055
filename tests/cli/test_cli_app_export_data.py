"""``export MODEL DATA`` of an application file: DATA's inputs, read as ``predict`` reads them, are the parity rows (cli/_appexport).

It took DATA for a SpeechRecognizer alone and refused it for a Recommender or an Autoencoder ("DATA is a table for table
models"), though ``export_onnx``'s parity check takes each app's own inputs (a Recommender's (user, item) rows). Each test
checks the parity count is DATA's (random inputs would give 256 or 64) and that a refusal is one line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from cli_helpers import assert_user_error, ok, run

pytest.importorskip("onnxruntime")


def _report(model: Path, data: Path, out: Path, *more: str) -> dict[str, Any]:
    return json.loads(ok("export", model, data, "--out", out, "--json", *more).stdout)  # type: ignore[no-any-return]


def test_a_recommender_checks_parity_on_the_user_item_rows_of_data_unseen_ids_too(tmp_path: Path) -> None:
    from hiddenlayers.apps import Recommender

    rng = np.random.default_rng(0)
    pairs = pd.DataFrame({"user": rng.integers(0, 20, 200), "movie": rng.choice(list("xyzw"), 200)})
    Recommender(n_factors=4, hidden_layer_sizes=(8,), max_iter=2, random_state=0, device="cpu").fit(pairs, rng.uniform(1, 5, 200)) \
        .save(tmp_path / "rec.safetensors")
    pd.DataFrame({"movie": ["x", "q", "y", "z", "w"], "id": range(5), "user": [0, 1, 99, 3, 4]}).to_csv(tmp_path / "new.csv", index=False)
    report = _report(tmp_path / "rec.safetensors", tmp_path / "new.csv", tmp_path / "rec.onnx")
    assert report["parity_rows"] == 5 and report["max_abs_diff"] <= 1e-4  # by name, an unseen item (q) and user (99) among them
    pd.DataFrame({"movie": ["x", None], "user": [0, 1]}).to_csv(tmp_path / "gap.csv", index=False)
    assert_user_error(run("export", tmp_path / "rec.safetensors", tmp_path / "gap.csv", "--out", tmp_path / "b.onnx"),
                      "the item id column 'movie' has no id on line 3")
    pd.DataFrame({"user": [0, 1]}).to_csv(tmp_path / "lacks.csv", index=False)
    assert_user_error(run("export", tmp_path / "rec.safetensors", tmp_path / "lacks.csv", "--out", tmp_path / "b.onnx"), "'movie'")
    assert_user_error(run("export", tmp_path / "rec.safetensors", tmp_path / "new.csv", "--target", "id", "--out", tmp_path / "b.onnx"),
                      "a Recommender's export checks parity on DATA's inputs alone: drop --target")
    assert not (tmp_path / "b.onnx").exists()


def test_an_autoencoder_and_a_forecaster_check_parity_on_data(tmp_path: Path) -> None:
    from hiddenlayers.apps import Autoencoder, Forecaster

    rng = np.random.default_rng(0)
    table = pd.DataFrame(rng.normal(size=(60, 4)), columns=list("abcd"))
    Autoencoder((8,), n_components=2, max_iter=2, random_state=0, device="cpu").fit(table).save(tmp_path / "ae.safetensors")
    table.iloc[:7][["d", "c", "b", "a"]].to_csv(tmp_path / "rows.csv", index=False)  # by name, in any order
    assert _report(tmp_path / "ae.safetensors", tmp_path / "rows.csv", tmp_path / "ae.onnx")["parity_rows"] == 7
    series = np.sin(np.arange(60) / 5)
    Forecaster(window=8, horizon=2, hidden_layer_sizes=(8,), max_iter=2, early_stopping=False, random_state=0, device="cpu").fit(series) \
        .save(tmp_path / "fc.safetensors")
    pd.DataFrame({"level": series[:20]}).to_csv(tmp_path / "s.csv", index=False)
    assert _report(tmp_path / "fc.safetensors", tmp_path / "s.csv", tmp_path / "fc.onnx")["parity_rows"] == 20 - 8 + 1  # every window


def test_a_sequence_classifier_and_an_image_classifier_check_parity_on_data(tmp_path: Path) -> None:
    from sklearn.datasets import load_digits

    from hiddenlayers.apps import ImageClassifier, SequenceClassifier

    rng = np.random.default_rng(0)
    rows = [(f"s{i}", t, *rng.normal(size=2) + (i % 2), "up" if i % 2 else "down") for i in range(12) for t in range(int(rng.integers(4, 8)))]
    long = pd.DataFrame(rows, columns=["sid", "t", "f1", "f2", "label"])
    SequenceClassifier("conv4k3:same,gap,4", max_iter=2, early_stopping=False, random_state=0, device="cpu") \
        .fit_long(long, "label", id_column="sid", order_column="t").save(tmp_path / "seq.safetensors")
    long[long["sid"].isin(["s1", "s2", "s3"])].to_csv(tmp_path / "long.csv", index=False)
    assert _report(tmp_path / "seq.safetensors", tmp_path / "long.csv", tmp_path / "seq.onnx")["parity_rows"] == 3
    digits = load_digits()
    ImageClassifier("conv4k3,pool2,8", max_iter=1, early_stopping=False, random_state=0, device="cpu") \
        .fit(digits.images[:100], digits.target[:100]).save(tmp_path / "img.safetensors")
    pd.DataFrame(digits.data[:9], columns=[f"p{i}" for i in range(64)]).to_csv(tmp_path / "pixels.csv", index=False)
    assert _report(tmp_path / "img.safetensors", tmp_path / "pixels.csv", tmp_path / "img.onnx")["parity_rows"] == 9
