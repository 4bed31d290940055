"""Knowledge distillation (``hl.distill``): the loss's gradient, its limits, errors, and learning on real data."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import softmax
from sklearn.datasets import load_digits, load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SkMLP
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

import hiddenlayers as hl
from hiddenlayers.training import distillation_loss, get_loss, train


def _targets(rng: np.random.Generator, n: int, k: int, binary: bool) -> np.ndarray:
    """A random ``[y | q | m]`` for the loss: labels, soft targets, some rows unlabelled."""
    if binary:
        y = rng.integers(0, 2, (n, 1)).astype(float)
        q = rng.uniform(0.05, 0.95, (n, 1))
    else:
        y = np.eye(k)[rng.integers(0, k, n)]
        q = softmax(rng.normal(size=(n, k)), axis=1)
    m = (rng.uniform(size=(n, 1)) < 0.7).astype(float)
    return np.hstack([y, q, m])


CASES = [("log_loss", 4), ("binary_log_loss", 1)]


@pytest.mark.parametrize("base_name, k", CASES)
@pytest.mark.parametrize("T, alpha", [(1.0, 0.5), (3.0, 0.3), (2.0, 0.0), (0.5, 1.0)])
def test_gradient_matches_autograd_and_numpy(base_name: str, k: int, T: float, alpha: float) -> None:
    rng = np.random.default_rng(0)
    loss = distillation_loss(get_loss(base_name), T, alpha)
    Y = _targets(rng, 7, k, base_name == "binary_log_loss")
    w = rng.uniform(0.5, 2.0, 7)
    z = torch.tensor(rng.normal(size=(7, k)) * 2, dtype=torch.float64, requires_grad=True)
    Yt, wt = torch.tensor(Y), torch.tensor(w)
    # autograd of the weighted sum against the closed-form per-row gradient times the weights
    loss.value(z, Yt, wt).backward()
    assert z.grad is not None
    written = loss.grad(z.detach(), Yt) * wt[:, None]
    np.testing.assert_allclose(written.numpy(), z.grad.numpy(), rtol=1e-10, atol=1e-12)
    # the NumPy pair (the CPU engine's) gives the same value and gradient
    v, g = loss.np_value_grad(z.detach().numpy().copy(), Y, w)
    assert v == pytest.approx(float(loss.value(z.detach(), Yt, wt)), rel=1e-10)
    np.testing.assert_allclose(g * w[:, None], written.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("base_name, k", CASES)
def test_gradient_matches_finite_differences(base_name: str, k: int) -> None:
    rng = np.random.default_rng(1)
    loss = distillation_loss(get_loss(base_name), 2.5, 0.4)
    Y = _targets(rng, 5, k, base_name == "binary_log_loss")
    z = rng.normal(size=(5, k))
    _, g = loss.np_value_grad(z.copy(), Y, None)
    eps, numeric = 1e-6, np.zeros_like(z)
    for idx in np.ndindex(*z.shape):
        up, down = z.copy(), z.copy()
        up[idx] += eps
        down[idx] -= eps
        numeric[idx] = (loss.np_value_grad(up, Y, None)[0] - loss.np_value_grad(down, Y, None)[0]) / (2 * eps)
    np.testing.assert_allclose(g, numeric, rtol=1e-5, atol=1e-7)


def test_soft_term_is_kl_and_unlabelled_rows_get_only_it() -> None:
    loss = distillation_loss(get_loss("log_loss"), 2.0, 0.5)
    z = np.array([[1.0, -0.5, 0.2]])
    q = softmax(np.array([0.3, 0.1, -1.0]) / 2.0)
    Y = np.hstack([[[0.0, 1.0, 0.0]], q[None], [[0.0]]])  # labelled as class 1, but the mask says unlabelled
    p = softmax(z[0] / 2.0)
    kl = float(np.sum(q * np.log(q / p)))
    v, g = loss.np_value_grad(z.copy(), Y, None)
    assert v == pytest.approx(0.5 * 4.0 * kl, rel=1e-12)
    np.testing.assert_allclose(g[0], 0.5 * 2.0 * (p - q), rtol=1e-12)
    assert loss.np_value_grad(z.copy(), np.hstack([Y[:, :6], [[0.0]]]), None)[0] == pytest.approx(v)
    assert loss.np_value_grad(z.copy(), np.hstack([Y[:, :3], softmax(z / 2.0, axis=1), [[0.0]]]), None)[0] == pytest.approx(0.0, abs=1e-12)


def test_train_takes_the_wider_targets_on_both_engines() -> None:
    X, y = load_iris(return_X_y=True)
    Y = np.hstack([np.eye(3)[y], np.full((150, 3), 1 / 3), np.ones((150, 1))])
    loss = distillation_loss(get_loss("log_loss"), 2.0, 0.5)
    curves = []
    for engine in ("dense", "autograd"):
        torch.manual_seed(0)
        net = hl.Network(4, hl.Spec.parse((8,)), 3).double()
        curves.append(train(net, X, Y, loss=loss, max_epochs=3, batch_size=50, shuffle=False, engine=engine).history.train_loss)
    np.testing.assert_allclose(curves[0], curves[1], rtol=1e-9)
    with pytest.raises(ValueError, match=r"Y must be \(n, 7\)"):
        train(hl.Network(4, hl.Spec.parse((8,)), 3), X, np.eye(3)[y], loss=loss, max_epochs=1)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("base_name, k", CASES)
def test_hand_written_engine_equals_autograd(backend: str, base_name: str, k: int) -> None:
    from hiddenlayers.training import FlatParams
    from hiddenlayers.training._engine import AutogradStep, DenseEngine

    rng = np.random.default_rng(2)
    torch.manual_seed(0)
    net = hl.Network(4, (5,), k, activation="tanh").double()
    X = torch.from_numpy(rng.standard_normal((9, 4)))
    Y = torch.from_numpy(_targets(rng, 9, k, base_name == "binary_log_loss"))
    W = torch.from_numpy(rng.uniform(0.5, 2.0, 9))
    loss = distillation_loss(get_loss(base_name), 3.0, 0.3)
    flat = FlatParams(net)
    want = float(AutogradStep(net, loss, flat, alpha=0.1).step(X, Y, W))
    want_grad = flat.grad.clone()
    eng = DenseEngine(net, loss, flat, alpha=0.1, backend=backend)
    flat.grad.fill_(123.0)
    assert float(eng.step(eng.convert(X), eng.convert(Y), eng.convert(W))) == pytest.approx(want, rel=1e-10)
    torch.testing.assert_close(flat.grad, want_grad, rtol=1e-9, atol=1e-11)


@pytest.fixture(scope="module")
def iris() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def iris_teacher(iris: tuple[np.ndarray, np.ndarray]) -> hl.MLPClassifier:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return hl.MLPClassifier((8,), max_iter=200, learning_rate_init=0.01, random_state=0).fit(*iris)


def test_temperature_1_alpha_1_is_a_plain_fit_bit_for_bit(iris: tuple[np.ndarray, np.ndarray], iris_teacher: hl.MLPClassifier) -> None:
    X, y = iris
    for kw in ({}, {"early_stopping": True}):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            plain = hl.MLPClassifier((6,), max_iter=30, random_state=3, **kw).fit(X, y)
            student = hl.MLPClassifier((6,), max_iter=30, random_state=3, **kw)
            out = hl.distill(student, iris_teacher, X, y, temperature=1.0, alpha=1.0)
        assert out is student  # fitted in place, as fit does
        for a, b in zip(plain.coefs_ + plain.intercepts_, student.coefs_ + student.intercepts_):
            assert np.array_equal(a, b)
        assert plain.loss_curve_ == student.loss_curve_
        assert plain.validation_scores_ == student.validation_scores_
        assert "_distilling" not in student.__dict__


def test_alpha_0_matches_a_teacher_of_the_same_architecture(iris: tuple[np.ndarray, np.ndarray], iris_teacher: hl.MLPClassifier) -> None:
    X, _ = iris
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        student = hl.distill(hl.MLPClassifier((8,), max_iter=300, learning_rate_init=0.01, random_state=1), iris_teacher, X,
                             temperature=1.0, alpha=0.0)
    p, q = iris_teacher.predict_proba(X), student.predict_proba(X)
    kl = np.mean(np.sum(p * (np.log(p + 1e-12) - np.log(q + 1e-12)), axis=1))
    assert kl < 0.02
    assert np.mean(p.argmax(1) == q.argmax(1)) > 0.97
    np.testing.assert_array_equal(student.classes_, iris_teacher.classes_)


def test_predict_logits_are_what_predict_proba_softens(iris: tuple[np.ndarray, np.ndarray], iris_teacher: hl.MLPClassifier) -> None:
    X, y = iris
    z = iris_teacher.predict_logits(X[:5])
    np.testing.assert_allclose(softmax(z.astype(np.float64), axis=1), iris_teacher.predict_proba(X[:5]), rtol=1e-5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        binary = hl.MLPClassifier((4,), max_iter=20, random_state=0).fit(X, y == 2)
    zb = binary.predict_logits(X[:5])
    assert zb.shape == (5, 1)
    np.testing.assert_allclose(1 / (1 + np.exp(-zb[:, 0].astype(np.float64))), binary.predict_proba(X[:5])[:, 1], rtol=1e-5)


def test_binary_pipeline_teacher_and_unlabelled_rows(iris: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = iris
    yb = np.where(y == 2, "virginica", "other")
    teacher = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, yb)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        student = hl.distill(hl.MLPClassifier((4,), max_iter=100, learning_rate_init=0.01, random_state=0),
                             teacher, X[::2], yb[::2], X_unlabeled=X[1::2], temperature=2.0, alpha=0.5)
        stopped = hl.distill(hl.MLPClassifier((4,), max_iter=100, learning_rate_init=0.01, random_state=0, early_stopping=True),
                             teacher, X[::2], yb[::2], X_unlabeled=X[1::2], temperature=2.0, alpha=0.5)
    assert list(student.classes_) == ["other", "virginica"]
    assert student.score(X, yb) > 0.9
    assert student.n_features_in_ == 4 and 0.5 < stopped.best_validation_score_ <= 1.0


def test_student_classes_a_subset_of_the_teachers(iris: tuple[np.ndarray, np.ndarray], iris_teacher: hl.MLPClassifier) -> None:
    X, y = iris
    keep = y < 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        student = hl.distill(hl.MLPClassifier((4,), max_iter=60, learning_rate_init=0.01, random_state=0), iris_teacher, X[keep], y[keep])
    assert list(student.classes_) == [0, 1] and student.predict_logits(X[:3]).shape == (3, 1)  # a binary student: q renormalised
    assert student.score(X[keep], y[keep]) > 0.95
    warm = hl.MLPClassifier((4,), max_iter=5, warm_start=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warm.fit(X, np.where(y == 2, 9, y))
    with pytest.raises(ValueError, match=r"the teacher's classes \[0, 1, 2\] must cover the student's; the student has \[9\] too"):
        hl.distill(warm, iris_teacher, X, y)


def test_early_stopping_scores_labelled_rows_or_agreement() -> None:
    from hiddenlayers.estimators._distill import _Distilling

    d = _Distilling(2.0, 0.5, np.zeros((4, 3)), np.arange(3), 2)
    Y_val = np.zeros((4, 7))
    Y_val[:, -1] = [1.0, 0.0, 1.0, 0.0]
    np.testing.assert_array_equal(d.validation_weight(Y_val, None), [1.0, 0.0, 1.0, 0.0])  # labelled rows only
    np.testing.assert_array_equal(d.validation_weight(Y_val, np.full(4, 2.0)), [2.0, 0.0, 2.0, 0.0])
    Y_val[:, -1] = 0.0
    assert d.validation_weight(Y_val, None) is None  # no labels: every row, scored against the teacher's labels


class _NanTeacher:
    classes_ = np.array([0, 1, 2])

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        p = np.full((len(X), 3), 1 / 3)
        p[4] = np.nan
        return p


def test_rows_are_counted_as_row_count_counts_them(iris: tuple[np.ndarray, np.ndarray]) -> None:
    """Lists of rows and sparse matrices are counted by the one count (data.row_count), so X's and y's lengths are compared."""
    import scipy.sparse as sp

    from hiddenlayers.estimators import _distill

    X, _ = iris
    assert _distill._rows(X[:7].tolist()) == _distill._rows(sp.csr_matrix(X[:7])) == _distill._rows(pd.DataFrame(X[:7])) == 7


def test_errors_are_one_clear_line(iris: tuple[np.ndarray, np.ndarray], iris_teacher: hl.MLPClassifier) -> None:
    X, y = iris
    s = hl.MLPClassifier((4,), max_iter=5)
    teacher_score = iris_teacher.score(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        multilabel = hl.MLPClassifier((4,), max_iter=5, random_state=0).fit(X, np.eye(3, dtype=int)[y])
    cases = [
        (lambda: hl.distill(s, iris_teacher, X, np.where(y == 0, 7, y)), ValueError, r"teacher's classes \[0, 1, 2\] must cover the student's: y has \[7\]"),
        (lambda: hl.distill(s, StandardScaler().fit(X), X, y), TypeError, "teacher must be a fitted classifier with predict_proba"),
        (lambda: hl.distill(s, SVC(probability=True), X, y), ValueError, "teacher must be fitted"),
        (lambda: hl.distill(s, _NanTeacher(), X, y), ValueError, r"NaN or infinite values for 1 of 150 rows \(first: row 4\)"),
        (lambda: hl.distill(s, iris_teacher, X, y, X_unlabeled=X[:, :3]), ValueError, r"X_unlabeled must have X's columns: X is \(150, 4\)"),
        (lambda: hl.distill(s, iris_teacher, X, None, alpha=1.0), ValueError, "alpha=1 weighs only the hard labels, but y is None"),
        (lambda: hl.distill(s, iris_teacher, X, y, alpha=1.0, X_unlabeled=X), ValueError, "alpha=1 switches off"),
        (lambda: hl.distill(hl.MLPRegressor(), iris_teacher, X, y), TypeError, "student must be a hiddenlayers MLPClassifier"),
        # scikit-learn's class has our name: "Received: MLPClassifier." alone did not say which one was wrong
        (lambda: hl.distill(SkMLP(), iris_teacher, X, y), TypeError,
         r"^student must be a hiddenlayers MLPClassifier \(the small network to train\)\. Received: MLPClassifier from sklearn, not "
         r"hiddenlayers: fit hl\.MLPClassifier instead \(it takes the same parameters\)\.$"),
        (lambda: hl.distill(s, iris_teacher, X, y[:-1]), ValueError, "same number of rows"),
        # the teacher as its own student: its fit overwrote the teacher's weights
        (lambda: hl.distill(iris_teacher, iris_teacher, X, y), ValueError, r"^student is the teacher itself: distill fits the student in place"),
        (lambda: hl.distill(s, multilabel, X, y), ValueError, "the teacher is a multi-label MLPClassifier"),
        # rows counted by data.row_count: a 0-d X was an IndexError, None a TypeError about len()
        (lambda: hl.distill(s, iris_teacher, np.float64(1.0), None), ValueError,
         r"X must be rows of features \(n_samples, n_features\): an array, a DataFrame, a sparse matrix or a list of rows. Received: a 0-d array"),
        (lambda: hl.distill(s, iris_teacher, None, y), ValueError, "X must be rows of features .* Received: NoneType."),
    ]
    for call, kind, message in cases:
        with pytest.raises(kind, match=message) as info:
            call()
        assert "\n" not in str(info.value)
    assert not hasattr(s, "network_")  # nothing was fitted
    assert iris_teacher.score(X, y) == teacher_score  # nor the teacher changed


@settings(max_examples=40, deadline=None)
@given(temperature=st.one_of(st.floats(max_value=0.0), st.just(float("nan")), st.just(float("inf"))))
def test_temperature_must_be_positive_and_finite(temperature: float) -> None:
    with pytest.raises(ValueError, match="temperature must be a finite number > 0"):
        distillation_loss(get_loss("log_loss"), temperature, 0.5)


@settings(max_examples=40, deadline=None)
@given(alpha=st.one_of(st.floats(max_value=0.0, exclude_max=True), st.floats(min_value=1.0, exclude_min=True), st.just(float("nan"))))
def test_alpha_must_lie_in_0_1(alpha: float) -> None:
    with pytest.raises(ValueError, match=r"alpha must lie in \[0, 1\]"):
        distillation_loss(get_loss("log_loss"), 2.0, alpha)


@settings(max_examples=40, deadline=None)
@given(temperature=st.floats(min_value=1e-3, max_value=1e3), alpha=st.floats(min_value=0.0, max_value=1.0))
def test_valid_temperature_and_alpha_give_a_loss(temperature: float, alpha: float) -> None:
    assert distillation_loss(get_loss("log_loss"), temperature, alpha).target_width(3) == 7  # type: ignore[misc]


def test_distilled_student_learns_digits_from_an_svm() -> None:
    """A (16,) student on digits, plain vs distilled from SVC(probability=True): figures in benchmarks/RESULTS.md."""
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SVC(probability=True) is deprecated in scikit-learn 1.9: its Platt probabilities teach best here
        teacher = SVC(probability=True, random_state=0).fit(Xtr, ytr)
        plain = hl.MLPClassifier((16,), max_iter=150, random_state=0).fit(Xtr, ytr)
        student = hl.distill(hl.MLPClassifier((16,), max_iter=150, random_state=0), teacher, Xtr, ytr, temperature=2.0, alpha=0.5)
    assert student.score(Xte, yte) >= plain.score(Xte, yte) - 0.01
    p = teacher.predict_proba(Xte)

    def kl(model: hl.MLPClassifier) -> float:
        return float(np.mean(np.sum(p * (np.log(p) - np.log(model.predict_proba(Xte).astype(np.float64) + 1e-12)), axis=1)))

    assert kl(student) < kl(plain)  # the student's probabilities are closer to the teacher's


def test_sample_weight_2_is_a_duplicated_row_and_unlabelled_weight_0_a_dropped_one(iris: tuple[np.ndarray, np.ndarray],
                                                                                    iris_teacher: hl.MLPClassifier) -> None:
    X, y = iris
    kw = {"hidden_layer_sizes": (4,), "solver": "lbfgs", "max_iter": 15, "random_state": 0, "dtype": "float64"}
    w = np.where(np.arange(len(y)) % 3 == 0, 2.0, 1.0)
    twice = np.repeat(np.arange(len(y)), w.astype(int))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 15 L-BFGS iterations do not converge
        pairs = [
            (hl.distill(hl.MLPClassifier(**kw), iris_teacher, X, y, sample_weight=w),
             hl.distill(hl.MLPClassifier(**kw), iris_teacher, X[twice], y[twice])),
            (hl.distill(hl.MLPClassifier(**kw), iris_teacher, X[::2], y[::2], X_unlabeled=X[1::2], unlabeled_weight=np.zeros(75)),
             hl.distill(hl.MLPClassifier(**kw), iris_teacher, X[::2], y[::2])),
            (hl.distill(hl.MLPClassifier(**kw), iris_teacher, X[::2], y[::2], X_unlabeled=X[1::2], sample_weight=np.ones(75)),
             hl.distill(hl.MLPClassifier(**kw), iris_teacher, X[::2], y[::2], X_unlabeled=X[1::2])),  # unlabelled rows weigh 1
        ]
        unweighted = hl.distill(hl.MLPClassifier(**kw), iris_teacher, X, y)
    for a, b in pairs:
        assert a.loss_ == pytest.approx(b.loss_, rel=1e-9)
        for p, q in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
            np.testing.assert_allclose(p, q, rtol=1e-7, atol=1e-9)
    assert not np.allclose(pairs[0][0].coefs_[0], unweighted.coefs_[0])  # the weights count


def test_weight_errors_are_one_clear_line(iris: tuple[np.ndarray, np.ndarray], iris_teacher: hl.MLPClassifier) -> None:
    X, y = iris
    s = hl.MLPClassifier((4,), max_iter=5)
    cases = [
        ({"sample_weight": np.ones(3)}, r"sample_weight.shape == \(3,\), expected \(150,\)"),
        ({"sample_weight": -np.ones(150)}, r"sample_weight must be >= 0. Received: sample_weight\[0\]=-1"),
        ({"sample_weight": np.r_[np.nan, np.ones(149)]}, "sample_weight contains NaN"),
        ({"sample_weight": np.zeros(150)}, "every row has weight 0"),
        ({"unlabeled_weight": np.ones(150)}, "unlabeled_weight weighs the rows of X_unlabeled, but X_unlabeled is None"),
        ({"X_unlabeled": X[:10], "unlabeled_weight": np.ones(3)}, r"unlabeled_weight.shape == \(3,\), expected \(10,\)"),
        ({"X_unlabeled": X[:10], "unlabeled_weight": -np.ones(10)}, r"unlabeled_weight must be >= 0. Received: unlabeled_weight\[0\]"),
        ({"X_unlabeled": X[:10], "sample_weight": np.zeros(150), "unlabeled_weight": np.zeros(10)}, "every row has weight 0"),
    ]
    for kw, message in cases:
        with pytest.raises(ValueError, match=message) as info:
            hl.distill(s, iris_teacher, X, y, **kw)
        assert "\n" not in str(info.value)
    assert not hasattr(s, "network_")


def test_unlabelled_rows_weigh_the_mean_labelled_weight_so_scaling_sample_weight_changes_nothing(
        iris: tuple[np.ndarray, np.ndarray], iris_teacher: hl.MLPClassifier) -> None:
    """The unlabelled rows weighed 1 whatever sample_weight's scale: sample_weight=4*w gave X's rows 4 times the unlabelled
    rows' share (fit gives w and 4*w one model). Not given, they now weigh the mean weight of X's rows of weight > 0."""
    X, y = iris
    kw = {"hidden_layer_sizes": (4,), "solver": "lbfgs", "max_iter": 15, "random_state": 0, "dtype": "float64", "alpha": 0.0}
    w = np.where(np.arange(75) % 3 == 0, 3.0, 0.5)
    w[::7] = 0.0  # as if absent: they do not pull the unlabelled rows' weight down
    mean = w[w > 0].mean()

    def student(**weights: object) -> hl.MLPClassifier:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # 15 L-BFGS iterations do not converge
            return hl.distill(hl.MLPClassifier(**kw), iris_teacher, X[::2], y[::2], X_unlabeled=X[1::2], **weights)

    a, b = student(sample_weight=w), student(sample_weight=4 * w)
    c = student(sample_weight=w, unlabeled_weight=np.full(75, mean))
    for other in (b, c):
        for p, q in zip(a.coefs_ + a.intercepts_, other.coefs_ + other.intercepts_):
            np.testing.assert_allclose(p, q, rtol=1e-6, atol=1e-9)
    d = student(sample_weight=w, unlabeled_weight=np.ones(75))  # the old rule: a different student
    assert not np.allclose(a.coefs_[0], d.coefs_[0])
