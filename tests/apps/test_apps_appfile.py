"""apps/_appfile.save_fitted: every app's file stores init_from as None (the source is not stored) and its provenance_ record."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

from hiddenlayers._files import read_metadata
from hiddenlayers.apps import Autoencoder, ImageClassifier, SequenceClassifier


def test_init_from_is_stored_as_none_and_the_provenance_record_kept(tmp_path: Path) -> None:
    d = load_digits()
    X, y = d.images[:100] / 16, d.target[:100]
    kw = {"max_iter": 1, "early_stopping": False, "random_state": 0, "device": "cpu"}
    for make, data in ((lambda **k: ImageClassifier("conv4k3:same,pool2,16", **kw, **k), (X, y)),
                       (lambda **k: SequenceClassifier("gru8,16", **kw, **k), (X, y)),
                       (lambda **k: Autoencoder((8,), n_components=2, **kw, **k), (X.reshape(100, -1),))):
        source = make().fit(*data)
        tuned = make(init_from=source, freeze=1).fit(*data)
        tuned.save(tmp_path / "m.safetensors")
        meta = read_metadata(tmp_path / "m.safetensors")
        assert meta["params"]["init_from"] is None and meta["params"]["freeze"] == 1
        record = meta["state"]["provenance_"]
        assert record["source"] == type(source).__name__ and record["transferred"] and record["frozen"] == tuned.frozen_
        plain = make().fit(*data)
        plain.save(tmp_path / "p.safetensors")
        assert "provenance_" not in read_metadata(tmp_path / "p.safetensors")["state"]  # nothing to record: the file as before
        assert np.isfinite(type(plain).load(tmp_path / "p.safetensors").n_iter_)
