"""``class_weight`` and ``label_smoothing`` of ``MLPClassifier``: the weights, the smoothed targets, their errors and their files."""

from __future__ import annotations

import copy
import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_class_weight, compute_sample_weight

import hiddenlayers as hl
from cli_helpers import assert_user_error, ok, run
from fit_helpers import quiet_fit


@pytest.fixture(scope="module")
def skewed() -> tuple[np.ndarray, np.ndarray]:
    """Iris, scaled, with class 0 cut to 10 rows and class 2 to 25: three classes of 10, 50 and 25 rows."""
    X, y = load_iris(return_X_y=True)
    keep = np.concatenate([np.flatnonzero(y == 0)[:10], np.flatnonzero(y == 1), np.flatnonzero(y == 2)[:25]])
    return StandardScaler().fit_transform(X[keep]), y[keep]


def _clf(**kw: Any) -> hl.MLPClassifier:
    return hl.MLPClassifier(**{"hidden_layer_sizes": (6,), "max_iter": 8, "learning_rate_init": 0.01, "random_state": 0, **kw})


def _same_fit(a: hl.MLPClassifier, b: hl.MLPClassifier) -> None:
    assert a.loss_curve_ == b.loss_curve_
    for wa, wb in zip([*a.coefs_, *a.intercepts_], [*b.coefs_, *b.intercepts_]):
        assert np.array_equal(wa, wb)


@pytest.mark.parametrize("early_stopping", [False, True])
def test_balanced_is_the_same_fit_as_its_sample_weight(skewed, early_stopping: bool) -> None:
    X, y = skewed
    a = quiet_fit(_clf(class_weight="balanced", early_stopping=early_stopping), X, y)
    b = quiet_fit(_clf(early_stopping=early_stopping), X, y, sample_weight=compute_sample_weight("balanced", y))
    _same_fit(a, b)  # early stopping too: the held-out score is weighted alike
    if early_stopping:
        assert a.validation_scores_ == b.validation_scores_


def test_a_dict_weights_each_row_by_its_class_and_multiplies_sample_weight(skewed) -> None:
    X, y = skewed
    cw = {0: 3.0, 1: 0.5, 2: 2.0}
    sw = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    a = quiet_fit(_clf(class_weight=cw, dtype="float64"), X, y, sample_weight=sw)
    b = quiet_fit(_clf(dtype="float64"), X, y, sample_weight=sw * np.array([cw[v] for v in y]))
    _same_fit(a, b)
    c = quiet_fit(_clf(dtype="float64"), X, y, sample_weight=sw)
    assert a.loss_curve_ != c.loss_curve_


def test_labels_of_any_type_and_partial_fit_take_a_dict(skewed) -> None:
    X, y = skewed
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    cw = {"setosa": 4.0, "versicolor": 1.0, "virginica": 2.0}
    a = _clf(class_weight=cw).partial_fit(X, names, classes=list(cw))
    b = _clf().partial_fit(X, names, classes=list(cw), sample_weight=np.array([cw[v] for v in names]))
    _same_fit(a, b)


def test_partial_fit_refuses_balanced_as_sklearn_does(skewed) -> None:
    X, y = skewed
    with pytest.raises(ValueError, match="class_weight 'balanced' is not supported for partial_fit.*compute_class_weight"):
        _clf(class_weight="balanced").partial_fit(X, y, classes=[0, 1, 2])


@pytest.mark.parametrize(("cw", "message"), [
    ({0: 1.0, 1: 1.0, 2: 1.0, 7: 2.0}, r"names labels that are not classes of y: \[7\]"),
    ({0: 1.0, 1: 2.0}, r"gives no weight to the classes \[2\] of y: add them"),
    ({"0": 1.0, "1": 1.0, "2": 1.0}, r"not classes of y: \['0', '1', '2'\]"),
    ("Balanced", r"^class_weight must be None, 'balanced' or a dict \{label: weight\}\. Received: class_weight='Balanced' \(did you mean 'balanced'\?\)\.$"),
    ("balance", r"Received: class_weight='balance' \(did you mean 'balanced'\?\)\.$"),
    ("auto", r"Received: class_weight='auto'\.$"),
    ([1.0, 2.0, 3.0], "class_weight must be None, 'balanced' or a dict"),
    ({}, "class_weight must name at least one class"),
])
def test_a_bad_class_weight_is_one_line_naming_the_fix(skewed, cw: Any, message: str) -> None:
    X, y = skewed
    with pytest.raises(ValueError, match=message) as err:
        _clf(class_weight=cw).fit(X, y)
    assert "\n" not in str(err.value)
    assert not hasattr(_clf(class_weight=cw), "network_")


