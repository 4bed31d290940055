"""The fitting pieces the image and sequence classifiers share: validation split, verbose lines, history."""

from __future__ import annotations

import numpy as np
import pytest

import hiddenlayers as hl


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
