"""``predict`` and ``evaluate`` of a Recommender's, Forecaster's and SequenceClassifier's ``.onnx`` export (cli/_apponnx).

They were refused ("... whose input is not a table: run it with onnxruntime directly ... or serve it") although ``serve``
serves those exports. Now the export reads the table its ``.safetensors`` file reads (the same columns, options and
outputs, float32 text), its numbers by the graph: each parity test holds the two within the export's tolerance (1e-4).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from cli_helpers import assert_user_error, ok, run

pytest.importorskip("onnxruntime")
TOL = 1e-4  # export_onnx's parity tolerance


def _table(*args: object) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(ok("predict", *args).stdout))


def _export(model: Any, d: Path, name: str) -> tuple[Path, Path]:
    model.save(d / f"{name}.safetensors")
    ok("export", d / f"{name}.safetensors", "--out", d / f"{name}.onnx")
    return d / f"{name}.safetensors", d / f"{name}.onnx"


def _evaluation(*args: object) -> dict[str, Any]:
    return json.loads(ok("evaluate", *args, "--json").stdout)  # type: ignore[no-any-return]


def _close(a: dict[str, Any], b: dict[str, Any]) -> None:
    """Two evaluate results: the same keys, numbers within the tolerance, the rest equal (the model path aside)."""
    assert a.keys() == b.keys()
    for k in a:
        if k == "model":
            continue
        if isinstance(a[k], dict):
            _close(a[k], b[k])
        elif isinstance(a[k], float):
            assert a[k] == pytest.approx(b[k], rel=TOL, abs=TOL), k
        elif isinstance(a[k], list) and a[k] and isinstance(a[k][0], dict):
            for x, y in zip(a[k], b[k]):
                _close(x, y)
        else:
            assert a[k] == b[k], k


def test_a_recommender_export_predicts_and_evaluates_as_its_file(tmp_path: Path) -> None:
    from hiddenlayers.apps import Recommender

    rng = np.random.default_rng(0)
    pairs = pd.DataFrame({"user": rng.integers(0, 20, 200), "movie": rng.choice(list("xyzw"), 200)})
    rec = Recommender(n_factors=4, hidden_layer_sizes=(8,), clip=(1, 5), max_iter=3, random_state=0, device="cpu").fit(pairs, rng.uniform(1, 5, 200))
    st, ox = _export(rec, tmp_path, "rec")
    new = pd.DataFrame({"id": range(6), "movie": ["x", "q", "y", "z", "w", "x"], "user": [0, 1, 99, 3, 4, 5]})  # columns by name; an unseen item and user
    new.to_csv(tmp_path / "new.csv", index=False)
    a, b = _table(st, tmp_path / "new.csv", "--keep", "id"), _table(ox, tmp_path / "new.csv", "--keep", "id")
    assert list(b.columns) == list(a.columns) == ["id", "predicted_rating"]
    np.testing.assert_allclose(b["predicted_rating"], a["predicted_rating"], rtol=TOL, atol=TOL)
    text = pd.read_csv(io.StringIO(ok("predict", ox, tmp_path / "new.csv").stdout), dtype=str)["predicted_rating"]
    assert all(str(np.float32(float(t))) == t for t in text)  # float32's shortest text, as the .safetensors file writes it
    new.assign(rating=[3, 4, 2, 5, 1, 3]).to_csv(tmp_path / "rated.csv", index=False)
    _close(_evaluation(st, tmp_path / "rated.csv", "--target", "rating"), _evaluation(ox, tmp_path / "rated.csv", "--target", "rating"))
    assert_user_error(run("predict", ox, tmp_path / "new.csv", "--proba"), "--proba needs a classifier")
    assert_user_error(run("predict", ox, tmp_path / "new.csv", "--steps", "2"), "--steps is for Forecaster files")
    assert_user_error(run("evaluate", ox, tmp_path / "rated.csv", "--target", "rating", "--sample-weight", "id"), "drop --sample-weight")


def test_a_forecaster_export_forecasts_and_backtests_as_its_file(tmp_path: Path) -> None:
    from hiddenlayers.apps import Forecaster

    series = np.sin(np.arange(120) / 5)
    fc = Forecaster(window=8, horizon=2, hidden_layer_sizes=(8,), target="delta", max_iter=5, early_stopping=False, random_state=0, device="cpu")
    st, ox = _export(fc.fit(series[:100]), tmp_path, "fc")
    pd.DataFrame({"level": series, "other": "x"}).to_csv(tmp_path / "s.csv", index=False)
    a, b = _table(st, tmp_path / "s.csv", "--steps", "5"), _table(ox, tmp_path / "s.csv", "--steps", "5")  # 5 > horizon 2: recursive
    assert list(b.columns) == list(a.columns) == ["step", "forecast_level"]
    np.testing.assert_allclose(b["forecast_level"], a["forecast_level"], rtol=TOL, atol=TOL)
    args = ("--steps", "3", "--folds", "4", "--stride", "2")
    _close(_evaluation(st, tmp_path / "s.csv", *args), _evaluation(ox, tmp_path / "s.csv", *args))
    pd.DataFrame({"level": [1.0, 2.0, 3.0]}).to_csv(tmp_path / "short.csv", index=False)
    r = run("predict", ox, tmp_path / "short.csv")
    assert_user_error(r, "8")  # fewer values than the window: one line naming it
    assert_user_error(run("predict", ox, tmp_path / "s.csv", "--keep", "other"), "--keep is for table models")


def test_a_sequence_export_reads_the_long_table_its_file_read(tmp_path: Path) -> None:
    from hiddenlayers.apps import SequenceClassifier

    rng = np.random.default_rng(0)
    rows = [(f"s{i}", t, *rng.normal(size=2) + (i % 2), "up" if i % 2 else "down") for i in range(16) for t in range(int(rng.integers(4, 9)))]
    long = pd.DataFrame(rows, columns=["sid", "t", "f1", "f2", "label"])
    seq = SequenceClassifier("conv4k3:same,gap,4", max_iter=3, early_stopping=False, random_state=0, device="cpu")
    st, ox = _export(seq.fit_long(long, "label", id_column="sid", order_column="t"), tmp_path, "seq")
    long.sample(frac=1, random_state=0).to_csv(tmp_path / "long.csv", index=False)  # shuffled: the order column puts the steps back
    a, b = _table(st, tmp_path / "long.csv", "--proba"), _table(ox, tmp_path / "long.csv", "--proba")
    assert list(b.columns) == list(a.columns) == ["sid", "predicted_label", "proba_down", "proba_up"]
    assert b["sid"].tolist() == a["sid"].tolist() and b["predicted_label"].tolist() == a["predicted_label"].tolist()
    np.testing.assert_allclose(b[["proba_down", "proba_up"]], a[["proba_down", "proba_up"]], rtol=TOL, atol=TOL)
    _close(_evaluation(st, tmp_path / "long.csv"), _evaluation(ox, tmp_path / "long.csv"))  # the stored label column, no --target
    long.drop(columns=["f2"]).to_csv(tmp_path / "lacks.csv", index=False)
    assert_user_error(run("predict", ox, tmp_path / "lacks.csv"), "the feature column 'f2' is not a column of the data")
    assert not (tmp_path / "out.csv").exists()
    assert_user_error(run("predict", ox, tmp_path / "lacks.csv", "--out", tmp_path / "out.csv"), "'f2'")
    assert not (tmp_path / "out.csv").exists()  # nothing written
