"""export_onnx() for SequenceClassifier (NaN-padded frames, dynamic steps) and Recommender (raw ids, LabelEncoder lookup)."""

from __future__ import annotations

import contextlib
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli_helpers import assert_user_error, ok, run
from hiddenlayers.apps import Recommender, SequenceClassifier
from hiddenlayers.ship import ExportReport, describe_onnx, export_onnx

ort = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")


def _session(path: Path):
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def _padded(seqs: list[np.ndarray], steps: int | None = None) -> np.ndarray:
    """What a device feeds: each (T_i, F) sequence, then whole NaN steps up to ``steps`` (default the longest)."""
    steps = steps or max(len(s) for s in seqs)
    out = np.full((len(seqs), steps, seqs[0].shape[1]), np.nan, dtype=np.float32)
    for i, s in enumerate(seqs):
        out[i, : len(s)] = s
    return out


def _structure(path: Path) -> tuple[list[tuple[str, list[str]]], list[np.ndarray], list[str]]:
    """An ONNX file's graph without its generated value names: each node's operator and attributes, the initializers'
    values and the inputs' shapes, in order (the exporter's name counters may differ by one between processes' histories)."""
    graph = onnx.load(str(path)).graph
    nodes = [(n.op_type, [str(a) for a in n.attribute]) for n in graph.node]
    return nodes, [onnx.numpy_helper.to_array(t) for t in graph.initializer], [str(i.type) for i in graph.input]


def _frames(rng: np.random.Generator, lengths: list[int] | np.ndarray, n_features: int = 3) -> list[np.ndarray]:
    return [(rng.normal(size=(int(t), n_features)) * 2 + 1).astype(np.float32) for t in lengths]


@pytest.fixture(scope="module")
def frames() -> tuple[list[np.ndarray], np.ndarray]:
    """MFCC-like frames (T_i, 3) of 4 to 12 steps; the class is the sign of the first feature's mean."""
    rng = np.random.default_rng(0)
    X = _frames(rng, rng.integers(4, 13, size=120))
    return X, np.array(["up" if x[:, 0].mean() > 1 else "down" for x in X])


@pytest.fixture(scope="module")
def seq_clf(frames) -> SequenceClassifier:
    X, y = frames
    return SequenceClassifier("lstm8,6", max_iter=3, early_stopping=False, device="cpu", random_state=0).fit(X, y)


@pytest.fixture(scope="module")
def seq_onnx(seq_clf: SequenceClassifier, frames, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ExportReport]:
    """``seq_clf`` exported once (an LSTM's export takes seconds), parity on the first 40 sequences, with its int8 copy
    ``s.int8.onnx``: (folder, report). Read only: the tests run sessions on the files and read them."""
    X, y = frames
    folder = tmp_path_factory.mktemp("seq")
    return folder, export_onnx(seq_clf, folder / "s.onnx", X=X[:40], y=y[:40], quantize=True)


def test_sequence_classifier_nan_padded_frames_to_probabilities(seq_clf: SequenceClassifier, frames, seq_onnx) -> None:
    X, y = frames
    folder, r = seq_onnx
    path = folder / "s.onnx"
    assert r.max_abs_diff < 1e-4 and r.parity_rows == 40 and r.input_shape == ["batch", "steps", 3] and r.output_name == "probabilities"
    assert r.metric == "accuracy" and r.score_before == pytest.approx(seq_clf.score(X[:40], y[:40]))
    sess = _session(path)
    assert sess.get_inputs()[0].shape == ["batch", "steps", 3]
    rng = np.random.default_rng(1)
    for n in (1, 7):  # dynamic batch and steps; mixed lengths in one batch, longer and shorter than any in fit
        seqs = _frames(rng, rng.integers(2, 16, size=n))
        expected = seq_clf.predict_proba(seqs)
        np.testing.assert_allclose(sess.run(None, {"X": _padded(seqs)})[0], expected, atol=1e-4)
        np.testing.assert_allclose(sess.run(None, {"X": _padded(seqs, 20)})[0], expected, atol=1e-4)  # extra NaN steps change nothing
    props = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    assert json.loads(props["classes"]) == ["down", "up"] and props["hiddenlayers_estimator"] == "SequenceClassifier"
    assert json.loads(props["hiddenlayers_app_input"])["shape"] == ["batch", "steps", 3]
    # without X the parity runs on 64 random sequences of mixed lengths: test_cli_exports_saved_sequence_and_recommender_files


