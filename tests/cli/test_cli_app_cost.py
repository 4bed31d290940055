"""``hiddenlayers cost`` on application files: each app measured on its fitted input (cli/_appcost), as ``hl.cost`` takes it.

It refused every app file ("this command takes a model trained by `hiddenlayers train`").
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from cli_helpers import assert_user_error, ok, run
from hiddenlayers.apps import Autoencoder, Forecaster, Recommender


def test_cost_of_an_autoencoder_counts_its_network_on_its_fitted_columns(tmp_path: Path) -> None:
    table = pd.DataFrame(np.random.default_rng(0).normal(size=(60, 5)), columns=list("abcde"))
    auto = Autoencoder((8,), n_components=2, max_iter=1, random_state=0).fit(table)
    auto.save(tmp_path / "auto.safetensors")
    r = json.loads(ok("cost", tmp_path / "auto.safetensors", "--calls", "10", "--json").stdout)
    # encoder 5 -> 8 -> 2, decoder 2 -> 8 -> 5: (5*8+8) + (8*2+2) + (2*8+8) + (8*5+5)
    assert r["params"] == sum(p.numel() for p in auto.network_.parameters()) == 135
    assert r["flops_per_prediction"] == 2 * (5 * 8 + 8 * 2 + 2 * 8 + 8 * 5)  # 2 per multiply-add, one row of 5 columns
    assert "5 fitted columns" in " ".join(r["notes"])
    assert "the Autoencoder's predict() not timed" in " ".join(r["notes"]) and "plain torch.nn.Module" not in " ".join(r["notes"])
    assert r["file_bytes"] == (tmp_path / "auto.safetensors").stat().st_size


def test_cost_of_a_recommender_and_a_forecaster(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    pairs = pd.DataFrame({"user": rng.integers(0, 20, 100), "item": rng.choice(list("xyzw"), 100)})
    rec = Recommender(n_factors=4, hidden_layer_sizes=(8,), max_iter=1, random_state=0).fit(pairs, rng.uniform(1, 5, 100))
    rec.save(tmp_path / "rec.safetensors")
    r = json.loads(ok("cost", tmp_path / "rec.safetensors", "--calls", "10", "--json").stdout)
    assert r["params"] == sum(p.numel() for p in rec.network_.parameters())
    assert f"{len(rec.users_)} users and 4 items" in " ".join(r["notes"])
    # the file holds a Recommender: named as cost names every app, never "a plain torch.nn.Module"
    assert "the Recommender's predict() not timed" in " ".join(r["notes"]) and "plain torch.nn.Module" not in " ".join(r["notes"])
    assert "plain torch.nn.Module" not in ok("cost", tmp_path / "rec.safetensors", "--calls", "10").stdout.replace("\n", " ")
    fc = Forecaster(window=8, horizon=2, hidden_layer_sizes=(8,), max_iter=1, random_state=0).fit(np.sin(np.arange(80) / 5))
    fc.save(tmp_path / "fc.safetensors")
    table = ok("cost", tmp_path / "fc.safetensors", "--calls", "10").stdout
    assert "hidden1" in table and "model file:" in table
    r = json.loads(ok("cost", tmp_path / "fc.safetensors", "--calls", "10", "--json").stdout)
    assert r["flops_per_prediction"] == 2 * (8 * 8 + 8 * 2)  # window 8 -> 8 -> horizon 2


def test_cost_refuses_a_translator_file_in_one_line(tmp_path: Path) -> None:
    from hiddenlayers.apps import Translator

    tr = Translator(hidden_size=8, embed_dim=4, max_iter=1, early_stopping=False, random_state=0).fit(["a b", "c d"] * 3, ["x y", "z w"] * 3)
    tr.save(tmp_path / "tr.safetensors")
    assert_user_error(run("cost", tmp_path / "tr.safetensors", "--calls", "10"), "holds a Translator, whose encoder-decoder reads several inputs")
    assert_user_error(run("cost", tmp_path / "tr.safetensors", "--calls", "5"), "--calls must be an integer >= 10")


def test_cost_of_an_app_file_words_its_notes_for_the_command(tmp_path: Path) -> None:
    """cost has no option for hl.cost's X= or epoch_samples=: its notes said "pass X=" and "pass epoch_samples="; they say
    what the command measured instead (the network's forward on random inputs; energy per prediction, none per epoch)."""
    fc = Forecaster(window=6, horizon=1, hidden_layer_sizes=(4,), max_iter=1, random_state=0).fit(np.sin(np.arange(40) / 5))
    fc.save(tmp_path / "fc.safetensors")
    notes = json.loads(ok("cost", tmp_path / "fc.safetensors", "--calls", "10", "--json").stdout)["notes"]
    said = " ".join(notes)
    assert "pass X=" not in said and "epoch_samples" not in said, notes
    assert "Forecaster.predict not timed: the file holds no inputs of the form it predicts on, so the latencies are its network's raw forward" in said
    assert "energy per epoch not measured: the Forecaster file records no rows per epoch (the energy per 1000 predictions is measured)" in said
