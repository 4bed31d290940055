"""``sample_weight``, ``class_weight`` and ``label_smoothing`` of the classifier apps (image, sequence, text): MLPClassifier's meaning."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.utils.class_weight import compute_sample_weight

import hiddenlayers as hl

N = 40
Y = np.r_[np.zeros(28, dtype=int), np.ones(12, dtype=int)]  # 28 and 12 rows: "balanced" weighs them 0.71 and 1.67


def _data() -> dict[str, Any]:
    rng = np.random.default_rng(0)
    words = np.array(["good", "bad", "film", "plot", "fine", "dull"])
    return {
        "image": rng.random((N, 8, 8)).astype(np.float32),  # (N, H, W)
        "sequence": rng.random((N, 5, 3)),  # (N, T, F) frames
        "text": [" ".join(rng.choice(words, 4)) for _ in range(N)],
    }


DATA = _data()
MAKE: dict[str, Callable[..., Any]] = {
    "image": lambda **kw: hl.ImageClassifier("conv4k3,8", **kw),
    "sequence": lambda **kw: hl.SequenceClassifier("lstm8", **kw),
    "text": lambda **kw: hl.TextClassifier("embed4,gru4", **kw),
}
APPS = list(MAKE)


def _make(app: str, **kw: Any) -> Any:
    return MAKE[app](**{"max_iter": 3, "batch_size": 16, "random_state": 0, "early_stopping": False, **kw})


def _same_fit(a: Any, b: Any) -> None:
    assert a.loss_curve_ == b.loss_curve_ and a.validation_scores_ == b.validation_scores_
    for (name, wa), wb in zip(a.network_.state_dict().items(), b.network_.state_dict().values()):
        assert torch.equal(wa, wb), name


@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("app", APPS)
def test_balanced_is_the_same_fit_as_its_sample_weight(app: str, early_stopping: bool) -> None:
    a = _make(app, class_weight="balanced", early_stopping=early_stopping).fit(DATA[app], Y)
    b = _make(app, early_stopping=early_stopping).fit(DATA[app], Y, sample_weight=compute_sample_weight("balanced", Y))
    _same_fit(a, b)  # early stopping too: the held-out rows are scored with the same weights
    c = _make(app, early_stopping=early_stopping).fit(DATA[app], Y)
    assert a.loss_curve_ != c.loss_curve_  # and the weights do weigh


def test_a_dict_weights_each_class_times_sample_weight_and_scores_the_held_out_rows_alike() -> None:
    labels = np.array(["cat", "dog"])[Y]
    sw = np.random.default_rng(1).uniform(0.5, 2.0, N)
    kw = {"early_stopping": True, "validation_fraction": 0.25}
    a = _make("image", class_weight={"cat": 0.5, "dog": 3.0}, **kw).fit(DATA["image"], labels, sample_weight=sw)
    b = _make("image", **kw).fit(DATA["image"], labels, sample_weight=sw * np.where(Y == 1, 3.0, 0.5))
    _same_fit(a, b)
    # one epoch: the held-out score is the kept network's weighted accuracy (scikit-learn's accuracy_score(sample_weight=))
    one = _make("image", max_iter=1, class_weight={"cat": 0.5, "dog": 3.0}, **kw).fit(DATA["image"], labels, sample_weight=sw)
    _, val_idx = one._split(Y)
    w_val = sw[val_idx] * np.where(Y[val_idx] == 1, 3.0, 0.5)
    right = one.predict(DATA["image"][val_idx]) == labels[val_idx]
    assert math.isclose(one.validation_scores_[0], float(np.average(right, weights=w_val)), rel_tol=1e-12)


@pytest.mark.parametrize("app", APPS)
def test_a_row_of_weight_zero_is_ignored_whatever_its_label(app: str) -> None:
    """Rows of weight 0 with their labels flipped: the same fit bit for bit (minibatches, Adam, several epochs)."""
    w = np.ones(N)
    w[[3, 17, 30]] = 0.0
    flipped = Y.copy()
    flipped[[3, 17, 30]] ^= 1
    a = _make(app, batch_size=8).fit(DATA[app], Y, sample_weight=w)
    b = _make(app, batch_size=8).fit(DATA[app], flipped, sample_weight=w)
    _same_fit(a, b)


def test_zero_weight_rows_step_as_if_dropped() -> None:
    """Token ids (no standardisation, no vocabulary): one full-batch step with rows of weight 0 is the step without those rows.

    Only to rounding: dropping rows changes the shuffled order the batch's sum runs in, so the check is numeric.
    """
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 9, size=(N, 6))
    ids[0, 0] = 9  # the largest id stays in both fits: the same embedding table
    drop = np.array([5, 11, 33])
    w = np.ones(N)
    w[drop] = 0.0
    keep = np.setdiff1d(np.arange(N), drop)
    kw = {"max_iter": 1, "batch_size": N, "dtype": "float64", "learning_rate_init": 0.05}
    a = _make("sequence", **kw).fit(ids, Y, sample_weight=w)
    b = _make("sequence", **kw).fit(ids[keep], Y[keep])
    assert math.isclose(a.loss_curve_[0], b.loss_curve_[0], rel_tol=1e-12)
    for pa, pb in zip(a.network_.parameters(), b.network_.parameters()):
        assert torch.allclose(pa, pb, rtol=0, atol=1e-10)
    c = _make("sequence", **kw).fit(ids, Y)
    assert not all(torch.allclose(pa, pc, rtol=0, atol=1e-10) for pa, pc in zip(a.network_.parameters(), c.network_.parameters()))


@pytest.mark.parametrize("app", APPS)
def test_no_smoothing_and_no_weights_is_the_fit_of_before_bit_for_bit(app: str) -> None:
    a = _make(app, early_stopping=True).fit(DATA[app], Y)
    b = _make(app, early_stopping=True, label_smoothing=0.0, class_weight=None).fit(DATA[app], Y, sample_weight=None)
    _same_fit(a, b)
    assert np.array_equal(b.network_targets(Y), np.eye(2)[Y])  # exact one-hot: no arithmetic on the targets


@pytest.mark.parametrize("app", APPS)
def test_smoothing_trains_on_pytorchs_label_smoothing_loss(app: str) -> None:
    """``loss_curve_[0]`` (the loss at the initial weights, one full batch) is ``F.cross_entropy(label_smoothing=0.2)``."""
    kw = {"max_iter": 1, "batch_size": N, "dtype": "float64", "solver": "sgd", "learning_rate_init": 1e-12}  # the step barely moves
    smooth = _make(app, label_smoothing=0.2, **kw).fit(DATA[app], Y)
    plain = _make(app, **kw).fit(DATA[app], Y)
    z = torch.as_tensor(np.log(smooth.predict_proba(DATA[app])))  # logits up to a per-row shift, which cross entropy ignores
    yt = torch.as_tensor(Y)
    want = F.cross_entropy(z, yt, label_smoothing=0.2).item()
    assert math.isclose(smooth.loss_curve_[0], want, rel_tol=1e-8)
    assert math.isclose(plain.loss_curve_[0], F.cross_entropy(z, yt).item(), rel_tol=1e-8)
    T = smooth.network_targets(Y)
    assert np.allclose(T, 0.8 * np.eye(2)[Y] + 0.1)
    assert math.isclose(smooth.network_loss(z, torch.as_tensor(T)).item() / N, want, rel_tol=1e-12)


@settings(max_examples=20, deadline=None)
@given(st.one_of(st.floats(max_value=-1e-300), st.just(math.inf), st.just(-math.inf), st.just(math.nan)), st.integers(0, N - 1))
def test_a_weight_that_is_not_finite_and_non_negative_is_refused(bad: float, at: int) -> None:
    w = np.ones(N)
    w[at] = bad
    clf = _make("image")
    with pytest.raises(ValueError, match=r"sample_weight|Input sample_weight contains") as err:
        clf.fit(DATA["image"], Y, sample_weight=w)
    assert "\n" not in str(err.value) and not hasattr(clf, "network_")
    if math.isfinite(bad):  # negative: our own refusal, which scikit-learn's check lets pass
        assert f"sample_weight must be >= 0. Received: sample_weight[{at}]=" in str(err.value)


@pytest.mark.parametrize("app", APPS)
@pytest.mark.parametrize(("sample_weight", "message"), [
    (np.ones(N - 1), r"sample_weight\.shape == \(39,\), expected \(40,\)"),
    (np.zeros(N), "at least one non-zero"),
    (np.ones((N, 1)), "Sample weights must be 1D"),
])
def test_sample_weight_of_the_wrong_shape_or_all_zero_is_refused(app: str, sample_weight: Any, message: str) -> None:
    clf = _make(app)
    with pytest.raises(ValueError, match=message):
        clf.fit(DATA[app], Y, sample_weight=sample_weight)
    assert not hasattr(clf, "network_")


@pytest.mark.parametrize(("cw", "message"), [
    ({0: 1.0}, r"gives no weight to the classes \[1\] of y: add them"),
    ({"0": 1.0, "1": 1.0}, r"not classes of y: \['0', '1'\]"),
    ("Balanced", "class_weight must be None, 'balanced' or a dict"),
    ({0: 1.0, 1: 0.0}, r"class_weight must give each class a finite weight > 0\. Received: class_weight\[1\]=0\.0"),
    ({}, "class_weight must name at least one class"),
])
@pytest.mark.parametrize("app", APPS)
def test_a_bad_class_weight_is_mlpclassifiers_one_line(app: str, cw: Any, message: str) -> None:
    clf = _make(app, class_weight=cw)
    with pytest.raises(ValueError, match=message) as err:
        clf.fit(DATA[app], Y)
    assert "\n" not in str(err.value) and not hasattr(clf, "network_")


@settings(max_examples=40, deadline=None)
@given(st.one_of(st.floats(), st.integers(-5, 5), st.booleans()), st.sampled_from(APPS))
def test_label_smoothing_takes_a_number_in_zero_one(eps: Any, app: str) -> None:
    clf = MAKE[app](label_smoothing=eps)
    if not isinstance(eps, bool) and 0 <= eps < 1:
        clf._validate_params()
        return
    with pytest.raises(ValueError, match=r"label_smoothing must be .*\[0, 1\).* Received: label_smoothing="):
        clf._validate_params()


@pytest.mark.parametrize("app", APPS)
def test_gce_refuses_smoothing_and_a_held_out_part_of_weight_zero_is_refused(app: str) -> None:
    with pytest.raises(ValueError, match=r"label_smoothing works with loss='log_loss' only \(loss='gce'"):
        _make(app, loss="gce", label_smoothing=0.1).fit(DATA[app], Y)
    clf = _make(app, early_stopping=True)
    _, val_idx = clf._split(Y)
    w = np.ones(N)
    w[val_idx] = 0.0
    with pytest.raises(ValueError, match="held out for early stopping all have weight 0.*early_stopping=False"):
        clf.fit(DATA[app], Y, sample_weight=w)
    assert not hasattr(clf, "network_")


@pytest.mark.parametrize("app", APPS)
def test_params_clone_and_model_file_keep_both(app: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    labels = np.array(["neg", "pos"])[Y] if app == "text" else Y
    cw = {"neg": 1.0, "pos": 2.5} if app == "text" else {0: 1, 1: 2.5}
    clf = _make(app, class_weight=cw, label_smoothing=0.1).fit(DATA[app], labels)
    assert clone(clf).get_params()["class_weight"] == cw and clone(clf).get_params()["label_smoothing"] == 0.1
    assert clf.set_params(label_smoothing=0.05).label_smoothing == 0.05
    clf.save(tmp_path / "m.safetensors")
    back = hl.load(tmp_path / "m.safetensors")
    params = back.get_params()
    assert params["class_weight"] == cw and params["label_smoothing"] == 0.05
    assert [type(k) for k in params["class_weight"]] == [type(k) for k in cw]  # int labels stay ints, not JSON's text
    np.testing.assert_array_equal(back.predict_proba(DATA[app]), clf.predict_proba(DATA[app]))
    _same_fit(clone(back).fit(DATA[app], labels), clone(clf).fit(DATA[app], labels))  # a loaded model refits the same


@pytest.mark.parametrize("name", ["image_classifier", "sequence_classifier", "text_classifier"])
def test_files_written_before_the_parameters_load_with_the_defaults(name: str) -> None:
    from pathlib import Path

    model = hl.load(Path(__file__).parents[1] / "fixtures" / "legacy" / f"{name}.safetensors")
    assert model.class_weight is None and model.label_smoothing == 0.0


def test_balanced_helps_the_rare_digit_of_images() -> None:
    """Digits as 8 x 8 images with the 3s cut to 10% of their training rows: balanced accuracy on the untouched test half."""
    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X.reshape(-1, 8, 8) / 16, y, test_size=0.5, random_state=0, stratify=y)
    threes = np.flatnonzero(ytr == 3)
    keep = np.sort(np.concatenate([np.flatnonzero(ytr != 3), np.random.default_rng(0).choice(threes, len(threes) // 10, replace=False)]))
    scores = {}
    for cw in (None, "balanced"):
        scores[cw] = np.median([
            balanced_accuracy_score(yte, hl.ImageClassifier("32", max_iter=10, batch_size=64, learning_rate_init=0.01, early_stopping=False,
                                                            random_state=s, class_weight=cw).fit(Xtr[keep], ytr[keep]).predict(Xte))
            for s in range(3)
        ])
    assert scores["balanced"] >= scores[None] - 0.01, scores  # measured: 0.950 against 0.941 (median of 3 seeds)
    assert scores["balanced"] > 0.9