@settings(max_examples=25, deadline=None)
@given(st.one_of(st.floats(max_value=0.0), st.just(math.inf), st.just(math.nan), st.booleans(), st.none()))
def test_every_weight_that_is_not_finite_and_positive_is_refused(w: Any) -> None:
    from hiddenlayers.estimators._class_weight import check_class_weight

    with pytest.raises(ValueError, match=r"class_weight must give each class a finite weight > 0\. Received: class_weight\[1\]="):
        check_class_weight({0: 1.0, 1: w})


@settings(max_examples=40, deadline=None)
@given(st.one_of(st.floats(), st.integers(-5, 5), st.booleans()))
def test_label_smoothing_takes_a_number_in_zero_one(eps: Any) -> None:
    est = hl.MLPClassifier(label_smoothing=eps)
    if not isinstance(eps, bool) and 0 <= eps < 1:
        est._validate_params()
        return
    with pytest.raises(ValueError, match=r"label_smoothing must be .*\[0, 1\).* Received: label_smoothing="):
        est._validate_params()


def test_multilabel_y_refuses_class_weight_and_gce_refuses_smoothing() -> None:
    X = np.random.default_rng(0).normal(size=(20, 3))
    Y = (X[:, :2] > 0).astype(int)
    with pytest.raises(ValueError, match="not to a multi-label indicator y: pass per-row weights as sample_weight"):
        _clf(class_weight="balanced").fit(X, Y)
    with pytest.raises(ValueError, match="label_smoothing works with loss='log_loss' only"):
        _clf(loss="gce", label_smoothing=0.1).fit(X, Y[:, 0])


def test_no_smoothing_is_todays_fit_bit_for_bit(skewed) -> None:
    X, y = skewed
    a, b = quiet_fit(_clf(), X, y), quiet_fit(_clf(label_smoothing=0.0, class_weight=None), X, y)
    _same_fit(a, b)
    assert np.array_equal(a.network_targets(y), np.eye(3)[y])  # exact one-hot: no arithmetic on the targets


@pytest.mark.parametrize("labels", ["multiclass", "binary", "multilabel"])
@pytest.mark.filterwarnings("ignore::hiddenlayers.exceptions.OneHotTargetWarning")  # multi-label on purpose: one label per row
def test_smoothed_targets_are_pytorch_and_keras_ones(skewed, labels: str) -> None:
    X, y = skewed
    Y = {"multiclass": y, "binary": (y == 1).astype(int), "multilabel": np.eye(3, dtype=int)[y]}[labels]
    est = quiet_fit(_clf(label_smoothing=0.2, max_iter=1), X, Y)
    T = est.network_targets(Y)
    z = torch.as_tensor(est.predict_logits(X), dtype=torch.float64)
    if labels == "multiclass":
        assert np.allclose(T, 0.8 * np.eye(3)[y] + 0.2 / 3)
        want = F.cross_entropy(z, torch.as_tensor(y), label_smoothing=0.2, reduction="sum")
    else:
        hard = Y.reshape(len(Y), -1).astype(np.float64)
        assert np.allclose(T, hard * 0.8 + 0.1)
        want = F.binary_cross_entropy_with_logits(z, torch.as_tensor(hard * 0.8 + 0.1), reduction="sum")
    got = est.network_loss(z, torch.as_tensor(T, dtype=torch.float64))
    assert torch.allclose(got, want)


@pytest.mark.parametrize("engine", ["dense", "autograd"])
def test_a_smoothed_step_follows_pytorchs_label_smoothing_gradient(skewed, engine: str) -> None:
    """One full-batch SGD step equals the step along autograd's gradient of ``F.cross_entropy(label_smoothing=0.2)``."""
    X, y = skewed
    kw = {"solver": "sgd", "momentum": 0.0, "batch_size": len(y), "max_iter": 1, "alpha": 0.0, "shuffle": False,
          "learning_rate_init": 0.5, "dtype": "float64", "engine": engine, "label_smoothing": 0.2}
    est = quiet_fit(_clf(**kw), X, y)
    net = copy.deepcopy(est.network_).train()
    loss = F.cross_entropy(net(torch.as_tensor(X)), torch.as_tensor(y), label_smoothing=0.2)
    grads = torch.autograd.grad(loss, list(net.parameters()))
    want = [p.detach() - 0.5 * g for p, g in zip(net.parameters(), grads)]
    est.set_params(warm_start=True)
    quiet_fit(est, X, y)
    for p, w in zip(est.network_.parameters(), want):
        assert torch.allclose(p.detach(), w, atol=1e-12)


