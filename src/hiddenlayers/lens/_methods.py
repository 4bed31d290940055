"""The attribution methods :func:`~hiddenlayers.lens.attribute` and :func:`~hiddenlayers.lens.feature_importance` offer (``method=``).

Each is Captum's class of that name, called on the network as Captum's own documentation calls it; the lens
adds only the input checks, the baseline (:mod:`._attribution`) and the output index. When to use which:

- ``"integrated_gradients"`` (the default): path integral of gradients from the baseline; complete (a row's
  attributions sum to ``f(x) - f(baseline)``); the reference choice, ``n_steps`` forward/backward passes.
- ``"saliency"``: ``|∂f/∂x|`` at the row (Captum's ``abs=True``): one backward pass, a quick look at where the
  output is sensitive, not how much each input contributed; no baseline, no sign.
- ``"input_x_gradient"``: ``x ⊙ ∂f/∂x``: one pass; integrated gradients from zeros for a linear model, a rough
  first-order share elsewhere; no baseline (zero in network units is its reference).
- ``"deeplift"``: DeepLift's rescale rule from the baseline: complete like integrated gradients, in one pass;
  needs the nonlinearities as modules (``nn.ReLU()``, not ``torch.relu`` in ``forward``).
- ``"gradient_shap"``: expected gradients with baselines drawn from the data's rows (seeded by ``random_state``,
  ``n_steps`` samples per row): SHAP values when no one baseline is the natural "absent" input.
- ``"feature_ablation"``: each input replaced by the baseline in turn, the output's change: model-agnostic, one
  pass per feature; for tables it is occlusion with a one-feature window.
- ``"occlusion"``: a sliding window (``window=``, ``stride=``: :mod:`._occlusion`) of each image or sequence replaced
  by the baseline, the output's change shared by the window's elements (averaged where windows overlap): model-agnostic,
  one pass per window position; what a patch of pixels or a run of steps carries, where one pixel alone carries
  little. For a table its default one-feature window is feature ablation, the same numbers.

Any of them but GradientSHAP (which already averages over random draws) may run inside Captum's ``NoiseTunnel``
(``smooth=``: SmoothGrad, SmoothGrad², VarGrad: :mod:`._smooth`), and so may the layer and neuron methods below but theirs.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import torch

from ._captum_calls import one_of, quiet_hooks, seeded

METHODS = ("integrated_gradients", "saliency", "input_x_gradient", "deeplift", "gradient_shap", "feature_ablation", "occlusion")
"""The names ``method=`` takes (``-`` for ``_`` accepted, any case); ``"integrated_gradients"`` is the default."""

#: the methods whose attributions sum to f(x) - f(baseline), for which Captum gives a convergence delta
COMPLETE = ("integrated_gradients", "deeplift")
#: the methods that read no baseline (their reference is fixed: none, or the network input's zeros)
NO_BASELINE = ("saliency", "input_x_gradient")
#: each method's words in a chart or a warning
LABELS = {"integrated_gradients": "integrated gradients", "saliency": "saliency", "input_x_gradient": "input x gradient",
          "deeplift": "DeepLift", "gradient_shap": "GradientSHAP", "feature_ablation": "feature ablation",
          "occlusion": "occlusion"}


def check_method(method: Any) -> str:
    """``method`` as one of :data:`METHODS`; anything else is one line listing them (and the closest one)."""
    return one_of(method, METHODS, "method")


def check_padding(method: str, x: torch.Tensor, smooth: Any = None, works: str = "method='integrated_gradients'") -> None:
    """Padded sequences (NaN steps) are handled by integrated gradients only, unsmoothed (noise on a missing step is no
    step); the others are refused in one line naming ``works``, the methods that handle them (layer conductance too,
    whose caller skips this check for it unsmoothed)."""
    if (method != "integrated_gradients" or smooth is not None) and x.is_floating_point() and bool(torch.isnan(x).any()):
        with_noise = " with smooth=" + repr(smooth.kind) if smooth is not None else ""
        raise ValueError(f"method={method!r}{with_noise} cannot attribute padded sequences (rows of several lengths); "
                         f"use {works} without smooth=, which gives each row its own length.")


class Options(NamedTuple):
    """The arguments of an input method beyond the baseline and target, checked by :func:`check_options`: occlusion's
    ``window`` and ``stride`` as given (resolved against the rows' shape by :func:`run_method`) and the noise tunnel."""

    window: Any = None
    stride: Any = None
    smooth: Any = None  # a _smooth.Smoothing, or None


def check_options(method: str, window: Any, stride: Any, smooth: Any, n_samples: Any, stdev: Any, return_delta: bool) -> Options:
    """``window``/``stride`` (occlusion's only: one line for another method) and ``smooth``/``n_samples``/``stdev``
    (:func:`~._smooth.check_smoothing`) of :func:`~hiddenlayers.lens.attribute` for ``method``, before any work."""
    from ._smooth import check_smoothing

    given = [name for name, v in (("window", window), ("stride", stride)) if v is not None]
    if given and method != "occlusion":
        raise ValueError(f"{' and '.join(given)}= set occlusion's sliding window; method={method!r} has none: pass method='occlusion', "
                         f"or drop {given[0]}=.")
    return Options(window, stride, check_smoothing(smooth, n_samples, stdev, method, return_delta, METHODS))


def check_method_smooth(method: Any, smooth: Any) -> str:
    """``method`` checked (:func:`check_method`), and ``smooth`` (None or a noise tunnel) for it: the report's pair, before any work."""
    name = check_method(method)
    check_options(name, None, None, smooth, None, None, False)
    return name


def captum_call(method: str, module: torch.nn.Module, base: torch.Tensor, target: Any, n_steps: int,
                window: tuple[tuple[int, ...], tuple[int, ...]] | None = None) -> tuple[Any, dict[str, Any]]:
    """Captum's attribution object of ``method`` on ``module`` and the keyword arguments of its ``attribute`` call, as
    Captum documents them: ``(IntegratedGradients(module), {"baselines": ..., "target": ..., "n_steps": ...})``.

    ``base``, ``target``, ``n_steps``: as :func:`run_method` reads them (GradientSHAP's baselines are the rows themselves:
    :func:`run_method` adds them); ``window``: occlusion's ``(sliding_window_shapes, strides)`` (:mod:`._occlusion`).
    """
    from captum import attr as ca

    if method == "integrated_gradients":
        return ca.IntegratedGradients(module), {"baselines": base, "target": target, "n_steps": n_steps}
    if method == "saliency":
        return ca.Saliency(module), {"target": target}
    if method == "input_x_gradient":
        return ca.InputXGradient(module), {"target": target}
    if method == "deeplift":
        return ca.DeepLift(module), {"baselines": base, "target": target}
    if method == "feature_ablation":
        return ca.FeatureAblation(module), {"baselines": base, "target": target}
    if method == "occlusion":
        if window is None:
            raise ValueError("method='occlusion' needs its window and stride (occlusion_window)")
        return ca.Occlusion(module), {"sliding_window_shapes": window[0], "strides": window[1], "baselines": base, "target": target}
    if method == "gradient_shap":
        return ca.GradientShap(module), {"target": target, "n_samples": n_steps}
    raise ValueError(f"method={method!r} is not one of {', '.join(METHODS)}")


def run_method(method: str, module: torch.nn.Module, x: torch.Tensor, base: torch.Tensor, target: Any, n_steps: int,
               random_state: int, options: Options = Options()) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Captum's ``method`` on ``module`` for rows ``x``: ``(attributions shaped like x, convergence delta (n,) or None)``.

    ``base``: the baseline, ``x``'s shape; ``target``: Captum's target (an index, a tuple, a list per row, or None);
    ``n_steps``: integration steps (integrated gradients) or samples per row (GradientSHAP); ``random_state``: the
    seed of GradientSHAP's and the noise tunnel's draws (the global NumPy and torch generators are left as they were);
    ``options``: occlusion's window and stride (checked against ``x``'s rows by :func:`~._occlusion.occlusion_window`) and
    the noise tunnel (:mod:`._smooth`: no delta then). The delta is DeepLift's (integrated gradients' is computed by
    :func:`~hiddenlayers.lens.attribute` itself, which handles padding); None for the others.
    """
    from ._occlusion import occlusion_window

    window = occlusion_window(options.window, options.stride, tuple(x.shape[1:])) if method == "occlusion" else None
    obj, kwargs = captum_call(method, module, base, target, n_steps, window)
    if options.smooth is not None:
        from ._smooth import run_smoothed

        return run_smoothed(obj, x.detach(), kwargs, options.smooth, random_state), None
    if method != "integrated_gradients":
        x = x.detach().clone().requires_grad_(True)  # Captum warns once per call that it set requires_grad itself
    if method == "deeplift":
        with quiet_hooks():
            out, delta = obj.attribute(x, return_convergence_delta=True, **kwargs)
        return out, delta
    if method == "gradient_shap":
        with seeded(random_state):
            return obj.attribute(x, baselines=x.detach().clone(), **kwargs), None
    return obj.attribute(x, **kwargs), None


LAYER_METHODS = ("conductance", "integrated_gradients", "deeplift", "gradient_shap", "gradient_x_activation", "gradcam", "guided_gradcam")
"""What :func:`~hiddenlayers.lens.layer_attribution`'s ``method`` takes: Captum's ``LayerConductance`` (the default: each
unit's share of the output's change, complete), ``LayerIntegratedGradients`` (integrated gradients w.r.t. the layer's
output: complete), ``LayerDeepLift`` (complete, one pass), ``LayerGradientShap`` (baselines drawn from the rows, seeded),
``LayerGradientXActivation`` (activation x gradient at the row: one pass, no baseline), ``LayerGradCam`` (Grad-CAM of a
convolutional layer, :mod:`._gradcam`: one map per row, no baseline) and ``GuidedGradCam`` (that map's positive part,
resized to the input, times guided backpropagation's gradient: the input's shape, :mod:`._gradcam`)."""
LAYER_COMPLETE = ("conductance", "integrated_gradients", "deeplift")

NEURON_METHODS = ("integrated_gradients", "gradient", "deeplift", "gradient_shap", "feature_ablation")
"""What :func:`~hiddenlayers.lens.neuron_attribution`'s ``method`` takes: Captum's ``NeuronIntegratedGradients`` (the
default), ``NeuronGradient`` (the unit's gradient at the row: one pass, no baseline), ``NeuronDeepLift``,
``NeuronGradientShap`` (baselines drawn from the rows, seeded) and ``NeuronFeatureAblation``."""


def check_method_of(method: Any, allowed: tuple[str, ...], what: str) -> str:
    """``method`` as one of ``allowed`` (``what``: the function, named in the error); else one line listing them."""
    return one_of(method, allowed, f"{what}'s method")


def layer_call(method: str, module: torch.nn.Module, layer: torch.nn.Module, base: torch.Tensor, target: Any,
               n_steps: int) -> tuple[Any, dict[str, Any]]:
    """Captum's layer object of ``method`` (:data:`LAYER_METHODS`) for ``layer`` of ``module`` and the keyword arguments of
    its ``attribute`` call, as Captum documents them (GradientSHAP's baselines, the rows themselves, are added by
    :func:`run_layer_method`); arguments as :func:`captum_call` reads them."""
    from captum import attr as ca

    if method == "conductance":
        return ca.LayerConductance(module, layer), {"baselines": base, "target": target, "n_steps": n_steps}
    if method == "integrated_gradients":
        return ca.LayerIntegratedGradients(module, layer), {"baselines": base, "target": target, "n_steps": n_steps}
    if method == "deeplift":
        return ca.LayerDeepLift(module, layer), {"baselines": base, "target": target}
    if method == "gradient_shap":
        return ca.LayerGradientShap(module, layer), {"target": target, "n_samples": n_steps}
    if method == "gradcam":
        return ca.LayerGradCam(module, layer), {"target": target}
    if method == "gradient_x_activation":
        return ca.LayerGradientXActivation(module, layer), {"target": target}
    if method == "guided_gradcam":
        return ca.GuidedGradCam(module, layer), {"target": target}
    raise ValueError(f"method={method!r} is not one of {', '.join(LAYER_METHODS)}")


def run_layer_method(method: str, module: torch.nn.Module, layer: torch.nn.Module, x: torch.Tensor, base: torch.Tensor, target: Any,
                     n_steps: int, random_state: int, smooth: Any = None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Captum's layer ``method`` (:data:`LAYER_METHODS`) for ``layer`` of ``module`` on rows ``x``: ``(attributions of the layer's
    units, convergence delta (n,) or None)``; arguments as :func:`run_method` reads them. ``smooth``: a
    :class:`~._smooth.Smoothing` runs the layer object inside Captum's ``NoiseTunnel`` (no delta then), None runs it alone."""
    obj, kwargs = layer_call(method, module, layer, base, target, n_steps)
    if smooth is not None:
        from ._smooth import run_smoothed

        return run_smoothed(obj, x.detach(), kwargs, smooth, random_state), None
    if method in LAYER_COMPLETE:
        with quiet_hooks():  # DeepLift's notice of its hooks
            out, delta = obj.attribute(x, return_convergence_delta=True, **kwargs)
        return out, delta
    if method == "gradient_shap":
        with seeded(random_state):
            return obj.attribute(x, baselines=x.detach().clone(), **kwargs), None
    if method == "guided_gradcam":
        x = x.detach().clone().requires_grad_(True)  # guided backpropagation warns that it set requires_grad itself
    with quiet_hooks():  # and of its ReLU hooks
        return obj.attribute(x, **kwargs), None


def neuron_call(method: str, module: torch.nn.Module, layer: torch.nn.Module, base: torch.Tensor, selector: Any,
                n_steps: int) -> tuple[Any, dict[str, Any]]:
    """Captum's neuron object of ``method`` (:data:`NEURON_METHODS`) for ``layer`` of ``module`` and the keyword arguments of its
    ``attribute`` call (``selector``: Captum's ``neuron_selector``; GradientSHAP's baselines added by :func:`run_neuron_method`)."""
    from captum import attr as ca

    if method == "integrated_gradients":
        return ca.NeuronIntegratedGradients(module, layer), {"neuron_selector": selector, "baselines": base, "n_steps": n_steps}
    if method == "gradient":
        return ca.NeuronGradient(module, layer), {"neuron_selector": selector}
    if method == "deeplift":
        return ca.NeuronDeepLift(module, layer), {"neuron_selector": selector, "baselines": base}
    if method == "gradient_shap":
        return ca.NeuronGradientShap(module, layer), {"neuron_selector": selector, "n_samples": n_steps}
    if method == "feature_ablation":
        return ca.NeuronFeatureAblation(module, layer), {"neuron_selector": selector, "baselines": base}
    raise ValueError(f"method={method!r} is not one of {', '.join(NEURON_METHODS)}")


def run_neuron_method(method: str, module: torch.nn.Module, layer: torch.nn.Module, x: torch.Tensor, base: torch.Tensor,
                      selector: Any, n_steps: int, random_state: int, smooth: Any = None) -> torch.Tensor:
    """Captum's neuron ``method`` (:data:`NEURON_METHODS`) of the unit ``selector`` picks in ``layer``, w.r.t. the inputs ``x``;
    ``smooth``: a :class:`~._smooth.Smoothing` runs it inside Captum's ``NoiseTunnel``, None alone."""
    obj, kwargs = neuron_call(method, module, layer, base, selector, n_steps)
    if smooth is not None:
        from ._smooth import run_smoothed

        return run_smoothed(obj, x.detach(), kwargs, smooth, random_state)
    if method != "integrated_gradients":
        x = x.detach().clone().requires_grad_(True)  # Captum warns once per call that it set requires_grad itself
    if method == "gradient_shap":
        with seeded(random_state):
            return obj.attribute(x, baselines=x.detach().clone(), **kwargs)
    with quiet_hooks():  # DeepLift's notice of its hooks
        return obj.attribute(x, **kwargs)


__all__ = ["COMPLETE", "LABELS", "LAYER_COMPLETE", "LAYER_METHODS", "METHODS", "NEURON_METHODS", "NO_BASELINE", "Options", "captum_call", "check_method",
           "check_method_of", "check_method_smooth", "check_options", "check_padding", "layer_call", "neuron_call", "quiet_hooks", "run_layer_method", "run_method", "run_neuron_method", "seeded"]
