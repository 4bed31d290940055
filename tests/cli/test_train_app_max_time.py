"""``train --app X --max-time SECONDS``: every app's time limit from the command line (the Translator's first; the other data-file apps
refused it); the fit stops after the epoch that reaches it, keeps the weights it keeps at any stop, the file is saved and ``info`` shows why it stopped."""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_train_app_translator import pairs

from cli_helpers import assert_user_error, ok, run


def test_translator_max_time_stops_the_fit_and_info_says_so(tmp_path: Path) -> None:
    pairs(300, seed=1).to_csv(tmp_path / "pairs.csv", index=False)
    model = tmp_path / "tr.safetensors"
    summary = json.loads(ok("train", tmp_path / "pairs.csv", "--app", "translator", "--source-column", "en", "--target", "es", "--set", "hidden_size=16",
                            "--set", "embed_dim=8", "--epochs", "500", "--early-stopping", "--n-iter-no-change", "500", "--max-time", "1",
                            "--test-size", "0", "--out", model, "--json").stdout)
    assert summary["stop_reason"] == "time_limit" and 1 <= summary["epochs"] < 500
    info = json.loads(ok("info", model, "--json").stdout)
    assert info["settings"]["max_time"] == 1.0
    assert info["training"] == {"epochs": summary["epochs"], "stop_reason": "time_limit"}


def test_max_time_is_checked_as_the_app_checks_it(tmp_path: Path) -> None:
    pairs(20, seed=1).to_csv(tmp_path / "pairs.csv", index=False)
    pd.DataFrame({"review": ["good", "bad"] * 10, "label": ["pos", "neg"] * 10}).to_csv(tmp_path / "texts.csv", index=False)
    assert_user_error(run("train", tmp_path / "pairs.csv", "--app", "translator", "--target", "es", "--source-column", "en", "--max-time", "0",
                          "--out", tmp_path / "t.safetensors"), "--max-time: max_time must be")
    assert_user_error(run("train", tmp_path / "texts.csv", "--app", "text", "--target", "label", "--max-time", "-5", "--out", tmp_path / "t.safetensors"),
                      "--max-time: max_time must be None or a number of seconds > 0")
    assert not list(tmp_path.glob("*.safetensors"))


def _app_files(d: Path) -> dict[str, tuple[str, ...]]:
    """Per app: its data file in ``d`` and the options that train a tiny one on it."""
    from sklearn.datasets import load_digits
    from test_train_app_sequence import digits_long
    from test_train_app_speech import frames_long

    from speech_helpers import toy_utterances

    rng = np.random.default_rng(0)
    digits = load_digits()
    pd.DataFrame({"review": ["a fine film", "a dull mess"] * 12, "label": ["pos", "neg"] * 12}).to_csv(d / "texts.csv", index=False)
    pixels = pd.DataFrame((digits.images[:60] * 15).astype(np.uint8).reshape(60, -1), columns=[f"p{i}" for i in range(64)])
    pixels.assign(label=digits.target[:60]).to_csv(d / "pixels.csv", index=False)
    pd.DataFrame(rng.normal(size=(60, 4)), columns=list("abcd")).to_csv(d / "table.csv", index=False)
    pd.DataFrame({"user": rng.integers(0, 20, 100), "item": rng.integers(0, 8, 100), "rating": rng.uniform(1, 5, 100)}).to_csv(d / "ratings.csv", index=False)
    pd.DataFrame({"level": np.sin(np.arange(80) / 5)}).to_csv(d / "series.csv", index=False)
    digits_long(30).to_csv(d / "steps.csv", index=False)
    frames_long(*toy_utterances(16, 0, "ab", n_features=3)).to_csv(d / "frames.csv", index=False)
    return {
        "text": ("texts.csv", "--target", "label", "--hidden", "embed4,gru4"),
        "image": ("pixels.csv", "--target", "label", "--image-dtype", "uint8", "--hidden", "conv2k3:same,4"),
        "autoencoder": ("table.csv", "--hidden", "8", "--set", "n_components=2"),
        "recommender": ("ratings.csv", "--target", "rating", "--set", "n_factors=2"),
        "forecaster": ("series.csv", "--value-column", "level", "--window", "8", "--horizon", "2", "--hidden", "8"),
        "sequence": ("steps.csv", "--id-column", "ID", "--order-column", "T", "--target", "label", "--hidden", "gru4"),
        "speech": ("frames.csv", "--id-column", "utt", "--order-column", "t", "--target", "text", "--hidden", "gru4"),
    }


