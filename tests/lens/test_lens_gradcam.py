"""``layer_attribution(..., method="gradcam")``: Captum's ``LayerGradCam`` on a convolutional layer, and its map upsampled."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from captum import attr as ca
from torch import nn

from hiddenlayers.lens import layer_attribution


@pytest.fixture(scope="module")
def cnn():
    """conv -> ReLU -> global average pool -> linear: a CAM network, whose Grad-CAM is known in closed form."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3)).eval()
    X = np.random.default_rng(0).normal(size=(5, 1, 6, 6)).astype(np.float32)
    return net, X


def test_gradcam_equals_captum_called_directly(cnn):
    net, X = cnn
    want = ca.LayerGradCam(net, net[0]).attribute(torch.from_numpy(X), target=2).detach().numpy()
    got = layer_attribution(net, X, "0", target=2, method="gradcam")
    assert got.shape == (5, 1, 6, 6)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_gradcam_of_a_cam_network_is_the_class_weights_times_the_maps(cnn):
    """With y = w · mean_ij(A) + b, dy/dA_kij = w_k / (h w): Grad-CAM of the ReLU's output is Σ_k w_k A_k / (h w), the
    class activation map (Zhou et al. 2016) scaled, signed as Captum leaves it."""
    net, X = cnn
    with torch.no_grad():
        A = net[1](net[0](torch.from_numpy(X))).numpy()  # (n, 4, 6, 6)
    w = net[4].weight.detach().numpy()[1]
    want = np.einsum("k,nkij->nij", w, A)[:, None] / 36
    np.testing.assert_allclose(layer_attribution(net, X, "1", target=1, method="gradcam"), want, rtol=1e-4, atol=1e-6)


def test_upsample_resizes_the_map_to_the_images_height_and_width():
    torch.manual_seed(1)
    net = nn.Sequential(nn.Conv2d(2, 3, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(3 * 3 * 3, 2)).eval()
    X = np.random.default_rng(1).normal(size=(4, 2, 8, 8)).astype(np.float32)
    cam = ca.LayerGradCam(net, net[2]).attribute(torch.from_numpy(X), target=0).detach()
    assert cam.shape == (4, 1, 3, 3)
    for upsample, mode in ((True, "bilinear"), ("nearest", "nearest"), ("Bicubic", "bicubic")):
        want = ca.LayerAttribution.interpolate(cam, (8, 8), interpolate_mode=mode).numpy()
        got = layer_attribution(net, X, "2", target=0, method="gradcam", upsample=upsample)
        assert got.shape == (4, 1, 8, 8)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer_attribution(net, X, "2", target=0, method="gradcam", upsample=False), cam.numpy(), rtol=1e-6)


def test_gradcam_of_a_dense_layer_and_misused_upsample_are_one_line(cnn):
    net, X = cnn
    with pytest.raises(ValueError, match=r"^Grad-CAM needs a convolutional layer, whose output \(n, C, h, w\) has positions to average its "
                                         r"gradients over; layer '4' \(Linear\) has none, output \(3,\) per row: its Grad-CAM would be one number per "
                                         r"unit, gradient x activation: pass method='gradient_x_activation' \(or 'conductance'\), or a conv layer\.$"):
        layer_attribution(net, X, "4", target=0, method="gradcam")
    with pytest.raises(ValueError, match=r"^upsample= resizes a Grad-CAM map to the input's size; method='conductance' gives one number per "
                                         r"unit: drop upsample=, or pass method='gradcam'\.$"):
        layer_attribution(net, X, "0", target=0, upsample=True)
    with pytest.raises(ValueError, match=r"^upsample must be True, False or one of bilinear, nearest, bicubic\. Received: upsample='area'\.$"):
        layer_attribution(net, X, "0", target=0, method="gradcam", upsample="area")
    with pytest.raises(ValueError, match=r"^method='gradcam' has no convergence delta"):
        layer_attribution(net, X, "0", target=0, method="gradcam", return_convergence_delta=True)
    with pytest.raises(ValueError, match=r"Did you mean 'gradcam'\?$"):
        layer_attribution(net, X, "0", target=0, method="grad-cam")


