"""``layer_attribution(..., method="gradcam")``: Captum's ``LayerGradCam`` on a convolutional layer, and its map upsampled."""

from __future__ import annotations

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
