"""What a plain ``torch.nn.Module`` costs: :func:`~hiddenlayers.rightsize.cost` for any PyTorch model.

A plain module has no ``predict``, no loss and no training rows, so its report holds
what the module alone determines: parameters (``sum(p.numel())``), FLOPs as
``torch.utils.flop_counter`` counts them (an ``nn.Sequential`` of known layers from their shapes) at batch 1 and for one training step (forward and
backward of ``sum(output²)``: the loss's own element-wise arithmetic is not counted,
as the counter counts none), weight and activation memory, batch-1 latency of a raw
forward, throughput and energy per prediction. Energy per epoch is left out (no rows
per epoch, no loss: the notes say so). The input comes from ``example_input`` (real
inputs, batch first) or ``input_shape`` (random ones of that shape); a module
without either is one error asking for them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from ..network import in_mode
from ._cost_report import CostReport, LayerCost, tensor_bytes, with_remainder
from ._measure import _big_batch_energy, _flops, _forward_times_us, blas_threads
from ._saved import saved_activation_bytes


def _input_maker(module: nn.Module, example_input: Any, input_shape: Any) -> Callable[[int], torch.Tensor]:
    """``example(n)``: ``n`` inputs for ``module``, the rows of ``example_input`` cycled, else random of ``input_shape``."""
    param = next(module.parameters())
    device, dtype = param.device, param.dtype
    if example_input is not None and input_shape is not None:
        raise ValueError("pass example_input= or input_shape=, not both: input_shape is only for random inputs.")
    if example_input is not None:
        x = example_input.detach() if isinstance(example_input, torch.Tensor) else torch.as_tensor(np.asarray(example_input))
        if x.ndim < 1 or len(x) == 0:
            raise ValueError(
                f"example_input must be a batch of at least one input, batch first (N, ...). Received shape {tuple(x.shape)}; "
                "for one input x pass x[None]."
            )
        x = x.to(device=device, dtype=dtype if x.is_floating_point() else x.dtype)

        def from_rows(n: int) -> torch.Tensor:
            return x[torch.arange(n, device=device) % len(x)]

        return from_rows
    shape = _check_shape(input_shape, type(module).__name__)

    def random(n: int) -> torch.Tensor:
        return torch.randn(n, *shape, dtype=dtype, device=device)

    return random


def _check_shape(input_shape: Any, name: str) -> tuple[int, ...]:
    """``input_shape`` as a tuple of positive ints; None is the one error a plain module without an input gets."""
    if input_shape is None:
        raise ValueError(
            f"cost() of a plain torch.nn.Module ({name}) needs an input to run it on: pass example_input= (a few real inputs, "
            "batch first, e.g. X[:8]) or input_shape= (one input's shape without the batch, e.g. input_shape=(4,))."
        )
    shape = (input_shape,) if isinstance(input_shape, (int, np.integer)) else input_shape
    ok = isinstance(shape, (tuple, list, torch.Size)) and len(shape) > 0 and all(
        isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 1 for d in shape)
    if not ok:
        raise ValueError(f"input_shape must be one input's shape without the batch, positive integers, e.g. (4,) or (3, 32, 32). "
                         f"Received: input_shape={input_shape!r}.")
    return tuple(int(d) for d in shape)


def _leaf_shapes(module: nn.Module, x1: torch.Tensor) -> dict[str, tuple[int, int]]:
    """``{name: (input values, output values)}`` per sample of each leaf module with parameters, from one forward on ``x1``."""
    leaves = {n: m for n, m in module.named_modules() if n and not list(m.children()) and any(True for _ in m.parameters(recurse=False))}
    seen: dict[str, tuple[int, int]] = {}

    def hook(name: str) -> Callable[..., None]:
        def record(_m: nn.Module, args: tuple[Any, ...], out: Any) -> None:
            first_in = next((a for a in args if isinstance(a, torch.Tensor)), None)
            first_out = out if isinstance(out, torch.Tensor) else next((o for o in out if isinstance(o, torch.Tensor)), None)
            if name not in seen and first_in is not None and first_out is not None:  # a layer called twice: its first call
                seen[name] = (int(first_in[0].numel()), int(first_out[0].numel()))
        return record

    handles = [m.register_forward_hook(hook(n)) for n, m in leaves.items()]
    try:
        with torch.inference_mode():
            module(x1)
    finally:
        for h in handles:
            h.remove()
    return seen


def _module_layers(module: nn.Module, probe: nn.Module, example: Callable[[int], torch.Tensor], f_pred: dict[str, int],
                   f_train: dict[str, int], batch_size: int) -> list[LayerCost]:
    """One :class:`LayerCost` per leaf module with parameters that ran, in the order of ``named_modules``, then ``(other)``
    for the parameters, FLOPs and saved activations outside them (:func:`with_remainder`); no per-layer latency.

    Activation bytes are measured on ``probe`` (a copy of ``module``): what autograd saves while a row's module or
    the parameter-free modules after it (its ReLU, its pooling) run, :func:`~hiddenlayers.rightsize._saved.saved_activation_bytes`.
    """
    top = type(module).__name__
    shapes = _leaf_shapes(module, example(1))
    probe_modules = dict(probe.named_modules())
    saved = saved_activation_bytes(probe, example, [(n, probe_modules[n]) for n in shapes], batch_size)
    layers = []
    for name, m in module.named_modules():
        if name not in shapes:
            continue
        n_in, n_out = shapes[name]
        p = sum(q.numel() for q in m.parameters())
        layers.append(LayerCost(
            name=name, in_features=n_in, out_features=n_out, activation=type(m).__name__, params=p,
            flops_per_prediction=f_pred.get(f"{top}.{name}", 0), flops_per_train_step=f_train.get(f"{top}.{name}", 0),
            weight_bytes=tensor_bytes(m), activation_bytes=saved.get(name, 0),
        ))
    params = sum(p.numel() for p in module.parameters())
    return with_remainder(layers, params, f_pred.get("Global", 0), f_train.get("Global", 0), tensor_bytes(module), saved.get(None, 0))


def module_cost(
    module: nn.Module, *, example_input: Any, input_shape: Any, batch_size: int, n_calls: int, throughput_batch: int,
    train_batch_size: int | None, watts: float | None,
) -> CostReport:
    """:func:`~hiddenlayers.rightsize.cost` of a plain module (arguments as there); the module's modes and gradients are left as they were."""
    if next(module.parameters(), None) is None:
        raise ValueError(f"cost() measures modules with parameters; {type(module).__name__} has none.")
    example = _input_maker(module, example_input, input_shape)
    param = next(module.parameters())
    device = param.device
    train_batch_size = batch_size if train_batch_size is None else train_batch_size
    x1 = example(1)
    notes = ["a plain torch.nn.Module: no predict() to time (the raw forward is), no loss or rows per epoch, so no energy per epoch",
             "training-step FLOPs: forward and backward of sum(output²) at the train batch, the loss's element-wise ops not counted"]
    probe = copy.deepcopy(module)
    try:
        f_pred = _flops(probe, x1, False, False)
    except (RuntimeError, TypeError, ValueError, IndexError) as exc:  # the input does not fit the module: say so in one line
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(f"{type(module).__name__} cannot run on an input of shape {tuple(x1.shape)} ({x1.dtype}): {first}. "
                         "Pass example_input= with real inputs, or the input_shape it takes.") from None
    try:
        f_train = _flops(probe, example(train_batch_size), True, False)
    except (TypeError, AttributeError, RuntimeError) as exc:  # an output that is not one tensor, or no gradient to take
        f_train = {}
        notes.append(f"training-step FLOPs not counted: sum(output²) cannot be taken of this module's output ({type(exc).__name__})")
    with in_mode(module, False):
        layers = _module_layers(module, probe, example, f_pred, f_train, batch_size)
        torch_threads, numpy_threads = torch.get_num_threads(), blas_threads()
        lat = _forward_times_us(module, x1, n_calls, device)
        meter, e_call, reps, elapsed = _big_batch_energy(module, example, None, throughput_batch, device, watts, n_calls)
    if device.type == "cpu":
        notes.append("batch-1 latency includes Python call overhead")
    params = sum(p.numel() for p in module.parameters())
    return CostReport(
        layers=layers, params=params, flops_per_prediction=int(f_pred.get("Global", 0)), flops_per_train_step=int(f_train.get("Global", 0)),
        train_batch_size=train_batch_size, weight_bytes=tensor_bytes(module),
        activation_bytes=sum(lc.activation_bytes for lc in layers),
        batch_size=batch_size, device=str(device), threads=torch_threads, blas_threads=numpy_threads,
        latency_predict_p50_us=None, latency_predict_p99_us=None,
        latency_forward_p50_us=float(np.percentile(lat, 50)), latency_forward_p99_us=float(np.percentile(lat, 99)),
        throughput_batch=throughput_batch, throughput_per_s=reps * throughput_batch / elapsed,
        energy_per_1000_predictions_j=float(e_call / throughput_batch * 1000.0), energy_per_epoch_j=None, epoch_samples=None,
        energy_measured=meter.measured, energy_method=meter.method, n_calls=n_calls, notes=notes,
    )


__all__ = ["module_cost"]
