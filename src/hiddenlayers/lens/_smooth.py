"""Smoothed attributions (``smooth=``): an input, layer or neuron method run inside Captum's ``NoiseTunnel`` (SmoothGrad and its kin).

Each row is copied ``n_samples`` times with Gaussian noise of standard deviation ``stdev`` added to every input
value, the method attributes each noisy copy, and the copies' attributions ``a_i`` are combined (Smilkov et al. 2017,
"SmoothGrad"; Adebayo et al. 2018, VarGrad): ``"smoothgrad"`` their mean, ``"smoothgrad_sq"`` the mean of their squares
(SmoothGrad²: no sign), ``"vargrad"`` their variance, ``mean(a_i²) - mean(a_i)²`` (no sign). A gradient map's speckle
(one pixel's gradient says little: its neighbour's may have the other sign) averages out.

``stdev`` is in the **network input's units**, those of the rows Captum sees and of the attributions returned (an
ImageClassifier's standardised pixels, a trained table model's standardised columns), as Captum's ``stdevs`` is in
its input's units; it is not converted from ``X``'s. The default (None) is 15% of the range (max - min) of the network
input's values over the rows given, the middle of the 10-20% the SmoothGrad paper found best. ``stdev=0`` adds no
noise: the method's own attributions (SmoothGrad of saliency is then saliency).

A layer or neuron method (:func:`~hiddenlayers.lens.layer_attribution`, :func:`~hiddenlayers.lens.neuron_attribution`)
is smoothed the same way: the noise goes on the network's input rows, and the layer's (or, for a neuron, the inputs')
attributions of the noisy copies are combined, as ``NoiseTunnel(LayerConductance(...))`` combines them.

The noise is drawn from torch's generator seeded by ``random_state``; the global generators are left as they were.
Refused in one line: GradientSHAP (already an average over noisy, randomly-baselined copies: Captum's ``GradientShap``
is a noise tunnel itself), a convergence delta or completeness check (each noisy copy has its own ``f(x + noise)``: no
one gap to sum to), ``n_samples``/``stdev`` without ``smooth``, and padded sequences (noise on a missing step).
"""

from __future__ import annotations

import math
import numbers
from typing import Any, NamedTuple

import torch

SMOOTHINGS = ("smoothgrad", "smoothgrad_sq", "vargrad")
"""The names ``smooth=`` takes (Captum's ``nt_type``; ``-`` for ``_`` accepted, any case)."""

#: the noisy copies per row when ``n_samples`` is not given (Captum's own default is 5: a noisy average)
DEFAULT_SAMPLES = 20
#: the default ``stdev``: this share of the network input's value range over the rows
DEFAULT_NOISE_LEVEL = 0.15
#: each smoothing's words in a chart or a lead
SMOOTH_LABELS = {"smoothgrad": "SmoothGrad", "smoothgrad_sq": "SmoothGrad²", "vargrad": "VarGrad"}


class Smoothing(NamedTuple):
    """A checked ``smooth=`` request: Captum's ``nt_type``, ``nt_samples`` and ``stdevs`` (None: :func:`noise_stdev` of the rows)."""

    kind: str
    n_samples: int
    stdev: float | None

    @property
    def signed(self) -> bool:
        """Whether the result keeps the attributions' sign (a mean does; a mean of squares and a variance do not)."""
        return self.kind == "smoothgrad"


def check_smoothing(smooth: Any, n_samples: Any, stdev: Any, method: str, return_delta: bool, methods: tuple[str, ...]) -> Smoothing | None:
    """``smooth``, ``n_samples`` and ``stdev`` of :func:`~hiddenlayers.lens.attribute` (or of the layer and neuron
    functions) checked for ``method``: a :class:`Smoothing`, or None for no smoothing. ``methods``: the function's
    ``method=`` names (:data:`~._methods.METHODS`, ...), those that may be smoothed named where GradientSHAP is refused.
    Every refusal is one ``ValueError`` line (see the module docstring)."""
    from ._captum_calls import one_of

    if smooth is None:
        extra = [f"{k}={v!r}" for k, v in (("n_samples", n_samples), ("stdev", stdev)) if v is not None]
        if extra:
            raise ValueError(f"{' and '.join(extra)} set the noise of smooth=, which is None: pass smooth='smoothgrad' "
                             f"(or {', '.join(map(repr, SMOOTHINGS[1:]))}), or drop {extra[0].split('=')[0]}=.")
        return None
    kind = one_of(smooth, SMOOTHINGS, "smooth", param="smooth")
    if method == "gradient_shap":
        others = ", ".join(m for m in methods if m != "gradient_shap")
        raise ValueError("method='gradient_shap' already averages over noisy copies with random baselines (Captum's GradientShap is a "
                         f"noise tunnel itself): drop smooth=, or smooth another method: {others}.")
    if return_delta:
        raise ValueError(f"smooth={kind!r} has no convergence delta (each noisy copy has its own f(x + noise) - f(baseline)): "
                         "pass return_convergence_delta=False, or drop smooth= for the delta of the method alone.")
    n = DEFAULT_SAMPLES if n_samples is None else n_samples
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"n_samples must be an integer >= 1 (noisy copies of each row). Received: n_samples={n_samples!r}.")
    if stdev is not None and (isinstance(stdev, bool) or not isinstance(stdev, numbers.Real) or not math.isfinite(stdev) or stdev < 0):
        raise ValueError(f"stdev must be a finite number >= 0, in the network input's units (None: 15% of its range). Received: stdev={stdev!r}.")
    return Smoothing(kind, int(n), None if stdev is None else float(stdev))


def noise_stdev(x: torch.Tensor) -> float:
    """The default noise: :data:`DEFAULT_NOISE_LEVEL` times the range of ``x``'s finite values (network input, any shape); 0 for constant rows."""
    finite = x[torch.isfinite(x)] if x.is_floating_point() else x.float()
    if finite.numel() == 0:
        return 0.0
    return DEFAULT_NOISE_LEVEL * float(finite.max() - finite.min())


def run_smoothed(obj: Any, x: torch.Tensor, kwargs: dict[str, Any], smooth: Smoothing, random_state: int) -> torch.Tensor:
    """``NoiseTunnel(obj).attribute(x, nt_type=..., nt_samples=..., stdevs=..., **kwargs)``, as Captum documents it.

    ``obj``, ``kwargs``: the method's Captum object and ``attribute`` arguments (:func:`~._methods.captum_call`); ``x``:
    the rows ``(n, ...)``, detached; ``random_state``: the seed of the noise (the global generators are restored after).
    Returns the smoothed attributions, ``x``'s shape.
    """
    from captum.attr import NoiseTunnel

    from ._captum_calls import quiet_hooks, seeded

    stdev = noise_stdev(x) if smooth.stdev is None else smooth.stdev
    with seeded(random_state), quiet_hooks():
        out = NoiseTunnel(obj).attribute(x, nt_type=smooth.kind, nt_samples=smooth.n_samples, stdevs=float(stdev), **kwargs)
    return out


__all__ = ["DEFAULT_NOISE_LEVEL", "DEFAULT_SAMPLES", "SMOOTHINGS", "SMOOTH_LABELS", "Smoothing", "check_smoothing", "noise_stdev", "run_smoothed"]
