"""Grad-CAM (``layer_attribution(..., method="gradcam")``, Captum's ``LayerGradCam``), its map at the input's size, and Guided Grad-CAM.

Grad-CAM (Selvaraju et al. 2017) weighs each channel ``k`` of a convolutional layer's output ``A`` by the mean gradient
of the target output over the channel's positions, ``α_k = mean_ij ∂y/∂A_kij``, and sums: ``Σ_k α_k A_k``, one
``(h, w)`` map per row at the layer's own resolution, ``(n, 1, h, w)`` as Captum returns it. Captum's default is kept:
the map is signed (no ReLU): negative where the layer's evidence speaks against the target. The paper's map (and
pytorch-grad-cam's, before its min-max scaling) is its positive part, ``np.maximum(cam, 0)`` (Captum's ``relu_attributions=True``).

``upsample=True`` resizes the map to the input's height and width with Captum's ``LayerAttribution.interpolate``,
bilinear as pytorch-grad-cam resizes its maps (``"nearest"``, Captum's own default, keeps the layer's blocks visible;
``upsample="nearest"`` asks for it), so it can be laid over the image: ``(n, 1, H, W)``. Images only: a 1-D convolution's map ``(n, 1, l)`` is returned
at the layer's length (whether the input's steps are its axis 1 or 2 is the model's business).

Guided Grad-CAM (``method="guided_gradcam"``, Captum's ``GuidedGradCam``; Selvaraju et al. 2017, sec. 3.1) multiplies that
map's positive part, resized to the input by Captum's default ``"nearest"``, with guided backpropagation's gradient of the
target (a ReLU module passes back only positive gradients where its input was positive): an input-shaped map, ``(n, C, H, W)``,
fine-grained where Grad-CAM is coarse, and class-discriminative where guided backpropagation alone is not. Guided
backpropagation hooks ``nn.ReLU`` modules only (a ``torch.relu`` in ``forward`` passes its plain gradient). Its layer must
have as many position axes as the input (a 2-D conv layer of images ``(n, C, H, W)``; Captum returns an empty tensor
otherwise): refused in one line. Not linear in the output, so a binary classifier's negative class (``-z``) is
attributed on the network negated, not as the positive class's map negated.

Only a layer whose output has positions (``(n, C, h, w)`` or ``(n, C, l)``) has a Grad-CAM map; a dense layer's output
``(n, units)`` has none to average over, and its "Grad-CAM" would be each unit's gradient times its activation, which
is ``method="gradient_x_activation"``: refused in one line that says so, and, for a model with no convolution at all,
that points to occlusion (``attribute(..., method="occlusion")``) rather than to a conv layer it does not have.
"""

from __future__ import annotations

from typing import Any

import torch

#: what ``upsample`` takes besides True/False: Captum's ``interpolate_mode`` names for a 2-D map (True: bilinear)
UPSAMPLE_MODES = ("bilinear", "nearest", "bicubic")


def check_upsample(upsample: Any, method: str) -> str | None:
    """``upsample`` as an interpolation mode (True: ``"bilinear"``), or None for no resize; one line when it is neither, or
    when ``method`` is not Grad-CAM (the other layer methods attribute units, which have no positions to resize)."""
    if upsample is False or upsample is None:
        return None
    mode = "bilinear" if upsample is True else upsample.strip().lower() if isinstance(upsample, str) else None
    if mode not in UPSAMPLE_MODES:
        raise ValueError(f"upsample must be True, False or one of {', '.join(UPSAMPLE_MODES)}. Received: upsample={upsample!r}.")
    if method == "guided_gradcam":
        raise ValueError("upsample= resizes a Grad-CAM map to the input's size; method='guided_gradcam' already has the input's shape "
                         "(Captum resizes its Grad-CAM by nearest): drop upsample=, or pass method='gradcam' for the layer's map.")
    if method != "gradcam":
        raise ValueError(f"upsample= resizes a Grad-CAM map to the input's size; method={method!r} gives one number per unit: "
                         "drop upsample=, or pass method='gradcam'.")
    return mode


