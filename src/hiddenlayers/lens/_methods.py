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
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch

METHODS = ("integrated_gradients", "saliency", "input_x_gradient", "deeplift", "gradient_shap", "feature_ablation")
"""The names ``method=`` takes (``-`` for ``_`` accepted, any case); ``"integrated_gradients"`` is the default."""

#: the methods whose attributions sum to f(x) - f(baseline), for which Captum gives a convergence delta
COMPLETE = ("integrated_gradients", "deeplift")
#: the methods that read no baseline (their reference is fixed: none, or the network input's zeros)
NO_BASELINE = ("saliency", "input_x_gradient")
#: each method's words in a chart or a warning
LABELS = {"integrated_gradients": "integrated gradients", "saliency": "saliency", "input_x_gradient": "input x gradient",
          "deeplift": "DeepLift", "gradient_shap": "GradientSHAP", "feature_ablation": "feature ablation"}


def check_method(method: Any) -> str:
    """``method`` as one of :data:`METHODS`; anything else is one line listing them (and the closest one)."""
    return _one_of(method, METHODS, "method")


def check_padding(method: str, x: torch.Tensor) -> None:
    """Padded sequences (NaN steps) are handled by integrated gradients only; the others are refused in one line."""
    if method != "integrated_gradients" and x.is_floating_point() and bool(torch.isnan(x).any()):
        raise ValueError(f"method={method!r} cannot attribute padded sequences (rows of several lengths); "
                         "use method='integrated_gradients', which gives each row its own length.")


