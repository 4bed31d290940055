"""Attribution with Captum: known answers on linear models."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

import hiddenlayers as hl
from hiddenlayers.lens import attribute, feature_importance, layer_attribution, neuron_attribution


def test_integrated_gradients_of_a_linear_model_is_weight_times_input(rng):
    lin = nn.Linear(4, 3)
    X = rng.normal(size=(6, 4)).astype(np.float32)
    for k in range(3):
        a = attribute(lin, X, target=k, baseline="zeros")
        np.testing.assert_allclose(a, lin.weight.detach().numpy()[k] * X, rtol=1e-4, atol=1e-5)
        centred = attribute(lin, X, target=k)  # the default for table rows: their mean, w * (x - mean)
        np.testing.assert_allclose(centred, lin.weight.detach().numpy()[k] * (X - X.mean(0)), rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="pass target="):
        attribute(lin, X)


def test_layer_conductance_is_complete_and_neuron_ig_of_a_linear_unit(rng):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    X = rng.normal(size=(5, 3)).astype(np.float32)
    cond = layer_attribution(net, X, "1", n_steps=200, baseline="zeros")
    with torch.no_grad():
        gap = (net(torch.from_numpy(X)) - net(torch.zeros(1, 3))).numpy()[:, 0]
    np.testing.assert_allclose(cond.sum(1), gap, rtol=1e-2, atol=1e-3)  # completeness
    nia = neuron_attribution(net, X, "0", 2, baseline="zeros")  # unit 2 of a linear layer: w[2] * x
    np.testing.assert_allclose(nia, net[0].weight.detach().numpy()[2] * X, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="unit must be in 0..3"):
        neuron_attribution(net, X, "0", 9)


def test_estimator_targets_by_class_label():
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = hl.MLPClassifier((8,), max_iter=30, random_state=0).fit(X, names)
    a = attribute(clf, X[:4], target="virginica")
    b = attribute(clf, X[:4], target=2)
    np.testing.assert_allclose(a, b)
    assert layer_attribution(clf, X[:4], "hidden1", target="setosa").shape == (4, 8)
    assert feature_importance(clf, X).shape == (4,)
    with pytest.raises(ValueError, match="is not a class of this model"):
        attribute(clf, X[:2], target="rose")


@pytest.fixture(scope="module")
def cancer_clf():
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    X = ((X - X.mean(0)) / X.std(0)).astype(np.float32)
    names = np.array(["malignant", "benign"])[y]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = hl.MLPClassifier((16, 8), activation="tanh", max_iter=30, random_state=0).fit(X, names)
    return clf, X


def test_integrated_gradients_are_complete_on_a_trained_mlp(cancer_clf):
    """Captum's completeness axiom: attributions sum to output(x) - output(baseline), for the logit attributed."""
    clf, X = cancer_clf
    x = X[:12]
    a = attribute(clf, x, target="malignant", n_steps=300, baseline="zeros")  # classes_[1]: the network's one logit
    with torch.no_grad():
        gap = (clf.network_(torch.from_numpy(x)) - clf.network_(torch.zeros(1, 30))).numpy()[:, 0]
    assert np.abs(gap).max() > 1.0
    np.testing.assert_allclose(a.sum(1), gap, atol=2e-3 * np.abs(gap).max())


def test_the_negative_class_of_a_binary_classifier_gets_negated_attributions(cancer_clf):
    """One logit z scores classes_[1]; classes_[0]'s logit is -z: attributing "benign" used to return malignant's."""
    clf, X = cancer_clf
    assert clf.classes_.tolist() == ["benign", "malignant"]
    x = X[:5]
    pos, neg = attribute(clf, x, target="malignant"), attribute(clf, x, target="benign")
    np.testing.assert_allclose(neg, -pos, rtol=1e-6)
    np.testing.assert_allclose(attribute(clf, x, target=0), neg)  # 0/1 index the classes, as predict_proba's columns
    np.testing.assert_allclose(attribute(clf, x, target=1), pos)
    np.testing.assert_allclose(layer_attribution(clf, x, "hidden1", target="benign"), -layer_attribution(clf, x, "hidden1", target="malignant"), rtol=1e-6)
    with pytest.raises(ValueError, match=r"classes are \['benign', 'malignant'\] \(output indices 0..1\)"):
        attribute(clf, x, target=2)