def test_gradcam_of_a_model_without_any_conv_layer_points_to_what_it_can_use():
    """A dense network's Grad-CAM refusal still ended "or a conv layer", a layer the model does not have: it names the
    methods that apply (gradient x activation for a layer's units, occlusion for the input) and says why no layer will do."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 2)).eval()
    X = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    for layer, shape in (("0", "(6,)"), ("1", "(6,)"), ("2", "(2,)")):
        with pytest.raises(ValueError) as caught:
            layer_attribution(net, X, layer, target=0, method="gradcam")
        said = str(caught.value)
        assert said.endswith(f"has none, output {shape} per row: its Grad-CAM would be one number per unit, gradient x activation: pass "
                             "method='gradient_x_activation' (or 'conductance'), or, for where in the input the output looks, "
                             "attribute(..., method='occlusion'): this model has no convolutional layer, so no layer of it has a "
                             "Grad-CAM map."), said
        assert "or a conv layer" not in said


def test_gradcam_of_an_image_classifier_reads_its_class_labels_and_pixels():
    """An ImageClassifier file's layer by name, the target by class label, its (n, H, W) pixels standardised as it reads them."""
    import hiddenlayers as hl
    from hiddenlayers.apps import ImageClassifier

    rng = np.random.default_rng(0)
    X, y = rng.integers(0, 256, (12, 6, 6), dtype=np.uint8), np.repeat(["a", "b"], 6)
    clf = ImageClassifier("conv2k3,4", max_iter=1, early_stopping=False, random_state=0, device="cpu").fit(X, y)
    target = hl.lens.as_target(clf)
    layer = next(iter(hl.lens.select_layers(target.module, "hidden1").values()))
    xp = torch.as_tensor(np.asarray(target.prepared(X)), dtype=torch.float32)
    want = ca.LayerGradCam(target.module, layer).attribute(xp, target=1).detach().numpy()
    got = hl.lens.layer_attribution(clf, X, "hidden1", target="b", method="gradcam", upsample=True)
    np.testing.assert_allclose(got, ca.LayerAttribution.interpolate(torch.from_numpy(want), (6, 6), "bilinear").numpy(), rtol=1e-5, atol=1e-6)


def test_gradcam_of_a_sequence_networks_layers_says_what_they_are():
    """A SequenceClassifier's 1-D convolution (MaskedConv, output (n, T, C)) was called 'recurrent' and its Grad-CAM 'one number
    per unit'; its LSTM's last state (n, units) was called 'dense'. Each is named by its class, and the steps-first layer's
    line says why Grad-CAM does not fit it and what does."""
    from hiddenlayers.apps import SequenceClassifier

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(16, 10, 3)).astype(np.float32), np.repeat([0, 1], 8)
    clf = SequenceClassifier("conv4k3,lstm5", max_iter=1, early_stopping=False, random_state=0, device="cpu").fit(X, y)
    with pytest.raises(ValueError, match=r"layer 'hidden1' \(MaskedConv\) gives \(8, 4\) per row, steps first and units last, where "
                                         r"Grad-CAM reads channels first: it would average over the units, not the steps\. .*'occlusion'\)\.$"):
        layer_attribution(clf, X, "hidden1", target=1, method="gradcam")
    with pytest.raises(ValueError, match=r"layer 'hidden2' \(PackedRecurrent\) has none, output \(5,\) per row"):
        layer_attribution(clf, X, "hidden2", target=1, method="gradcam")


# ---------------------------------------------- Guided Grad-CAM (Captum's GuidedGradCam): an input-shaped map from a conv layer
def test_guided_gradcam_equals_captum_called_directly_in_the_inputs_shape(cnn):
    net, X = cnn
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # guided backpropagation's notice of its ReLU hooks
        want = ca.GuidedGradCam(net, net[0]).attribute(torch.from_numpy(X), target=2).detach().numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no Captum notice reaches the user
        got = layer_attribution(net, X, "0", target=2, method="guided_gradcam")
    assert got.shape == X.shape and np.abs(got).max() > 0
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)


def test_guided_gradcam_is_grad_cams_positive_part_resized_times_guided_backprop():
    """The definition (Selvaraju et al. 2017, sec. 3.1), from Captum's parts: LayerGradCam's ReLU'd map resized to the image
    by nearest, times GuidedBackprop's gradient; a layer at half the image's resolution shows the resize."""
    torch.manual_seed(2)
    net = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(3 * 4 * 4, 2)).eval()
    X = np.random.default_rng(2).normal(size=(3, 1, 8, 8)).astype(np.float32)
    x = torch.from_numpy(X)
    cam = ca.LayerGradCam(net, net[2]).attribute(x, target=1, relu_attributions=True).detach()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        guided = ca.GuidedBackprop(net).attribute(x, target=1).detach()
    want = (guided * ca.LayerAttribution.interpolate(cam, (8, 8), interpolate_mode="nearest")).numpy()
    np.testing.assert_allclose(layer_attribution(net, X, "2", target=1, method="guided_gradcam"), want, rtol=1e-5, atol=1e-7)


