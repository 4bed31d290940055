"""``to_file(preprocessing=, sections=)``: what ship's Pipeline files store beside an MLP's own records."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hiddenlayers as hl
from fit_helpers import quiet_fit
from hiddenlayers.estimators import to_file
from hiddenlayers.ship import read_metadata


def _fitted() -> hl.MLPRegressor:
    X = pd.DataFrame({"u": [0.0, 1.0, 2.0, 3.0], "v": [1.0, 0.0, 1.0, 0.0]})
    return quiet_fit(hl.MLPRegressor(hidden_layer_sizes=(2,), max_iter=2, random_state=0), X, np.arange(4.0))


def test_sections_and_an_outside_preprocessing_are_stored(tmp_path: Path) -> None:
    model = _fitted()
    pre = hl.TablePreprocessor().fit(pd.DataFrame({"u": [0.0, 1.0], "v": [1.0, 0.0]})).to_dict()
    to_file(model, tmp_path / "m.safetensors", preprocessing=pre, sections={"mine": {"k": 1}})
    meta = read_metadata(tmp_path / "m.safetensors")
    assert meta["mine"] == {"k": 1} and meta["preprocessing"] == pre
    assert "feature_names_in_" not in meta["fitted"]  # the table's names are the preprocessing's, not the network's inputs
    assert not hasattr(hl.load(tmp_path / "m.safetensors"), "feature_names_in_")
    to_file(model, tmp_path / "plain.safetensors")
    assert read_metadata(tmp_path / "plain.safetensors")["fitted"]["feature_names_in_"] == ["u", "v"]


@pytest.mark.parametrize("name", ["params", "fitted", "preprocessing", "extra", "estimator"])
def test_a_section_may_not_replace_the_files_own(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match=rf"^sections may not replace the file's own \['{name}'\]: name them otherwise\.$"):
        to_file(_fitted(), tmp_path / "m.safetensors", sections={name: {}})
    assert not (tmp_path / "m.safetensors").exists()
