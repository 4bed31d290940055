"""The int8 copy of an export (``quantize=True``): a row's answer does not depend on the rows batched with it."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

import hiddenlayers as hl
from hiddenlayers.ship import describe_onnx, export_onnx
from hiddenlayers.ship._int8_check import check_quantized_tolerance

ort = pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def fitted() -> tuple:
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = hl.MLPClassifier((16,), max_iter=200, random_state=0).fit(X_train, y_train)
    return clf, X_test, y_test


@pytest.fixture(scope="module")
def int8_file(fitted: tuple, tmp_path_factory: pytest.TempPathFactory) -> tuple:
    clf, X_test, y_test = fitted
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


def test_an_int8_file_no_smaller_than_the_float_one_is_said_with_both_sizes(int8_file: tuple, tmp_path) -> None:
    """A tiny model's int8 copy is larger than its float file (scales and dequantize steps outweigh 35 weights): the report
    says so with both measured sizes, where before it wrote the larger file in silence; a larger model's report says nothing."""
    report, *_ = int8_file
    assert report.quantized_bytes < report.bytes and not any("not smaller" in n for n in report.notes)
    X, y = load_breast_cancer(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tiny = hl.MLPClassifier((1,), max_iter=2, random_state=0).fit(X[:, :4], y)
    small = export_onnx(tiny, tmp_path / "tiny.onnx", X=X[:20, :4], quantize=True)
    assert small.quantized_bytes >= small.bytes
    said = [n for n in small.notes if "not smaller" in n]
    assert said == [f"the int8 file ({small.quantized_bytes:,} bytes) is not smaller than the float one ({small.bytes:,} bytes): this "
                    "model's weights are too few for int8 to save what its per-unit scales and dequantize steps add; ship the float file"]


def test_info_reads_the_int8_weights(int8_file: tuple) -> None:
    report, *_ = int8_file
    q, ref = describe_onnx(report.quantized_path), describe_onnx(report.path)
    assert q["quantized"] is True and ref["quantized"] is False
    assert [r["weight_type"] for r in q["layers"]] == ["int8", "int8"] and q["parameters"] == ref["parameters"]
    assert [(r["inputs"], r["units"], r["bias"]) for r in q["layers"]] == [(r["inputs"], r["units"], r["bias"]) for r in ref["layers"]]


def test_the_report_says_what_the_int8_answers_were_measured_against(int8_file: tuple) -> None:
    report, session, X, _ = int8_file
    got = session.run(None, {"X": X})[0].astype(np.float64)
    floats = ort.InferenceSession(report.path, providers=["CPUExecutionProvider"]).run(None, {"X": X})[0].astype(np.float64)
    # probabilities are at most 1 in size: the relative measure is the absolute one
    assert report.quantized_relative_diff == report.quantized_max_abs_diff
    assert report.quantized_max_abs_diff == pytest.approx(float(np.max(np.abs(got - floats))), abs=2 * report.max_abs_diff + 1e-7)
    assert report.quantized_tolerance is None and report.quantized_refused is None
    assert report.quantized_compared == (f"the int8 file's 'probabilities' vs the model's own answers (as the float file's) on {len(X)} "
                                         "parity rows of X")


def test_an_int8_copy_over_its_tolerance_is_not_written_and_the_float_file_is(fitted: tuple, int8_file: tuple, tmp_path) -> None:
    clf, X, y = fitted
    measured = int8_file[0].quantized_max_abs_diff
    assert measured > 0
    path, qpath = tmp_path / "m.onnx", tmp_path / "m.int8.onnx"
    qpath.write_bytes(b"what the user had")
    with pytest.raises(hl.QuantizedToleranceError) as caught:
        export_onnx(clf, path, X=X, y=y, quantize=True, quantized_tolerance=measured / 2)
    # untouched, and said to be no copy of this model (before: only "was not written", beside the new float file)
    assert qpath.read_bytes() == b"what the user had"
    assert path.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["m.int8.onnx", "m.onnx"]
    report = caught.value.report
    assert isinstance(caught.value, ValueError) and str(caught.value) == report.quantized_refused
    assert str(caught.value) == (f"the int8 copy's answers differ from the model's by {measured:.3g} on {len(X)} parity rows of X, over "
                                 f"quantized_tolerance={measured / 2:g}: {qpath} was not written (the float file {path} was; the m.int8.onnx there "
                                 "is an earlier export's, left as it was, not this model's); ship the "
                                 "float file, or raise quantized_tolerance if that difference is acceptable.")
    assert report.quantized_path is None and report.quantized_bytes is None and report.quantized_max_abs_diff == measured
    assert report.quantized_tolerance == measured / 2 and report.score_after is not None
    assert ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"X": X[:3].astype(np.float32)})[0].shape == (3, 2)


def test_an_int8_copy_within_its_tolerance_is_written(fitted: tuple, int8_file: tuple, tmp_path) -> None:
    clf, X, _ = fitted
    measured = int8_file[0].quantized_max_abs_diff
    report = export_onnx(clf, tmp_path / "m.onnx", X=X, quantize=True, quantized_tolerance=measured)  # at the limit: within it
    assert report.quantized_path == str(tmp_path / "m.int8.onnx") and (tmp_path / "m.int8.onnx").exists()
    assert report.quantized_tolerance == measured and report.quantized_refused is None


def test_a_regressors_int8_tolerance_is_relative_beyond_size_1_as_the_parity_tolerance(tmp_path) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    y = 5000 + 3000 * X[:, 0] + 1000 * X[:, 1]  # outputs of size ~1e3-1e4: int8 rounding is worth many units
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg = hl.MLPRegressor(hidden_layer_sizes=(8,), max_iter=60, scale_target=True, random_state=0).fit(X, y)
    report = export_onnx(reg, tmp_path / "r.onnx", X=X[:50], quantize=True)
    assert report.quantized_relative_diff < 0.1 < 1 < report.quantized_max_abs_diff
    limit = report.quantized_relative_diff * 1.01  # in the output's size: within it, though far below the absolute difference
    assert export_onnx(reg, tmp_path / "r.onnx", X=X[:50], quantize=True, quantized_tolerance=limit).quantized_refused is None
    with pytest.raises(hl.QuantizedToleranceError, match=r"of the output's size\) on 50 parity rows of X, over quantized_tolerance="):
        export_onnx(reg, tmp_path / "s.onnx", X=X[:50], quantize=True, quantized_tolerance=report.quantized_relative_diff / 2)
    assert (tmp_path / "s.onnx").exists() and not (tmp_path / "s.int8.onnx").exists()


def test_bad_quantized_tolerances_are_refused_before_any_file(fitted: tuple, tmp_path) -> None:
    clf, *_ = fitted
    for bad in (-0.1, float("nan"), True, "0.1"):
        with pytest.raises(ValueError, match=r"^quantized_tolerance must be a number >= 0 .* Received: quantized_tolerance="):
            export_onnx(clf, tmp_path / "m.onnx", quantize=True, quantized_tolerance=bad)
    with pytest.raises(ValueError, match=r"^quantized_tolerance was given but quantize=False: pass quantize=True"):
        export_onnx(clf, tmp_path / "m.onnx", quantized_tolerance=0.1)
    assert list(tmp_path.iterdir()) == []


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_a_quantized_tolerance_is_taken_when_it_is_a_number_at_least_0(value: float) -> None:
    if value >= 0:
        check_quantized_tolerance(value, True)
    else:
        with pytest.raises(ValueError, match="quantized_tolerance must be a number >= 0"):
            check_quantized_tolerance(value, True)
