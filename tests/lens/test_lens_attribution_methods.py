"""``method=`` of attribute and feature_importance: each equals Captum's class called directly on the same network."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from captum import attr as ca

from hiddenlayers.lens import attribute, feature_importance, layer_attribution, neuron_attribution
from hiddenlayers.lens._methods import LAYER_METHODS, METHODS, NEURON_METHODS, seeded


@pytest.fixture(scope="module")
def tensors(net_and_rows):
    """The rows as a tensor and their mean row broadcast to them: the default "auto" baseline of a table."""
    X = net_and_rows[1]
    return torch.from_numpy(X), torch.from_numpy(X.mean(0, keepdims=True)).expand(len(X), -1)


def _quiet(call):
    """Captum called directly, its notices (requires_grad set for you, DeepLift's hooks) silenced: the numbers to compare."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return call().detach().numpy()


def _direct(method, net, x, base, target, n_steps=50, seed=0):
    if method == "integrated_gradients":
        return ca.IntegratedGradients(net).attribute(x, baselines=base, target=target, n_steps=n_steps)
    if method == "saliency":
        return ca.Saliency(net).attribute(x.clone().requires_grad_(), target=target)
    if method == "input_x_gradient":
        return ca.InputXGradient(net).attribute(x.clone().requires_grad_(), target=target)
    if method == "deeplift":
        return ca.DeepLift(net).attribute(x.clone().requires_grad_(), baselines=base, target=target)
    if method == "feature_ablation":
        return ca.FeatureAblation(net).attribute(x, baselines=base, target=target)
    if method == "occlusion":  # a table's default window: one feature, stride 1
        return ca.Occlusion(net).attribute(x, sliding_window_shapes=(1,), strides=(1,), baselines=base, target=target)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return ca.GradientShap(net).attribute(x, baselines=x.clone(), target=target, n_samples=n_steps)


@pytest.mark.parametrize("method", METHODS)
def test_each_method_equals_captum_called_directly(net_and_rows, tensors, method):
    net, X = net_and_rows
    want = _quiet(lambda: _direct(method, net, *tensors, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no Captum notice reaches the user (requires_grad, DeepLift's hooks)
        got = attribute(net, X, target=1, method=method)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_the_default_is_integrated_gradients_bit_for_bit(net_and_rows):
    net, X = net_and_rows
    assert np.array_equal(attribute(net, X, target=2), attribute(net, X, target=2, method="integrated_gradients"))
    assert np.array_equal(feature_importance(net, X), feature_importance(net, X, method="Integrated-Gradients"))


@pytest.mark.parametrize(("method", "n_steps", "atol"), [("integrated_gradients", 1000, 2e-3), ("deeplift", 50, 1e-5)])
def test_complete_methods_sum_to_the_output_gap(net_and_rows, method, n_steps, atol):
    """Completeness: a row's attributions sum to f(x) - f(baseline); DeepLift's rescale rule exactly on a ReLU net,
    integrated gradients as the steps grow (ReLU's kinks cost it a little at any finite n_steps)."""
    net, X = net_and_rows
    base = X.mean(0)
    a, delta = attribute(net, X, target=0, method=method, baseline=base, n_steps=n_steps, return_convergence_delta=True)
    with torch.no_grad():
        gap = (net(torch.from_numpy(X)) - net(torch.from_numpy(base[None])))[:, 0].numpy()
    np.testing.assert_allclose(a.sum(1), gap, atol=atol)
    np.testing.assert_allclose(delta, a.sum(1) - gap, atol=1e-5)  # the delta returned is that miss


def test_gradient_shap_is_seeded_and_leaves_the_global_generators_alone(net_and_rows):
    net, X = net_and_rows
    np.random.seed(7)
    torch.manual_seed(7)
    before = (np.random.get_state()[1].copy(), torch.get_rng_state().clone())
    a = attribute(net, X, target=0, method="gradient_shap", n_steps=8)
    assert np.array_equal(np.random.get_state()[1], before[0]) and torch.equal(torch.get_rng_state(), before[1])
    assert np.array_equal(a, attribute(net, X, target=0, method="gradient_shap", n_steps=8))
    assert not np.array_equal(a, attribute(net, X, target=0, method="gradient_shap", n_steps=8, random_state=1))
    with seeded(3):
        first = np.random.rand()
    with seeded(3):
        assert np.random.rand() == first


def test_feature_importance_with_a_method_is_the_mean_absolute_attribution(net_and_rows):
    net, X = net_and_rows
    with torch.no_grad():
        tgt = net(torch.from_numpy(X)).argmax(1).tolist()
    want = ca.FeatureAblation(net).attribute(torch.from_numpy(X), baselines=torch.from_numpy(X.mean(0, keepdims=True)),
                                             target=tgt).abs().mean(0).numpy()
    np.testing.assert_allclose(feature_importance(net, X, method="feature_ablation", max_rows=None), want, rtol=1e-6)


def test_bad_method_and_delta_requests_are_one_line(net_and_rows):
    net, X = net_and_rows
    with pytest.raises(ValueError, match=r"^method must be one of integrated_gradients, saliency, .*Received: method='deeplfit'\. Did you mean 'deeplift'\?$"):
        attribute(net, X, target=0, method="deeplfit")
    with pytest.raises(ValueError, match=r"^method='saliency' has no convergence delta .*method='integrated_gradients' or 'deeplift'\.$"):
        attribute(net, X, target=0, method="saliency", return_convergence_delta=True)
    with pytest.raises(ValueError, match=r"^random_state must be an integer >= 0"):
        feature_importance(net, X, method="gradient_shap", random_state=-1)


def _direct_layer(method, net, layer, x, base, target):
    if method == "conductance":
        return ca.LayerConductance(net, layer).attribute(x, baselines=base, target=target, n_steps=50)
    if method == "integrated_gradients":
        return ca.LayerIntegratedGradients(net, layer).attribute(x, baselines=base, target=target, n_steps=50)
    if method == "deeplift":
        return ca.LayerDeepLift(net, layer).attribute(x.clone().requires_grad_(), baselines=base, target=target)
    if method == "gradient_x_activation":
        return ca.LayerGradientXActivation(net, layer).attribute(x, target=target)
    np.random.seed(0)
    torch.manual_seed(0)
    return ca.LayerGradientShap(net, layer).attribute(x, baselines=x.clone(), target=target, n_samples=50)


@pytest.mark.parametrize("method", [m for m in LAYER_METHODS if m not in ("gradcam", "guided_gradcam")])  # Grad-CAM: of a conv layer, test_lens_gradcam.py
def test_each_layer_method_equals_captum_called_directly(net_and_rows, tensors, method):
    net, X = net_and_rows
    want = _quiet(lambda: _direct_layer(method, net, net[1], *tensors, 2))
    got = layer_attribution(net, X, "1", target=2, method=method)
    assert got.shape == (12, 8)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def _direct_neuron(method, net, layer, x, base):
    if method == "integrated_gradients":
        return ca.NeuronIntegratedGradients(net, layer).attribute(x, neuron_selector=3, baselines=base, n_steps=50)
    if method == "gradient":
        return ca.NeuronGradient(net, layer).attribute(x.clone().requires_grad_(), neuron_selector=3)
    if method == "deeplift":
        return ca.NeuronDeepLift(net, layer).attribute(x.clone().requires_grad_(), neuron_selector=3, baselines=base)
    if method == "feature_ablation":
        return ca.NeuronFeatureAblation(net, layer).attribute(x, neuron_selector=3, baselines=base)
    np.random.seed(0)
    torch.manual_seed(0)
    return ca.NeuronGradientShap(net, layer).attribute(x, neuron_selector=3, baselines=x.clone(), n_samples=50)


@pytest.mark.parametrize("method", NEURON_METHODS)
def test_each_neuron_method_equals_captum_called_directly(net_and_rows, tensors, method):
    net, X = net_and_rows
    want = _quiet(lambda: _direct_neuron(method, net, net[1], *tensors))
    np.testing.assert_allclose(neuron_attribution(net, X, "1", 3, method=method), want, rtol=1e-5, atol=1e-6)


def test_layer_deeplift_is_complete_and_bad_layer_or_neuron_methods_are_one_line(net_and_rows):
    net, X = net_and_rows
    cond, delta = layer_attribution(net, X, "1", target=0, method="deeplift", return_convergence_delta=True)
    with torch.no_grad():
        gap = (net(torch.from_numpy(X)) - net(torch.from_numpy(X.mean(0, keepdims=True))))[:, 0].numpy()
    np.testing.assert_allclose(cond.sum(1), gap, atol=1e-5)
    with pytest.raises(ValueError, match=r"^layer_attribution's method must be one of conductance, .*Received: method='saliency'\.$"):
        layer_attribution(net, X, "1", target=0, method="saliency")
    with pytest.raises(ValueError, match=r"^method='gradient_x_activation' has no convergence delta"):
        layer_attribution(net, X, "1", target=0, method="gradient_x_activation", return_convergence_delta=True)
    with pytest.raises(ValueError, match=r"^neuron_attribution's method must be one of integrated_gradients, gradient, .*Did you mean 'gradient'\?$"):
        neuron_attribution(net, X, "1", 0, method="gradients")