def test_a_baseline_is_in_the_units_of_X_for_a_model_that_rescales_its_input():
    """An Autoencoder standardises rows: X.mean(axis=0) is its zero point, not raw numbers read as standardised values."""
    from sklearn.datasets import load_breast_cancer

    X, _ = load_breast_cancer(return_X_y=True)  # raw units: some features in the hundreds
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ae = hl.Autoencoder((8,), n_components=2, max_iter=5, random_state=0).fit(X)
    at_mean = attribute(ae, X[:3], target=0)  # the default: zeros of the standardised input = the data's mean
    np.testing.assert_allclose(attribute(ae, X[:3], target=0, baseline=X.mean(axis=0)), at_mean, atol=1e-6)
    np.testing.assert_allclose(attribute(ae, X[:3], target=0, baseline=np.tile(X.mean(axis=0), (3, 1))), at_mean, atol=1e-6)
    np.testing.assert_allclose(feature_importance(ae, X[:40], baseline=X.mean(axis=0)), feature_importance(ae, X[:40]), atol=1e-6)
    zero_raw = attribute(ae, X[:3], target=0, baseline=0.0)  # a raw all-zero row, far from the mean
    assert np.abs(zero_raw - at_mean).max() > 0.1


def test_layer_errors_name_the_layer_argument_and_unit_must_be_an_integer(rng):
    net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    X = rng.normal(size=(5, 3)).astype(np.float32)
    with pytest.raises(ValueError, match=r"^layer='nope' matched no layer of Sequential"):
        layer_attribution(net, X, "nope")
    with pytest.raises(ValueError, match=r"^layer='nope' matched no layer"):
        neuron_attribution(net, X, "nope", 0)
    with pytest.raises(ValueError, match=r"^layer='\*' matched 3 layers"):
        layer_attribution(net, X, "*")
    for bad in (1.7, True, "2"):  # 1.7 was read as unit 1, True as unit 1
        with pytest.raises(TypeError, match=r"^unit must be an integer unit index of layer '0'\. Received: unit="):
            neuron_attribution(net, X, "0", bad)
    np.testing.assert_allclose(neuron_attribution(net, X, "0", np.int64(2), baseline="zeros"), net[0].weight.detach().numpy()[2] * X, rtol=1e-4, atol=1e-5)


def test_feature_importance_draws_its_rows_at_random_and_a_whole_x_baseline_follows_them():
    """Sorted rows: the first max_rows would explain one class only; a baseline of X's shape was refused past max_rows."""
    lin = nn.Linear(2, 1)  # IG from a zero baseline of a linear model: w * x, so mean |IG| = |w| * mean |x|
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[1.0, 1.0]]))
        lin.bias.zero_()
    X = np.zeros((1000, 2), dtype=np.float32)
    X[:500, 0] = 1.0  # the first half of the rows (one "class") uses feature 0 only, the second half feature 1 only
    X[500:, 1] = 1.0
    imp = feature_importance(lin, X, max_rows=300, n_steps=4, baseline="zeros")
    assert 0.35 < imp[0] < 0.65 and 0.35 < imp[1] < 0.65 and imp.sum() == pytest.approx(1.0)  # was [1, 0]: the first 300 rows
    np.testing.assert_allclose(feature_importance(lin, X, baseline=np.zeros_like(X), max_rows=300, n_steps=4), imp, rtol=1e-6)
    shifted = feature_importance(lin, X, baseline=X.tolist(), max_rows=300, n_steps=4)  # baseline = the rows: nothing to attribute
    np.testing.assert_allclose(shifted, [0.0, 0.0], atol=1e-7)
    with pytest.raises(ValueError, match=r"X's shape \(1000, 2\)\. Received shape \(999, 2\)"):  # X's rows, not the 300 drawn
        feature_importance(lin, X, baseline=np.zeros((999, 2)), max_rows=300)


