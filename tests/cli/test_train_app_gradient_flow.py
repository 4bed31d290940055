"""``hiddenlayers train DATA --app KIND --gradient-flow``: the app's gradient flow per epoch, kept in its file, shown by ``inspect``.

An Autoencoder prepares its inputs (scaling) only when ``fit`` returns, so its activation statistics are replayed on each
epoch's kept weights: the last epoch's must equal what the lens gives on the saved network. An ImageClassifier's sample is
prepared mid-fit; a Translator's pairs go through its lens view (``encoder.*``, ``decoder.*``), a SpeechRecognizer's
NaN-padded frames are replayed after the fit. A DQNAgent refuses the option in one line, nothing written.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

import hiddenlayers as hl
from cli_helpers import assert_user_error, ok, run


def _json(result: Any) -> dict[str, Any]:
    out = result.stdout
    return json.loads(out[out.index("{"):])


def _records(path: Path) -> list[dict[str, Any]]:
    return list(hl.load(path).history_.extra["gradient_flow"])


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sklearn.datasets import load_digits

    d = tmp_path_factory.mktemp("appgf")
    X, y = load_digits(return_X_y=True)
    pd.DataFrame(X[:300], columns=[f"p{i}" for i in range(64)]).assign(digit=y[:300]).to_csv(d / "digits.csv", index=False)
    rng = np.random.default_rng(0)
    pd.DataFrame({"user": rng.integers(0, 20, 300), "item": rng.integers(0, 15, 300), "rating": rng.integers(1, 6, 300)}).to_csv(d / "ratings.csv", index=False)
    return d


def test_autoencoder_records_gradient_flow_into_its_file_and_inspect_shows_it(data: Path, tmp_path: Path) -> None:
    model = tmp_path / "auto.safetensors"
    summary = _json(ok("train", data / "digits.csv", "--app", "autoencoder", "--features", ",".join(f"p{i}" for i in range(64)), "--hidden", "16",
                       "--epochs", "2", "--no-early-stopping", "--test-size", "0", "--gradient-flow", "--out", model, "--json"))
    assert summary["gradient_flow_epochs"] == 2
    records = _records(model)
    assert [r["epoch"] for r in records] == [1, 2]
    for r in records:  # gradients from the fit, activation statistics replayed on that epoch's weights
        for layer in r["layers"].values():
            assert layer["steps"] >= 1 and math.isfinite(layer["grad_norm"]) and math.isfinite(layer["act_mean"]) and layer["units"] >= 1
    assert records[0]["layers"]["encoder.hidden1"]["act_mean"] != records[1]["layers"]["encoder.hidden1"]["act_mean"]
    # the last epoch's statistics are the saved network's on the same rows (every training row: fewer than 512)
    app = hl.load(model)
    rows = pd.read_csv(data / "digits.csv")[[f"p{i}" for i in range(64)]]
    probe = hl.lens.GradientFlow(app.network_input(rows), max_rows=512)
    probe.on_epoch_end(network=app.network_, history=SimpleNamespace(epoch=[2], extra={}))
    for name, layer in probe.records[-1]["layers"].items():
        assert records[1]["layers"][name]["act_mean"] == pytest.approx(layer["act_mean"], rel=1e-5)
        assert records[1]["layers"][name]["fraction_active"] == pytest.approx(layer["fraction_active"], rel=1e-5)
    shown = _json(ok("inspect", model, data / "digits.csv", "--sections", "gradient-flow", "--out", tmp_path / "auto.html", "--json"))
    assert shown["gradient_flow_epochs"] == 2
    text = " ".join(ok("inspect", model, data / "digits.csv", "--sections", "gradient-flow", "--out", tmp_path / "a2.html").stdout.split())
    assert "gradient flow: not recorded" not in text


def test_image_app_records_gradient_flow_mid_fit_and_inspect_reads_it(data: Path, tmp_path: Path) -> None:
    model = tmp_path / "img.safetensors"
    summary = _json(ok("train", data / "digits.csv", "--app", "image", "--target", "digit", "--hidden", "conv4k3,16", "--epochs", "2",
                       "--gradient-flow", "--out", model, "--json"))
    assert summary["gradient_flow_epochs"] == 2
    records = _records(model)
    assert len(records) == 2 and all(math.isfinite(layer["act_std"]) for r in records for layer in r["layers"].values())
    shown = _json(ok("inspect", model, data / "digits.csv", "--target", "digit", "--out", tmp_path / "img.html", "--json"))
    assert shown["gradient_flow_epochs"] == 2


def test_recommender_gradient_flow_runs_on_id_codes(data: Path, tmp_path: Path) -> None:
    model = tmp_path / "rec.safetensors"
    ok("train", data / "ratings.csv", "--app", "recommender", "--target", "rating", "--epochs", "2", "--gradient-flow", "--out", model, "-q")
    records = _records(model)
    assert len(records) == 2 and all(math.isfinite(r["layers"]["user"]["act_mean"]) for r in records)


def test_without_the_option_nothing_is_recorded_and_the_summary_says_nothing(data: Path, tmp_path: Path) -> None:
    model = tmp_path / "rec.safetensors"
    summary = _json(ok("train", data / "ratings.csv", "--app", "recommender", "--target", "rating", "--epochs", "2", "--out", model, "--json"))
    assert "gradient_flow_epochs" not in summary and "gradient_flow" not in hl.load(model).history_.extra


def test_agent_refuses_gradient_flow_naming_why(tmp_path: Path) -> None:
    out = tmp_path / "m.safetensors"
    assert_user_error(run("train", "--app", "agent", "--gradient-flow", "--out", out), "a DQNAgent learns from play")
    assert not out.exists()


def _same_stats(recorded: dict[str, Any], stats: Any) -> None:
    """A record's activation statistics are the lens's ``LayerStats`` of that layer on the same rows."""
    assert recorded["units"] == stats.units and recorded["dead"] == stats.n_dead
    assert recorded["act_mean"] == pytest.approx(float(stats.mean.mean()), rel=1e-5, abs=1e-7)
    assert recorded["act_std"] == pytest.approx(float(stats.std.mean()), rel=1e-5)
    assert recorded["fraction_active"] == pytest.approx(float(stats.fraction_active.mean()), rel=1e-5)


def test_translator_records_gradient_flow_on_its_encoder_and_decoder_and_inspect_shows_it(tmp_path: Path) -> None:
    from test_train_app_translator import pairs

    frame = pairs(120, seed=3)
    frame.to_csv(tmp_path / "pairs.tsv", sep="\t", index=False)
    model = tmp_path / "tr.safetensors"
    summary = _json(ok("train", tmp_path / "pairs.tsv", "--app", "translator", "--source-column", "en", "--target", "es", "--set", "hidden_size=16",
                       "--set", "embed_dim=8", "--epochs", "2", "--no-early-stopping", "--test-size", "0", "--gradient-flow", "--out", model, "--json"))
    assert summary["gradient_flow_epochs"] == 2
    records = _records(model)
    names = ["encoder.embedding", "encoder.rnn", "decoder.embedding", "decoder.rnn", "decoder.attentional"]
    assert [r["epoch"] for r in records] == [1, 2] and all(list(r["layers"]) == names for r in records)
    for layer in records[-1]["layers"].values():  # the fit's gradients on the Seq2Seq's own weights, read through the lens's view
        assert layer["steps"] >= 1 and layer["grad_norm"] > 0 and math.isfinite(layer["update_ratio"])
    # the last epoch's activation statistics are the lens's on the saved Translator, on every training pair (fewer than 512)
    app = hl.load(model)
    rec = hl.lens.record(app, (list(frame["en"]), list(frame["es"])), names, stream=True)
    for name in names:
        _same_stats(records[-1]["layers"][name], rec.stats[name])
    shown = _json(ok("inspect", model, tmp_path / "pairs.tsv", "--sections", "gradient-flow", "--out", tmp_path / "tr.html", "--json"))
    assert shown["gradient_flow_epochs"] == 2
    text = " ".join(ok("inspect", model, tmp_path / "pairs.tsv", "--sections", "gradient-flow", "--out", tmp_path / "t2.html").stdout.split())
    assert "gradient flow: not recorded" not in text and "does not apply" not in text


def test_speech_records_gradient_flow_on_its_nan_padded_frames(tmp_path: Path) -> None:
    """Utterances of different lengths: the network's input pads each with NaN steps after its end, which the lens reads
    as its end (not as bad rows), replayed after the fit on each epoch's weights (the frames' scaling is learnt by fit)."""
    from test_train_app_speech import TRAIN, frames_long

    rng = np.random.default_rng(0)
    texts = ["".join(map(str, rng.integers(0, 10, rng.integers(1, 3)))) for _ in range(24)]
    frames = [rng.normal(size=(int(rng.integers(12, 30)), 5)) for _ in texts]
    frames_long(frames, texts).to_csv(tmp_path / "frames.csv", index=False)
    model = tmp_path / "asr.safetensors"
    summary = _json(ok("train", tmp_path / "frames.csv", *TRAIN, "--hidden", "conv4k3:same,pool2,gru4", "--epochs", "2", "--no-early-stopping", "--test-size", "0",
                       "--gradient-flow", "--out", model, "--json"))
    assert summary["gradient_flow_epochs"] == 2
    records = _records(model)
    assert [r["epoch"] for r in records] == [1, 2]
    app = hl.load(model)
    rec = hl.lens.record(app, frames, ["hidden1", "hidden3"], stream=True)
    for name in ("hidden1", "hidden3"):  # the weight layers; the pool between them has none
        assert records[0]["layers"][name]["steps"] >= 1
        _same_stats(records[-1]["layers"][name], rec.stats[name])


def test_sequence_app_samples_its_training_sequences_for_the_lens(tmp_path: Path) -> None:
    from test_train_app_sequence import digits_long

    digits_long(60).to_csv(tmp_path / "steps.csv", index=False)
    model = tmp_path / "seq.safetensors"
    ok("train", tmp_path / "steps.csv", "--app", "sequence", "--id-column", "ID", "--order-column", "T", "--target", "label", "--hidden", "gru8",
       "--epochs", "2", "--gradient-flow", "--out", model, "-q")
    records = _records(model)
    assert len(records) == 2 and records[-1]["layers"]["hidden1"]["units"] == 8 and math.isfinite(records[-1]["layers"]["hidden1"]["act_mean"])
