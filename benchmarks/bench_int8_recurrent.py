"""Size and agreement of the int8 export (``quantize=True``) for recurrent apps, against the dense int8 path.

Each model is fitted on real data, exported with ``hl.export_onnx(..., quantize=True)`` and its int8 file's answers
on held-out inputs compared with the fitted model's own: the largest |probability difference| and the share of
inputs (frames, for a SpeechRecognizer) whose argmax agrees. Sizes: the float file, the int8 file as this release
writes it (LSTM/GRU ``W``/``R`` int8 too), and the int8 file with the recurrent weights left float32 (the rule before:
``_int8._RECURRENT`` emptied, which is how ``weight_only_int8`` read the graph then), all three from one float export.

* Dense reference: ``MLPClassifier((64, 32))`` on sklearn's digits (1,347 in fit, 450 held out), and a
  SequenceClassifier ``gap,64,32`` (the frames' mean, then dense layers) on the spoken digits below.
* SequenceClassifier ``lstm64,32`` and ``gru64:bi,32`` on the Free Spoken Digit Dataset's MFCCs (``load_spoken_digits``,
  all ten digits: 2,250 recordings in fit, 750 held out).
* SpeechRecognizer ``conv32k5:same,pool2,lstm48:bi`` on ``spoken_digit_strings`` (600 in fit, 150 held out, disjoint
  recordings); agreement per output frame, and the share of greedy transcripts that are equal.

Usage: python benchmarks/bench_int8_recurrent.py [--epochs 15]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import warnings
from typing import Any

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import hiddenlayers as hl
from hiddenlayers.apps import SequenceClassifier, SpeechRecognizer, greedy_decode
from hiddenlayers.data import load_spoken_digits, spoken_digit_strings
from hiddenlayers.ship import _int8

warnings.simplefilter("ignore")


def _dense_only_bytes(float_path: str) -> int:
    """The int8 copy's size with the recurrent weights left float32, as before (the same writer, recurrent ops ignored)."""
    saved = _int8._RECURRENT
    _int8._RECURRENT = ()
    try:
        with open(float_path, "rb") as f:
            return len(_int8.weight_only_int8(f.read()))
    finally:
        _int8._RECURRENT = saved


def _session(path: str) -> Any:
    import onnxruntime as ort

    return ort.InferenceSession(path, providers=["CPUExecutionProvider"])


def _padded(seqs: list[np.ndarray]) -> np.ndarray:
    out = np.full((len(seqs), max(len(s) for s in seqs), seqs[0].shape[1]), np.nan, dtype=np.float32)
    for i, s in enumerate(seqs):
        out[i, : len(s)] = s
    return out


def _row(name: str, report: Any, proba: np.ndarray, int8: np.ndarray, extra: str = "") -> None:
    before = _dense_only_bytes(report.path)
    diff = float(np.max(np.abs(int8.astype(np.float64) - proba)))
    agree = float(np.mean(int8.argmax(-1) == proba.argmax(-1)))
    print(f"| {name} | {report.bytes:,} | {before:,} ({before / report.bytes:.2f}) | {report.quantized_bytes:,} "
          f"({report.quantized_bytes / report.bytes:.2f}) | {diff:.4f} | {agree:.4f} of {proba.shape[0] if proba.ndim == 2 else proba.shape[0] * proba.shape[1]} {extra}|")


def _sequences(folder: str, epochs: int) -> None:
    X, y = load_spoken_digits()
    train, test = train_test_split(np.arange(len(X)), test_size=0.25, stratify=y, random_state=0)
    X_train, X_test, y_test = [X[i] for i in train], [X[i] for i in test], y[test]
    for spec in ("gap,64,32", "lstm64,32", "gru64:bi,32"):
        clf = SequenceClassifier(spec, max_iter=epochs, early_stopping=False, device="cpu", random_state=0).fit(X_train, y[train])
        report = hl.export_onnx(clf, os.path.join(folder, f"seq_{spec.replace(':', '_')}.onnx"), X=X_test, y=y_test, quantize=True)
        int8 = _session(report.quantized_path).run(None, {"X": _padded(X_test)})[0]
        _row(f"SequenceClassifier `{spec}`, spoken digits", report, clf.predict_proba(X_test), int8,
             f"(accuracy {report.score_before:.4f} -> {report.score_after:.4f}) ")


def _speech(folder: str, epochs: int) -> None:
    X, y = spoken_digit_strings(600, random_state=0)
    X_test, y_test = spoken_digit_strings(150, split="test", random_state=0)
    rec = SpeechRecognizer("conv32k5:same,pool2,lstm48:bi", max_iter=epochs, early_stopping=False, device="cpu", random_state=0).fit(X, y)
    report = hl.export_onnx(rec, os.path.join(folder, "asr.onnx"), X=X_test, quantize=True)
    log_probs, frames = _session(report.quantized_path).run(None, {"X": _padded(X_test)})
    want = rec.frame_log_probs(X_test)
    got = [lp[: int(n)] for lp, n in zip(log_probs, frames, strict=True)]
    proba, int8 = np.exp(np.concatenate(want))[None], np.exp(np.concatenate(got))[None]
    alphabet = rec.alphabet_
    same = np.mean([("".join(alphabet[s - 1] for s in greedy_decode(g)) == p) for g, p in zip(got, rec.predict(X_test), strict=True)])
    _row("SpeechRecognizer `conv32k5:same,pool2,lstm48:bi`, spoken digit strings (per frame)", report, proba[0], int8[0],
         f"(greedy transcripts equal: {same:.4f} of {len(X_test)}) ")


def _dense(folder: str) -> None:
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X / 16, y, test_size=0.25, random_state=0)
    clf = hl.MLPClassifier((64, 32), max_iter=200, random_state=0).fit(X_train, y_train)
    report = hl.export_onnx(clf, os.path.join(folder, "mlp.onnx"), X=X_test, y=y_test, quantize=True)
    int8 = _session(report.quantized_path).run(None, {"X": X_test.astype(np.float32)})[0]
    _row("MLPClassifier `(64, 32)`, digits (dense reference)", report, clf.predict_proba(X_test), int8,
         f"(accuracy {report.score_before:.4f} -> {report.score_after:.4f}) ")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=15)
    args = ap.parse_args()
    folder = tempfile.mkdtemp()
    print("| model, data | float bytes | int8 bytes, recurrent float (before; / float) | int8 bytes now (/ float) "
          "| max abs diff of probabilities | argmax agreement |")
    print("|---|---|---|---|---|---|")
    _dense(folder)
    _sequences(folder, args.epochs)
    _speech(folder, args.epochs)


if __name__ == "__main__":
    main()