@pytest.mark.parametrize("spec", ["gru6,4", "conv4k3:same,pool2,gap,4"])  # a bidirectional one: test_export_text.py; the second's pooling runs on exactly max_len steps
def test_sequence_classifier_max_len_is_cut_by_a_dynamic_graph(spec: str, frames, tmp_path: Path) -> None:
    """With max_len the graph reads each sequence's first max_len steps itself, as predict does, so its steps axis stays
    dynamic: a longer sequence is fed whole (it was fixed at max_len, the caller cutting each sequence)."""
    X, y = frames
    clf = SequenceClassifier(spec, max_len=6, max_iter=2, early_stopping=False, device="cpu", random_state=0).fit(X, y)
    path = tmp_path / "cut.onnx"
    r = export_onnx(clf, path, X=X[:30])  # sequences of up to 12 steps, fed whole: the graph keeps their first 6, as predict does
    assert r.max_abs_diff < 1e-4 and r.input_shape == ["batch", "steps", 3]
    assert any("the graph reads each sequence's first max_len = 6 steps" in n for n in r.notes)
    assert ("exactly 6 steps" in r.notes[-1]) == ("pool" in spec)
    sess = _session(path)
    assert sess.get_inputs()[0].shape == ["batch", "steps", 3]
    seqs = _frames(np.random.default_rng(2), [3, 9, 12, 6, 7, 4, 10, 25])  # predict keeps each one's first 6 steps
    for batch in (seqs, seqs[:1], [seqs[0], seqs[5]]):  # longer and shorter than max_len; all shorter
        for steps in (None, 30):
            np.testing.assert_allclose(sess.run(None, {"X": _padded(batch, steps)})[0], clf.predict_proba(batch), atol=1e-4)


