"""``train --app translator --max-time SECONDS``: the Translator's own time limit from the command line (it was refused, as for every
data-file app); the fit stops within it, keeps its best epoch, the file is saved and ``info`` shows why it stopped."""

from __future__ import annotations

import json
from pathlib import Path

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


def test_max_time_is_checked_and_still_refused_by_apps_without_a_time_limit(tmp_path: Path) -> None:
    pairs(20, seed=1).to_csv(tmp_path / "pairs.csv", index=False)
    assert_user_error(run("train", tmp_path / "pairs.csv", "--app", "translator", "--target", "es", "--source-column", "en", "--max-time", "0",
                          "--out", tmp_path / "t.safetensors"), "--max-time: max_time must be")
    assert_user_error(run("train", tmp_path / "pairs.csv", "--app", "text", "--target", "es", "--max-time", "5", "--out", tmp_path / "t.safetensors"),
                      "--max-time does not apply to train --app text")
    assert not list(tmp_path.glob("*.safetensors"))


def test_info_shows_an_app_files_epochs_and_stop_reason(tmp_path: Path) -> None:
    import numpy as np
    import pandas as pd

    from hiddenlayers.apps import Recommender

    rng = np.random.default_rng(0)
    Recommender(n_factors=2, max_iter=2, early_stopping=False, random_state=0).fit(
        pd.DataFrame({"user": rng.integers(0, 5, 50), "item": rng.integers(0, 4, 50)}), rng.uniform(1, 5, 50)).save(tmp_path / "r.safetensors")
    assert json.loads(ok("info", tmp_path / "r.safetensors", "--json").stdout)["training"] == {"epochs": 2, "stop_reason": "max_epochs"}
    assert "stop reason" in ok("info", tmp_path / "r.safetensors").stdout