def _steep_sigmoid() -> nn.Module:
    """A hand-set unit whose output jumps from 0 to 1 midway along the path from 0 to each row: 50 steps miss the jump."""
    m = nn.Sequential(nn.Linear(3, 1), nn.Sigmoid())
    with torch.no_grad():
        m[0].weight.copy_(torch.tensor([[300.0, -100.0, 50.0]]))
        m[0].bias.fill_(-120.0)
    return m


def test_too_few_steps_warn_with_the_fix_and_the_delta_shows_the_miss():
    m = _steep_sigmoid()
    X = np.array([[1.0, 0.5, 0.3], [0.9, 0.2, 1.0], [1.0, 1.0, 1.0]], dtype=np.float32)
    with torch.no_grad():
        gap = (m(torch.from_numpy(X)) - m(torch.zeros(1, 3))).numpy()[:, 0]  # each row's f(x) - f(0), about 1
    with pytest.warns(UserWarning, match=r"did not converge.*raise n_steps \(now 50") as record:
        a, delta = attribute(m, X, return_convergence_delta=True, baseline="zeros")
    assert len(record) == 1 and record[0].filename == __file__  # points at the user's line
    assert delta.shape == (3,)
    np.testing.assert_allclose(delta, a.sum(1) - gap, atol=1e-5)  # Captum's delta: the sum's miss, row by row
    assert np.abs(delta).sum() / np.abs(gap).sum() > 0.1
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # enough steps: no warning, a delta near 0
        a, delta = attribute(m, X, n_steps=1000, return_convergence_delta=True, baseline="zeros")
        plain = attribute(m, X, n_steps=1000, baseline="zeros")
    np.testing.assert_allclose(a, plain)
    np.testing.assert_allclose(a.sum(1), gap, atol=1e-4)
    assert np.abs(delta).max() < 1e-4


def test_layer_conductance_returns_its_delta_and_warns_when_too_few_steps_miss():
    """Captum's LayerConductance delta: each row's conductances summed minus f(x) - f(baseline); the warning rule is attribute's."""
    # the conductance of the steep unit before its sigmoid: the gradient past it jumps midway along the path, as in attribute's test
    net = nn.Sequential(*_steep_sigmoid(), nn.Linear(1, 1))
    with torch.no_grad():
        net[2].weight.fill_(2.0)
        net[2].bias.fill_(0.5)
    X = np.array([[1.0, 0.5, 0.3], [0.9, 0.2, 1.0], [1.0, 1.0, 1.0]], dtype=np.float32)
    with torch.no_grad():
        gap = (net(torch.from_numpy(X)) - net(torch.zeros(1, 3))).numpy()[:, 0]  # about 2 per row
    with pytest.warns(UserWarning, match=r"^layer conductance did not converge.*raise n_steps \(now 50") as record:
        cond, delta = layer_attribution(net, X, "0", return_convergence_delta=True, baseline="zeros")
    assert len(record) == 1 and record[0].filename == __file__  # points at the user's line
    assert cond.shape == (3, 1) and delta.shape == (3,)
    np.testing.assert_allclose(delta, cond.sum(1) - gap, atol=1e-5)
    assert np.abs(delta).sum() / np.abs(gap).sum() > 0.1
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # enough steps: no warning, a delta near 0
        cond, delta = layer_attribution(net, X, "0", n_steps=1000, return_convergence_delta=True, baseline="zeros")
        plain = layer_attribution(net, X, "0", n_steps=1000, baseline="zeros")
    np.testing.assert_allclose(cond, plain)
    assert np.abs(delta).max() < 1e-3
    with pytest.raises(TypeError, match="return_convergence_delta must be True or False"):
        layer_attribution(net, X, "0", return_convergence_delta=1)


