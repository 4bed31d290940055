"""ONNX export of a SpeechRecognizer's acoustic network: NaN-padded frames in, per-frame log-probabilities and frame counts out.

onnxruntime's log-probabilities must equal ``frame_log_probs``' on held-out utterances of every length, and the
transcripts decoded from them (greedy and beam search, by :class:`hiddenlayers.ship.SpeechOnnx`) must equal ``predict``'s.
The steps axis is dynamic: utterances far longer than any traced or seen in fit are read too; a spec the exporter cannot
convert so (average pooling before a GRU) is exported with the fixed axis, which older files have as well.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

import hiddenlayers as hl
from hiddenlayers import DataError, ModelFileError
from hiddenlayers.apps import SpeechRecognizer, greedy_decode, prefix_beam_search
from hiddenlayers.ship import SpeechOnnx, onnx_estimator
from speech_helpers import toy_utterances


def toy(n: int, seed: int = 0) -> tuple[list[np.ndarray], list[str]]:
    return toy_utterances(n, seed)


@pytest.fixture(scope="module")
def exported(toy_speech_export: tuple) -> tuple[SpeechRecognizer, Path, list[np.ndarray], list[str]]:
    """conftest's recognizer and its export (parity on 21 held-out utterances, the last longer than any in fit), shared with
    tests/ship/test_serve_app_onnx.py: (recognizer, path, held-out utterances, their texts)."""
    rec, path, held_out, texts, report = toy_speech_export
    assert report.output_name == "log_probs, frames" and report.max_abs_diff < 1e-4 and report.parity_rows == 21
    return rec, path, held_out, texts


def test_onnx_log_probs_equal_torch_and_transcripts_match(exported: tuple[SpeechRecognizer, Path, list[np.ndarray], list[str]]) -> None:
    rec, path, X, texts = exported
    assert rec.score(X, texts) > 0.5  # a model that emits symbols, so matching transcripts mean something
    steps = max(len(x) for x in X)
    assert steps > rec.max_len_
    padded = np.full((len(X), steps, 3), np.nan, dtype=np.float32)
    for i, x in enumerate(X):
        padded[i, : len(x)] = x
    session = ort.InferenceSession(str(path))
    assert session.get_inputs()[0].shape == ["batch", "steps", 3] and session.get_outputs()[0].shape[1] == "out_steps"
    log_probs, frames = session.run(None, {"X": padded})
    want = rec.frame_log_probs(X)
    assert frames.tolist() == [len(w) for w in want]
    for i, w in enumerate(want):
        np.testing.assert_allclose(log_probs[i, : frames[i]], w, atol=1e-4)
        assert not log_probs[i, frames[i]:].any()  # 0.0 past the utterance's own frames
    model = SpeechOnnx(path)
    assert model.alphabet == rec.alphabet_ and model.steps is None and model.long_columns is None and onnx_estimator(path) == "SpeechRecognizer"
    got = model.log_probs(X[::-1], batch=4)[::-1]  # batches of other lengths and order: each utterance gets its own
    assert ["".join(model.alphabet[s - 1] for s in greedy_decode(lp)) for lp in got] == rec.predict(X)
    assert ["".join(model.alphabet[s - 1] for s in prefix_beam_search(lp, 4)) for lp in got] == rec.predict(X, beam_size=4)
    long = [np.concatenate(X[:12]), X[3]]  # six times any utterance in fit: the old graph, fixed at the longest seen, refused it
    for a, b in zip(model.log_probs(long), rec.frame_log_probs(long)):
        np.testing.assert_allclose(a, b, atol=1e-4)


# measured dynamic as well (each export ~10-20 s, so not run here): lstm8:bi,lstm8:bi; conv8k3:same,pool2,gru8;
# conv8k3:same:norm=batch,avgpool2,conv8k3:same; conv8k5:same,pool2,conv8k5:same,conv8k5:same; conv8k3,pool2,lstm8
# (traced short, benchmarks/bench_speech_trace.py reads back each file's axis); with the LSTM/GRU shapes given directly
# (ship/_rnn_shapes) also the specs whose GRU decomposition failed after average pooling, which were fixed before:
# avgpool2,gru8; avgpool2,conv8k3:same,gru8; avgpool2,gru8:bi; avgpool2,lstm8,gru8 (2026-12-07, each checked on utterances
# five times the longest in fit)
@pytest.mark.parametrize("spec", ["conv8k3,pool2,gru8:bi", "conv8k3:same,avgpool2,gru8"])
def test_steps_are_dynamic_where_the_exporter_converts_them(spec: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each spec's export, traced once on a short sample, reads an utterance five times the longest in fit as frame_log_probs
    does (average pooling before a GRU, which PyTorch's step-by-step GRU decomposition failed to convert so, included)."""
    from hiddenlayers.ship import _export
    from hiddenlayers.ship._app_graph_ctc import speech_graph

    traces: list[object] = []
    real = _export._torch_proto
    monkeypatch.setattr(_export, "_torch_proto", lambda *a, **k: traces.append(a[1].shape) or real(*a, **k))
    X, y = toy(24)
    rec = SpeechRecognizer(spec, max_iter=2, early_stopping=False, random_state=0).fit(X, y)
    report = hl.export_onnx(rec, tmp_path / "a.onnx", X=X[:8])
    assert len(traces) == 1
    model = SpeechOnnx(tmp_path / "a.onnx")
    assert model.steps is None and "steps dynamic" in report.notes[0]
    long = [np.concatenate(X[:10]), X[1]]
    # traced short, not at the longest parity utterance: the fewest steps whose output has 3 frames, (8 - 2) // 2 after the
    # 3-wide convolution and pooling by 2 (no padding), 6 // 2 after pooling by 2 alone
    assert tuple(speech_graph(rec, X[:8]).sample.shape) == ((2, 8, 3) if spec.startswith("conv8k3,") else (2, 6, 3))
    assert max(len(x) for x in X[:8]) > 8
    for a, b in zip(model.log_probs(long), rec.frame_log_probs(long)):
        np.testing.assert_allclose(a, b, atol=1e-4)


