"""Every epoch-trained application's file keeps its whole training History: ``type(m).load(path).history_`` is the fitted
one's (the Recommender, Forecaster and Autoencoder kept only ``loss_curve_`` before). Files written before still load."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from safetensors import safe_open
from safetensors.torch import load_file
from safetensors.torch import save as st_save

from app_cases import EPOCH_APPS, app_case
from hiddenlayers.apps import Autoencoder, Forecaster, Recommender
from hiddenlayers.exceptions import ModelFileError

LEGACY = Path(__file__).parents[1] / "fixtures" / "legacy"


@pytest.mark.parametrize("app", EPOCH_APPS)
def test_a_loaded_app_has_the_fitted_history(app: str, tmp_path: Path) -> None:
    model, args = app_case(app, max_iter=2)
    model.fit(*args)
    model.save(tmp_path / "m.safetensors")
    loaded = type(model).load(tmp_path / "m.safetensors")
    pd.testing.assert_frame_equal(loaded.history_.to_frame(), model.history_.to_frame())
    assert json.dumps(loaded.history_.to_dict(), sort_keys=True) == json.dumps(model.history_.to_dict(), sort_keys=True)  # NaN as NaN
    assert (loaded.n_iter_, loaded.loss_curve_, loaded.stop_reason_) == (model.n_iter_, model.loss_curve_, model.stop_reason_)


@pytest.mark.parametrize("cls, name", [(Recommender, "recommender"), (Forecaster, "forecaster"), (Autoencoder, "autoencoder")])
def test_a_file_written_before_the_history_was_kept_loads(cls: type, name: str) -> None:
    old = cls.load(LEGACY / f"{name}.safetensors")
    assert not hasattr(old, "history_") and old.n_iter_ == len(old.loss_curve_) > 0


def test_a_damaged_history_in_a_file_is_a_clear_error(tmp_path: Path) -> None:
    model, args = app_case("recommender", max_iter=1)
    model.fit(*args).save(tmp_path / "ok.safetensors")
    with safe_open(str(tmp_path / "ok.safetensors"), framework="pt") as fh:
        meta = json.loads(fh.metadata()["hiddenlayers"])
    meta["state"]["history"] = [1.0, 2.0]
    (tmp_path / "bad.safetensors").write_bytes(st_save(load_file(str(tmp_path / "ok.safetensors")), metadata={"hiddenlayers": json.dumps(meta)}))
    with pytest.raises(ModelFileError, match=r"bad\.safetensors' history is not a training history record: the file was altered or is damaged\.$"):
        Recommender.load(tmp_path / "bad.safetensors")