@pytest.fixture(scope="module")
def app_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, tuple[str, ...]]]:
    d = tmp_path_factory.mktemp("max_time")
    return d, _app_files(d)


@pytest.mark.parametrize("app", ["text", "image", "autoencoder", "recommender", "forecaster", "sequence", "speech"])
def test_every_data_file_app_takes_max_time_and_info_shows_the_stop(app: str, app_files: tuple[Path, dict[str, tuple[str, ...]]],
                                                                   tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each of these apps refused --max-time before. The clock moves 1000 s at each reading: 1 s is spent by the first epoch's end."""
    d, files = app_files
    data, *options = files[app]
    ticks = itertools.count()
    monkeypatch.setattr(time, "perf_counter", lambda: 1000.0 * next(ticks))
    model = tmp_path / "m.safetensors"
    summary = json.loads(ok("train", d / data, "--app", app, *options, "--epochs", "3", "--no-early-stopping", "--max-time", "1",
                            "--test-size", "0", "--out", model, "--json").stdout)
    assert summary["stop_reason"] == "time_limit" and summary["epochs"] == 1
    monkeypatch.undo()
    info = json.loads(ok("info", model, "--json").stdout)
    assert info["settings"]["max_time"] == 1.0
    assert info["training"] == {"epochs": 1, "stop_reason": "time_limit"}
    assert "time_limit" in ok("info", model).stdout


def test_info_shows_an_app_files_epochs_and_stop_reason(tmp_path: Path) -> None:
    import numpy as np
    import pandas as pd

    from hiddenlayers.apps import Recommender

    rng = np.random.default_rng(0)
    Recommender(n_factors=2, max_iter=2, early_stopping=False, random_state=0).fit(
        pd.DataFrame({"user": rng.integers(0, 5, 50), "item": rng.integers(0, 4, 50)}), rng.uniform(1, 5, 50)).save(tmp_path / "r.safetensors")
    assert json.loads(ok("info", tmp_path / "r.safetensors", "--json").stdout)["training"] == {"epochs": 2, "stop_reason": "max_epochs"}
    assert "stop reason" in ok("info", tmp_path / "r.safetensors").stdout


def test_the_agents_max_time_is_its_parameter_and_info_shows_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``train --app agent --max-time`` sets ``DQNAgent(max_time=)`` (it was fit's argument: stop reason ``max_time``, not in the file's
    settings); the stop reason is ``time_limit`` as every app's, with no FutureWarning. The clock moves 1000 s at each reading."""
    import warnings

    pytest.importorskip("gymnasium")
    from hiddenlayers.apps import DQNAgent

    model = tmp_path / "agent.safetensors"
    ticks = itertools.count()
    monkeypatch.setattr(time, "perf_counter", lambda: 1000.0 * next(ticks))
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        out = ok("train", "--app", "agent", "--env", "CartPole-v1", "--hidden", "8", "--total-steps", "200", "--eval-every", "100",
                 "--eval-episodes", "1", "--max-time", "1", "--out", model, "--json").stdout
    summary = json.loads(out[out.index("{"):])
    assert summary["stop_reason"] == "time_limit" and summary["steps"] == 1
    monkeypatch.undo()
    assert DQNAgent.load(model).max_time == 1.0
    info = json.loads(ok("info", model, "--json").stdout)
    assert info["settings"]["max_time"] == 1.0 and info["training"]["stop_reason"] == "time_limit"
    assert "time_limit" in ok("info", model).stdout


def test_an_old_agent_files_max_time_stop_reads_time_limit(tmp_path: Path) -> None:
    """A file written when the budget was fit's argument: no max_time setting, its stop reason stored as ``max_time``."""
    pytest.importorskip("gymnasium")
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    model = tmp_path / "agent.safetensors"
    ok("train", "--app", "agent", "--env", "CartPole-v1", "--hidden", "8", "--total-steps", "20", "--eval-every", "20", "--eval-episodes", "1",
       "--set", "learning_starts=5", "--out", model, "--quiet")
    with safe_open(str(model), "pt") as f:
        metadata = dict(f.metadata())
    doc = json.loads(metadata["hiddenlayers"])
    doc["params"].pop("max_time")
    doc["state"]["training_summary_"]["stop_reason"] = "max_time"
    save_file(load_file(str(model)), str(model), metadata={**metadata, "hiddenlayers": json.dumps(doc)})
    info = json.loads(ok("info", model, "--json").stdout)
    assert info["training"]["stop_reason"] == "time_limit" and "max_time" not in info["settings"]
