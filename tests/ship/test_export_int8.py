"""The int8 copy of an export (``quantize=True``): a row's answer does not depend on the rows batched with it."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

import hiddenlayers as hl
from hiddenlayers.ship import describe_onnx, export_onnx

ort = pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def int8_file(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = hl.MLPClassifier((16,), max_iter=200, random_state=0).fit(X_train, y_train)
    folder = tmp_path_factory.mktemp("int8")
    report = export_onnx(clf, folder / "bc.onnx", X=X_test, y=y_test, quantize=True)
    session = ort.InferenceSession(report.quantized_path, providers=["CPUExecutionProvider"])
    return report, session, X_test.astype(np.float32), y_test


def test_a_rows_answer_is_the_same_alone_and_beside_a_row_of_huge_values(int8_file: tuple) -> None:
    # onnxruntime's dynamic quantisation scaled each layer's input by the batch's largest value: one row of 1e30
    # rounded every other row's activations to zero (all its neighbours got one probability)
    _, session, X, _ = int8_file
    rows = X[:20]
    alone = np.concatenate([session.run(None, {"X": rows[i : i + 1]})[0] for i in range(len(rows))])
    huge = np.full((1, X.shape[1]), 1e30, np.float32)
    beside = session.run(None, {"X": np.concatenate([huge, rows])})[0][1:]
    assert np.max(np.abs(beside - alone)) < 1e-4  # float32 sums of other batch sizes differ in the last bits
    assert len(np.unique(alone[:, 1].round(4))) > 10  # the rows do differ


def test_a_batch_of_one_and_of_ten_thousand_agree(int8_file: tuple) -> None:
    _, session, X, _ = int8_file
    big = np.tile(X, (10_000 // len(X) + 1, 1))[:10_000]
    out = session.run(None, {"X": big})[0]
    first = np.concatenate([session.run(None, {"X": X[i : i + 1]})[0] for i in range(len(X))])
    assert out.shape == (10_000, 2) and np.max(np.abs(out[: len(X)] - first)) < 1e-4


def test_the_reported_int8_accuracy_is_what_rows_sent_one_by_one_get(int8_file: tuple) -> None:
    report, session, X, y = int8_file
    one_by_one = np.concatenate([session.run(None, {"X": X[i : i + 1]})[0] for i in range(len(X))])
    assert report.metric == "accuracy" and report.score_after == pytest.approx(float(np.mean(one_by_one.argmax(1) == y)))
    assert report.score_after >= report.score_before - 0.02 and report.quantized_max_abs_diff < 0.2
    assert any(n.startswith("int8 (weights): weights of 2 Gemm stored as int8") for n in report.notes)


def test_info_reads_the_int8_weights(int8_file: tuple) -> None:
    report, *_ = int8_file
    q, ref = describe_onnx(report.quantized_path), describe_onnx(report.path)
    assert q["quantized"] is True and ref["quantized"] is False
    assert [r["weight_type"] for r in q["layers"]] == ["int8", "int8"] and q["parameters"] == ref["parameters"]
    assert [(r["inputs"], r["units"], r["bias"]) for r in q["layers"]] == [(r["inputs"], r["units"], r["bias"]) for r in ref["layers"]]
