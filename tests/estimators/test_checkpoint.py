"""check_checkpoint: a streamed fit's checkpoint judged before the fit (the CLI runs it before its data check)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hiddenlayers as hl
from hiddenlayers.data import ParquetSource
from hiddenlayers.estimators import check_checkpoint


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("classes", [2, 3, 0])
def test_a_fits_own_checkpoint_passes_and_another_networks_is_stale(classes, tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    a = rng.normal(size=300)
    y = (a > 0).astype(int) + (a > 1) if classes == 3 else ((a > 0).astype(int) if classes == 2 else a * 2.0)
    frame = pd.DataFrame({"a": a, "c": rng.choice(["x", "y", "z"], size=300), "y": y})
    frame.to_parquet(tmp_path / "t.parquet", row_group_size=100)
    ckpt = str(tmp_path / "fit.ckpt")
    est = (hl.MLPClassifier if classes else hl.MLPRegressor)(hidden_layer_sizes=(5, 3), max_iter=1, random_state=0)
    monkeypatch.setenv("HIDDENLAYERS_CHECKPOINT", ckpt)
    src = ParquetSource(tmp_path / "t.parquet", target="y")
    check_checkpoint(est, src, ckpt)  # no file yet: nothing to check
    est.fit(src)
    check_checkpoint(est, src, ckpt)  # the same fit resumes from its own file
    other = (hl.MLPClassifier if classes else hl.MLPRegressor)(hidden_layer_sizes=(5, 4))
    with pytest.raises(ValueError, match="holds another network than this fit builds"):
        check_checkpoint(other, src, ckpt)
    (tmp_path / "fit.ckpt").write_bytes(b"junk")
    with pytest.raises(ValueError, match="cannot be read"):
        check_checkpoint(est, src, ckpt)
