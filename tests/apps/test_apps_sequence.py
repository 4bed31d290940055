"""SequenceClassifier: learns from variable-length frames and token ids, padding never changes a result."""

from __future__ import annotations

import io
import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.base import clone

import hiddenlayers as hl
from hiddenlayers import DataError, NotFittedError
from hiddenlayers.apps import SequenceClassifier


def running_sum_data(n: int, seed: int) -> tuple[list[np.ndarray], np.ndarray]:
    """Sequences of 4..24 steps x 3 features; class = sign of the sum of feature 0 (needs memory)."""
    rng = np.random.default_rng(seed)
    X = [rng.normal(size=(int(rng.integers(4, 25)), 3)).astype(np.float32) for _ in range(n)]
    return X, np.array(["up" if x[:, 0].sum() > 0 else "down" for x in X])


def marker_data(n: int, seed: int) -> tuple[list[np.ndarray], np.ndarray]:
    """Token ids 0..6 of 3..24 steps; class 1 when the marker id 7 appears anywhere."""
    rng = np.random.default_rng(seed)
    X = [rng.integers(0, 7, size=int(rng.integers(3, 25))) for _ in range(n)]
    for x in X[::2]:
        x[rng.integers(len(x))] = 7
    return X, np.array([int((x == 7).any()) for x in X])


@pytest.fixture(scope="module")
def frames() -> tuple[list[np.ndarray], np.ndarray]:
    return running_sum_data(700, 0)


@pytest.fixture(scope="module")
def fitted(frames: tuple[list[np.ndarray], np.ndarray]) -> SequenceClassifier:
    X, y = frames
    return SequenceClassifier("lstm24,16", max_iter=25, random_state=0).fit(X[:550], y[:550])


def test_learns_running_sum(fitted: SequenceClassifier, frames: tuple[list[np.ndarray], np.ndarray]) -> None:
    X, y = frames
    assert fitted.score(X[550:], y[550:]) >= 0.85  # chance: ~0.5
    assert fitted.input_kind_ == "features" and fitted.n_features_in_ == 3 and fitted.max_len_ == 24
    assert list(fitted.classes_) == ["down", "up"]
    assert fitted.n_iter_ == len(fitted.loss_curve_) == len(fitted.validation_scores_) >= 2
    assert fitted.stop_reason_ in ("max_epochs", "no_improvement_validation_score")
    proba = fitted.predict_proba(X[:5])
    assert proba.shape == (5, 2) and np.allclose(proba.sum(1), 1.0)
    assert fitted.transform(X[:4], layer=1).shape == (4, 24)
    assert fitted.transform(X[:4]).shape == (4, 16)


def test_learns_marker_token_ids() -> None:
    X, y = marker_data(600, 1)
    clf = SequenceClassifier("gru16", max_iter=20, random_state=0).fit(X[:450], y[:450])
    assert clf.score(X[450:], y[450:]) >= 0.9
    assert clf.input_kind_ == "ids" and clf.vocab_size_ == 9  # ids 0..7 shifted by one, plus padding
    assert clf.network_.spec.to_text() == "embed32,gru16"  # an embedding was put first
    assert clf.transform(X[:3], layer=1).shape == (3, max(len(x) for x in X[:3]), 32)