def test_params_clone_and_model_file_keep_both(skewed, tmp_path) -> None:
    X, y = skewed
    names = np.array(["a", "b", "c"])[y]
    for labels, cw in ((y, {0: 3, 1: 1, 2: 1.5}), (names, {"a": 3, "b": 1, "c": 1.5})):
        est = quiet_fit(_clf(class_weight=cw, label_smoothing=0.1), X, labels)
        assert clone(est).get_params()["class_weight"] == cw
        assert est.set_params(label_smoothing=0.05).label_smoothing == 0.05
        est.save(tmp_path / "m.safetensors")
        back = hl.load(tmp_path / "m.safetensors")
        params = back.get_params()
        assert params["class_weight"] == cw and params["label_smoothing"] == 0.05
        assert [type(k) for k in params["class_weight"]] == [type(k) for k in cw]  # int labels stay ints, not JSON's text
        _same_fit(quiet_fit(clone(back), X, labels), quiet_fit(clone(est), X, labels))  # a loaded model refits the same


@pytest.fixture
def stream(tmp_path, monkeypatch) -> Any:
    from hiddenlayers.data import ParquetSource
    from hiddenlayers.estimators import _fit_stream

    monkeypatch.setattr(_fit_stream, "CHUNK_BATCHES", 2)
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(300, 3)), columns=list("abc"))
    df["y"] = np.where(df["a"] > 0.8, "rare", "common")
    df.to_parquet(tmp_path / "t.parquet", row_group_size=100)
    return ParquetSource(str(tmp_path), target="y"), df["y"].to_numpy()


def test_a_streamed_fit_balances_from_the_sources_label_counts(stream) -> None:
    src, y = stream
    classes = np.unique(y)
    as_dict = dict(zip(classes.tolist(), compute_class_weight("balanced", classes=classes, y=y)))
    kw = {"batch_size": 50, "max_iter": 2}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = _clf(class_weight="balanced", **kw).fit(src)
        b = _clf(class_weight=as_dict, **kw).fit(src)
        c = _clf(**kw).fit(src)
    _same_fit(a, b)
    assert a.loss_curve_ != c.loss_curve_
    assert "_stream_class_weight" not in a.__dict__
    with pytest.raises(ValueError, match="'balanced' is not supported for partial_fit"):
        _clf(class_weight="balanced", **kw).partial_fit(src)


def test_balanced_weights_help_the_rare_class_of_real_data() -> None:
    """Breast cancer with 10% of the malignant training rows kept (10 of 106): balanced accuracy on the untouched test half."""
    X, y = load_breast_cancer(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.5, random_state=0, stratify=y)
    scaler = StandardScaler().fit(Xtr)
    Xtr, Xte = scaler.transform(Xtr), scaler.transform(Xte)
    rare = np.random.default_rng(0).choice(np.flatnonzero(ytr == 0), 10, replace=False)
    keep = np.concatenate([np.flatnonzero(ytr == 1), rare])
    scores = {}
    for cw in (None, "balanced"):
        scores[cw] = np.median([
            balanced_accuracy_score(yte, quiet_fit(_clf(hidden_layer_sizes=(8,), max_iter=40, random_state=s, class_weight=cw), Xtr[keep], ytr[keep]).predict(Xte))
            for s in range(3)
        ])
    assert scores["balanced"] >= scores[None] - 0.02, scores  # measured: 0.947 against 0.930 (median of 3 seeds)
    assert scores["balanced"] > 0.9


