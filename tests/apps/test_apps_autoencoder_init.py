"""Autoencoder(init_from=, freeze=): copied and skipped layers, refusals, files and clones, and a learning test on digits."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.metrics import roc_auc_score

import hiddenlayers as hl
from hiddenlayers import Autoencoder

ALL = ["encoder.hidden1", "encoder.head", "decoder.hidden1", "decoder.head"]


@pytest.fixture(scope="module")
def rows() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.normal(size=(200, 2)) @ rng.normal(size=(2, 6)) + 0.05 * rng.normal(size=(200, 6))


@pytest.fixture(scope="module")
def source(rows: np.ndarray) -> Autoencoder:
    return Autoencoder((16,), n_components=3, max_iter=20, random_state=0).fit(rows)


def _weight(model: Autoencoder, name: str) -> torch.Tensor:
    return model.network_.get_submodule(name).state_dict()[next(iter(model.network_.get_submodule(name).state_dict()))]


def test_every_matching_layer_is_copied_and_frozen_ones_stay_fixed(source: Autoencoder, rows: np.ndarray) -> None:
    tuned = Autoencoder((16,), n_components=3, max_iter=10, random_state=1, init_from=source, freeze=1).fit(rows[:40] * 3 + 1)
    assert tuned.transferred_ == ALL
    assert tuned.frozen_ == ["encoder.hidden1"]
    assert torch.equal(_weight(tuned, "encoder.hidden1"), _weight(source, "encoder.hidden1"))  # frozen: bit-identical
    assert not torch.equal(_weight(tuned, "decoder.head"), _weight(source, "decoder.head"))  # copied, then trained
    assert tuned.provenance_ == {"source": "Autoencoder", "source_sha256": None, "transferred": ALL, "frozen": ["encoder.hidden1"]}
    # the new fit learns its own scaling from its own rows (another machine's units)
    np.testing.assert_allclose(tuned.mean_, (rows[:40] * 3 + 1).mean(0))
    assert all(p.requires_grad for p in tuned.network_.parameters())  # the freeze ends with the fit


def test_layers_of_another_shape_start_fresh_and_are_named_in_one_warning(source: Autoencoder, rows: np.ndarray) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tuned = Autoencoder((16,), n_components=4, max_iter=3, random_state=1, init_from=source).fit(rows[:40])
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    assert messages == ["init_from: 2 layer(s) not copied, their shapes differ (shapes are (out, in)): encoder.head (source Linear (3, 16), "
                        "this model Linear (4, 16)); decoder.hidden1 (source DenseLayer (16, 3), this model DenseLayer (16, 4)); "
                        "they start from fresh random weights."]
    assert tuned.transferred_ == ["encoder.hidden1", "decoder.head"]


def test_freezing_a_layer_that_was_not_copied_is_refused(source: Autoencoder, rows: np.ndarray) -> None:
    """Rows of another width: encoder.hidden1 starts fresh, and freeze=1 kept it at its random start for good, without a word."""
    with pytest.raises(ValueError, match=r"^freeze names \['encoder.hidden1'\], which init_from could not copy .*: freeze only layers it copied, "
                                         r"\['encoder.head', 'decoder.hidden1'\], or drop freeze\.$"), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        Autoencoder((16,), n_components=3, max_iter=1, random_state=1, init_from=source, freeze=1).fit(np.c_[rows[:40], rows[:40, :1]])


def test_nothing_copyable_is_one_line_and_the_model_is_unchanged(source: Autoencoder, rows: np.ndarray) -> None:
    ae = Autoencoder((8,), n_components=2, max_iter=3, random_state=0).fit(rows[:, :5])
    before = ae.score_samples(rows[:5, :5])
    with pytest.raises(ValueError, match=r"^init_from: no layer of the source matches this model's shapes: encoder.hidden1 \(source DenseLayer "
                       r"\(16, 6\), this model DenseLayer \(8, 5\)\);.*Give the model the source's layer sizes") as err:
        ae.set_params(init_from=source).fit(rows[:40, :5])
    assert "\n" not in str(err.value)
    np.testing.assert_array_equal(ae.score_samples(rows[:5, :5]), before)
    assert ae.transferred_ == [] and ae.provenance_ is None  # the first fit's record, unchanged


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_source_of_another_class_and_head_first_are_refused(source: Autoencoder, rows: np.ndarray) -> None:
    reg = hl.MLPRegressor(hidden_layer_sizes=(8,), max_iter=3, random_state=0).fit(rows[:, :5], rows[:, 5])
    with pytest.raises(ValueError, match="^init_from: the source is an MLPRegressor, not an Autoencoder: start an Autoencoder from a fitted Autoencoder"):
        Autoencoder((8,), init_from=reg).fit(rows)
    with pytest.raises(ValueError, match="^freeze='head_first' is for MLPClassifier/MLPRegressor and ImageClassifier; Autoencoder takes a count"):
        Autoencoder((16,), n_components=3, init_from=source, freeze="head_first").fit(rows)
    with pytest.raises(ValueError, match=r"^freeze must be 0..3"):
        Autoencoder((16,), n_components=3, init_from=source, freeze=4).fit(rows)


def test_a_file_source_is_recorded_and_the_record_survives_save(source: Autoencoder, rows: np.ndarray, tmp_path: Path) -> None:
    path = tmp_path / "source.safetensors"
    source.save(path)
    tuned = Autoencoder((16,), n_components=3, max_iter=3, random_state=0, init_from=str(path), freeze=["decoder.hidden1"]).fit(rows[:40])
    assert tuned.provenance_["source"] == "source.safetensors" and len(tuned.provenance_["source_sha256"]) == 64
    tuned.save(tmp_path / "tuned.safetensors")
    back = Autoencoder.load(tmp_path / "tuned.safetensors")
    assert back.provenance_ == tuned.provenance_ and back.init_from is None
    assert (back.transferred_, back.frozen_) == (tuned.transferred_, tuned.frozen_) == (tuned.provenance_["transferred"], ["decoder.hidden1"])
    np.testing.assert_array_equal(back.score_samples(rows), tuned.score_samples(rows))
    assert clone(Autoencoder(init_from=source)).init_from is source  # a fitted source is shared by clones, not unfitted


def test_fine_tuning_beats_training_from_scratch_on_a_new_machines_few_rows() -> None:
    """Digits as sensor rows: 'machine A' is the first half's normal digits (0-4), 'machine B' the second half seen through another
    gain and offset per pixel; B's model gets 30 normal rows. Anomalies: digits 5-9. Over 3 seeds the fine-tuned model's AUC
    beat the fresh one's in every seed (measured on this test's data: 0.624/0.624/0.578 fresh vs 0.688/0.689/0.707 fine-tuned,
    margins +0.063/+0.065/+0.129, mean +0.086)."""
    X, y = load_digits(return_X_y=True)
    half = len(X) // 2
    rng = np.random.default_rng(0)
    Xb, yb = X[half:] * rng.uniform(0.5, 2.0, 64) + rng.uniform(-2, 2, 64), y[half:]
    params = {"hidden_layer_sizes": (32,), "n_components": 8, "max_iter": 40}
    machine_a = Autoencoder(**params, random_state=0).fit(X[:half][y[:half] < 5])
    gains = []
    for seed in range(3):
        few = np.random.default_rng(seed).choice(np.flatnonzero(yb < 5), 30, replace=False)
        test = np.setdiff1d(np.arange(len(Xb)), few)
        fresh = Autoencoder(**params, random_state=seed).fit(Xb[few])
        tuned = Autoencoder(**params, random_state=seed, init_from=machine_a).fit(Xb[few])
        auc = [roc_auc_score(yb[test] >= 5, -m.score_samples(Xb[test])) for m in (fresh, tuned)]
        gains.append(auc[1] - auc[0])
    assert min(gains) > 0.02, gains
    assert np.mean(gains) > 0.05, gains
