"""apps/_appfile.save_fitted: every app's file stores init_from as None (the source is not stored) and its provenance_ record."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import load_digits

import hiddenlayers as hl
from hiddenlayers._files import read_metadata
from hiddenlayers.apps import Autoencoder, ImageClassifier, Recommender, SequenceClassifier


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


def test_image_and_sequence_files_give_back_the_transfer_record_and_frozen_layers(tmp_path: Path) -> None:
    """restore_transfer: a loaded ImageClassifier/SequenceClassifier has the provenance_, transferred_ and frozen_ its fit set (the
    other apps' loads did; these two had none), and a warm fit of the loaded model keeps the frozen layer fixed, as the fitted one does."""
    d = load_digits()
    X, y = d.images[:100] / 16, d.target[:100]
    kw = {"max_iter": 1, "early_stopping": False, "random_state": 0, "device": "cpu"}
    for cls, spec in ((ImageClassifier, "conv4k3:same,pool2,16"), (SequenceClassifier, "gru8,16")):
        source = cls(spec, **kw).fit(X, y)
        tuned = cls(spec, init_from=source, freeze=1, **kw).fit(X, y)
        tuned.save(tmp_path / "m.safetensors")
        loaded = cls.load(tmp_path / "m.safetensors")
        assert (loaded.provenance_, loaded.transferred_, loaded.frozen_) == (tuned.provenance_, tuned.transferred_, tuned.frozen_)
        assert loaded.frozen_ == ["hidden1"]
        before = {k: v.clone() for k, v in loaded.network_.state_dict().items() if k.startswith("hidden1.")}
        loaded.set_params(warm_start=True).fit(X, y)
        for k, v in before.items():
            assert torch.equal(loaded.network_.state_dict()[k], v), k
        source.save(tmp_path / "p.safetensors")
        plain = cls.load(tmp_path / "p.safetensors")
        assert (plain.provenance_, plain.transferred_, plain.frozen_) == (source.provenance_, source.transferred_, source.frozen_) == (None, [], [])


def test_a_python_refit_drops_the_columns_of_an_earlier_data_file(tmp_path: Path) -> None:
    """forget_columns: data_columns_ (set by train --app) and long_columns_ (fit_long) describe the last fit or are absent. A Python
    fit (fresh, warm or partial_fit) of a CLI-trained model on arrays read no column: its file no longer names the old ones. A refit
    that raises leaves them, as it leaves the rest of the model."""
    d = load_digits()
    X, y = d.images[:100] / 16, d.target[:100]
    kw = {"max_iter": 1, "early_stopping": False, "random_state": 0, "device": "cpu"}
    pairs = np.stack([np.arange(40) % 7, np.arange(40) % 5], axis=1)
    cases = ((ImageClassifier("conv4k3:same,pool2,16", **kw), (X, y), (X, y[:5])),
             (SequenceClassifier("gru8,16", warm_start=True, **kw), (X, y), (X, y[:5])),
             (Autoencoder((8,), n_components=2, **kw), (X.reshape(100, -1),), (X[:1].reshape(1, -1),)),
             (Recommender(n_factors=2, hidden_layer_sizes=(4,), **kw), (pairs, np.arange(40) % 5 + 1.0), (pairs, np.ones(3))))
    for model, data, bad in cases:
        model.fit(*data)
        model.data_columns_ = {"target": "label"}  # what train --app's remember_columns sets after its fit
        model.save(tmp_path / "m.safetensors")
        loaded = type(model).load(tmp_path / "m.safetensors")
        assert loaded.data_columns_ == {"target": "label"}
        with pytest.raises(ValueError):
            loaded.fit(*bad)
        assert loaded.data_columns_ == {"target": "label"}, type(model).__name__
        loaded.fit(*data)  # warm for the SequenceClassifier (warm_start=True), fresh for the others
        assert not hasattr(loaded, "data_columns_"), type(model).__name__
        loaded.save(tmp_path / "r.safetensors")
        assert "data_columns" not in read_metadata(tmp_path / "r.safetensors")["state"]
    seq = SequenceClassifier("gru8", **kw)
    frame = pd.DataFrame({"id": np.repeat(np.arange(20), 3), "x": np.arange(60.0), "label": np.repeat(np.arange(20) % 2, 3)})
    seq.fit_long(frame, "label", id_column="id")
    assert seq.long_columns_["target"] == "label"
    seq.partial_fit([r[:3, :1] for r in X], y % 2)
    assert not hasattr(seq, "long_columns_")


@pytest.fixture(scope="module")
def app_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Tiny fitted applications of four kinds, saved (one epoch each)."""
    folder = tmp_path_factory.mktemp("app_files")
    rng = np.random.default_rng(0)
    d = load_digits()
    kw = {"max_iter": 1, "random_state": 0, "device": "cpu"}
    ratings = pd.DataFrame({"user": rng.integers(0, 5, 60), "item": rng.integers(0, 6, 60), "rating": rng.uniform(1, 5, 60)})
    models = {"auto": Autoencoder((4,), n_components=2, **kw).fit(rng.normal(size=(40, 3))),
              "rec": Recommender(n_factors=2, hidden_layer_sizes=(4,), **kw).fit(ratings[["user", "item"]], ratings["rating"]),
              "image": ImageClassifier("conv4k3:same,pool2,8", **kw).fit(d.images[:40] / 16, d.target[:40]),
              "seq": SequenceClassifier("gru4,8", **kw).fit(d.images[:40] / 16, d.target[:40])}
    for name, model in models.items():
        model.save(folder / f"{name}.safetensors")
    return {name: folder / f"{name}.safetensors" for name in models}


@pytest.mark.parametrize("kind", ["auto", "rec", "image", "seq"])
def test_any_edit_of_an_app_files_metadata_loads_or_is_a_model_file_error(app_files: dict[str, Path], tmp_path: Path, kind: str) -> None:
    """Hypothesis, as for the MLP files: any field set to null, another type or a huge number, or removed. Before: an
    application's load let KeyError, TypeError, AttributeError, IndexError and layer-spec errors escape (the CLI's
    "internal error"), and a GRU of 10**12 layers was built for ever."""
    from metadata_edits import check_every_edit

    def usable(model: Any) -> None:
        assert type(model).__name__ == {"auto": "Autoencoder", "rec": "Recommender", "image": "ImageClassifier", "seq": "SequenceClassifier"}[kind]

    check_every_edit(app_files[kind], tmp_path / "h.safetensors", lambda p: p[0] not in ("format", "format_version", "estimator", "library_version"),
                     usable)


def test_a_wrong_device_is_the_callers_error_not_the_files(app_files: dict[str, Path]) -> None:
    with pytest.raises(ValueError) as info:
        Autoencoder.load(app_files["auto"], device="cpux")
    assert not isinstance(info.value, hl.ModelFileError)