def test_a_dynamic_export_that_fails_falls_back_to_fixed_steps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the dynamic graph's conversion fails, the export is the fixed-steps graph (at the longest of fit's and X's
    utterances), said in the report's notes, and its runner refuses longer utterances in one line."""
    from hiddenlayers.ship import _export

    traces: list[object] = []
    real = _export._torch_proto

    def failing_dynamic(*a: object, **k: object) -> object:
        traces.append(k["dynamic_shapes"]["x"])  # type: ignore[index]
        if 1 in k["dynamic_shapes"]["x"]:  # type: ignore[index]
            raise RuntimeError("the exporter could not convert a dynamic steps axis")
        return real(*a, **k)

    monkeypatch.setattr(_export, "_torch_proto", failing_dynamic)
    X, y = toy(24)
    rec = SpeechRecognizer("conv8k3:same,pool2,gru8", max_iter=2, early_stopping=False, random_state=0).fit(X, y)
    report = hl.export_onnx(rec, tmp_path / "a.onnx", X=X[:8])
    assert [sorted(axes) for axes in traces] == [[0, 1], [0]]  # type: ignore[call-overload]
    model = SpeechOnnx(tmp_path / "a.onnx")
    assert model.steps == rec.max_len_
    assert "steps fixed: PyTorch's exporter could not keep this spec's steps dynamic" in report.notes[0]
    with pytest.raises(DataError, match="export again with export_onnx"):
        model.log_probs([np.concatenate(X[:10]), X[1]])
    for a, b in zip(model.log_probs(X[:5]), rec.frame_log_probs(X[:5])):
        np.testing.assert_allclose(a, b, atol=1e-4)


def test_onnx_runner_refuses_what_the_graph_cannot_read(exported: tuple[SpeechRecognizer, Path, list[np.ndarray], list[str]], tmp_path: Path) -> None:
    _, path, X, _ = exported
    model = SpeechOnnx(path)
    with pytest.raises(DataError, match=r"^utterance 1 has 1 frames, but the model reads at least 2 \(its convolution and pooling need them\)"):
        model.log_probs([X[0], np.zeros((1, 3), np.float32)])
    for empty in (np.zeros((0, 3), np.float32), []):  # said empty (it was "has 0 frames, but the model reads at least 2"); [] is no wrong width
        with pytest.raises(DataError, match=r"^utterance 1 is empty \(0 frames\): drop it or give it at least 2 frames \(the model's "
                                            r"convolution/pooling layers need them\)\.$"):
            model.log_probs([X[0], empty])
    proto = onnx.load(str(path))  # a file of the earlier export, whose steps were fixed at the longest utterance seen
    speech = next(p for p in proto.metadata_props if p.key == "speech")
    speech.value = json.dumps({**json.loads(speech.value), "steps": 30})
    onnx.save(proto, str(tmp_path / "fixed.onnx"))
    fixed = SpeechOnnx(tmp_path / "fixed.onnx")
    assert fixed.steps == 30 and len(fixed.log_probs(X[:3])) == 3
    with pytest.raises(DataError, match=r"^utterance 1 has 31 frames, but this ONNX graph reads 2 to 30 .* export again with export_onnx"):
        fixed.log_probs([X[0], np.zeros((31, 3), np.float32)])
    with pytest.raises(DataError, match=r"^utt 7 has frames of shape \(4,\) but the model reads 3 features per frame"):
        model.log_probs([np.zeros((10, 4), np.float32)], names=["utt 7"])
    with pytest.raises(ModelFileError, match="does not exist"):
        SpeechOnnx(tmp_path / "none.onnx")
    assert onnx_estimator(tmp_path / "none.onnx") is None
