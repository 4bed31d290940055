"""``smooth=`` of layer_attribution and neuron_attribution: the layer and neuron methods inside Captum's ``NoiseTunnel``."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from captum import attr as ca
from torch import nn

from hiddenlayers.lens import layer_attribution, neuron_attribution
from hiddenlayers.lens._methods import LAYER_METHODS, NEURON_METHODS
from hiddenlayers.lens._smooth import SMOOTHINGS, noise_stdev


def _tunnel(obj, X, kind, n, stdev, seed, **kwargs):
    """NoiseTunnel called directly on Captum's layer or neuron object, as Captum documents it, after seeding torch's generator."""
    torch.manual_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DeepLift's notice of its hooks
        return ca.NoiseTunnel(obj).attribute(torch.from_numpy(X), nt_type=kind, nt_samples=n, stdevs=stdev, **kwargs).detach().numpy()


def _layer_object(method, net, layer, base):
    """Captum's layer class of ``method`` and its keyword arguments, written out here rather than taken from the lens."""
    if method == "conductance":
        return ca.LayerConductance(net, layer), {"baselines": base, "n_steps": 50}
    if method == "integrated_gradients":
        return ca.LayerIntegratedGradients(net, layer), {"baselines": base, "n_steps": 50}
    if method == "deeplift":
        return ca.LayerDeepLift(net, layer), {"baselines": base}
    return ca.LayerGradientXActivation(net, layer), {}


def _neuron_object(method, net, layer, base):
    if method == "integrated_gradients":
        return ca.NeuronIntegratedGradients(net, layer), {"baselines": base, "n_steps": 50}
    if method == "gradient":
        return ca.NeuronGradient(net, layer), {}
    if method == "deeplift":
        return ca.NeuronDeepLift(net, layer), {"baselines": base}
    return ca.NeuronFeatureAblation(net, layer), {"baselines": base}


def _mean_row(X):
    return torch.from_numpy(X.mean(0, keepdims=True)).expand(len(X), -1)  # the "auto" baseline of a table


