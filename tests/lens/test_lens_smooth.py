"""``smooth=`` of attribute and feature_importance: the input methods inside Captum's ``NoiseTunnel`` (SmoothGrad, SmoothGrad², VarGrad)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from captum import attr as ca

from hiddenlayers.lens import attribute, feature_importance
from hiddenlayers.lens._smooth import SMOOTHINGS, noise_stdev


def _tunnel(method, net, X, kind, n, stdev, seed=0, **kwargs):
    """NoiseTunnel called directly, as Captum documents it, after seeding torch's generator (its noise is torch.normal's)."""
    torch.manual_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DeepLift's notice of its hooks
        return ca.NoiseTunnel(method(net)).attribute(torch.from_numpy(X), nt_type=kind, nt_samples=n, stdevs=stdev, **kwargs).detach().numpy()


@pytest.mark.parametrize("kind", SMOOTHINGS)
def test_each_smoothing_of_saliency_equals_noise_tunnel_called_directly(net_and_rows, kind):
    net, X = net_and_rows
    want = _tunnel(ca.Saliency, net, X, kind, 7, 0.3, target=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no Captum notice reaches the user
        got = attribute(net, X, target=2, method="saliency", smooth=kind, n_samples=7, stdev=0.3)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("method", "cls", "extra"), [
    ("integrated_gradients", ca.IntegratedGradients, {"n_steps": 50}),
    ("input_x_gradient", ca.InputXGradient, {}),
    ("deeplift", ca.DeepLift, {}),
    ("feature_ablation", ca.FeatureAblation, {}),
    ("occlusion", ca.Occlusion, {"sliding_window_shapes": (1,), "strides": (1,)}),
])
def test_smoothgrad_of_each_method_equals_noise_tunnel_called_directly(net_and_rows, method, cls, extra):
    net, X = net_and_rows
    base = {} if method == "input_x_gradient" else {"baselines": torch.from_numpy(X.mean(0, keepdims=True)).expand(len(X), -1)}
    want = _tunnel(cls, net, X, "smoothgrad", 3, 0.2, seed=5, target=0, **base, **extra)
    got = attribute(net, X, target=0, method=method, smooth="SmoothGrad", n_samples=3, stdev=0.2, random_state=5)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_no_noise_is_the_method_itself(net_and_rows):
    """stdev=0: every noisy copy is the row, so SmoothGrad of saliency is saliency, and of integrated gradients IG."""
    net, X = net_and_rows
    np.testing.assert_allclose(attribute(net, X, target=1, method="saliency", smooth="smoothgrad", stdev=0.0, n_samples=3),
                               attribute(net, X, target=1, method="saliency"), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(attribute(net, X, target=1, smooth="smoothgrad", stdev=0, n_samples=2), attribute(net, X, target=1),
                               rtol=1e-5, atol=1e-6)
    sq = attribute(net, X, target=1, method="saliency", smooth="smoothgrad_sq", stdev=0.0, n_samples=2)
    np.testing.assert_allclose(sq, attribute(net, X, target=1, method="saliency") ** 2, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(attribute(net, X, target=1, method="saliency", smooth="vargrad", stdev=0.0, n_samples=2), 0.0, atol=1e-6)


def test_noise_is_seeded_and_leaves_the_global_generators_alone(net_and_rows):
    net, X = net_and_rows
    np.random.seed(7)
    torch.manual_seed(7)
    before = (np.random.get_state()[1].copy(), torch.get_rng_state().clone())
    a = attribute(net, X, target=0, method="saliency", smooth="smoothgrad", n_samples=4)
    assert np.array_equal(np.random.get_state()[1], before[0]) and torch.equal(torch.get_rng_state(), before[1])
    assert np.array_equal(a, attribute(net, X, target=0, method="saliency", smooth="smoothgrad", n_samples=4))
    assert not np.array_equal(a, attribute(net, X, target=0, method="saliency", smooth="smoothgrad", n_samples=4, random_state=1))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_the_cuda_generators_are_left_as_they_were_too(net_and_rows):
    """torch.manual_seed seeds every CUDA device: the lens's seeding saves and restores their states as well as the CPU's."""
    net, X = net_and_rows
    torch.cuda.manual_seed_all(11)
    before = torch.cuda.get_rng_state_all()
    dev = net.to("cuda")
    try:
        attribute(dev, X, target=0, method="saliency", smooth="smoothgrad", n_samples=3)
    finally:
        net.to("cpu")
    assert all(torch.equal(a, b) for a, b in zip(torch.cuda.get_rng_state_all(), before, strict=True))


def test_the_default_stdev_is_15_percent_of_the_network_inputs_range(net_and_rows):
    net, X = net_and_rows
    assert noise_stdev(torch.from_numpy(X)) == pytest.approx(0.15 * float(X.max() - X.min()))
    np.testing.assert_array_equal(attribute(net, X, target=0, method="saliency", smooth="vargrad", n_samples=3),
                                  attribute(net, X, target=0, method="saliency", smooth="vargrad", n_samples=3,
                                            stdev=noise_stdev(torch.from_numpy(X))))
    with_default = attribute(net, X, target=0, method="saliency", smooth="smoothgrad")  # 20 copies by default
    np.testing.assert_allclose(with_default, _tunnel(ca.Saliency, net, X, "smoothgrad", 20, noise_stdev(torch.from_numpy(X)), target=0),
                               rtol=1e-5, atol=1e-6)


def test_stdev_is_in_the_network_inputs_units_not_the_pixels():
    """An ImageClassifier standardises its pixels (0..255): stdev=0.5 is half a standard deviation of the network's input,
    the noise Captum adds to the rows it sees, not half a grey level."""
    import hiddenlayers as hl
    from hiddenlayers.apps import ImageClassifier

    rng = np.random.default_rng(0)
    X, y = rng.integers(0, 256, (10, 6, 6), dtype=np.uint8), np.repeat(["a", "b"], 5)
    clf = ImageClassifier("conv2k3,4", max_iter=1, early_stopping=False, random_state=0, device="cpu").fit(X, y)
    target = hl.lens.as_target(clf)
    xp = np.asarray(target.prepared(X), dtype=np.float32)
    assert xp.std() < 5  # standardised, not pixels
    target.module.eval()
    want = _tunnel(ca.Saliency, target.module, xp, "smoothgrad", 4, 0.5, target=1)
    np.testing.assert_allclose(attribute(clf, X, target="b", method="saliency", smooth="smoothgrad", n_samples=4, stdev=0.5), want,
                               rtol=1e-5, atol=1e-6)


def test_feature_importance_smoothed_is_the_mean_absolute_smoothed_attribution(net_and_rows):
    net, X = net_and_rows
    with torch.no_grad():
        tgt = net(torch.from_numpy(X)).argmax(1).tolist()
    want = np.abs(_tunnel(ca.Saliency, net, X, "smoothgrad_sq", 3, 0.1, target=tgt)).mean(0)
    got = feature_importance(net, X, method="saliency", smooth="smoothgrad_sq", n_samples=3, stdev=0.1, max_rows=None)
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_combinations_that_make_no_sense_are_one_line(net_and_rows):
    net, X = net_and_rows
    cases = [
        (dict(smooth="smothgrad"), r"^smooth must be one of smoothgrad, smoothgrad_sq, vargrad\. Received: smooth='smothgrad'\. Did you mean 'smoothgrad'\?$"),
        (dict(smooth="smoothgrad", return_convergence_delta=True), r"^smooth='smoothgrad' has no convergence delta \(each noisy copy has its own "
                                                                   r"f\(x \+ noise\) - f\(baseline\)\): pass return_convergence_delta=False"),
        (dict(smooth="vargrad", method="gradient_shap"), r"^method='gradient_shap' already averages over noisy copies"),
        (dict(stdev=0.1), r"^stdev=0\.1 set the noise of smooth=, which is None: pass smooth='smoothgrad' \(or 'smoothgrad_sq', 'vargrad'\), or drop stdev=\.$"),
        (dict(n_samples=5, stdev=0.1), r"^n_samples=5 and stdev=0\.1 set the noise of smooth="),
        (dict(smooth="smoothgrad", n_samples=0), r"^n_samples must be an integer >= 1 \(noisy copies of each row\)\. Received: n_samples=0\.$"),
        (dict(smooth="smoothgrad", stdev=-1.0), r"^stdev must be a finite number >= 0, in the network input's units"),
        (dict(smooth="smoothgrad", stdev=float("nan")), r"^stdev must be a finite number >= 0"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValueError, match=message):
            attribute(net, X, target=0, **kwargs)


def test_smoothing_refuses_padded_sequences_in_one_line():
    from hiddenlayers.lens._methods import Options, check_padding
    from hiddenlayers.lens._smooth import Smoothing

    x = torch.tensor([[[1.0], [float("nan")]]])
    check_padding("integrated_gradients", x)  # integrated gradients alone handles padding
    with pytest.raises(ValueError, match=r"^method='integrated_gradients' with smooth='smoothgrad' cannot attribute padded sequences"):
        check_padding("integrated_gradients", x, Options(smooth=Smoothing("smoothgrad", 2, None)).smooth)
