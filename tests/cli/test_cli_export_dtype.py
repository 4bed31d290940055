"""`hiddenlayers export --dtype` (cli/_rightsize.run_export): a float64 application whose LSTM/GRU onnxruntime cannot run in
float64 is refused in one line (exit 2, nothing written) and exported as a float32 graph with --dtype float32."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

pytest.importorskip("onnxruntime")

from hiddenlayers.cli import app  # noqa: E402


def test_export_dtype_float32_of_a_float64_gru_app_and_the_refusals(tmp_path: Path) -> None:
    from hiddenlayers.apps import SequenceClassifier
    from hiddenlayers.ship import describe_onnx

    rng = np.random.default_rng(0)
    X = [rng.standard_normal((int(t), 2)) for t in rng.integers(4, 9, size=30)]
    y = np.array(["a" if x[:, 0].mean() > 0 else "b" for x in X])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = SequenceClassifier("gru3", max_iter=1, early_stopping=False, random_state=0, device="cpu", dtype="float64").fit(X, y)
    model = tmp_path / "gru64.safetensors"
    clf.save(model)
    runner = CliRunner()
    refused = runner.invoke(app, ["export", str(model), "--out", str(tmp_path / "a.onnx")])
    assert refused.exit_code == 2 and "its GRU layer has no float64 kernel there" in refused.output and "--dtype float32" in refused.output
    assert "Traceback" not in refused.output and not (tmp_path / "a.onnx").exists()
    bad = runner.invoke(app, ["export", str(model), "--out", str(tmp_path / "b.onnx"), "--dtype", "double"])
    assert bad.exit_code == 2 and "--dtype must be float32 or float64" in bad.output and not (tmp_path / "b.onnx").exists()
    done = runner.invoke(app, ["export", str(model), "--out", str(tmp_path / "c.onnx"), "--dtype", "float32"])
    assert done.exit_code == 0, done.output
    assert describe_onnx(tmp_path / "c.onnx")["dtype"] == "float32"