def test_a_max_len_export_that_fails_dynamic_falls_back_to_steps_fixed_at_max_len(frames, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the dynamic graph's conversion fails, the export is the graph fixed at max_len (the caller cuts), said in its notes."""
    from hiddenlayers.ship import _export

    real, traces = _export._torch_proto, []

    def failing_dynamic(*a, **k):
        traces.append(sorted(k["dynamic_shapes"]["x"]))
        if 1 in k["dynamic_shapes"]["x"]:
            raise RuntimeError("the exporter could not convert a dynamic steps axis")
        return real(*a, **k)

    monkeypatch.setattr(_export, "_torch_proto", failing_dynamic)
    X, y = frames
    clf = SequenceClassifier("conv4k3:same,gap,4", max_len=6, max_iter=2, early_stopping=False, device="cpu", random_state=0).fit(X, y)
    r = export_onnx(clf, tmp_path / "fixed.onnx", X=X[:30])
    assert traces == [[0, 1], [0]] and r.max_abs_diff < 1e-4 and r.input_shape == ["batch", 6, 3]
    assert any("steps is fixed at max_len = 6 (PyTorch's exporter could not keep it dynamic for this spec)" in n for n in r.notes)
    seqs = _frames(np.random.default_rng(2), [3, 9, 12, 6])
    np.testing.assert_allclose(_session(tmp_path / "fixed.onnx").run(None, {"X": _padded([s[:6] for s in seqs], 6)})[0], clf.predict_proba(seqs), atol=1e-4)


def test_sequence_classifier_pooling_fixes_steps_at_the_fitted_length(frames, tmp_path: Path) -> None:
    X, y = frames
    clf = SequenceClassifier("conv4k3:same,pool2,gap,4", max_iter=2, early_stopping=False, device="cpu", random_state=0).fit(X, y)
    path = tmp_path / "pool.onnx"
    r = export_onnx(clf, path, X=X[:30])
    assert r.max_abs_diff < 1e-4 and r.input_shape == ["batch", clf.max_len_, 3]
    assert any("fix steps at 12" in n for n in r.notes)
    seqs = _frames(np.random.default_rng(3), [2, 12, 5, 7, 9, 11, 4])
    np.testing.assert_allclose(_session(path).run(None, {"X": _padded(seqs, clf.max_len_)})[0], clf.predict_proba(seqs), atol=1e-4)
    with pytest.raises(ValueError, match=r"^this spec's layers fix the ONNX input at 12 steps .* but X has a sequence of 14: pass sequences of at most 12 steps\.$"):
        export_onnx(clf, tmp_path / "long.onnx", X=_frames(np.random.default_rng(4), [5, 14]))
    assert not (tmp_path / "long.onnx").exists()


@pytest.mark.parametrize("spec", ["lstm5:bi:layers=2,4", "lstm5:bi:seq,gap,4"])  # a bidirectional GRU: the next test
def test_sequence_classifier_bidirectional_without_packed_sequences(spec: str, frames, tmp_path: Path) -> None:
    X, y = frames  # the app runs these on a PackedSequence; the graph reverses each sequence within its own length
    clf = SequenceClassifier(spec, max_iter=2, early_stopping=False, device="cpu", random_state=0).fit(X, y)
    path = tmp_path / "bi.onnx"
    r = export_onnx(clf, path, X=X[:30])
    assert r.max_abs_diff < 1e-4
    sess, rng = _session(path), np.random.default_rng(6)
    steps = r.input_shape[1] if isinstance(r.input_shape[1], int) else None  # ':seq' fixes steps at the fitted length
    for n in (1, 7):
        seqs = _frames(rng, rng.integers(2, 13, size=n))
        np.testing.assert_allclose(sess.run(None, {"X": _padded(seqs, steps)})[0], clf.predict_proba(seqs), atol=1e-4)


BI_GRU = "gru5:bi,4"  # bi_gru's spec


@pytest.fixture(scope="module")
def bi_gru(frames, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A bidirectional GRU (its export takes seconds, so two tests share it): the model, its weights and its probabilities on
    ``_probe()`` before any export, and its first export ``at12.onnx`` (with the int8 copy) in ``folder``, parity on three
    12-step sequences and three others, with its report. Read only: no test changes the model or the files. One layer: each
    direction of each layer is its own recurrent export (a second layer cost ~2 CPU-s more an export, ~4.4 instead of ~2.4);
    the two-layer stacking is test_sequence_classifier_bidirectional_without_packed_sequences's lstm5:bi:layers=2,4."""
    X, y = frames
    clf = SequenceClassifier(BI_GRU, max_iter=1, early_stopping=False, device="cpu", random_state=0).fit(X, y)
    state = {k: v.clone() for k, v in clf.network_.state_dict().items()}
    before = clf.predict_proba(_probe())
    folder = tmp_path_factory.mktemp("bi_gru")
    report = export_onnx(clf, folder / "at12.onnx", X=[x for x in X if len(x) == 12][:3] + X[:3], quantize=True)
    return {"clf": clf, "state": state, "before": before, "folder": folder, "report": report}


def _probe() -> list[np.ndarray]:
    """Sequences of 1 to 14 steps: shorter and longer than the 12 an export traces or checks parity at."""
    return _frames(np.random.default_rng(7), [1, 2, 5, 9, 12, 14])


def test_sequence_classifier_bidirectional_exports_do_not_depend_on_earlier_ones(bi_gru: dict, tmp_path: Path) -> None:
    """Two exports of one model in one process: with 12-step parity sequences (``bi_gru``'s), then without X (random ones).
    The second used to inherit the kernel the first left in PyTorch's dispatch cache, which baked the traced step count into
    its graph. (A third export with 6-step parity sequences was dropped: a dynamic axis is traced at 3 steps whatever X
    holds, so it traced what the first did.)"""
    import torch

    clf, state, before, first = bi_gru["clf"], bi_gru["state"], bi_gru["before"], bi_gru["folder"] / "at12.onnx"
    probe = _probe()
    assert bi_gru["report"].max_abs_diff < 1e-4
    runs = {"at12.onnx": first, "random.onnx": tmp_path / "random.onnx"}
    assert export_onnx(clf, runs["random.onnx"]).max_abs_diff < 1e-4  # after the first, in this process
    for path in runs.values():
        sess = _session(path)
        for seqs in (probe, probe[:3], probe[3:4]):  # mixed lengths, shorter and longer than the traced 12 steps
            np.testing.assert_allclose(sess.run(None, {"X": _padded(seqs)})[0], clf.predict_proba(seqs), atol=1e-4)
        np.testing.assert_allclose(sess.run(None, {"X": _padded(probe, 20)})[0], before, atol=1e-4)
    (nodes, weights, inputs), (other_nodes, other_weights, other_inputs) = (_structure(path) for path in runs.values())
    # the same graph whatever the parity sequences and whatever was exported before
    assert other_nodes == nodes and other_inputs == inputs and len(other_weights) == len(weights)
    assert all(np.array_equal(a, b) for a, b in zip(other_weights, weights, strict=True))
    after = clf.network_.state_dict()
    assert after.keys() == state.keys() and all(torch.equal(after[k], v) for k, v in state.items())
    np.testing.assert_array_equal(clf.predict_proba(probe), before)  # the export left the fitted model as it was


def test_sequence_classifier_bidirectional_graph_takes_any_steps_from_the_unrolled_rnn_kernel(frames, tmp_path: Path, monkeypatch) -> None:
    """Without the exporter's while-loop LSTM/GRU kernel (older torch; or a stale dispatch cache) a recurrent output has the
    traced steps (3: export traces a dynamic axis short) as a constant: the graph's reversals take their step indices from the
    layer input, so no 3 is baked in."""
    from torch.onnx._internal.exporter import _capture_strategies as capture

    if not hasattr(capture, "_patch_dynamic_shape_rnn_decompositions"):
        pytest.skip("this torch has no while-loop RNN patch to leave out")
    monkeypatch.setattr(capture, "_patch_dynamic_shape_rnn_decompositions", lambda dynamic_shapes: contextlib.nullcontext())
    X, y = frames
    clf = SequenceClassifier("lstm3:bi:layers=2,2", max_iter=1, early_stopping=False, device="cpu", random_state=0).fit(X, y)
    r = export_onnx(clf, tmp_path / "unrolled.onnx")  # random parity sequences of 4 to 12 steps, then 3 more NaN steps
    assert r.max_abs_diff < 1e-4 and r.input_shape == ["batch", "steps", 3]
    sess = _session(tmp_path / "unrolled.onnx")
    seqs = _frames(np.random.default_rng(8), [2, 6, 15])
    for steps in (None, 20):
        np.testing.assert_allclose(sess.run(None, {"X": _padded(seqs, steps)})[0], clf.predict_proba(seqs), atol=1e-4)


def test_a_dynamic_steps_axis_is_traced_short_and_reads_longer_sequences_than_fit(tmp_path: Path) -> None:
    """The exporter traces a recurrent layer step by step: the sample of a dynamic steps axis has max(3, min_length_) steps
    (before: the longest sequence in fit, here 40), and the graph still reads every length, the fitted 40 and beyond."""
    from hiddenlayers.ship._app_graph_seq import sequence_graph

    rng = np.random.default_rng(9)
    X = _frames(rng, rng.integers(30, 41, size=40))
    y = np.array([x[:, 0].mean() > 1 for x in X])
    clf = SequenceClassifier("lstm4,3", max_iter=1, early_stopping=False, device="cpu", random_state=0).fit(X, y)
    assert clf.max_len_ == 40 and tuple(sequence_graph(clf, None).sample.shape) == (2, 3, 3)
    conv = SequenceClassifier("conv4k5,gap,3", max_iter=1, early_stopping=False, device="cpu", random_state=0).fit(X[:8], y[:8])
    assert tuple(sequence_graph(conv, None).sample.shape) == (2, conv.min_length_, 3) and conv.min_length_ >= 5  # what its kernel needs
    r = export_onnx(clf, tmp_path / "long.onnx", X=X[:10])
    assert r.max_abs_diff < 1e-4 and r.input_shape == ["batch", "steps", 3]
    seqs = _frames(rng, [2, 40, 55])
    np.testing.assert_allclose(_session(tmp_path / "long.onnx").run(None, {"X": _padded(seqs)})[0], clf.predict_proba(seqs), atol=1e-4)


def test_sequence_classifier_float64_lstm_is_refused(frames, tmp_path: Path) -> None:
    X, y = frames  # onnxruntime's LSTM has no float64 kernel: no silent float32 graph, dtype='float32' asks for one
    clf = SequenceClassifier("lstm6,4", dtype="float64", max_iter=1, early_stopping=False, device="cpu", random_state=0).fit(X, y)
    with pytest.raises(ValueError, match=r"^this float64 model's graph cannot run in onnxruntime: its LSTM layer has no float64 kernel there"):
        export_onnx(clf, tmp_path / "f64.onnx", X=X[:20])
    assert not list(tmp_path.iterdir())
    # the float32 graph dtype='float32' asks for (the same .float() copy for an LSTM as for a GRU): tests/ship/test_export_apps_float64.py's
    # test_lstm_and_gru_refused_in_float64_in_one_line_and_exported_with_dtype_float32 exports and serves one


def test_sequence_classifier_refusals_are_one_line(frames, tmp_path: Path) -> None:
    X, y = frames  # (a token-id model exports: tests/ship/test_export_text.py)
    one_way = SequenceClassifier("lstm4", max_iter=1, early_stopping=False, device="cpu", random_state=0).fit(X, y)
    with pytest.raises(ValueError, match=r"^X cannot be the parity sequences: sequence 1 has 2 features per step but sequence 0 has 3"):
        export_onnx(one_way, tmp_path / "f.onnx", X=[X[0], X[1][:, :2]])
    with pytest.raises(ValueError, match=r"^X must be sequences for the parity check: a list of \(T_i, F\) arrays or an \(N, T, F\) array\. Received: int\.$"):
        export_onnx(one_way, tmp_path / "g.onnx", X=5)
    assert not list(tmp_path.iterdir())


# ------------------------------------------------------------------ Recommender
@pytest.fixture(scope="module")
def ratings() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    users, items = rng.integers(100, 130, 600), rng.integers(0, 20, 600)
    return pd.DataFrame({"userId": users, "movieId": items}), 1 + 4 * rng.random(600)


@pytest.fixture(scope="module")
def rec(ratings) -> Recommender:
    X, y = ratings
    return Recommender(n_factors=4, hidden_layer_sizes=(8,), max_iter=5, device="cpu", random_state=0).fit(X, y)


@pytest.fixture(scope="module")
def rec_onnx(rec: Recommender, tmp_path_factory: pytest.TempPathFactory):
    """``rec`` exported without X (its parity on random pairs with unseen ids on either side and on both): (path, report).
    Read only: the tests run sessions on it."""
    path = tmp_path_factory.mktemp("rec") / "rec.onnx"
    return path, export_onnx(rec, path)


def _predict(model: Recommender, users, items) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unseen ids are counted in a warning
        return model.predict((list(users), list(items)))


def test_recommender_raw_int_ids_with_unknown_fallback(rec: Recommender, rec_onnx, ratings, tmp_path: Path) -> None:
    X, _ = ratings
    r = export_onnx(rec, tmp_path / "rec.onnx", X=X.iloc[:50])
    assert r.max_abs_diff < 1e-4 and r.input_name == "users, items" and r.input_types == ["int64", "int64"] and r.output_name == "predictions"
    path, r = rec_onnx
    assert r.max_abs_diff < 1e-4  # random pairs with unseen ids on either side and on both
    sess = _session(path)
    assert [(i.name, i.type, i.shape) for i in sess.get_inputs()] == [("users", "tensor(int64)", ["batch"]), ("items", "tensor(int64)", ["batch"])]
    model = onnx.load(str(path))
    assert [n.op_type for n in model.graph.node][:2] == ["LabelEncoder", "LabelEncoder"]
    assert {o.domain for o in model.opset_import} >= {"", "ai.onnx.ml"}
    users = np.array([100, 7, 129, 7, 115, 101, 999], dtype=np.int64)  # known, unknown user, known, ..., unknown
    items = np.array([3, 4, 99, 99, 19, 0, 5], dtype=np.int64)
    for n in (1, 7):
        out = sess.run(None, {"users": users[:n], "items": items[:n]})[0]
        assert out.shape == (n,)
        np.testing.assert_allclose(out, _predict(rec, users[:n], items[:n]), atol=1e-4)
    both_unknown = sess.run(None, {"users": np.array([7]), "items": np.array([99])})[0]
    assert both_unknown[0] == pytest.approx(rec.global_mean_, abs=1e-5)
    props = {p.key: p.value for p in model.metadata_props}
    assert json.loads(props["input_columns"]) == ["userId", "movieId"] and json.loads(props["hiddenlayers_app_input"])["inputs"] == {"users": "int64", "items": "int64"}


def test_recommender_string_items_clip_and_int8(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    users = rng.integers(0, 15, 400)
    items = np.array([f"movie-{i}" for i in rng.integers(0, 12, 400)], dtype=object)
    y = 1 + 4 * rng.random(400)
    model = Recommender(n_factors=4, hidden_layer_sizes=(8,), max_iter=5, clip=(1.5, 4.5), device="cpu", random_state=0).fit((users, items), y)
    path = tmp_path / "rec.onnx"
    r = export_onnx(model, path, quantize=True)
    assert r.max_abs_diff < 1e-4 and r.input_types == ["int64", "string"]
    assert r.quantized_max_abs_diff < 0.05 and Path(r.quantized_path).exists()  # the LabelEncoders survive int8 quantisation
    sess = _session(path)
    u = np.array([0, 3, 42, 42, 14, 2, 5], dtype=np.int64)
    i = np.array(["movie-1", "unseen", "movie-2", "unseen", "movie-11", "movie-0", "movie-7"], dtype=object)
    for n in (1, 7):
        out = sess.run(None, {"users": u[:n], "items": i[:n]})[0]
        np.testing.assert_allclose(out, _predict(model, u[:n], i[:n]), atol=1e-4)
        assert out.min() >= 1.5 - 1e-6 and out.max() <= 4.5 + 1e-6
    with pytest.raises(ValueError, match=r"^X's item ids must be strings, as in fit \(the ONNX input items is a string tensor\)\. Received dtype int64\.$"):
        export_onnx(model, tmp_path / "bad.onnx", X=(u, np.arange(7)))
    assert not (tmp_path / "bad.onnx").exists()


def test_recommender_mixed_id_types_are_refused(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    users = np.array([1, "a", 2, "b"] * 25, dtype=object)
    model = Recommender(n_factors=2, hidden_layer_sizes=(4,), max_iter=1, device="cpu", random_state=0).fit((users, rng.integers(0, 5, 100)), rng.random(100))
    with pytest.raises(ValueError, match=r"^export_onnx\(\) needs each side's ids to be all numbers or all strings, but the user ids seen in fit are mixed-integer"):
        export_onnx(model, tmp_path / "mixed.onnx")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(users=st.lists(st.integers(95, 135), min_size=1, max_size=12), data=st.data())
def test_recommender_graph_equals_predict_on_any_ids(rec: Recommender, rec_onnx, users: list[int], data) -> None:
    path = rec_onnx[0]
    items = data.draw(st.lists(st.integers(-3, 25), min_size=len(users), max_size=len(users)))  # -3..-1 and 20..25: unseen
    out = _session(path).run(None, {"users": np.array(users, dtype=np.int64), "items": np.array(items, dtype=np.int64)})[0]
    np.testing.assert_allclose(out, _predict(rec, users, items), atol=1e-4)


# ------------------------------------------------------------------ CLI
def test_cli_exports_saved_sequence_and_recommender_files(frames, rec: Recommender, tmp_path: Path) -> None:
    # a convolution over time, whose export is ~3x faster than an LSTM's (seq_clf's, exported by the API above): the CLI's file handling is the point
    seq_clf = SequenceClassifier("conv4k3:same,gap,4", max_iter=1, early_stopping=False, device="cpu", random_state=0).fit(*frames)
    st_seq = tmp_path / "seq.safetensors"
    seq_clf.save(st_seq)
    res = ok("export", st_seq, "--out", tmp_path / "seq.onnx", "--json")
    report = json.loads(res.stdout)
    assert report["max_abs_diff"] < 1e-4 and report["input_shape"] == ["batch", "steps", 3]
    assert report["parity_rows"] == 64  # export_onnx without X: random sequences of mixed lengths
    seqs = _frames(np.random.default_rng(5), [3, 11, 6])
    np.testing.assert_allclose(_session(tmp_path / "seq.onnx").run(None, {"X": _padded(seqs)})[0], seq_clf.predict_proba(seqs), atol=1e-4)
    shown = ok("info", tmp_path / "seq.onnx").stdout
    assert "SequenceClassifier" in shown and "(batch, steps, n_features) float32" in shown
    st_rec = tmp_path / "rec.safetensors"
    rec.save(st_rec)
    ok("export", st_rec, "--out", tmp_path / "rec.onnx")
    info = describe_onnx(tmp_path / "rec.onnx")
    assert info["estimator"] == "Recommender" and [i["name"] for i in info["graph_inputs"]] == ["users", "items"]
    shown = ok("info", tmp_path / "rec.onnx").stdout
    assert "Recommender" in shown and "users (batch,) int64, items (batch,) int64" in shown
    # predict reads a Recommender's export now (tests/cli/test_cli_app_onnx.py): a missing data file is its one line
    assert_user_error(run("predict", tmp_path / "rec.onnx", tmp_path / "x.csv"), "x.csv")
    assert_user_error(run("export", st_rec, tmp_path / "x.csv", "--out", tmp_path / "rec2.onnx"), "x.csv")  # DATA: parity rows (a missing file: one line)


@pytest.mark.parametrize("spec", ["lstm8,6", BI_GRU])
def test_info_of_a_recurrent_export_counts_the_recurrent_layers(spec: str, request: pytest.FixtureRequest) -> None:
    """``describe_onnx``/``info`` list each LSTM/GRU op with its sizes and weight type, so the parameters add up to the
    network's (they named only the dense layers: a third of an ``lstm8,6`` model), in the int8 copy too. The exports with
    their int8 copies are the module's: ``seq_onnx``'s of ``seq_clf`` (lstm8,6) and ``bi_gru``'s (gru5:bi,4)."""
    if spec == "lstm8,6":
        clf, folder = request.getfixturevalue("seq_clf"), request.getfixturevalue("seq_onnx")[0]
        files = (("s.onnx", "float"), ("s.int8.onnx", "int8"))
    else:
        clf, folder = request.getfixturevalue("bi_gru")["clf"], request.getfixturevalue("bi_gru")["folder"]
        files = (("at12.onnx", "float"), ("at12.int8.onnx", "int8"))
    assert clf.hidden_layer_sizes == spec
    want = sum(p.numel() for p in clf.network_.parameters())
    for name, weights in files:
        info = describe_onnx(folder / name)
        recurrent = [r for r in info["layers"] if r["kind"] == "recurrent"]
        assert info["parameters"] == want and recurrent and {r["weight_type"] for r in recurrent} == {weights}
        assert recurrent[0]["inputs"] == 3 and info["inputs"][-1] == 3  # features a step, not the first dense layer's inputs
    first = recurrent[0]
    assert (first["op"], first["hidden"], first["units"]) == (("LSTM", 8, 8) if spec.startswith("lstm") else ("GRU", 5, 5))
    text = ok("info", folder / files[0][0]).stdout
    assert "recurrent and dense layers found in the graph" in text and f"{want:,} parameters in these layers" in text


def test_an_export_keeps_no_file_paths_of_the_machine_that_wrote_it(seq_onnx) -> None:
    """torch's exporter notes each node's stack trace (the exporting machine's absolute file paths), FX node and class
    path: a shipped model carried them, and they were a third of its bytes. Only the module path ``info`` reads is kept.
    (The files are ``seq_onnx``'s: ``seq_clf`` exported with its int8 copy.)"""
    import hiddenlayers

    folder = seq_onnx[0]
    source = str(Path(hiddenlayers.__file__).resolve().parent.parent).encode()
    for name in ("s.onnx", "s.int8.onnx"):
        data = (folder / name).read_bytes()
        assert source not in data and b"stack_trace" not in data and b"site-packages" not in data
        keys = {p.key for n in onnx.load_from_string(data).graph.node for p in n.metadata_props}
        assert keys == {"pkg.torch.onnx.name_scopes"}
    assert [r["layer"] for r in describe_onnx(folder / "s.onnx")["layers"]] == ["hidden1", "hidden2", "head"]