def run_method(method: str, module: torch.nn.Module, x: torch.Tensor, base: torch.Tensor, target: Any, n_steps: int,
               random_state: int) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Captum's ``method`` on ``module`` for rows ``x``: ``(attributions shaped like x, convergence delta (n,) or None)``.

    ``base``: the baseline, ``x``'s shape; ``target``: Captum's target (an index, a tuple, a list per row, or None);
    ``n_steps``: integration steps (integrated gradients) or samples per row (GradientSHAP); ``random_state``: the
    seed of GradientSHAP's draws (the global NumPy and torch generators are left as they were). Not integrated
    gradients, whose padding handling lives in :func:`~hiddenlayers.lens.attribute`.
    """
    from captum import attr as ca

    x = x.detach().clone().requires_grad_(True)  # Captum warns once per call that it set requires_grad itself
    if method == "saliency":
        return ca.Saliency(module).attribute(x, target=target), None
    if method == "input_x_gradient":
        return ca.InputXGradient(module).attribute(x, target=target), None
    if method == "deeplift":
        with warnings.catch_warnings():  # its notice that it hooks the nonlinear modules for the call (and removes the hooks)
            warnings.filterwarnings("ignore", message="Setting forward, backward hooks", category=UserWarning)
            out, delta = ca.DeepLift(module).attribute(x, baselines=base, target=target, return_convergence_delta=True)
        return out, delta
    if method == "feature_ablation":
        return ca.FeatureAblation(module).attribute(x, baselines=base, target=target), None
    if method == "gradient_shap":
        with seeded(random_state):
            return ca.GradientShap(module).attribute(x, baselines=x.detach().clone(), target=target, n_samples=n_steps), None
    raise ValueError(f"method={method!r} is not run here")  # integrated gradients: attribute() runs it itself


LAYER_METHODS = ("conductance", "integrated_gradients", "deeplift", "gradient_shap", "gradient_x_activation")
"""What :func:`~hiddenlayers.lens.layer_attribution`'s ``method`` takes: Captum's ``LayerConductance`` (the default: each
unit's share of the output's change, complete), ``LayerIntegratedGradients`` (integrated gradients w.r.t. the layer's
output: complete), ``LayerDeepLift`` (complete, one pass), ``LayerGradientShap`` (baselines drawn from the rows, seeded) and
``LayerGradientXActivation`` (activation x gradient at the row: one pass, no baseline)."""
LAYER_COMPLETE = ("conductance", "integrated_gradients", "deeplift")

NEURON_METHODS = ("integrated_gradients", "gradient", "deeplift", "gradient_shap", "feature_ablation")
"""What :func:`~hiddenlayers.lens.neuron_attribution`'s ``method`` takes: Captum's ``NeuronIntegratedGradients`` (the
default), ``NeuronGradient`` (the unit's gradient at the row: one pass, no baseline), ``NeuronDeepLift``,
``NeuronGradientShap`` (baselines drawn from the rows, seeded) and ``NeuronFeatureAblation``."""


def check_method_of(method: Any, allowed: tuple[str, ...], what: str) -> str:
    """``method`` as one of ``allowed`` (``what``: the function, named in the error); else one line listing them."""
    return _one_of(method, allowed, f"{what}'s method")


def _one_of(method: Any, allowed: tuple[str, ...], named: str) -> str:
    """``method`` (case and ``-``/``_`` forgiven) as one of ``allowed``; else one line, ``named`` first, listing them and the closest."""
    from ..data import did_you_mean

    name = method.strip().lower().replace("-", "_") if isinstance(method, str) else None
    if name not in allowed:
        hint = did_you_mean([str(method)], allowed) if isinstance(method, str) else ""
        raise ValueError(f"{named} must be one of {', '.join(allowed)}. Received: method={method!r}.{hint}")
    return name


def run_layer_method(method: str, module: torch.nn.Module, layer: torch.nn.Module, x: torch.Tensor, base: torch.Tensor, target: Any,
                     n_steps: int, random_state: int) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Captum's layer ``method`` (:data:`LAYER_METHODS`) for ``layer`` of ``module`` on rows ``x``: ``(attributions of the layer's
    units, convergence delta (n,) or None)``; arguments as :func:`run_method` reads them."""
    from captum import attr as ca

    if method == "conductance":
        out, delta = ca.LayerConductance(module, layer).attribute(x, baselines=base, target=target, n_steps=n_steps,
                                                                 return_convergence_delta=True)
        return out, delta
    if method == "integrated_gradients":
        out, delta = ca.LayerIntegratedGradients(module, layer).attribute(x, baselines=base, target=target, n_steps=n_steps,
                                                                         return_convergence_delta=True)
        return out, delta
    if method == "deeplift":
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Setting forward, backward hooks", category=UserWarning)
            out, delta = ca.LayerDeepLift(module, layer).attribute(x, baselines=base, target=target, return_convergence_delta=True)
        return out, delta
    if method == "gradient_shap":
        with seeded(random_state):
            return ca.LayerGradientShap(module, layer).attribute(x, baselines=x.detach().clone(), target=target, n_samples=n_steps), None
    return ca.LayerGradientXActivation(module, layer).attribute(x, target=target), None


def run_neuron_method(method: str, module: torch.nn.Module, layer: torch.nn.Module, x: torch.Tensor, base: torch.Tensor,
                      selector: Any, n_steps: int, random_state: int) -> torch.Tensor:
    """Captum's neuron ``method`` (:data:`NEURON_METHODS`) of the unit ``selector`` picks in ``layer``, w.r.t. the inputs ``x``."""
    from captum import attr as ca

    if method == "integrated_gradients":
        return ca.NeuronIntegratedGradients(module, layer).attribute(x, neuron_selector=selector, baselines=base, n_steps=n_steps)
    x = x.detach().clone().requires_grad_(True)
    if method == "gradient":
        return ca.NeuronGradient(module, layer).attribute(x, neuron_selector=selector)
    if method == "deeplift":
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Setting forward, backward hooks", category=UserWarning)
            return ca.NeuronDeepLift(module, layer).attribute(x, neuron_selector=selector, baselines=base)
    if method == "gradient_shap":
        with seeded(random_state):
            return ca.NeuronGradientShap(module, layer).attribute(x, neuron_selector=selector, baselines=x.detach().clone(), n_samples=n_steps)
    return ca.NeuronFeatureAblation(module, layer).attribute(x, neuron_selector=selector, baselines=base)


class seeded:
    """Within it, NumPy's and torch's global generators are seeded with ``seed`` (GradientSHAP draws from both); after it,
    both are as they were, so a call of the lens does not move the user's random streams."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)

    def __enter__(self) -> None:
        self.np_state = np.random.get_state()
        self.fork = torch.random.fork_rng(devices=[])
        self.fork.__enter__()
        np.random.seed(self.seed)
        torch.manual_seed(self.seed)

    def __exit__(self, *exc: Any) -> None:
        self.fork.__exit__(*exc)
        np.random.set_state(self.np_state)


__all__ = ["COMPLETE", "LABELS", "LAYER_COMPLETE", "LAYER_METHODS", "METHODS", "NEURON_METHODS", "NO_BASELINE", "check_method",
           "check_method_of", "check_padding", "run_layer_method", "run_method", "run_neuron_method", "seeded"]
