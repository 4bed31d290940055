"""``fit(X, y, X_val=, y_val=, sample_weight_val=)`` of the classifier apps (image, sequence, text): the tables' validation set.

Given, early stopping scores X_val (``validation_scores_``, ``best_validation_score_``) instead of a split of X, and every
sample of X trains; X_val is checked as X is, and the refusals are the tables' (``MLPClassifier``'s) words.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from sklearn.datasets import load_digits

import hiddenlayers as hl
from hiddenlayers.exceptions import DataError

_DIGITS = load_digits()
_KEEP = np.isin(_DIGITS.target, (0, 1, 7))  # three classes: quick to learn, and a class X_val can lack or add
IMAGES, LABELS = _DIGITS.images[_KEEP], _DIGITS.target[_KEEP]  # (N, 8, 8) float 0-16, labels 0/1/7
TEXTS = ["a fine film", "a dull mess", "fine acting", "a dull plot", "fine work", "dull dull film"] * 6
TEXT_LABELS = np.array(["good", "bad", "good", "bad", "good", "bad"] * 6)
ARGS = {"max_iter": 3, "n_iter_no_change": 100, "random_state": 0}


def _data(kind: str) -> tuple[Any, np.ndarray, Any, np.ndarray]:
    """(X, y, X_val, y_val) of each app: digits as 8 x 8 images, as sequences of 8 rows of 8 features, or short texts."""
    if kind == "text":
        return TEXTS, TEXT_LABELS, ["fine film", "dull plot", "a fine acting", "so dull", "unseen words here"], \
            np.array(["good", "bad", "good", "bad", "bad"])
    X = IMAGES if kind == "image" else [img for img in IMAGES]
    return X[:200], LABELS[:200], X[200:260], LABELS[200:260]


MAKE: dict[str, Callable[..., Any]] = {
    "image": lambda **kw: hl.ImageClassifier("conv4k3:same,pool2,8", **{**ARGS, **kw}),
    "sequence": lambda **kw: hl.SequenceClassifier("lstm8", **{**ARGS, **kw}),
    "text": lambda **kw: hl.TextClassifier("embed8,gru8", **{**ARGS, **kw}),
}
KINDS = sorted(MAKE)


@pytest.mark.parametrize("kind", KINDS)
def test_the_kept_score_is_x_val_s_and_all_of_x_trains(kind: str) -> None:
    X, y, Xv, yv = _data(kind)
    clf = MAKE[kind]().fit(X, y, X_val=Xv, y_val=yv)
    assert len(clf.validation_scores_) == clf.n_iter_ == 3
    # the weights kept are the best epoch's on X_val, so the kept model's accuracy on X_val is that score
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.best_validation_score_ == pytest.approx(clf.score(Xv, yv), abs=1e-6)
    # every sample of X trains: the training loss is that of a fit on all of X with no split drawn
    every = MAKE[kind](early_stopping=False).fit(X, y)
    np.testing.assert_allclose(clf.loss_curve_, every.loss_curve_, rtol=1e-5)
    split = MAKE[kind]().fit(X, y)  # a validation_fraction split trains on fewer samples: another curve
    assert not np.allclose(split.loss_curve_, every.loss_curve_, rtol=1e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_sample_weight_val_weights_the_score(kind: str) -> None:
    X, y, Xv, yv = _data(kind)
    w = np.linspace(0.0, 2.0, len(yv))
    clf = MAKE[kind](class_weight="balanced").fit(X, y, X_val=Xv, y_val=yv, sample_weight_val=w)
    # scored with sample_weight_val alone: class_weight weighs the training samples only, as the tables' does
    assert clf.best_validation_score_ == pytest.approx(clf.score(Xv, yv, sample_weight=w), abs=1e-6)


def test_a_warm_fit_scores_x_val_of_other_lengths() -> None:
    X, y, Xv, yv = _data("sequence")
    clf = MAKE["sequence"](early_stopping=False).fit(X, y)
    shorter = [s[:5] for s in Xv]  # X_val's sequences may be shorter (or longer) than X's, as predict reads them
    clf.set_params(warm_start=True, early_stopping=True).fit(X, y, X_val=shorter, y_val=yv)
    assert clf.n_iter_ == 6 and np.isfinite(clf.validation_scores_[3:]).all()  # history_ goes on: the first fit's epochs had none
    assert clf.best_validation_score_ == pytest.approx(clf.score(shorter, yv), abs=1e-6)
    before = clf.predict_proba(shorter)
    with pytest.raises(DataError, match="X_val: X has 7 features per step but the model was fitted on 8"):
        clf.fit(X, y, X_val=[s[:, :7] for s in Xv], y_val=yv)  # checked as predict checks a warm fit's X
    np.testing.assert_array_equal(clf.predict_proba(shorter), before)


@pytest.mark.parametrize("kind", KINDS)
def test_the_tables_refusals(kind: str) -> None:
    X, y, Xv, yv = _data(kind)
    with pytest.raises(ValueError, match="X_val is provided, but y_val was not provided"):
        MAKE[kind]().fit(X, y, X_val=Xv)
    with pytest.raises(ValueError, match="y_val is provided, but X_val was not provided"):
        MAKE[kind]().fit(X, y, y_val=yv)
    with pytest.raises(ValueError, match="sample_weight_val weights the rows of X_val and needs X_val and y_val"):
        MAKE[kind]().fit(X, y, sample_weight_val=np.ones(len(yv)))
    with pytest.raises(ValueError, match="X_val and y_val are passed to fit while early_stopping=False"):
        MAKE[kind](early_stopping=False).fit(X, y, X_val=Xv, y_val=yv)
    other = np.array(yv, dtype=object)
    other[:2] = "cat"
    with pytest.raises(ValueError, match=r"y_val holds labels that y does not \('cat'\)"):
        MAKE[kind]().fit(X, y, X_val=Xv, y_val=other)
    with pytest.raises(ValueError, match=f"X_val has {len(yv)} .* and y_val {len(yv) - 1} labels"):
        MAKE[kind]().fit(X, y, X_val=Xv, y_val=yv[1:])
    with pytest.raises(ValueError, match="sample_weight_val is 0 for every"):
        MAKE[kind]().fit(X, y, X_val=Xv, y_val=yv, sample_weight_val=np.zeros(len(yv)))
    with pytest.raises(TypeError):  # partial_fit does not take them (one epoch, no early stopping)
        MAKE[kind]().partial_fit(X, y, classes=np.unique(y), X_val=Xv, y_val=yv)


def test_x_val_is_checked_as_x_is() -> None:
    X, y, Xv, yv = _data("image")
    with pytest.raises(DataError, match=r"X_val has images of shape \(1, 6, 6\) \(C, H, W\) and X \(1, 8, 8\)"):
        MAKE["image"]().fit(X, y, X_val=Xv[:, :6, :6], y_val=yv)
    with pytest.raises(DataError, match=r"X_val has images of shape \(3, 8, 8\)"):
        MAKE["image"]().fit(X, y, X_val=np.repeat(Xv[..., None], 3, axis=-1), y_val=yv)
    with pytest.raises(DataError, match="X_val: images contain NaN"):
        MAKE["image"]().fit(X, y, X_val=np.where(np.arange(8) == 3, np.nan, Xv), y_val=yv)
    S, sy, Sv, syv = _data("sequence")
    with pytest.raises(DataError, match="X_val has 7 features per step and X 8"):
        MAKE["sequence"]().fit(S, sy, X_val=[s[:, :7] for s in Sv], y_val=syv)
    with pytest.raises(DataError, match="X_val holds token ids but X holds feature frames"):
        MAKE["sequence"]().fit(S, sy, X_val=[np.arange(4)] * len(syv), y_val=syv)
    with pytest.raises(DataError, match="X_val: token id 99 is larger than any id in X"):
        MAKE["sequence"]().fit([np.arange(5) % 3] * 20, [0, 1] * 10, X_val=[np.array([1, 99])] * 2, y_val=[0, 1])
    with pytest.raises(ValueError, match="X_val has 1 sequence: early stopping scores at least 2"):
        MAKE["sequence"]().fit(S, sy, X_val=Sv[:1], y_val=syv[:1])
    with pytest.raises(ValueError, match="X_val: X has 0 texts"):
        MAKE["text"]().fit(TEXTS, TEXT_LABELS, X_val=[], y_val=[])


def test_a_refused_x_val_leaves_a_fitted_model_as_it_was() -> None:
    X, y, Xv, yv = _data("image")
    clf = MAKE["image"](early_stopping=False).fit(X, y)
    before = clf.predict_proba(Xv)
    with pytest.raises(DataError, match="X_val has images of shape"):
        clf.set_params(early_stopping=True).fit(X[:100], y[:100], X_val=Xv[:, :6, :6], y_val=yv)
    np.testing.assert_array_equal(clf.predict_proba(Xv), before)
    assert clf.n_iter_ == 3 and clf.validation_scores_ is None


def test_an_image_folder_is_x_val_with_its_sub_folders_as_labels(tmp_path: Any) -> None:
    from PIL import Image

    X, y, Xv, yv = _data("image")
    pixels = (Xv * 16).clip(0, 255).astype(np.uint8)  # 0-16 values as 8-bit images, at 16 x 16 (resized to X's 8 x 8 on reading)
    for i, (img, label) in enumerate(zip(pixels, yv)):
        (tmp_path / str(label)).mkdir(exist_ok=True)
        Image.fromarray(img).resize((16, 16)).save(tmp_path / str(label) / f"{i:03d}.png")
    clf = MAKE["image"]().fit((X * 16).clip(0, 255).astype(np.uint8), y.astype(str), X_val=str(tmp_path))
    images, labels, _ = hl.data.load_image_folder(tmp_path, size=(8, 8), mode="L")  # the folder's order: by sub-folder
    assert clf.best_validation_score_ == pytest.approx(clf.score(images, labels), abs=1e-6)


def test_a_spec_that_flattens_time_refuses_x_val_of_another_length() -> None:
    X, y, Xv, yv = _data("sequence")
    with pytest.raises(DataError, match="X_val: sequence 0 has 5 steps but this spec flattens the time axis"):
        hl.SequenceClassifier("conv4k3,8", **ARGS).fit(X, y, X_val=[s[:5] for s in Xv], y_val=yv)