def test_cli_train_takes_class_weight_and_label_smoothing(tmp_path) -> None:
    out = tmp_path / "m.safetensors"
    ok("train", "breast_cancer", "-t", "target", "--class-weight", "balanced", "--label-smoothing", "0.1", "--epochs", 3, "-o", out, "-q", "--no-check")
    model = hl.load(out)
    assert (model.class_weight, model.label_smoothing) == ("balanced", 0.1)
    ok("train", "breast_cancer", "-t", "target", "--class-weight", "benign=1,malignant=3", "--epochs", 3, "-o", out, "-q", "-f", "--no-check")
    assert hl.load(out).class_weight == {"benign": 1.0, "malignant": 3.0}
    assert_user_error(run("train", "breast_cancer", "-t", "target", "--class-weight", "0=1,1=3", "-o", out, "-f", "--no-check"),
                      "--class-weight names '0', which is not a class of the target")
    assert_user_error(run("train", "breast_cancer", "-t", "target", "--class-weight", "malignant=3", "-o", out, "-f", "--no-check"),
                      "--class-weight gives no weight to the class(es) ['benign'] of the target: name every class (1 keeps a class as it is), "
                      "e.g. benign=1,malignant=3, or pass --class-weight balanced.")
    assert_user_error(run("train", "breast_cancer", "-t", "target", "--class-weight", "benign=1,malignant=3,benign=2", "-o", out, "-f", "--no-check"),
                      "--class-weight names 'benign' twice: give each class one weight.")
    assert_user_error(run("train", "breast_cancer", "-t", "target", "--class-weight", "benign=x", "-o", out, "-f", "--no-check"),
                      "--class-weight takes 'balanced' or LABEL=WEIGHT")
    assert_user_error(run("train", "breast_cancer", "-t", "target", "--class-weight", "benign=0,malignant=1", "-o", out, "-f", "--no-check"),
                      "--class-weight: class_weight must give each class a finite weight > 0")
    assert_user_error(run("train", "breast_cancer", "-t", "target", "--label-smoothing", "1", "-o", out, "-f", "--no-check"),
                      "--label-smoothing: label_smoothing must be")
    assert_user_error(run("train", "diabetes", "-t", "target", "--label-smoothing", "0.1", "-o", out, "-f", "--no-check"),
                      "--label-smoothing applies to classification")


def test_lr_find_sweeps_the_weighted_loss_and_dann_refuses_class_weight(skewed) -> None:
    X, y = skewed
    a = hl.lr_find(_clf(class_weight="balanced"), X, y, num_steps=6)
    b = hl.lr_find(_clf(), X, y, num_steps=6, sample_weight=compute_sample_weight("balanced", y))
    c = hl.lr_find(_clf(), X, y, num_steps=6)
    assert np.array_equal(a.losses, b.losses) and not np.array_equal(a.losses, c.losses)
    with pytest.raises(ValueError, match=r"^domain_adaptation='dann' does not support class_weight \(it weights rows as sample_weight does\): set class_weight=None, "
                                         r"or domain_adaptation=None to keep it\.$"):
        _clf(class_weight="balanced", domain_adaptation="dann").fit(X, y, X_target=X)


@settings(max_examples=60, deadline=None)
@given(labels=st.one_of(st.lists(st.integers(-5, 50), min_size=2, max_size=5, unique=True),
                        st.lists(st.sampled_from(["ok", "fraud", "b-2", "7", "x y"]), min_size=2, max_size=5, unique=True)),
       weights=st.lists(st.floats(0.01, 100.0), min_size=5, max_size=5), order=st.randoms(use_true_random=False), drop=st.booleans(),
       twice=st.booleans())
def test_class_weight_option_reads_every_class_once_or_refuses_in_one_line(labels, weights, order, drop, twice) -> None:
    """--class-weight LABEL=W,...: every class once gives the dict over the labels' own values; a class left out or named twice is a UserError."""
    from hiddenlayers.cli._common import UserError
    from hiddenlayers.cli._train import class_weight_option

    y = np.asarray(labels)
    items = [(str(c), w) for c, w in zip(labels, weights)]
    order.shuffle(items)
    if drop:
        items = items[1:]
    if twice:
        items = items + [items[0]]
    text = ",".join(f"{c}={w!r}" for c, w in items)
    if drop or twice:
        with pytest.raises(UserError, match="gives no weight to the class|twice") as err:
            class_weight_option(text, y)
        assert "\n" not in str(err.value)
        return
    got = class_weight_option(text, y)
    assert got == {c: w for c, w in zip(labels, weights)} and all(type(k) is type(c) for k, c in zip(sorted(got, key=str), sorted(labels, key=str)))


# --- label_smoothing's floor under the training loss, and a loss_threshold below it -------------------------------------------