def check_conv_layer(module: torch.nn.Module, layer: torch.nn.Module, x: torch.Tensor, name: Any) -> tuple[int, ...]:
    """The shape of one row of ``layer``'s output, ``(C, h, w)`` or ``(C, l)``; a layer without positions is one line.

    ``module`` is run on ``x[:1]`` with a hook on ``layer``; ``name``: the layer as the caller named it.
    """
    from ._layer_output import layer_output_of_one_row
    from ._record import _kind

    first = layer_output_of_one_row(module, layer, x)
    if first is None:
        raise ValueError(f"layer {name!r} did not run on X (or gave no tensor): Grad-CAM needs a convolutional layer the model runs.")
    kind, shape, what = _kind(layer, first), tuple(first.shape[1:]), f"layer {name!r} ({type(layer).__name__})"
    head = "Grad-CAM needs a convolutional layer, whose output (n, C, h, w) has positions to average its gradients over; "
    if first.ndim <= 2:
        # "or a conv layer" only where the model has one: a dense network's refusal sent its user looking for a layer it lacks
        other = ("or a conv layer." if _has_conv(module) else "or, for where in the input the output looks, attribute(..., "
                 "method='occlusion'): this model has no convolutional layer, so no layer of it has a Grad-CAM map.")
        raise ValueError(f"{head}{what} has none, output {shape} per row: its Grad-CAM would be one number per unit, "
                         f"gradient x activation: pass method='gradient_x_activation' (or 'conductance'), {other}")
    if kind != "conv" or first.ndim not in (3, 4):
        # a sequence network's layer (a recurrent layer's steps, a SequenceClassifier's 1-D convolution) gives (n, T, units):
        # steps first, units last, where Captum's LayerGradCam averages over every axis after axis 1 (it would average the units)
        raise ValueError(f"{head}{what} gives {shape} per row, steps first and units last, where Grad-CAM reads channels first: it "
                         "would average over the units, not the steps. For where in the sequence the output looks, pass "
                         "method='gradient_x_activation' (each step and unit), or use attribute(..., method='occlusion').")
    return shape


def check_input_positions(shape: tuple[int, ...], x: torch.Tensor, name: Any) -> None:
    """Guided Grad-CAM lays the layer's map (one row's output ``shape``, ``(C, h, w)`` or ``(C, l)``) over the input ``x``
    ``(n, C, H, W)`` or ``(n, C, L)``: they need as many position axes, else one line (Captum returns an empty tensor)."""
    if x.ndim != len(shape) + 1:
        raise ValueError(f"method='guided_gradcam' lays layer {name!r}'s map, {shape} per row, over the input, {tuple(x.shape[1:])} per "
                         f"row, which needs as many position axes ({len(shape) - 1}): the model reshapes its input on the way. Pass "
                         "method='gradcam' for the layer's map alone, or attribute(..., method='saliency') for the input's.")


class Negated(torch.nn.Module):
    """``-module(x)``: the output a binary classifier's negative class reads (``-z``), for a method not linear in the output
    (Guided Grad-CAM), whose map of ``-z`` is not the map of ``z`` negated. ``module`` stays a submodule, so its layers and
    ReLU modules are the ones Captum hooks."""

    def __init__(self, module: torch.nn.Module) -> None:
        super().__init__()
        self.module = module

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return -self.module(*args, **kwargs)


def _has_conv(module: torch.nn.Module) -> bool:
    """Whether ``module`` holds a convolution, 1-, 2- or 3-D, transposed included (the lazy ones subclass these)."""
    nn = torch.nn
    kinds = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
    return any(isinstance(m, kinds) for m in module.modules())


def upsampled(cam: torch.Tensor, x: torch.Tensor, mode: str) -> torch.Tensor:
    """``cam`` ``(n, 1, h, w)`` resized to the images ``x``'s ``(n, C, H, W)`` height and width, ``(n, 1, H, W)``, by Captum's
    ``LayerAttribution.interpolate`` in ``mode``; one line when the map or the input is no image."""
    from captum.attr import LayerAttribution

    if cam.ndim != 4 or x.ndim != 4:
        raise ValueError(f"upsample= resizes a 2-D Grad-CAM map to the input image's height and width; here the map is "
                         f"{tuple(cam.shape[1:])} and the input {tuple(x.shape[1:])} per row: drop upsample=.")
    return LayerAttribution.interpolate(cam, tuple(x.shape[2:]), interpolate_mode=mode)


__all__ = ["UPSAMPLE_MODES", "Negated", "check_conv_layer", "check_input_positions", "check_upsample", "upsampled"]
