"""Which input features drive the outputs, hidden layers and units (Captum).

- :func:`attribute`: integrated gradients of an output (class) w.r.t. the inputs.
- :func:`layer_attribution`: layer conductance — how much each hidden unit of a
  layer carries of an output's change from the baseline.
- :func:`neuron_attribution`: integrated gradients of one hidden unit w.r.t. the inputs.
Baseline: zeros (or the given ``(features,)`` / ``(n, features)`` array).
``layer``: a layer name or a 1-based hidden-layer index (as ``transform`` takes). For a
linear model ``f(x) = w·x + b`` integrated gradients from a zero baseline are
exactly ``w ⊙ x``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch


def _setup(model: Any, X: Any, baseline: Any, *, prepared: bool = False) -> tuple[torch.nn.Module, torch.Tensor, torch.Tensor]:
    from ._record import as_target

    target = as_target(model)
    Xp = X if prepared else target.prepared(X)
    x = target.to_tensor(Xp).detach()
    if not x.is_floating_point():
        raise TypeError("attribution needs floating-point inputs; token or index inputs have no gradient.")
    base = torch.zeros_like(x) if baseline is None else torch.as_tensor(np.asarray(baseline), dtype=x.dtype, device=x.device).expand_as(x)
    target.module.eval()
    return target.module, x, base


def _target(model: Any, target: Any) -> Any:
    classes = getattr(model, "classes_", None)
    if target is None or classes is None or isinstance(target, (int, np.integer)) and target not in list(classes):
        return target
    hits = np.flatnonzero(np.asarray(classes) == target)
    if hits.size == 0:
        raise ValueError(f"target {target!r} is not a class of this model; classes are {list(classes)}.")
    return int(hits[0])


def _out_target(module: torch.nn.Module, x: torch.Tensor, target: Any) -> Any:
    with torch.no_grad():
        out = module(x[:1])
    if out.ndim == 2 and out.shape[1] == 1:
        return 0  # one output (regression, or a binary classifier's logit of the positive class)
    if target is None and out.ndim == 2 and out.shape[1] > 1:
        raise ValueError(f"the model has {out.shape[1]} outputs: pass target= (an output index or class label).")
    return 0 if target is None and out.ndim == 2 else target


def attribute(model: Any, X: Any, *, target: Any = None, baseline: Any = None, n_steps: int = 50) -> np.ndarray:
    """Integrated gradients of output ``target`` w.r.t. each input: ``(n, features)``.

    ``target``: class label (estimators) or output index; required when there is more than one output.
    """
    from captum.attr import IntegratedGradients

    module, x, base = _setup(model, X, baseline)
    tgt = _out_target(module, x, _target(model, target))
    attr = IntegratedGradients(module).attribute(x, baselines=base, target=tgt, n_steps=n_steps)
    return attr.detach().cpu().numpy()


def _layer(module: torch.nn.Module, layer: str | int) -> torch.nn.Module:
    """The one layer ``layer`` names: a name, a pattern matching one layer, or a 1-based hidden-layer index."""
    from ._select import select_layers

    hits = select_layers(module, layer)
    if len(hits) > 1:
        raise ValueError(f"layer={layer!r} matched {len(hits)} layers ({', '.join(hits)}): name one layer.")
    return next(iter(hits.values()))


def layer_attribution(model: Any, X: Any, layer: str | int, *, target: Any = None, baseline: Any = None, n_steps: int = 50) -> np.ndarray:
    """Layer conductance of each unit of ``layer`` for output ``target``: ``(n, units)``."""
    from captum.attr import LayerConductance

    module, x, base = _setup(model, X, baseline)
    tgt = _out_target(module, x, _target(model, target))
    attr = LayerConductance(module, _layer(module, layer)).attribute(x, baselines=base, target=tgt, n_steps=n_steps)
    return attr.detach().cpu().numpy()


def neuron_attribution(model: Any, X: Any, layer: str | int, unit: int, *, baseline: Any = None, n_steps: int = 50) -> np.ndarray:
    """Integrated gradients of hidden unit ``unit`` of ``layer`` w.r.t. each input: ``(n, features)``."""
    from captum.attr import NeuronIntegratedGradients

    module, x, base = _setup(model, X, baseline)
    mod = _layer(module, layer)
    with torch.no_grad():
        width = None
        out: list[torch.Tensor] = []
        h = mod.register_forward_hook(lambda _m, _i, o: out.append(o))
        try:
            module(x[:1])
        finally:
            h.remove()
        width = out[0].shape[-1] if out else None
    if width is not None and not (0 <= int(unit) < width):
        raise ValueError(f"unit must be in 0..{width - 1} for layer {layer!r}. Received: unit={unit!r}.")
    attr = NeuronIntegratedGradients(module, mod).attribute(x, neuron_selector=int(unit), baselines=base, n_steps=n_steps)
    return attr.detach().cpu().numpy()


def feature_importance(model: Any, X: Any, *, baseline: Any = None, max_rows: int = 300, n_steps: int = 32) -> np.ndarray:
    """Mean |integrated gradients| per input feature, each row for its own predicted output: ``(features,)``.

    One Captum call: the target of row ``i`` is the output with the highest score on row ``i``.
    """
    from captum.attr import IntegratedGradients

    from ._record import as_target

    Xp = as_target(model).prepared(X)[:max_rows]
    module, x, base = _setup(model, Xp, baseline, prepared=True)
    with torch.no_grad():
        out = module(x)
    tgt: Any = out.argmax(1).tolist() if out.ndim == 2 and out.shape[1] > 1 else (0 if out.ndim == 2 else None)
    attr = IntegratedGradients(module).attribute(x, baselines=base, target=tgt, n_steps=n_steps)
    return attr.detach().abs().mean(0).cpu().numpy().astype(np.float64)


__all__ = ["attribute", "feature_importance", "layer_attribution", "neuron_attribution"]