def test_the_delta_of_the_negative_class_is_negated_and_the_flag_is_checked(cancer_clf):
    clf, X = cancer_clf
    pos, d_pos = attribute(clf, X[:4], target="malignant", return_convergence_delta=True)
    neg, d_neg = attribute(clf, X[:4], target="benign", return_convergence_delta=True)
    np.testing.assert_allclose(d_neg, -d_pos)
    _, l_pos = layer_attribution(clf, X[:4], "hidden1", target="malignant", return_convergence_delta=True)
    _, l_neg = layer_attribution(clf, X[:4], "hidden1", target="benign", return_convergence_delta=True)
    np.testing.assert_allclose(l_neg, -l_pos)
    with pytest.raises(TypeError, match="return_convergence_delta must be True or False"):
        attribute(clf, X[:4], target="benign", return_convergence_delta="yes")


@pytest.mark.parametrize("where", ["weight", "head_bias"])
def test_a_diverged_network_is_refused_not_attributed(rng, where):
    """NaN in one weight (or the head's bias): the outputs are NaN, yet the path gradients are mostly
    (or all) finite, so integrated gradients came back as numbers and the NaN delta warned nothing."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 2))
    with torch.no_grad():
        if where == "weight":
            net[0].weight[0, 0] = float("nan")
        else:
            net[2].bias[1] = float("inf")
    X = rng.normal(size=(8, 4)).astype(np.float32)
    calls = {
        "attribute": lambda: attribute(net, X, target=1),
        "layer_attribution": lambda: layer_attribution(net, X, "1", target=1),
        "neuron_attribution": lambda: neuron_attribution(net, X, "1", 2),
        "feature_importance": lambda: feature_importance(net, X),
    }
    for name, call in calls.items():
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the refusal, not a warning beside numbers
            with pytest.raises(ValueError, match=r"^the model.s output on X holds NaN or infinite values .* diverged") as info:
                call()
        assert "attributions would be meaningless" in str(info.value), name
    # a finite network still attributes after the check
    with torch.no_grad():
        net[0].weight[0, 0] = 0.5
        net[2].bias[1] = 0.0
    assert np.isfinite(attribute(net, X, target=1)).all()


def test_neuron_attribution_of_a_conv_channel_is_its_mean_over_positions_and_complete(rng):
    """A conv layer's unit 3 (a channel) failed inside Captum ('grad can be implicitly created only for scalar
    outputs'); unit 5 of 4 channels passed the check (it read the width) and failed with an IndexError."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.Tanh(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3))
    X = rng.normal(size=(5, 1, 8, 8)).astype(np.float32)
    a = neuron_attribution(net, X, "1", 3, n_steps=300)
    assert a.shape == X.shape
    with torch.no_grad():
        gap = (net[:2](torch.from_numpy(X))[:, 3].mean((1, 2)) - net[:2](torch.zeros(1, 1, 8, 8))[:, 3].mean((1, 2))).numpy()
    np.testing.assert_allclose(a.reshape(5, -1).sum(1), gap, rtol=1e-2, atol=1e-4)  # completeness of the channel's mean
    one = neuron_attribution(net, X, "1", (3, 2, 4))  # Captum's own form: one position
    assert one.shape == X.shape and np.abs(one[:, 0, 5:, :]).max() == 0.0  # its 3x3 window starts at row 2: rows 5.. untouched
    with pytest.raises(ValueError, match=r"unit must be in 0..3 for layer '1'. Received: unit=5."):
        neuron_attribution(net, X, "1", 5)
    with pytest.raises(ValueError, match=r"unit=\(3, 9, 0\) is not a position of layer '1'.s output, shape \(4, 6, 6\)"):
        neuron_attribution(net, X, "1", (3, 9, 0))