class _Negative(nn.Module):
    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return -self.net(x)


def test_a_binary_classifiers_negative_class_gets_the_guided_gradcam_of_its_own_logit():
    """One logit z for classes_[1]; classes_[0] reads -z. Guided Grad-CAM is not linear in the output (a ReLU'd map,
    ReLU'd gradients), so its map of -z is computed on -z, not the map of z negated (as Grad-CAM's may be)."""

    class Binary:  # a fitted binary classifier as the lens reads it: network_ with one output, two classes
        classes_ = np.array(["no", "yes"])

        def __init__(self, net: nn.Module) -> None:
            self.network_ = net

    torch.manual_seed(3)
    net = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 5 * 5, 1)).eval()
    X = np.random.default_rng(3).normal(size=(4, 1, 5, 5)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want_no = ca.GuidedGradCam(_Negative(net), net[0]).attribute(torch.from_numpy(X), target=0).detach().numpy()
        want_yes = ca.GuidedGradCam(net, net[0]).attribute(torch.from_numpy(X), target=0).detach().numpy()
    model = Binary(net)
    no = layer_attribution(model, X, "0", target="no", method="guided_gradcam")
    np.testing.assert_allclose(no, want_no, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(layer_attribution(model, X, "0", target="yes", method="guided_gradcam"), want_yes, rtol=1e-5, atol=1e-7)
    assert not np.allclose(no, -want_yes, atol=1e-6)  # what negating the positive class's map would have given
    np.testing.assert_allclose(layer_attribution(model, X, "0", target="no", method="gradcam"),
                               -layer_attribution(model, X, "0", target="yes", method="gradcam"), rtol=1e-6)


def test_smoothed_guided_gradcam_equals_noise_tunnel_called_directly(cnn):
    net, X = cnn
    torch.manual_seed(4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = ca.NoiseTunnel(ca.GuidedGradCam(net, net[0])).attribute(torch.from_numpy(X), nt_type="smoothgrad", nt_samples=3,
                                                                       stdevs=0.2, target=0).detach().numpy()
    got = layer_attribution(net, X, "0", target=0, method="guided_gradcam", smooth="smoothgrad", n_samples=3, stdev=0.2, random_state=4)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)


def test_guided_gradcam_of_a_dense_layer_a_reshaped_input_or_with_upsample_is_one_line(cnn):
    net, X = cnn
    with pytest.raises(ValueError, match=r"^Grad-CAM needs a convolutional layer, whose output \(n, C, h, w\) has positions .* layer '4' \(Linear\) "
                                         r"has none, output \(3,\) per row: .*pass method='gradient_x_activation' \(or 'conductance'\), or a conv layer\.$"):
        layer_attribution(net, X, "4", target=0, method="guided_gradcam")
    with pytest.raises(ValueError, match=r"^upsample= resizes a Grad-CAM map to the input's size; method='guided_gradcam' already has the "
                                         r"input's shape \(Captum resizes its Grad-CAM by nearest\): drop upsample=, or pass method='gradcam'"):
        layer_attribution(net, X, "0", target=0, method="guided_gradcam", upsample=True)
    torch.manual_seed(0)
    flat = nn.Sequential(nn.Unflatten(1, (1, 6, 6)), nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 4 * 4, 3)).eval()
    rows = X.reshape(len(X), 36)
    layer_attribution(flat, rows, "1", target=0, method="gradcam")  # the layer's own map is fine
    with pytest.raises(ValueError, match=r"^method='guided_gradcam' lays layer '1''s map, \(2, 4, 4\) per row, over the input, \(36,\) per row, "
                                         r"which needs as many position axes \(2\): the model reshapes its input on the way\. Pass method='gradcam' "
                                         r"for the layer's map alone, or attribute\(\.\.\., method='saliency'\) for the input's\.$"):
        layer_attribution(flat, rows, "1", target=0, method="guided_gradcam")