# cuDNN's recurrent kernels (TF32 by default) round a batch and a single sequence differently
PAD_TOL = dict(rtol=1e-4, atol=1e-4) if torch.cuda.is_available() else dict(rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("spec", ["lstm6", "gru6:bi", "lstm6:seq:layers=2,gap", "gru5:bi:seq,gmp", "conv4k3,pool2,gmp,5", "conv4k3:same,lstm6:seq,gap"])
def test_padding_never_changes_a_prediction(spec: str) -> None:
    rng = np.random.default_rng(3)
    X = [rng.normal(size=(n, 2)) for n in (5, 30, 9, 17)]
    clf = SequenceClassifier(spec, max_iter=1, early_stopping=False, random_state=0).fit(X, [0, 1, 0, 1])
    together = clf.predict_proba(X)
    alone = np.vstack([clf.predict_proba([x]) for x in X])
    np.testing.assert_allclose(together, alone, **PAD_TOL)
    # the raw network reads the NaN padding of a batch the same way
    padded = clf._check_X(X)
    assert padded.shape == (4, 30, 2) and np.isnan(padded[0, 5:]).all()
    np.testing.assert_allclose(clf.transform(X, layer=-1), np.vstack([clf.transform([x], layer=-1) for x in X]), **PAD_TOL)


@pytest.mark.parametrize("spec", ["embed4,lstm5:bi", "embed4,conv3k3:same,pool2,gru3"])
def test_padding_invariance_with_token_ids(spec: str) -> None:
    X = [np.array([3, 1, 2, 2]), np.arange(40) % 5, np.array([4, 0])]
    clf = SequenceClassifier(spec, max_iter=1, early_stopping=False, random_state=0)
    clf.fit(X, ["a", "b", "a"])
    np.testing.assert_allclose(clf.predict_proba(X), np.vstack([clf.predict_proba([x]) for x in X]), **PAD_TOL)


def test_array_and_list_inputs_agree(fitted: SequenceClassifier) -> None:
    rng = np.random.default_rng(5)
    A = rng.normal(size=(6, 12, 3)).astype(np.float32)
    np.testing.assert_allclose(fitted.predict_proba(A), fitted.predict_proba(list(A)), rtol=1e-6)
    ids = np.array([[1, 2, 3], [3, 2, 1]])
    clf = SequenceClassifier("gru4", max_iter=1, early_stopping=False, random_state=0).fit(ids, [0, 1])
    np.testing.assert_allclose(clf.predict_proba(ids), clf.predict_proba(list(ids)), rtol=1e-6)


def test_a_nan_padded_array_reads_as_its_ragged_sequences(fitted: SequenceClassifier) -> None:
    # the ONNX export reads (N, T, F) with whole NaN steps after each end, as the SpeechRecognizer does; predict refused the
    # same array ("sequence 0 contains NaN or infinity"), so the export's own input could not be checked against the model
    rng = np.random.default_rng(6)
    ragged = [rng.normal(size=(n, 3)).astype(np.float32) for n in (4, 12, 7)]
    padded = np.full((3, 12, 3), np.nan, dtype=np.float32)
    for i, x in enumerate(ragged):
        padded[i, : len(x)] = x
    np.testing.assert_allclose(fitted.predict_proba(padded), fitted.predict_proba(ragged), **PAD_TOL)
    clf = SequenceClassifier("gru4", max_iter=2, early_stopping=False, random_state=0)
    np.testing.assert_array_equal(clf.fit(padded, [0, 1, 0]).predict_proba(ragged), clf.fit(ragged, [0, 1, 0]).predict_proba(ragged))
    padded[1, 2, 0] = np.nan  # a NaN inside a sequence is no padding
    with pytest.raises(ValueError, match=r"^sequence 1 has NaN at step 2, which is not padding \(padding is whole NaN steps after the last real one\): clean or impute those steps first\.$"):
        fitted.predict(padded)
    with pytest.raises(ValueError, match=r"^sequence 0 is empty \(0 steps\)"):
        fitted.predict(np.full((1, 5, 3), np.nan))


def test_a_float64_model_predicts_after_load_as_before_save(frames: tuple[list[np.ndarray], np.ndarray], tmp_path: Path) -> None:
    """load copied the file's float64 weights into a float32 network (rounded), then cast it to float64: the probabilities
    moved by ~1e-7 from those before save (TextClassifier's files too, read by the same load)."""
    X, y = frames
    model = SequenceClassifier("gru4", max_iter=1, dtype="float64", random_state=0).fit(X[:40], y[:40])
    model.save(tmp_path / "f64.safetensors")
    np.testing.assert_array_equal(SequenceClassifier.load(tmp_path / "f64.safetensors").predict_proba(X[:40]), model.predict_proba(X[:40]))


def test_save_load_and_pickle(fitted: SequenceClassifier, frames: tuple[list[np.ndarray], np.ndarray], tmp_path: Path) -> None:
    X, _ = frames
    path = tmp_path / "seq.safetensors"
    fitted.save(path)
    for again in (SequenceClassifier.load(path), hl.load(path), pickle.loads(pickle.dumps(fitted))):
        assert type(again) is SequenceClassifier
        np.testing.assert_array_equal(again.predict_proba(X[:60]), fitted.predict_proba(X[:60]))
        assert again.get_params() == fitted.get_params()
        assert list(again.classes_) == list(fitted.classes_)
    assert SequenceClassifier.load(path).history_.train_loss == fitted.history_.train_loss
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as fh:
        meta = json.loads(fh.metadata()["hiddenlayers"])
    assert meta["estimator"] == "SequenceClassifier" and meta["state"]["network"]["in_features"] == [24, 3]


def test_lens_records_recurrent_and_embedding_layers(fitted: SequenceClassifier, frames: tuple[list[np.ndarray], np.ndarray]) -> None:
    X, _ = frames
    rec = hl.lens.record(fitted, X[:50])
    assert rec.kinds == {"hidden1": "dense", "hidden2": "dense"}  # the LSTM's last state, then a dense layer
    assert rec["hidden1"].shape == (50, 24) and np.abs(rec["hidden1"]).max() <= 1.0
    np.testing.assert_allclose(rec["hidden1"], fitted.transform(X[:50], layer=1), **PAD_TOL)
    ids, y = marker_data(40, 2)
    clf = SequenceClassifier("embed8,lstm6:seq,gap", max_iter=1, early_stopping=False, random_state=0).fit(ids, y)
    rec = hl.lens.record(clf, ids)
    assert rec.kinds == {"hidden1": "recurrent", "hidden2": "recurrent", "hidden3": "dense"}
    assert rec["hidden1"].shape == (40, 24, 8) and rec["hidden2"].shape == (40, 24, 6)
    assert (rec["hidden2"][0, len(ids[0]):] == 0).all()  # nothing past the sample's end
    from rich.console import Console

    stats = hl.lens.summary(clf, ids, console=Console(file=io.StringIO()))
    assert [s.name for s in stats] == ["hidden1", "hidden2", "hidden3"]


def test_clone_and_not_fitted() -> None:
    clf = SequenceClassifier("gru8", max_iter=3)
    assert clone(clf).get_params() == clf.get_params()
    with pytest.raises(NotFittedError, match=r"^This SequenceClassifier instance is not fitted yet"):
        clf.predict([np.zeros((3, 2))])


Z = np.zeros((4, 2), dtype=np.float32)


@pytest.mark.parametrize(
    "X, y, message",
    [
        (np.zeros((4, 5)), [0, 1, 0, 1], r"^X is a 2-D float array \(4, 5\): one sequence of 4 steps x 5 features is \[X\] \(a list of one\); 4 sequences of one feature per step are X\[:, :, None\]; token ids are an integer array\.$"),
        (np.zeros((2, 3, 4, 5)), [0, 1], r"^X must be 3-D \(N, T, F\) or 2-D integer token ids \(N, T\)\. Received an array of shape \(2, 3, 4, 5\)\.$"),
        ([Z, np.full((3, 2), np.nan)], [0, 1], r"^sequence 1 has NaN or infinity at step 0 \(of 3\): clean or impute those steps first\.$"),
        ([Z, np.zeros((0, 2))], [0, 1], r"^sequence 1 is empty \(0 steps\): drop it or give it at least one step\.$"),
        # an empty list of token ids (a sentence whose words were all dropped) is empty, not "a 1-D float64 array" or of another kind
        ([[1, 2], []], [0, 1], r"^sequence 1 is empty \(0 steps\): drop it or give it at least one step\.$"),
        ([[], [1, 2]], [0, 1], r"^sequence 0 is empty \(0 steps\): drop it or give it at least one step\.$"),
        ([Z, np.zeros((3, 5))], [0, 1], r"^sequence 1 has 5 features per step but sequence 0 has 2: every step needs the same features\.$"),
        ([Z, np.zeros(3)], [0, 1], r"^sequence 1 is a 1-D float64 array: for token ids pass integers; for one feature per step reshape it to \(T, 1\)\.$"),
        ([np.array([1, 2]), Z], [0, 1], r"^sequence 1 has shape \(4, 2\) and dtype float32, but sequence 0 is 1-D token ids"),
        ([np.array([1, -2])], [0], r"^sequence 0 has a negative token id \(-2\): ids must be >= 0\.$"),
        ([], [], r"^X has 0 sequences: pass at least one\.$"),
        ([Z, Z], [0], r"^y must hold one label per sequence: X has 2 sequences, y has shape \(1,\)\.$"),
        ([Z, Z], [1, 1], r"^y has a single class 1: a classifier needs at least two\.$"),
    ],
)
def test_bad_input(X, y, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=message):
        SequenceClassifier("gru4", max_iter=1, early_stopping=False).fit(X, y)


def test_bad_params_and_predict_errors(fitted: SequenceClassifier) -> None:
    with pytest.raises(ValueError, match=r"^max_iter must be an integer >= 1\. Received: max_iter=0\.$"):
        SequenceClassifier(max_iter=0).fit([Z, Z], [0, 1])
    with pytest.raises(ValueError, match=r"^clip_grad_norm must be a number > 0 or None\. Received: clip_grad_norm=-1\.$"):
        SequenceClassifier(clip_grad_norm=-1).fit([Z, Z], [0, 1])
    with pytest.raises(ValueError, match=r"^the spec starts with an embedding \(embed8\), which reads integer token ids, but X holds float feature frames"):
        SequenceClassifier("embed8,gru4").fit([Z, Z], [0, 1])
    with pytest.raises(DataError, match=r"^X has 2 features per step but the model was fitted on 3: pass the same features\.$"):
        fitted.predict([Z])
    with pytest.raises(DataError, match=r"^X holds token ids but the model was fitted on feature frames \(T, F\): pass the same kind of input\.$"):
        fitted.predict([np.array([1, 2])])
    with pytest.raises(ValueError, match=r"^layer must be 1\.\.2 \(or -1\.\.-2 from the end\)\. Received: layer=3\.$"):
        fitted.transform([np.zeros((3, 3))], layer=3)
    ids = SequenceClassifier("gru4", max_iter=1, early_stopping=False).fit([np.array([0, 1]), np.array([2])], [0, 1])
    with pytest.raises(DataError, match=r"^token id 9 is larger than any id seen in fit \(2\): map unseen tokens to an id seen in fit\.$"):
        ids.predict([np.array([9])])
    assert ids.max_id_ == 2 and ids.predict([np.array([2, 0])]).shape == (1,)  # the largest id it reads (the server checks against it)


def test_length_rules_of_the_spec() -> None:
    conv = SequenceClassifier("conv4k5,pool2,gap", max_iter=1, early_stopping=False).fit([np.zeros((8, 2)), np.ones((9, 2))], [0, 1])
    assert conv.min_length_ == 6
    with pytest.raises(DataError, match=r"^sequence 0 has 5 steps, too few for the spec's convolution/pooling layers: each needs at least 6; give the convolutions ':same' padding \(e\.g\. conv64k5:same\), which keeps every length, or pool less\.$"):
        conv.predict([np.zeros((5, 2))])
    with pytest.raises(DataError, match=r"^this spec flattens the time axis, so every sequence needs the same length, but X has lengths 3 to 4"):
        SequenceClassifier("conv4k2,8").fit([np.zeros((3, 2)), np.ones((4, 2))], [0, 1])
    flat = SequenceClassifier("conv4k2,8", max_iter=1, early_stopping=False).fit([np.zeros((4, 2)), np.ones((4, 2))], [0, 1])
    assert flat.predict(np.zeros((3, 4, 2))).shape == (3,)
    with pytest.raises(DataError, match=r"^sequence 0 has 3 steps but this spec flattens the time axis, so every sequence needs 4 like in fit"):
        flat.predict([np.zeros((3, 2))])


def test_pipeline_set_output_pandas_works_as_with_the_mlps(fitted: SequenceClassifier, frames: tuple[list[np.ndarray], np.ndarray]) -> None:
    # transform() makes SequenceClassifier a transformer: Pipeline.set_output(transform="pandas") called its set_output,
    # which it lacked ("`set_output` is not available"), where the MLP estimators' works
    import pandas as pd
    from sklearn.pipeline import make_pipeline

    X, y = frames
    make_pipeline(SequenceClassifier("lstm4", max_iter=1, random_state=0)).set_output(transform="pandas").fit(X[:60], y[:60])
    out = fitted.set_output(transform="pandas").transform(X[:4])
    try:
        assert isinstance(out, pd.DataFrame) and list(out.columns) == list(fitted.get_feature_names_out()) == [f"hidden2_{j}" for j in range(16)]
        np.testing.assert_array_equal(out.to_numpy(), fitted.set_output(transform="default").transform(X[:4]))
    finally:
        fitted.set_output(transform="default")  # the module's fixture is shared
    conv = SequenceClassifier("conv4k3,lstm4", max_iter=1, random_state=0).fit(X[:60], y[:60])
    with pytest.raises(ValueError, match=r"hidden1's output has shape \(4, \d+, 4\) \(one row per step of each sequence\)"):
        conv.set_output(transform="pandas").transform(X[:4], layer=1)


def test_docstring_lists_every_parameter() -> None:
    """The parameter table's numpydoc section is in SequenceClassifier's docstring (the decorator sat on a helper function)."""
    from hiddenlayers.apps._seq.sequence import SEQUENCE_PARAMS

    doc = SequenceClassifier.__doc__ or ""
    assert "Parameters\n----------" in doc
    assert all(f"\n{p.name} : " in doc for p in SEQUENCE_PARAMS)