def test_a_constant_column_gets_zero_importance_under_the_default_baseline():
    """A column that is 5.0 in every row changed nothing, yet a zero baseline ranked it first (the gap 5 - 0 times its weight)."""
    from sklearn.datasets import load_wine

    X, y = load_wine(return_X_y=True)
    X = np.column_stack([(X - X.mean(0)) / X.std(0), np.full(len(X), 5.0)]).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = hl.MLPClassifier((16,), max_iter=50, random_state=0).fit(X, y)
    few = {"max_rows": 60, "n_steps": 8}
    zeros = feature_importance(clf, X, baseline="zeros", **few)
    assert int(np.argmax(zeros)) == 13  # the old default: the constant column first
    default = feature_importance(clf, X, **few)
    for imp in (default, feature_importance(clf, X, baseline="median", **few)):
        assert imp[13] == 0.0 and imp[:13].min() > 0.0
    assert np.abs(attribute(clf, X[:5], target=0, n_steps=8)[:, 13]).max() == 0.0  # attribute's default too (mean over X's rows)
    np.testing.assert_allclose(feature_importance(clf, X, baseline=X.mean(axis=0), **few), default, rtol=1e-5)


def test_named_baselines_are_checked_and_images_keep_zeros(rng):
    lin = nn.Linear(3, 1)
    X = rng.normal(size=(4, 3)).astype(np.float32)
    with pytest.raises(ValueError, match=r"^baseline must be one of 'auto', 'mean', 'median', 'zeros'.*Received: baseline='average'"):
        attribute(lin, X, baseline="average")
    with pytest.raises(ValueError, match=r"baseline='mean' needs at least 2 rows of X .*baseline=X_train.mean\(axis=0\)"):
        attribute(lin, X[:1])  # one row would be its own baseline: every attribution 0
    np.testing.assert_allclose(attribute(lin, X[:1], baseline=X.mean(0)), lin.weight.detach().numpy() * (X[:1] - X.mean(0)), rtol=1e-4, atol=1e-6)
    conv = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.LazyLinear(1))
    imgs = rng.normal(size=(4, 1, 5, 5)).astype(np.float32) + 3.0
    conv(torch.from_numpy(imgs))
    np.testing.assert_allclose(attribute(conv, imgs), attribute(conv, imgs, baseline="zeros"))  # images: a black image
    assert np.abs(attribute(conv, imgs) - attribute(conv, imgs, baseline="mean")).max() > 1e-3