@pytest.mark.parametrize("method", [m for m in LAYER_METHODS if m not in ("gradient_shap", "gradcam", "guided_gradcam")])  # Grad-CAM: below
def test_each_smoothed_layer_method_equals_noise_tunnel_called_directly(net_and_rows, method):
    net, X = net_and_rows
    obj, kwargs = _layer_object(method, net, net[1], _mean_row(X))
    want = _tunnel(obj, X, "smoothgrad", 3, 0.2, 5, target=2, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no Captum notice reaches the user
        got = layer_attribution(net, X, "1", target=2, method=method, smooth="SmoothGrad", n_samples=3, stdev=0.2, random_state=5)
    assert got.shape == (12, 8)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("method", [m for m in NEURON_METHODS if m != "gradient_shap"])
def test_each_smoothed_neuron_method_equals_noise_tunnel_called_directly(net_and_rows, method):
    net, X = net_and_rows
    obj, kwargs = _neuron_object(method, net, net[1], _mean_row(X))
    want = _tunnel(obj, X, "vargrad", 4, 0.3, 2, neuron_selector=3, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = neuron_attribution(net, X, "1", 3, method=method, smooth="vargrad", n_samples=4, stdev=0.3, random_state=2)
    assert got.shape == (12, 4)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", SMOOTHINGS)
def test_each_smoothing_of_conductance_with_the_default_noise(net_and_rows, kind):
    """Default n_samples (20) and stdev (15% of the network input's range), as attribute's smoothing takes them."""
    net, X = net_and_rows
    obj, kwargs = _layer_object("conductance", net, net[1], _mean_row(X))
    want = _tunnel(obj, X, kind, 20, noise_stdev(torch.from_numpy(X)), 0, target=0, **kwargs)
    np.testing.assert_allclose(layer_attribution(net, X, "1", target=0, smooth=kind), want, rtol=1e-5, atol=1e-6)


def test_no_noise_is_the_layer_or_neuron_method_itself(net_and_rows):
    net, X = net_and_rows
    np.testing.assert_allclose(layer_attribution(net, X, "1", target=1, smooth="smoothgrad", stdev=0, n_samples=2),
                               layer_attribution(net, X, "1", target=1), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(neuron_attribution(net, X, "1", 2, method="gradient", smooth="smoothgrad_sq", stdev=0.0, n_samples=2),
                               neuron_attribution(net, X, "1", 2, method="gradient") ** 2, rtol=1e-5, atol=1e-7)


def test_layer_and_neuron_noise_is_seeded_and_leaves_the_global_generators_alone(net_and_rows):
    net, X = net_and_rows
    np.random.seed(7)
    torch.manual_seed(7)
    before = (np.random.get_state()[1].copy(), torch.get_rng_state().clone())
    a = layer_attribution(net, X, "1", target=0, method="gradient_x_activation", smooth="smoothgrad", n_samples=4)
    b = neuron_attribution(net, X, "1", 0, method="gradient", smooth="smoothgrad", n_samples=4)
    assert np.array_equal(np.random.get_state()[1], before[0]) and torch.equal(torch.get_rng_state(), before[1])
    assert np.array_equal(a, layer_attribution(net, X, "1", target=0, method="gradient_x_activation", smooth="smoothgrad", n_samples=4))
    assert np.array_equal(b, neuron_attribution(net, X, "1", 0, method="gradient", smooth="smoothgrad", n_samples=4))
    assert not np.array_equal(a, layer_attribution(net, X, "1", target=0, method="gradient_x_activation", smooth="smoothgrad",
                                                   n_samples=4, random_state=1))


def test_smoothed_gradcam_equals_noise_tunnel_and_is_upsampled_after():
    torch.manual_seed(1)
    net = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(3 * 3 * 3, 2)).eval()
    X = np.random.default_rng(1).normal(size=(4, 1, 8, 8)).astype(np.float32)
    want = _tunnel(ca.LayerGradCam(net, net[2]), X, "smoothgrad_sq", 3, 0.5, 0, target=1)
    assert want.shape == (4, 1, 3, 3)
    got = layer_attribution(net, X, "2", target=1, method="gradcam", smooth="smoothgrad_sq", n_samples=3, stdev=0.5)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    up = ca.LayerAttribution.interpolate(torch.from_numpy(want), (8, 8), interpolate_mode="bilinear").numpy()
    got_up = layer_attribution(net, X, "2", target=1, method="gradcam", smooth="smoothgrad_sq", n_samples=3, stdev=0.5, upsample=True)
    np.testing.assert_allclose(got_up, up, rtol=1e-5, atol=1e-6)


def test_a_binary_classifiers_negative_class_keeps_the_sign_of_unsigned_smoothings(iris):
    """The negative class's attributions are the positive one's negated; squares and variances have no sign to negate."""
    from sklearn.exceptions import ConvergenceWarning

    from hiddenlayers import MLPClassifier

    X, y = iris
    keep = y != 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # five epochs: a model to attribute, not a good one
        clf = MLPClassifier(hidden_layer_sizes=(5,), max_iter=5, random_state=0).fit(X[keep], y[keep])
    rows = X[keep][:8]
    pos = layer_attribution(clf, rows, 1, target=1, smooth="smoothgrad", n_samples=3)
    np.testing.assert_allclose(layer_attribution(clf, rows, 1, target=0, smooth="smoothgrad", n_samples=3), -pos, rtol=1e-6, atol=1e-7)
    sq = layer_attribution(clf, rows, 1, target=1, smooth="smoothgrad_sq", n_samples=3)
    assert (sq >= 0).all()
    np.testing.assert_allclose(layer_attribution(clf, rows, 1, target=0, smooth="smoothgrad_sq", n_samples=3), sq, rtol=1e-6)


def test_combinations_that_make_no_sense_are_one_line(net_and_rows):
    net, X = net_and_rows
    shap = r"^method='gradient_shap' already averages over noisy copies with random baselines .*: drop smooth=, or smooth another method: "
    with pytest.raises(ValueError, match=shap + r"conductance, integrated_gradients, deeplift, gradient_x_activation, gradcam, guided_gradcam\.$"):
        layer_attribution(net, X, "1", target=0, method="gradient_shap", smooth="smoothgrad")
    with pytest.raises(ValueError, match=shap + r"integrated_gradients, gradient, deeplift, feature_ablation\.$"):
        neuron_attribution(net, X, "1", 0, method="gradient_shap", smooth="vargrad")
    with pytest.raises(ValueError, match=r"^smooth='smoothgrad' has no convergence delta"):
        layer_attribution(net, X, "1", target=0, smooth="smoothgrad", return_convergence_delta=True)
    with pytest.raises(ValueError, match=r"^n_samples=5 set the noise of smooth=, which is None: pass smooth='smoothgrad'"):
        layer_attribution(net, X, "1", target=0, n_samples=5)
    with pytest.raises(ValueError, match=r"^stdev=0\.1 set the noise of smooth=, which is None"):
        neuron_attribution(net, X, "1", 0, stdev=0.1)
    with pytest.raises(ValueError, match=r"^smooth must be one of smoothgrad, smoothgrad_sq, vargrad\. Received: smooth='smooth'\."):
        neuron_attribution(net, X, "1", 0, smooth="smooth")
    with pytest.raises(ValueError, match=r"^stdev must be a finite number >= 0"):
        layer_attribution(net, X, "1", target=0, smooth="smoothgrad", stdev=-0.5)


def test_smoothing_refuses_padded_sequences_in_one_line():
    """Noise on a missing step is no step: a padded batch is refused smoothed, for conductance too, which handles it alone."""
    seq = pytest.importorskip("hiddenlayers.apps._seq.sequence")
    rng = np.random.default_rng(0)
    frames = [rng.normal(size=(t, 2)) for t in (2, 3, 4, 2, 3, 4)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = seq.SequenceClassifier("gru4", max_iter=1, early_stopping=False, random_state=0).fit(frames, np.tile([0, 1], 3))
    layer_attribution(clf, frames, "hidden1", target=1, n_steps=32)  # conductance handles the padding unsmoothed
    with pytest.raises(ValueError, match=r"^method='conductance' with smooth='smoothgrad' cannot attribute padded sequences \(rows of several "
                                         r"lengths\); use method='conductance' or 'integrated_gradients' without smooth=, which gives each row "
                                         r"its own length\.$"):
        layer_attribution(clf, frames, "hidden1", target=1, smooth="smoothgrad")
    with pytest.raises(ValueError, match=r"^method='integrated_gradients' with smooth='vargrad' cannot attribute padded sequences"):
        neuron_attribution(clf, frames, "hidden1", 0, smooth="vargrad")