@settings(max_examples=40, deadline=None)
@given(eps=st.floats(0.001, 0.999), k=st.integers(2, 12), softmax=st.booleans())
def test_smoothing_floor_is_the_loss_of_predicting_exactly_the_smoothed_targets(eps: float, k: int, softmax: bool) -> None:
    from hiddenlayers.estimators._class_weight import smooth_targets, smoothing_floor
    from hiddenlayers.training import get_loss

    n_outputs = k if softmax else k - 1  # multi-label: k - 1 logistic outputs
    Y = np.eye(k)[:, :n_outputs] if softmax else np.tile([[0.0] * (n_outputs - 1) + [1.0]], (3, 1))
    T = torch.as_tensor(smooth_targets(Y, eps, softmax, np.float64))
    z = torch.log(T) if softmax else torch.logit(T)  # outputs whose softmax / sigmoid is the target itself
    loss = get_loss("log_loss" if softmax else "binary_log_loss").value(z, T, None) / len(T)
    assert smoothing_floor(eps, n_outputs, softmax) == pytest.approx(float(loss), rel=1e-9, abs=1e-12)
    # and it is the least loss: any other output does worse
    assert float(get_loss("log_loss" if softmax else "binary_log_loss").value(z + torch.randn_like(z), T, None) / len(T)) >= float(loss)


@pytest.mark.parametrize("binary", [False, True])
def test_a_loss_threshold_below_the_smoothing_floor_warns_once(skewed, binary: bool) -> None:
    from hiddenlayers.estimators._class_weight import smoothing_floor

    X, y = skewed
    y = (y == 1).astype(int) if binary else y
    floor = smoothing_floor(0.2, 1 if binary else 3, softmax=not binary)
    assert floor == pytest.approx(-0.9 * math.log(0.9) - 0.1 * math.log(0.1) if binary
                                  else -(0.8 + 0.2 / 3) * math.log(0.8 + 0.2 / 3) - 2 * (0.2 / 3) * math.log(0.2 / 3))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _clf(label_smoothing=0.2, loss_threshold=floor - 0.01, max_iter=2).fit(X, y)  # the warning names this line
    mine = [w for w in caught if issubclass(w.category, UserWarning) and "loss_threshold" in str(w.message)]
    assert len(mine) == 1 and mine[0].filename == __file__, [str(w.message) for w in caught]
    text = str(mine[0].message)
    assert f"loss_threshold={floor - 0.01:g} can never stop the fit: label_smoothing=0.2" in text
    assert f"{floor:.4g}" in text and "Set loss_threshold above" in text and "or lower label_smoothing" in text
    for kw in ({"loss_threshold": floor + 0.01}, {"loss_threshold": floor - 0.01, "label_smoothing": 0.0}):
        with warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)
            warnings.simplefilter("ignore", ConvergenceWarning)
            _clf(**{"label_smoothing": 0.2, "max_iter": 2, **kw}).fit(X, y)


def test_network_loss_takes_row_weights_as_the_fit_weighs_a_batch(skewed) -> None:
    """``network_loss(z, T, sample_weight=w) / Σw`` is the loss a full-batch fit reports (``loss_curve_[0]``, the step barely moves)."""
    X, y = skewed
    kw = {"solver": "sgd", "momentum": 0.0, "batch_size": len(y), "max_iter": 1, "alpha": 0.0, "learning_rate_init": 1e-12, "dtype": "float64"}
    est = quiet_fit(_clf(class_weight="balanced", **kw), X, y)
    w = compute_sample_weight("balanced", y)
    z = torch.as_tensor(est.predict_logits(X), dtype=torch.float64)
    T = torch.as_tensor(est.network_targets(y))
    got = est.network_loss(z, T, sample_weight=w)
    assert torch.allclose(got, torch.dot(F.cross_entropy(z, torch.as_tensor(y), reduction="none"), torch.as_tensor(w)))
    assert math.isclose(got.item() / w.sum(), est.loss_curve_[0], rel_tol=1e-8)
    assert torch.equal(est.network_loss(z, T, sample_weight=None), est.network_loss(z, T))
    with pytest.raises(ValueError, match=r"one weight per row of z: z has 85 rows, sample_weight has shape \(3,\)"):
        est.network_loss(z, T, sample_weight=np.ones(3))


def test_cli_class_weight_counts_the_classes_it_does_not_list() -> None:
    """Nine classes left out: the first five are named and the other four counted, so the list is not read as all of them."""
    from hiddenlayers.cli._common import UserError
    from hiddenlayers.cli._train import class_weight_option

    with pytest.raises(UserError, match=r"to the class\(es\) \['1', '2', '3', '4', '5'\] and 4 more of the target"):
        class_weight_option("0=1", np.arange(10).repeat(3))
    with pytest.raises(UserError, match=r"to the class\(es\) \['1'\] of the target"):
        class_weight_option("0=1", np.arange(2).repeat(3))