def test_an_autoencoders_mean_baseline_is_its_training_mean():
    """It standardises rows with fit's mean_/scale_: "mean" (the default) is zero there, whatever rows are attributed."""
    rng = np.random.default_rng(0)
    X = rng.normal(loc=50.0, scale=10.0, size=(60, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ae = hl.Autoencoder((4,), n_components=2, max_iter=5, random_state=0).fit(X)
    np.testing.assert_allclose(attribute(ae, X[:3], target=0), attribute(ae, X[:3], target=0, baseline="zeros"))
    np.testing.assert_allclose(attribute(ae, X[:1], target=0), attribute(ae, X[:1], target=0, baseline=ae.mean_), atol=1e-6)


def test_captum_attributions_of_one_unbatched_example_follow_the_one_example_rule():
    """X[0] given to attribute, layer_attribution, neuron_attribution or feature_importance failed deep inside Captum
    ("mat1 and mat2 shapes cannot be multiplied"); it is now refused in record()'s one line, before Captum runs."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    x = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    row_rule = r"^X has one axis, shape \(3,\), but layer '0' read it as one example \(output shape \(4,\)\), not 3 rows: pass one example as X.reshape\(1, -1\)"
    calls = {
        "attribute": lambda X, **kw: attribute(net, X, target=0, **kw),
        "layer_attribution": lambda X, **kw: layer_attribution(net, X, "0", target=0, **kw),
        "neuron_attribution": lambda X, **kw: neuron_attribution(net, X, "0", 1, **kw),
        "feature_importance": lambda X, **kw: feature_importance(net, X, **kw),
    }
    for name, call in calls.items():
        for baseline in ("auto", "zeros"):
            with pytest.raises(ValueError, match=row_rule):
                call(x, baseline=baseline)
        assert np.shape(call(x[None], baseline="zeros"))[0] in (1, 3), name  # the batched form runs
    conv = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(72, 3))
    image = np.random.default_rng(0).random((1, 8, 8)).astype(np.float32)
    with pytest.raises(ValueError, match=r"^X has shape \(1, 8, 8\), but layer '0' read it as one example .*pass one example as X\[None\]"):
        attribute(conv, image, target=0)
    assert attribute(conv, image[None], target=0).shape == (1, 1, 8, 8)


def test_a_train_made_models_mean_baseline_is_its_stored_training_mean_categories_included():
    """A model with a stored table preprocessing_ (hiddenlayers train's): "mean"/"auto" is the training rows' mean stored at
    fit time (category frequencies, missing rates, 0 per standardised number), not the mean of the few rows given; an older
    file without the frequencies keeps the rows' mean."""
    from hiddenlayers.data import TablePreprocessor

    rng = np.random.default_rng(0)
    n = 300
    frame = pd.DataFrame({"a": rng.normal(5, 2, n), "city": rng.choice(["Lyon", "Nice", "Lille"], n, p=[0.6, 0.3, 0.1]).astype(object)})
    frame.loc[::10, "a"] = np.nan
    frame.loc[::7, "city"] = None
    y = ((frame["city"] == "Nice") | (frame["a"] > 6)).to_numpy().astype(int)
    pre = TablePreprocessor().fit(frame)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = hl.MLPClassifier(hidden_layer_sizes=(8,), max_iter=30, random_state=0).fit(pre.transform(frame).matrix, y)
    clf.preprocessing_ = pre.to_dict()
    few = frame.iloc[:4]  # all four rows are Lyon or missing: their mean gives Nice and Lille a frequency of 0
    trained = pre.transform(frame).matrix.mean(0)
    for name in ("mean", "auto"):
        got = attribute(clf, few, target=1, baseline=name, n_steps=200)
        np.testing.assert_allclose(got, attribute(clf, few, target=1, baseline=trained, n_steps=200), rtol=1e-5, atol=1e-7)
        assert not np.allclose(got, attribute(clf, few, target=1, baseline=pre.transform(few).matrix.mean(0), n_steps=200), atol=1e-4)
    fi = feature_importance(clf, few)
    np.testing.assert_allclose(fi, feature_importance(clf, few, baseline=trained), rtol=1e-5, atol=1e-7)
    old = pre.to_dict()
    for c in old["columns"]:
        c.pop("frequencies", None)
        c.pop("missing_rate", None)
    clf.preprocessing_ = old
    np.testing.assert_allclose(attribute(clf, few, target=1, baseline="mean"),
                               attribute(clf, few, target=1, baseline=pre.transform(few).matrix.mean(0)), rtol=1e-5, atol=1e-7)


@pytest.fixture(scope="module")
def digit_cnn():
    """Digits as (n, 8, 8) images in [0, 1] and a small ImageClassifier fitted on the first 300 (2 epochs)."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    imgs = (X / 16).reshape(-1, 8, 8).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = hl.ImageClassifier("conv4k3,8", max_iter=2, random_state=0).fit(imgs[:300], y[:300])
    return imgs, clf


def test_an_image_classifiers_auto_baseline_is_a_black_image_and_a_baseline_is_in_pixel_units(digit_cnn):
    """An ImageClassifier standardises its pixels, so its network's 0 is the training mean (a grey image). "auto" is a
    black image in X's units, and a baseline given in pixels goes through the same standardisation: before, both
    were read in network units, and a digit's attributions summed to f(x) - f(grey) (0.35) for f(x) - f(black) (-0.57)."""
    imgs, clf = digit_cnn
    x = imgs[:4]

    def score(images: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return clf.network_.eval()(torch.as_tensor(clf._check_X(images)).float())[:, 3].numpy()

    gap = score(x) - score(np.zeros_like(x))  # from a black image, in pixels
    grey = score(x) - score(np.broadcast_to(clf.mean_[0], x.shape).astype(np.float32))
    assert np.abs(gap - grey).min() > 0.05  # the two references differ: the test can tell them apart
    for baseline in ("auto", 0.0, np.zeros((8, 8), np.float32), np.zeros_like(x)):
        a, delta = attribute(clf, x, target=3, baseline=baseline, n_steps=100, return_convergence_delta=True)
        np.testing.assert_allclose(a.reshape(4, -1).sum(1), gap, atol=0.02 + 2 * np.abs(delta).max())
    np.testing.assert_allclose(attribute(clf, x, target=3, baseline="zeros").reshape(4, -1).sum(1), grey, atol=0.05)  # network zeros
    np.testing.assert_allclose(feature_importance(clf, x, max_rows=None), feature_importance(clf, x, baseline=0.0, max_rows=None), atol=1e-6)


def _padded_frames() -> list[np.ndarray]:
    """40 sequences of 3-9 frames of 3 features, the odd ones shifted by 1 (two classes)."""
    rng = np.random.default_rng(0)
    return [rng.normal(size=(int(t), 3)) + i % 2 for i, t in enumerate(rng.integers(3, 10, size=40))]


@pytest.fixture(scope="module")
def padded_lstm():
    """40 sequences of 3-9 frames (NaN-padded to 9) and a SequenceClassifier with a step-by-step LSTM layer fitted on them."""
    seq = pytest.importorskip("hiddenlayers.apps._seq.sequence")
    frames = _padded_frames()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = seq.SequenceClassifier("lstm8:seq,lstm6,4", max_iter=3, early_stopping=False, random_state=0).fit(frames, np.tile([0, 1], 20))
    return frames, clf


def test_padded_sequences_get_zero_attribution_at_their_padding_and_complete_sums(padded_lstm):
    """A SequenceClassifier's short sequences are NaN-padded: the baseline takes each row's own padding (zero frames of
    its length, not of the longest) and the padding's attribution is 0. Before, attribute gave NaN there and a NaN delta
    (no completeness check), feature_importance NaN for 15 of 24 cells, and conductance started from a full-length zero
    sequence, missing f(x) - f(baseline) by over 100% on a padded row."""
    frames, clf = padded_lstm
    x = torch.as_tensor(hl.lens.as_target(clf).prepared(frames[:4])).float()
    pad = torch.isnan(x).numpy()
    assert pad.any()
    with torch.no_grad():
        net = clf.network_.eval()
        gap = (net(x)[:, 1] - net(torch.zeros_like(x).masked_fill(torch.isnan(x), float("nan")))[:, 1]).numpy()
    a, delta = attribute(clf, frames[:4], target=1, baseline="zeros", return_convergence_delta=True)  # the network input's zeros
    assert np.isfinite(a).all() and (a[pad] == 0).all()
    np.testing.assert_allclose(a.reshape(4, -1).sum(1), gap, atol=1e-4)
    np.testing.assert_allclose(delta, a.reshape(4, -1).sum(1) - gap, atol=1e-5)
    c, cdelta = layer_attribution(clf, frames[:4], "hidden1", target=1, return_convergence_delta=True)
    assert np.abs(cdelta).max() < 0.05 * np.abs(gap).max()
    n = neuron_attribution(clf, frames[:4], "hidden1", 2)
    assert np.isfinite(n).all() and (n[pad] == 0).all()
    assert np.isfinite(feature_importance(clf, frames[:10])).all()


def test_neuron_attribution_of_a_recurrent_unit_averages_only_the_real_steps(padded_lstm):
    """A recurrent unit is its output averaged over steps: over a padded row's real steps only, so each row's attributions
    equal those of its sequence attributed alone, unpadded. Before, the padded steps (0 after the end) counted in the mean,
    shrinking a short row's attributions (by 0.005 to 0.018 here, against 4e-9 now)."""
    frames, clf = padded_lstm
    rows = frames[:6]
    assert len({len(f) for f in rows}) > 2
    together = neuron_attribution(clf, rows, "hidden1", 2, baseline="zeros", n_steps=64)
    for i, f in enumerate(rows):
        alone = neuron_attribution(clf, [f], "hidden1", 2, baseline="zeros", n_steps=64)[0]
        np.testing.assert_allclose(together[i, :len(f)], alone, rtol=0, atol=1e-6)
        assert (together[i, len(f):] == 0).all()


def test_an_image_baseline_in_the_networks_own_shape_or_any_broadcastable_shape_is_read_in_pixels(digit_cnn):
    """``(1, 8, 8)`` is one (n, 8, 8) image and also the network's own layout of one image: it was read in network
    (standardised) units, so its zeros were the grey training mean. Every shape that broadcasts to X's is now in pixels."""
    imgs, clf = digit_cnn
    x = imgs[:4]
    light = np.full((8, 8), 0.25, np.float32)
    want = attribute(clf, x, target=3, baseline=light, n_steps=64)  # one pixel image, the shape read in pixels before too
    for baseline in (light[None], torch.as_tensor(light[None]), np.full((8,), 0.25), np.full((1, 1, 8), 0.25), np.broadcast_to(light, x.shape)):
        np.testing.assert_allclose(attribute(clf, x, target=3, baseline=baseline, n_steps=64), want, rtol=0, atol=1e-5)
    per_row = np.stack([np.full((8, 8), v, np.float32) for v in (0.0, 0.25, 0.5, 0.75)])[:, None]  # (4, 1, 8, 8): no broadcast to (4, 8, 8)
    with pytest.raises(ValueError, match=r"^baseline is read in X's units \(pixels, frames\) and must broadcast to X's shape \(4, 8, 8\): .* "
                                         r"Received shape \(4, 1, 8, 8\); pass e.g. np.zeros\(\(8, 8\)\)\.$"):
        attribute(clf, x, target=3, baseline=per_row)


def test_layer_conductance_of_padded_recurrent_layers_equals_each_sequence_alone():
    """Layer conductance of a padded batch's recurrent layers (a per-step ``:seq`` output and a last-state one): each row's
    conductances equal its sequence's attributed alone, unpadded, and the padded steps get none (checked after fixes17's
    neuron_attribution fix: the masked layers give the padding a constant 0, so no path share leaks into it)."""
    seq = pytest.importorskip("hiddenlayers.apps._seq.sequence")
    frames = _padded_frames()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = seq.SequenceClassifier("lstm8:seq:bidirectional,gru6", max_iter=3, early_stopping=False, random_state=0).fit(frames, np.tile([0, 1], 20))
    lengths = [len(f) for f in frames]
    rows = [frames[lengths.index(t)] for t in sorted(set(lengths))[:3]]  # three lengths: the longest pads the others
    for layer in ("hidden1", "hidden2"):  # the same n_steps both ways, so the paths' sums match whatever their count
        together = layer_attribution(clf, rows, layer, target=1, baseline="zeros", n_steps=16)
        for i, f in enumerate(rows):
            alone = layer_attribution(clf, [f], layer, target=1, baseline="zeros", n_steps=16)[0]
            real = together[i][: len(f)] if layer == "hidden1" else together[i]
            np.testing.assert_allclose(real, alone, rtol=0, atol=1e-6)
            if layer == "hidden1":
                assert together.shape[1:] == (max(map(len, rows)), alone.shape[-1]) and (together[i, len(f):] == 0).all()
