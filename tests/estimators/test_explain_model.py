"""hl.explain(model, X_row, y_row): every number against the estimator's own network and loss (autograd) and finite differences."""

from __future__ import annotations

import copy
import functools
import io
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

import hiddenlayers as hl
from hiddenlayers.estimators import explain_model
from hiddenlayers.training import explain_network


def _objective(est, x: np.ndarray, Y: np.ndarray, alpha: float):
    """The estimator's own training objective for a batch of this one row, in float64 through a copy of its network.

    The data loss is ``est._loss().value`` (what ``train`` steps on, summed over the batch: one row) and the
    L2 term scikit-learn's ``½·alpha·Σ W² / n_rows`` with ``n_rows = 1``.
    """
    net = copy.deepcopy(est.network_).double().eval()
    z = net(torch.tensor(x[None, :], dtype=torch.float64))
    data = est._loss().value(z, torch.tensor(Y[None, :], dtype=torch.float64), None)
    l2 = 0.5 * alpha * sum((lin.weight**2).sum() for lin in net.linears())
    return net, data, l2


def _check_against_estimator(est, ex, x: np.ndarray, Y: np.ndarray, alpha: float | None = None) -> None:
    """``alpha``: the L2 strength of this one-row batch (None: the model's; a class-weighted row's is alpha / w)."""
    alpha = float(est.alpha) if alpha is None else alpha
    net, data, l2 = _objective(est, x, Y, alpha)
    assert ex.loss == pytest.approx(data.item(), rel=1e-12)
    assert ex.penalty == pytest.approx(float(l2.detach()), rel=1e-12)
    (data + l2).backward()
    for lin, step, (W_new, b_new) in zip(net.linears(), reversed(ex.backward), ex.updated):
        W = lin.weight.detach().numpy()
        gW = lin.weight.grad.numpy()
        # the chain-rule table is the data loss's gradient; the L2 term's alpha·W is added to the step, stated apart
        np.testing.assert_allclose(step.dL_dW + alpha * W, gW, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(step.dL_db, lin.bias.grad.numpy(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(W_new, W - ex.learning_rate * gW, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(b_new, lin.bias.detach().numpy() - ex.learning_rate * lin.bias.grad.numpy(), rtol=1e-12, atol=1e-14)
    # the float32 network the estimator predicts with gives the same forward pass
    with torch.no_grad():
        z32 = est.network_(torch.tensor(x[None, :], dtype=torch.float32)).double().numpy()[0]
    np.testing.assert_allclose(ex.forward[-1].z, z32, rtol=1e-4, atol=1e-5)
    assert ex.agrees


def _finite_differences(est, ex, x: np.ndarray, Y: np.ndarray, eps: float = 1e-6) -> None:
    """Central differences of the estimator's objective (data + L2) for every weight and bias."""
    alpha = float(est.alpha)
    net, _, _ = _objective(est, x, Y, alpha)
    xt, Yt = torch.tensor(x[None, :], dtype=torch.float64), torch.tensor(Y[None, :], dtype=torch.float64)

    def objective() -> float:
        with torch.no_grad():
            return float(est._loss().value(net(xt), Yt, None) + 0.5 * alpha * sum((lin.weight**2).sum() for lin in net.linears()))

    for lin, step in zip(net.linears(), reversed(ex.backward)):
        for param, hand in ((lin.weight, step.dL_dW + alpha * lin.weight.detach().numpy()), (lin.bias, step.dL_db)):
            flat, numeric = param.data.view(-1), np.empty(param.numel())
            for i in range(param.numel()):
                old = float(flat[i])
                flat[i] = old + eps
                up = objective()
                flat[i] = old - eps
                down = objective()
                flat[i] = old
                numeric[i] = (up - down) / (2 * eps)
            np.testing.assert_allclose(hand.reshape(-1), numeric, rtol=1e-5, atol=1e-7)


@pytest.fixture(scope="module")
def classifier(iris):
    X, y = iris
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = hl.MLPClassifier("6:tanh,5", activation="relu", alpha=0.01, max_iter=30, random_state=0).fit(X, labels)
    return clf, X, labels


def test_classifier_matches_its_own_network_loss_and_finite_differences(classifier):
    clf, X, labels = classifier
    ex = hl.explain(clf, X[60], labels[60], learning_rate=0.05)
    Y = np.array([0.0, 1.0, 0.0])  # 'versicolor' through classes_
    np.testing.assert_array_equal(ex.target, Y)
    assert ex.loss_name == "cross_entropy" and ex.output_names == ["setosa", "versicolor", "virginica"]
    assert [f.activation for f in ex.forward] == ["tanh", "relu", "identity"]
    np.testing.assert_allclose(ex.output, clf.predict_proba(X[60:61])[0], rtol=1e-5)
    _check_against_estimator(clf, ex, X[60], Y)
    _finite_differences(clf, ex, X[60], Y)
    assert ex.source["solver"] == "adam" and ex.alpha == 0.01


def test_binary_classifier_uses_one_logistic_output(iris):
    X, y = iris
    clf = hl.MLPClassifier((4,), max_iter=20, random_state=0).fit(X, np.where(y == 2, "yes", "no"))
    ex = explain_model(clf, X[120], "yes")
    assert ex.loss_name == "binary_cross_entropy" and ex.output_names == ["yes"]
    np.testing.assert_array_equal(ex.target, [1.0])
    _check_against_estimator(clf, ex, X[120], np.array([1.0]))
    _finite_differences(clf, ex, X[120], np.array([1.0]))


def test_regressor_squared_error_is_half_the_sum_over_outputs(iris):
    X, _ = iris
    Yall = np.c_[X[:, 0] + X[:, 1], X[:, 2] * 2.0]
    reg = hl.MLPRegressor(hidden_layer_sizes=(5, 4), activation="logistic", alpha=0.1, max_iter=30, random_state=0).fit(X[:, 2:], Yall)
    ex = hl.explain(reg, X[7, 2:], Yall[7])
    y_hat = reg.predict(X[7:8, 2:])[0]
    # the estimator steps along ½·Σ over the outputs' gradient; its loss_curve_ records ½·mean over them, as scikit-learn's
    assert ex.loss == pytest.approx(0.5 * ((y_hat - Yall[7]) ** 2).sum(), rel=1e-5)
    assert f"its loss_curve_ records L/2 = {ex.loss / 2:.6f}, ½·mean over them" in " ".join(str(ex).split())
    _check_against_estimator(reg, ex, X[7, 2:], Yall[7])
    _finite_differences(reg, ex, X[7, 2:], Yall[7])


def test_table_model_applies_its_stored_preprocessing(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"age": rng.normal(40, 10, 80).round(1), "city": rng.choice(["paris", "rome", "oslo"], 80)})
    frame["y"] = frame["age"] * 0.1 + (frame["city"] == "oslo") * 2.0
    from hiddenlayers.data import TablePreprocessor

    pre = TablePreprocessor().fit(frame[["age", "city"]])
    reg = hl.MLPRegressor(hidden_layer_sizes=(4,), max_iter=20, random_state=0).fit(pre.transform(frame[["age", "city"]]).matrix, frame["y"].to_numpy(copy=True))
    reg.preprocessing_ = {**pre.to_dict(), "target": "y", "task": "regression"}
    row = frame.iloc[[5]]
    ex = hl.explain(reg, row[["age", "city"]], float(row["y"].iloc[0]))
    x = pre.transform(row[["age", "city"]]).matrix[0]
    np.testing.assert_allclose(ex.x, x)
    assert ex.input_names == pre.output_names and ex.source["raw"] == {"age": row["age"].iloc[0], "city": row["city"].iloc[0]}
    _check_against_estimator(reg, ex, x, np.array([float(row["y"].iloc[0])]))
    # a dict or a Series of the raw columns is the same row
    assert hl.explain(reg, row.iloc[0][["age", "city"]], 1.0).x.tolist() == x.tolist()
    assert hl.explain(reg, {"age": row["age"].iloc[0], "city": row["city"].iloc[0]}, 1.0).x.tolist() == x.tolist()
    with pytest.raises(TypeError, match="pass the row as a dict, a pandas Series or a one-row DataFrame"):
        hl.explain(reg, x, 1.0)


def test_refusals_name_the_problem_and_the_fix(classifier, iris):
    clf, X, _ = classifier
    with pytest.raises(ValueError, match=r"label 'rose' is not a class of the model \('setosa', 'versicolor', 'virginica'\)"):
        hl.explain(clf, X[0], "rose")
    with pytest.raises(ValueError, match="X_row must have 4 values"):
        hl.explain(clf, X[0, :3], "setosa")
    with pytest.raises(ValueError, match=r"^X_row must be one row\. Received: 2 rows \(shape \(2, 4\)\); pick one, e\.g\. X\[3\]"):
        hl.explain(clf, X[:2], "setosa")  # was "X_row must have 4 values ... Received: 8": the two rows read as one
    with pytest.raises(TypeError, match="drop activation"):
        hl.explain(clf, X[0], "setosa", activation="relu")
    with pytest.raises(TypeError, match="drop alpha"):  # the model's own alpha is written out
        hl.explain(clf, X[0], "setosa", alpha=0.1)
    with pytest.raises(TypeError, match="needs the row and its label"):
        hl.explain(clf)
    with pytest.raises(TypeError, match="X_row and y_row go with a fitted"):
        hl.explain((2, 3, 2), [0.1, 0.2], [1.0, 0.0])
    with pytest.raises(hl.NotFittedError):
        hl.explain(hl.MLPClassifier(), X[0], 0)
    Xi, y = iris
    normed = hl.MLPClassifier("4:relu:norm=layer", max_iter=2, random_state=0).fit(Xi, y)
    with pytest.raises(ValueError, match="layer 'hidden1' normalises its z"):
        hl.explain(normed, Xi[0], 0)
    from hiddenlayers.training import Loss

    odd = hl.MLPRegressor(hidden_layer_sizes=(3,), max_iter=2, random_state=0).fit(Xi, Xi[:, 0])
    # a loss explain does not write out (no estimator trains on one today) stays one refusal
    odd._loss = lambda: Loss("huber", "identity", *([None] * 4))  # type: ignore[method-assign]
    with pytest.raises(ValueError, match=r"trained on log_loss, gce, squared_error or poisson; this model trains on huber, which explain does not write out"):
        hl.explain(odd, Xi[0], 0.5)


def test_scikit_learns_mlp_and_a_pipeline_are_refused_naming_what_to_pass(iris):
    """scikit-learn's MLPClassifier read "explain supports MLPClassifier ... Received: MLPClassifier."; a Pipeline named no step."""
    from sklearn.neural_network import MLPClassifier as SkMLP
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = iris
    with warnings.catch_warnings():  # a few iterations: ConvergenceWarning
        warnings.simplefilter("ignore")
        sk = SkMLP(hidden_layer_sizes=(4,), max_iter=2, random_state=0).fit(X, y)
        pipe = make_pipeline(StandardScaler(), hl.MLPClassifier((4,), max_iter=5, random_state=0)).fit(X, y)
    with pytest.raises(TypeError, match=r"^explain supports MLPClassifier and MLPRegressor models with dense hidden layers\. Received: MLPClassifier "
                                        r"from sklearn, not hiddenlayers: fit hl\.MLPClassifier instead \(it takes the same parameters\)\.$"):
        hl.explain(sk, X[0], y[0])
    sk_pipe = make_pipeline(StandardScaler().fit(X), sk)  # fitted steps
    with pytest.raises(TypeError, match=r"^explain supports MLPClassifier and MLPRegressor models with dense hidden layers\. Received: Pipeline \(a scikit-learn "
                                        r"Pipeline whose last step is MLPClassifier from sklearn, not hiddenlayers: fit hl\.MLPClassifier instead"):
        hl.explain(sk_pipe, X[0], y[0])  # a Pipeline ending in scikit-learn's MLP: still refused in one line
    i = 7  # a Pipeline of ours is explained as its last step on the row through the steps before it
    ex = hl.explain(pipe, X[i], y[i])
    assert ex.agrees
    np.testing.assert_allclose(ex.output, pipe.predict_proba(X[i:i + 1])[0], rtol=1e-5)


def test_a_pipeline_is_explained_as_its_last_step_on_the_row_through_its_steps(iris_raw):
    """explain refused a Pipeline ending in our MLP with a note to pass pipe[-1] and the transformed row; now it takes the
    Pipeline and the row as the Pipeline takes it: the same numbers as the two-step call, inputs named by the steps."""
    from sklearn.decomposition import PCA
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = iris_raw
    with warnings.catch_warnings():  # a few epochs: ConvergenceWarning
        warnings.simplefilter("ignore")
        pipe = make_pipeline(StandardScaler(), PCA(3), hl.MLPClassifier((5,), max_iter=20, random_state=0)).fit(X, y)
        frame = pd.DataFrame(X, columns=["sl", "sw", "pl", "pw"])
        named = make_pipeline(StandardScaler(), hl.MLPClassifier((5,), max_iter=20, random_state=0)).fit(frame, y)
    i = 60
    ex = hl.explain(pipe, X[i], y[i])
    two = hl.explain(pipe[-1], pipe[:-1].transform(X[i:i + 1])[0], y[i])
    assert ex.agrees and ex.loss == two.loss
    np.testing.assert_array_equal(ex.x, two.x)
    np.testing.assert_array_equal(ex.output, two.output)
    assert ex.input_names == ["pca0", "pca1", "pca2"]  # pipe[:-1].get_feature_names_out()
    assert ex.source["raw"] == dict(zip(["x0", "x1", "x2", "x3"], X[i].tolist()))  # the row as given, by scikit-learn's names
    assert ex.source["notes"][0] == "the row passed through the Pipeline's steps before MLPClassifier (StandardScaler, PCA) first: x is their output"
    ex = hl.explain(named, frame.iloc[i], y[i])  # a Series, as a frame's row comes
    assert ex.input_names == ["sl", "sw", "pl", "pw"] and ex.source["raw"] == dict(zip(["sl", "sw", "pl", "pw"], X[i].tolist()))
    np.testing.assert_allclose(ex.output, named.predict_proba(frame.iloc[[i]])[0], rtol=1e-5)
    with pytest.raises(ValueError, match=r"^X_row must be one row\. Received: 2 rows"):
        hl.explain(named, frame.iloc[:2], y[0])
    with pytest.raises(hl.NotFittedError, match=r"^explain needs a fitted model: this Pipeline's steps before MLPClassifier are not fitted yet"):
        hl.explain(make_pipeline(StandardScaler(), pipe[-1]), X[i], y[i])


def test_a_pipeline_led_by_passthrough_names_the_raw_row_by_the_columns_it_was_fitted_on(iris_raw):
    """The raw row of an array is named by the first step that reads it: Pipeline([("p", "passthrough"), scaler, MLP])
    fitted on a frame shows {"sl": ...}, as the same Pipeline without the passthrough does. Before, the names were looked up
    on the "passthrough" string and the row read {"x0": ...}."""
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = iris_raw
    frame = pd.DataFrame(X, columns=["sl", "sw", "pl", "pw"])
    mlp = hl.MLPClassifier((3,), max_iter=5, random_state=0)
    with warnings.catch_warnings():  # a few epochs: ConvergenceWarning
        warnings.simplefilter("ignore")
        pipe = Pipeline([("p", "passthrough"), ("s", StandardScaler()), ("m", mlp)]).fit(frame, y)
    ex = hl.explain(pipe, X[7], y[7])
    assert ex.source["raw"] == dict(zip(["sl", "sw", "pl", "pw"], X[7].tolist()))
    assert ex.source["notes"][0].startswith("the row passed through the Pipeline's steps before MLPClassifier (StandardScaler) first")


def test_numeric_classes_accept_their_text_form(iris):
    X, y = iris
    clf = hl.MLPClassifier((3,), max_iter=2, random_state=0).fit(X, y)
    assert hl.explain(clf, X[0], "2").target.tolist() == hl.explain(clf, X[0], 2).target.tolist() == [0.0, 0.0, 1.0]


def test_the_old_signature_still_draws_a_tiny_network():
    ex = hl.explain((2, 3, 2), activation="relu", x="0.5,-1", seed=0)
    assert ex.sizes == [2, 3, 2] and ex.agrees and ex.source == {} and ex.alpha == 0.0


def test_solver_steps_use_the_models_learning_rate_unless_given(classifier):
    """With ``solver`` the steps are the model's fit's: its learning_rate_init and betas, named in ``source["from_model"]``."""
    clf, X, labels = classifier
    model = copy.deepcopy(clf).set_params(learning_rate_init=0.02, beta_1=0.8)
    ex = hl.explain(model, X[60], labels[60], solver="adam")
    assert ex.optim.learning_rate == ex.learning_rate == 0.02 and ex.optim.spec.beta_1 == 0.8 and ex.agrees
    assert ex.source["from_model"] == {"learning_rate_init": 0.02, "beta_1": 0.8, "beta_2": 0.999, "epsilon": 1e-8}
    ex = hl.explain(model, X[60], labels[60], solver="adam", learning_rate=0.05, beta_2=0.99)
    assert ex.optim.learning_rate == 0.05 and ex.source["from_model"] == {"beta_1": 0.8, "epsilon": 1e-8}
    ex = hl.explain(model, X[60], labels[60], solver="sgd")  # not its solver: its learning rate, the estimators' default momentum
    assert ex.optim.learning_rate == 0.02 and ex.optim.spec.momentum == 0.9 and ex.source["from_model"] == {"learning_rate_init": 0.02}
    assert hl.explain(model, X[60], labels[60]).learning_rate == 0.1  # the plain step is not the model's optimizer


def test_wide_layers_stay_readable_at_80_columns(iris):
    X, y = iris
    clf = hl.MLPClassifier((128,), max_iter=2, random_state=0).fit(X, y)
    ex = hl.explain(clf, X[0], 0)
    buf = io.StringIO()
    ex.render(Console(file=buf, width=80, color_system=None))
    text = buf.getvalue()
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "(hidden1: units 17–128 left out below; --json / to_dict() has them all)" in text
    flat = " ".join(text.split())
    assert "One plain gradient-descent step with learning rate 0.1" in flat and "not the model's own optimizer (adam)" in flat
    assert "L2 term (alpha=0.0001" in flat
    assert len(ex.to_dict()["forward"][0]["W"]) == 128  # JSON keeps every unit


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=3, max_size=5), st.integers(0, 3), st.integers(-1, 1))
def test_explain_network_refuses_weights_that_do_not_chain(sizes, broken, delta):
    """Any layer whose W does not take the layer before's outputs is one ValueError naming it; chaining weights agree with autograd."""
    rng = np.random.default_rng(0)
    shapes = [(sizes[i + 1], sizes[i]) for i in range(len(sizes) - 1)]
    broken = 1 + broken % (len(shapes) - 1)  # the first layer's inputs are x's: any later layer can break the chain
    if delta:
        out, n_in = shapes[broken]
        shapes[broken] = (out, max(1, n_in + delta)) if max(1, n_in + delta) != n_in else (out, n_in + 1)
    weights = [(rng.normal(size=s), rng.normal(size=s[0])) for s in shapes]
    call = lambda: explain_network(weights, ["tanh"] * (len(shapes) - 1), np.ones(shapes[0][1]), np.zeros(shapes[-1][0]),  # noqa: E731
                                   loss="squared_error")
    if delta:
        with pytest.raises(ValueError, match=rf"weights\[{broken}\] must be W of shape \(out, in\)"):
            call()
    else:
        assert call().agrees


@pytest.mark.parametrize("reload", [False, True])
def test_the_step_of_a_model_fitted_with_freeze_leaves_its_frozen_layers_as_its_training_does(tmp_path, reload: bool) -> None:
    """explain's step is the model's own one-row SGD step (no momentum, L2 on the trained weights only): the frozen layer
    stays bit for bit, the others move, and the output says so; before, the step shown moved every layer (a note said so).
    A model loaded from its file (no frozen_, its provenance names them) shows the same."""
    from sklearn.datasets import make_classification

    X, y = make_classification(60, 4, random_state=0)
    kw = dict(hidden_layer_sizes=(3, 3), solver="sgd", momentum=0.0, alpha=0.01, batch_size=1, max_iter=3, random_state=0,
              dtype="float64", freeze=1, shuffle=False)
    with pytest.warns(Warning):  # max_iter reached
        model = hl.MLPClassifier(**kw).fit(X, y)
    model.save(tmp_path / "m.safetensors")
    shown = hl.load(tmp_path / "m.safetensors") if reload else model
    ex = explain_model(shown, X[0], y[0], learning_rate=0.05)
    trained = copy.deepcopy(model).set_params(learning_rate_init=0.05).partial_fit(X[:1], y[:1])
    assert trained.frozen_ == ["hidden1"] and ex.fixed == [0]
    for (W, b), W_own, b_own in zip(ex.updated, trained.coefs_, trained.intercepts_):
        np.testing.assert_allclose(W, W_own.T, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(b, b_own, rtol=1e-12, atol=1e-15)
    assert np.array_equal(ex.updated[0][0], ex.forward[0].W) and not np.array_equal(ex.updated[1][0], ex.forward[1].W)
    assert ex.penalty == pytest.approx(0.005 * sum(float((W**2).sum()) for W in model.coefs_[1:]), rel=1e-12)  # trained weights only
    assert ex.to_dict()["fixed"] == ["hidden1"]
    assert any("layer hidden1 is frozen (freeze=1): the step shown leaves it unchanged" in n for n in ex.source["notes"])
    out = io.StringIO()
    ex.render(Console(file=out, width=200))
    assert "for every layer but the frozen hidden1 (unchanged, as in the model's training)" in out.getvalue()
    assert "hidden1 frozen: unchanged by the step" in out.getvalue()


@settings(max_examples=40)
@given(st.one_of(st.integers(-5, 8), st.booleans(), st.floats(allow_nan=True), st.text(max_size=3)))
def test_explain_network_takes_fixed_hidden_layer_indices_only(value) -> None:
    """fixed lists hidden layers (0-based): anything else is one ValueError naming the range; the output layer always trains."""
    pairs = [([[0.5, -0.5]], [0.0]), ([[1.0]], [0.0]), ([[2.0]], [0.1])]  # two hidden layers
    ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2
    if ok:
        ex = explain_network(pairs, ["relu", "relu"], [1.0, 0.0], [1.0], loss="squared_error", fixed=[value])
        assert ex.fixed == [value] and np.array_equal(ex.updated[value][0], ex.forward[value].W)
    else:
        with pytest.raises(ValueError, match=r"^fixed must list hidden-layer indices 0\.\.1 \(the output layer always trains\)\. Received: "):
            explain_network(pairs, ["relu", "relu"], [1.0, 0.0], [1.0], loss="squared_error", fixed=[value])


def _counts(iris):
    X, _ = iris
    return X[:, :3], np.round(np.exp(0.3 * X[:, 2] - 0.5))  # counts >= 0, zeros included (t·log t = 0 there)


@pytest.mark.parametrize(("labels", "q"), [("multiclass", 0.7), ("multiclass", 0.25), ("binary", 0.7), ("binary", 1.0), ("multilabel", 0.5)])
def test_gce_classifier_matches_its_own_loss_and_finite_differences(iris, labels: str, q: float) -> None:
    """loss="gce": (1 - p_y^q)/q with the model's gce_q, over the softmax or per logistic output, dL/dz = p_y^q·(p - t);
    every number against autograd through the estimator's own _loss() and network, and finite differences. Before, refused."""
    X, y = iris
    Y_fit = {"multiclass": y, "binary": np.where(y == 2, "yes", "no"), "multilabel": np.c_[y == 2, X[:, 0] > 5.8].astype(int)}[labels]
    clf = hl.MLPClassifier("5:tanh,4", activation="relu", loss="gce", gce_q=q, alpha=0.01, max_iter=15, random_state=0).fit(X, Y_fit)
    row = 77
    ex = hl.explain(clf, X[row], Y_fit[row])
    Y = clf._label_binarizer.transform(np.asarray(Y_fit[row:row + 1]))[0].astype(np.float64)
    binary = labels != "multiclass"
    assert ex.loss_name == ("binary_" if binary else "") + "generalized_cross_entropy" and ex.q == q and ex.to_dict()["gce_q"] == q
    np.testing.assert_array_equal(ex.target, Y)
    p = clf.predict_proba(X[row:row + 1])[0]
    p = p[1:] if labels == "binary" else p  # two classes: one logistic output, P(classes_[1])
    np.testing.assert_allclose(ex.output, p, rtol=1e-5)
    p_y = np.where(Y == 1, ex.output, 1 - ex.output) if binary else np.array([ex.output @ Y])
    np.testing.assert_allclose(ex.p_y, p_y, rtol=1e-12)
    np.testing.assert_allclose(ex.loss, ((1 - p_y**q) / q).sum(), rtol=1e-12)
    np.testing.assert_allclose(ex.dL_dout, p_y**q * (ex.output - Y), rtol=1e-12, atol=1e-15)
    _check_against_estimator(clf, ex, X[row], Y)
    _finite_differences(clf, ex, X[row], Y)
    out = io.StringIO()
    ex.render(Console(file=out, width=160, color_system=None))
    flat = " ".join(out.getvalue().split())
    assert f"loss L = {'Σ ' if binary else ''}(1 - p_y^q) / q with q = {q:g} (generalized cross entropy)" in flat
    assert "dL/dz = dL/dp_y · dp_y/dz = (-p_y^(q-1)) · (-p_y·(p - t)) = p_y^q · (p - t)" in flat
    assert f"generalized cross entropy (q={q:g}) loss" in flat


def test_poisson_regressor_matches_its_own_loss_and_finite_differences(iris) -> None:
    """loss="poisson": output y = e^z, L = Σ e^z - t·z + t·log t - t, dL/dz = e^z - t; checked as the others. Before, refused."""
    X, Y = _counts(iris)
    reg = hl.MLPRegressor(hidden_layer_sizes=(4, 3), activation="tanh", loss="poisson", alpha=0.05, max_iter=20, random_state=0).fit(X, Y)
    for row in (3, 120):  # a zero count and a positive one
        t = np.array([Y[row]])
        ex = hl.explain(reg, X[row], Y[row])
        assert ex.loss_name == "poisson" and ex.q is None and ex.p_y is None
        np.testing.assert_allclose(ex.output, reg.predict(X[row:row + 1]), rtol=1e-5)
        np.testing.assert_allclose(ex.dL_dout, np.exp(ex.forward[-1].z) - t, rtol=1e-12)
        _check_against_estimator(reg, ex, X[row], t)
        _finite_differences(reg, ex, X[row], t)
    assert Y[3] == 0 and Y[120] > 0
    out = io.StringIO()
    ex.render(Console(file=out, width=100, color_system=None))
    flat = " ".join(out.getvalue().split())
    assert "output y = e^z (the expected count or rate)" in flat and "loss L = Σ (y - t·z + t·log t - t) (half the Poisson deviance" in flat
    assert "dL/dz = e^z - t = y - t" in flat
    with pytest.raises(ValueError, match=r"with loss='poisson' each target must be >= 0 \(a count or a rate\)"):
        hl.explain(reg, X[0], -1.0)


@pytest.mark.parametrize("w", [0.25, 1.0, 4.0])
def test_a_sample_weight_cancels_for_one_row_so_explain_shows_the_weighted_fit(iris, w: float) -> None:
    """Why explain takes no sample_weight: the fit divides a batch's weighted loss (and L2 term) by the batch's summed
    weights, so the model's own plain SGD step on this one row with weight w is explain's step with alpha / w: for alpha = 0,
    exactly explain_model's, whatever w."""
    X, y = iris
    kw = dict(hidden_layer_sizes=(3,), solver="sgd", momentum=0.0, batch_size=1, max_iter=2, random_state=0, dtype="float64", shuffle=False)
    for alpha in (0.0, 0.1):
        with pytest.warns(Warning):  # max_iter reached
            model = hl.MLPClassifier(alpha=alpha, **kw).fit(X, y)
        trained = copy.deepcopy(model).set_params(learning_rate_init=0.05).partial_fit(X[:1], y[:1], sample_weight=[w])
        shown = explain_model(model, X[0], y[0], learning_rate=0.05)
        if alpha:
            weights = [(s.W, s.b) for s in shown.forward]
            shown = explain_network(weights, ["relu"], shown.x, shown.target, loss="cross_entropy", learning_rate=0.05, alpha=alpha / w)
        for (W, b), W_own, b_own in zip(shown.updated, trained.coefs_, trained.intercepts_):
            np.testing.assert_allclose(W, W_own.T, rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(b, b_own, rtol=1e-12, atol=1e-15)
    from hiddenlayers.estimators import _explain

    assert "No ``sample_weight``: the estimators' fit divides a batch's weighted loss" in " ".join((_explain.__doc__ or "").split())


@pytest.mark.parametrize("labels", ["multiclass", "binary"])
def test_a_smoothed_model_is_explained_on_the_target_it_trains_on(iris, labels: str) -> None:
    """label_smoothing: the target, the loss and the step are the smoothed training loss's (network_targets), not the one-hot row's."""
    X, y = iris
    if labels == "binary":
        y = (y == 2).astype(int)
    est = hl.MLPClassifier((5,), max_iter=30, label_smoothing=0.2, random_state=0).fit(X, y)
    x = X[60]
    onehot = np.eye(3)[y[60]] if labels == "multiclass" else np.array([float(y[60])])
    Y = 0.8 * onehot + (0.2 / 3 if labels == "multiclass" else 0.1)  # PyTorch's / Keras' smoothing, in float64
    np.testing.assert_allclose(est.network_targets(y[60:61])[0], Y, rtol=1e-6)  # what the fit trains on (float32)
    ex = explain_model(est, x, y[60])
    np.testing.assert_allclose(ex.target, Y, rtol=1e-12)
    assert not np.isin(ex.target, (0.0, 1.0)).any()
    _check_against_estimator(est, ex, x, Y)
    assert any(n.startswith("label_smoothing=0.2: the target is the one the model trains on") for n in ex.source["notes"])


def test_a_class_weighted_model_says_what_the_rows_weight_does(iris) -> None:
    """class_weight: the one-row loss and gradients are the weighted fit's (the weight cancels), and the L2 strength of the step
    is alpha / w, as the engine divides a batch's penalty by its summed weight (it showed alpha, and a note said so)."""
    X, y = iris
    est = hl.MLPClassifier((5,), max_iter=20, alpha=0.01, class_weight={0: 1.0, 1: 4.0, 2: 1.0}, random_state=0).fit(X, y)
    ex = explain_model(est, X[60], 1)
    assert ex.alpha == pytest.approx(0.0025, rel=1e-15) and ex.source["alpha"] == 0.01 and ex.source["row_weight"] == 4.0
    _check_against_estimator(est, ex, X[60], np.eye(3)[1], alpha=0.0025)
    assert any(n.startswith("class_weight={0: 1.0, 1: 4.0, 2: 1.0} weighs class 1 by 4: in a batch of this row alone the weight w cancels")
               and n.endswith("strength is alpha / 4 = 0.0025, as in the step shown (the model's own fit on this one row)") for n in ex.source["notes"])
    out = io.StringIO()
    ex.render(Console(file=out, width=200, color_system=None))
    assert "L2 term (alpha / w = 0.01 / 4 = 0.0025, for a batch of this one row)" in out.getvalue()
    assert explain_model(est, X[0], 0).alpha == 0.01 and "row_weight" not in explain_model(est, X[0], 0).source  # class 0 weighs 1
    balanced = hl.MLPClassifier((5,), max_iter=5, alpha=0.01, class_weight="balanced", random_state=0).fit(X, y)
    ex = explain_model(balanced, X[0], 0)
    assert ex.alpha == 0.01 and any("weighs each class n_rows / (n_classes x its rows) of the training labels, which the model does not keep"
                                    in n for n in ex.source["notes"])


@pytest.mark.parametrize("solver", [None, "sgd"])
def test_a_class_weighted_model_s_step_is_its_own_one_row_fit(iris, solver) -> None:
    """The step shown equals the model's own partial_fit on the row (plain SGD, batch of one): its class weight w cancels from the
    gradients and scales the L2 term to alpha / w. Before, the step used alpha, off by (1 - 1/w)·lr·alpha·W."""
    X, y = iris
    kw = dict(hidden_layer_sizes=(3,), solver="sgd", momentum=0.0, nesterovs_momentum=False, batch_size=1, max_iter=2, alpha=0.1,
              random_state=0, dtype="float64", shuffle=False, class_weight={0: 1.0, 1: 4.0, 2: 0.5})
    with pytest.warns(Warning):  # max_iter reached
        model = hl.MLPClassifier(**kw).fit(X, y)
    for row in (60, 120):  # class 1 (w = 4) and class 2 (w = 0.5)
        trained = copy.deepcopy(model).set_params(learning_rate_init=0.05).partial_fit(X[row:row + 1], y[row:row + 1])
        shown = explain_model(model, X[row], y[row], learning_rate=0.05, solver=solver)
        for (W, b), W_own, b_own in zip(shown.updated, trained.coefs_, trained.intercepts_):
            np.testing.assert_allclose(W, W_own.T, rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(b, b_own, rtol=1e-12, atol=1e-15)


def test_a_bool_label_is_no_integer_class(iris) -> None:
    """hl.explain(clf, x, True) explained the row as class 1 (True == 1 in Python): a bool names a class only where the
    classes are bools, and a number never names a bool class."""
    X, y = iris
    ints = hl.MLPClassifier((3,), max_iter=3, random_state=0).fit(X, y)
    for label in (True, np.True_, False):
        with pytest.raises(ValueError, match=r"^label (True|False) is not a class of the model \(0, 1, 2\): pass one of them "
                                             r"\(a bool is read as a class only where the classes are bools, not as 0 or 1\)\.$"):
            explain_model(ints, X[60], label)
    assert explain_model(ints, X[60], 1).source["label"] == 1 and explain_model(ints, X[60], 1.0).source["label"] == 1
    bools = hl.MLPClassifier((3,), max_iter=3, random_state=0).fit(X, y == 2)
    assert explain_model(bools, X[120], True).source["label"] is True and explain_model(bools, X[120], np.False_).source["label"] is False
    with pytest.raises(ValueError, match=r"^label 1 is not a class of the model \(False, True\): pass one of them\.$"):
        explain_model(bools, X[120], 1)


def test_a_one_row_slice_of_y_is_its_label_as_a_one_row_slice_of_x_is_its_row(classifier):
    # hl.explain(clf, X.iloc[[i]], y.iloc[[i]]) took the row and refused the label, in a message spread over three lines
    clf, X, labels = classifier
    frame, y = pd.DataFrame(X), pd.Series(labels, name="species")
    expected = hl.explain(clf, X[60], labels[60]).to_dict()
    for y_row in (y.iloc[[60]], labels[60:61], [labels[60]]):
        assert hl.explain(clf, frame.iloc[[60]].to_numpy(), y_row).to_dict() == expected
    with pytest.raises(ValueError, match=r"^y_row must be one label, one of the classes 'setosa', 'versicolor', 'virginica'. "
                                         r"Received: 60 versicolor 61 versicolor Name: species, dtype: \w+\.$"):
        hl.explain(clf, X[60], y.iloc[[60, 61]])


@functools.lru_cache(maxsize=1)
def _named_iris_pipe():
    """A Pipeline fitted on a frame of iris (named columns), built once for the hypothesis test below."""
    from sklearn.datasets import load_iris
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_iris(return_X_y=True, as_frame=True)
    with warnings.catch_warnings():  # a few epochs: ConvergenceWarning
        warnings.simplefilter("ignore")
        return make_pipeline(StandardScaler(), hl.MLPClassifier((3,), max_iter=5, random_state=0)).fit(X, y), X, y


@settings(max_examples=25, deadline=None)
@given(i=st.integers(0, 149), form=st.sampled_from(["series", "dict", "frame", "array", "list"]))
def test_a_pipelines_row_reads_alike_in_every_form_it_takes(i, form):
    """The one row as a Series, a dict, a one-row frame, an array or a list of numbers (by position): the same x, raw row and output."""
    pipe, X, y = _named_iris_pipe()
    row = {"series": X.iloc[i], "dict": X.iloc[i].to_dict(), "frame": X.iloc[[i]], "array": X.iloc[i].to_numpy(),
           "list": X.iloc[i].tolist()}[form]
    with warnings.catch_warnings():  # an array given to steps fitted on a frame: scikit-learn's "no valid feature names"
        warnings.simplefilter("ignore")
        ex = hl.explain(pipe, row, y.iloc[i])
    np.testing.assert_allclose(ex.x, pipe[:-1].transform(X.iloc[[i]])[0], rtol=0, atol=0)
    assert ex.input_names == list(X.columns) and list(ex.source["raw"].values()) == X.iloc[i].tolist()
    assert list(ex.source["raw"]) == list(X.columns)  # a frame's names, or the Pipeline's own for numbers by position


def test_refusals_of_an_unfitted_a_normed_and_a_non_dense_model_say_what_to_do_instead(iris) -> None:
    """A fresh model read scikit-learn's "Call 'fit' with appropriate arguments", a norm layer "which explain does not write
    out" and an application (SequenceClassifier) only what explain supports: none said what a student could do instead."""
    X, y = iris
    with pytest.raises(hl.NotFittedError, match=r"^This MLPClassifier instance is not fitted yet: explain writes out the model's own weights, "
                                                r"which fit makes\. Fit it first \(max_iter=1 shows a barely trained one\), or walk through a "
                                                r"tiny network with drawn weights: hl\.explain\(\(n_inputs, hidden\.\.\., n_outputs\)\)\.$"):
        hl.explain(hl.MLPClassifier((3,)), X[0], y[0])
    lens = r"see its hidden layers with hl\.lens\.summary\(model, X\) \(activations, dead units\) and hl\.lens\.GradientFlow"
    normed = hl.MLPClassifier("3:relu:norm=batch", max_iter=2, random_state=0)
    with pytest.warns(Warning):  # max_iter reached
        normed.fit(X, y)
    with pytest.raises(ValueError, match=r"normalises its z \(BatchNorm1d\), which explain does not write out: refit without norm= to "
                                         rf"explain it, or {lens}"):
        hl.explain(normed, X[0], y[0])
    with pytest.raises(TypeError, match=r"^explain supports MLPClassifier and MLPRegressor models with dense hidden layers\. Received: "
                                        rf"SequenceClassifier \(its layers are not all dense\): {lens}"):
        hl.explain(hl.SequenceClassifier(), X[0], y[0])


@pytest.mark.parametrize("target", [np.nan, np.inf, [np.nan]])
def test_a_regressors_missing_target_is_named_as_such(iris, target) -> None:
    """y_row = NaN read "y_row must be the row's target: 1 number(s). Received: nan.", which a NaN is: the problem (missing
    or infinite) and the fix (a row that has a target) were not said."""
    X, _ = iris
    reg = hl.MLPRegressor(hidden_layer_sizes=(3,), max_iter=2, random_state=0)
    with pytest.warns(Warning):  # max_iter reached
        reg.fit(X[:, :3], X[:, 3])
    with pytest.raises(ValueError, match=r"^y_row must be the row's target: 1 finite number\(s\); a missing \(NaN\) or infinite target has no "
                                         r"loss to write out: pick a row that has one\. Received: "):
        hl.explain(reg, X[0, :3], target)
    with pytest.raises(ValueError, match=r"^y_row must be the row's target: 1 number\(s\)\. Received: 'abc'\.$"):
        hl.explain(reg, X[0, :3], "abc")


def test_dropout_is_said_to_be_off_with_its_rate_and_what_training_does_instead(iris) -> None:
    """The note read "dropout is off here, as in predict (training drops units at random)": not which layers, at what rate,
    nor that a training step's gradients differ (inverted dropout scales the kept units by 1/(1 - p))."""
    X, y = iris
    model = hl.MLPClassifier("4:relu:dropout=0.25,3:tanh", max_iter=2, random_state=0)
    with pytest.warns(Warning):  # max_iter reached
        model.fit(X, y)
    ex = hl.explain(model, X[0], y[0])
    assert ex.source["notes"] == ["dropout (hidden1 p=0.25) is off here, as in predict: a training step sets each unit's h to 0 with "
                                  "probability p and scales the others by 1/(1 - p) (inverted dropout), so its gradients differ from these; "
                                  "a dropped unit passes none"]
    np.testing.assert_allclose(ex.output, model.predict_proba(X[:1])[0], rtol=1e-5)  # the eval-mode pass, as predict
