"""The fitting pieces the image and sequence classifiers share: validation split, verbose lines, history."""

from __future__ import annotations

import numpy as np
import pytest

import hiddenlayers as hl
from fit_helpers import noisy_digits


def _images(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.random((n, 1, 8, 8)).astype(np.float32), np.arange(n) % 2


def _sequences(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.random((n, 5, 3)).astype(np.float32), np.arange(n) % 2


CASES = [
    (lambda **kw: hl.ImageClassifier("conv4k3,8", **kw), _images, "images"),
    (lambda **kw: hl.SequenceClassifier("lstm8", **kw), _sequences, "sequences"),
]


@pytest.mark.parametrize("make, data, noun", CASES, ids=["image", "sequence"])
def test_too_few_rows_for_early_stopping_say_so(make, data, noun) -> None:  # type: ignore[no-untyped-def]
    X, y = data(2)  # two classes, and 90% of two rows leaves none to train on
    with pytest.raises(ValueError, match=rf"^2 {noun} are too few for early_stopping with validation_fraction=0\.9: pass more {noun} or early_stopping=False\.$"):
        make(early_stopping=True, validation_fraction=0.9, max_iter=1).fit(X, y)


@pytest.mark.parametrize("make, data, noun", CASES, ids=["image", "sequence"])
def test_verbose_prints_one_line_per_epoch_and_history_fills_attributes(make, data, noun, capsys) -> None:  # type: ignore[no-untyped-def]
    X, y = data(40)
    clf = make(early_stopping=True, max_iter=3, n_iter_no_change=99, verbose=True, random_state=0).fit(X, y)
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("epoch ")]
    assert len(lines) == 3 and "validation accuracy" in lines[0]
    assert clf.n_iter_ == 3 == len(clf.loss_curve_) == len(clf.validation_scores_)
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.stop_reason_ == clf.history_.stop_reason


@pytest.mark.parametrize("make, data, noun", CASES, ids=["image", "sequence"])
def test_load_with_device_replaces_the_saved_device(make, data, noun, tmp_path) -> None:  # type: ignore[no-untyped-def]
    X, y = data(20)
    clf = make(max_iter=1, random_state=0).fit(X, y)  # device="auto" is what the file records
    clf.save(tmp_path / "m.safetensors")
    assert hl.load(tmp_path / "m.safetensors").device == "auto"
    again = hl.load(tmp_path / "m.safetensors", device="cpu")
    assert again.device == "cpu"
    np.testing.assert_array_equal(again.predict(X), clf.predict(X))


def test_image_classifier_with_gce_learns_through_wrong_labels_where_cross_entropy_memorises_them() -> None:
    Xtr, Xte, noisy, yte = noisy_digits(0.4)  # 40% of the training labels moved to another class
    Xtr, Xte = Xtr.reshape(-1, 8, 8), Xte.reshape(-1, 8, 8)
    kw = dict(max_iter=30, early_stopping=False, random_state=0, learning_rate_init=3e-3, batch_size=64)
    ce = hl.ImageClassifier("conv16k3:same,pool2,64", **kw).fit(Xtr, noisy).score(Xte, yte)
    gce = hl.ImageClassifier("conv16k3:same,pool2,64", loss="gce", **kw).fit(Xtr, noisy).score(Xte, yte)
    assert gce >= 0.9 and gce >= ce + 0.05  # seen: 0.948 against 0.839


@pytest.mark.parametrize("make, data, noun", CASES + [(lambda **kw: hl.TextClassifier(**kw), None, "texts")], ids=["image", "sequence", "text"])
def test_loss_and_gce_q_are_kept_by_save_and_checked_by_fit(make, data, noun, tmp_path) -> None:  # type: ignore[no-untyped-def]
    X, y = data(40) if data is not None else (["good film", "bad film", "great plot", "dull plot"] * 10, np.arange(40) % 2)
    clf = make(loss="gce", gce_q=0.4, max_iter=2, early_stopping=False, random_state=0).fit(X, y)
    clf.save(tmp_path / "m.safetensors")
    back = type(clf).load(tmp_path / "m.safetensors")
    assert (back.loss, back.gce_q) == ("gce", 0.4)
    np.testing.assert_allclose(back.predict_proba(X), clf.predict_proba(X), rtol=1e-5)
    with pytest.raises(ValueError, match=r"gce_q must be .*\(0, 1\]"):
        make(loss="gce", gce_q=1.5).fit(X, y)
    with pytest.raises(ValueError, match="loss must be 'log_loss' or 'gce'"):
        make(loss="hinge").fit(X, y)
    with pytest.raises(ValueError, match=r"gce_q must be .*Received: gce_q=True"):  # as the apps' other numbers, no booleans
        make(loss="gce", gce_q=True).fit(X, y)


@pytest.mark.parametrize("scores, best_epoch, expected", [
    ([float("nan"), 0.5, 0.75], 3, 0.75),  # max() with a NaN first gave NaN
    ([0.5, float("nan"), 0.75], 3, 0.75),
    ([0.9, 0.6, 0.7], 3, 0.7),  # head_first's second phase starts its rule afresh: its best, kept, can be below the first's
    ([float("nan"), float("nan")], None, -np.inf),  # no epoch scored: as the MLPs, -inf
])
@pytest.mark.parametrize("make, data, noun", CASES, ids=["image", "sequence"])
def test_best_validation_score_is_the_kept_weights(make, data, noun, scores, best_epoch, expected) -> None:  # type: ignore[no-untyped-def]
    """best_validation_score_ is the best epoch's score, whose weights early stopping keeps (the MLP estimators' meaning);
    before, max(validation scores) depended on where a NaN was and could name weights not kept."""
    n = len(scores)
    history = hl.History(epoch=list(range(1, n + 1)), train_loss=[1.0] * n, val_loss=[1.0] * n, val_score=scores,
                         lr=[0.1] * n, time=[0.0] * n, best_epoch=best_epoch)
    clf = make(early_stopping=True)
    clf._set_history(history)
    assert clf.best_validation_score_ == expected
