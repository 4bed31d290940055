"""How :func:`~hiddenlayers.rightsize.cost` measures: timed calls, BLAS threads, FLOPs (from the layers' shapes where every layer is known, :mod:`._flops_hand`, else PyTorch's counter with recurrent kernels by hand), energy of a large batch.

Shared by the hiddenlayers-model path (``_cost``) and the plain-module path (``_cost_module``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from ..network import in_mode
from ._energy import _energy_per_call, _Meter, _meter, _sync, measuring_window
from ._flops_hand import hand_flops
from ._rnn_flops import rnn_flops


def blas_threads() -> int | None:
    """Threads of NumPy's BLAS now (threadpoolctl), the library ``predict``'s NumPy path multiplies with; None when none is loaded.

    Several BLAS libraries may be loaded (PyTorch may bring its own): the ones
    shipped with NumPy count, else the most threads of any.
    """
    import os

    from threadpoolctl import threadpool_info

    found = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    here = os.path.dirname(os.path.realpath(np.__file__))  # numpy/ (and numpy.libs/ beside it)
    own = [i for i in found if os.path.realpath(str(i.get("filepath", ""))).startswith(here)]
    counts = [int(i["num_threads"]) for i in (own or found)]
    return max(counts) if counts else None


def time_calls(fn: Callable[[], Any], n_calls: int, *, warmup: int | None = None, device: torch.device | None = None) -> np.ndarray:
    """Run ``fn`` ``warmup`` times, then time ``n_calls`` calls one by one; seconds per call, shape ``(n_calls,)``.

    Parameters
    ----------
    fn : callable
        The call to time (no arguments).
    n_calls : int
        Timed calls.
    warmup : int, optional
        Untimed calls first (default ``max(10, n_calls // 10)``).
    device : torch.device, optional
        Where ``fn`` runs: a CUDA device is synchronised after each call, so its time holds the kernels (default: the
        CPU).
    """
    dev = device or torch.device("cpu")
    for _ in range(max(10, n_calls // 10) if warmup is None else warmup):
        fn()
    _sync(dev)
    out = np.empty(n_calls)
    clock = time.perf_counter
    for i in range(n_calls):
        t = clock()
        fn()
        _sync(dev)
        out[i] = clock() - t
    return out


def _flops(network: nn.Module, x: torch.Tensor, train_step: bool, is_classifier: bool) -> dict[str, int]:
    """FLOPs per module name ("Network.hidden1", ...) and "Global" for one forward (+ backward).

    Counted from the layers' shapes where every layer's products are known (:func:`~._flops_hand.hand_flops`: the
    counter's numbers without its ``torch._dynamo`` import), else by :func:`_counted_flops`.
    """
    by_hand = hand_flops(network, x, train_step, is_classifier)
    if by_hand is None:
        return _counted_flops(network, x, train_step, is_classifier)
    network.zero_grad(set_to_none=True)  # as the counted step leaves it: no gradients (a copy's may hold the user's)
    return by_hand


def _counted_flops(network: nn.Module, x: torch.Tensor, train_step: bool, is_classifier: bool) -> dict[str, int]:
    """:func:`_flops` by ``torch.utils.flop_counter.FlopCounterMode``, for any module.

    PyTorch's counter sees no FLOPs in a fused recurrent kernel (the CPU LSTM,
    cuDNN): a recurrent module it counted nothing for gets :func:`rnn_flops`
    instead, times 3 for a training step (the backward's two products per
    forward product, the counter's own convention for matrix products).
    """
    from torch.utils.flop_counter import FlopCounterMode

    top = type(network).__name__
    rnns = {f"{top}.{name}": m for name, m in network.named_modules() if isinstance(m, nn.RNNBase) and name}
    by_hand = dict.fromkeys(rnns, 0)

    def record(key: str) -> Callable[..., None]:
        def hook(module: nn.Module, args: tuple[Any, ...], out: Any) -> None:
            by_hand[key] += rnn_flops(module, args[0])  # type: ignore[arg-type]
        return hook

    handles = [m.register_forward_hook(record(key)) for key, m in rnns.items()]
    try:
        with in_mode(network, train_step), FlopCounterMode(display=False) as counter:
            if train_step:
                out = network(x)
                loss = out.logsumexp(1).sum() if is_classifier else (out * out).sum()
                loss.backward()
            else:
                with torch.no_grad():
                    network(x)
    finally:
        for h in handles:
            h.remove()
        network.zero_grad(set_to_none=True)
    counts = {name: int(sum(ops.values())) for name, ops in counter.get_flop_counts().items()}
    for key, flops in by_hand.items():
        if flops and not counts.get(key):
            add = flops * (3 if train_step else 1)
            parts = key.split(".")
            for scope in ["Global", *(".".join(parts[:i]) for i in range(1, len(parts) + 1))]:
                counts[scope] = counts.get(scope, 0) + add
    return counts


def _forward_times_us(net: Any, x1: torch.Tensor, n_calls: int, device: torch.device) -> np.ndarray:
    """Microseconds per raw forward of ``net`` on ``x1`` (batch 1), ``n_calls`` timed calls.

    The PyTorch module alone, without ``predict``'s conversions, so the two
    latencies side by side show what the estimator's wrapping costs.
    """

    def raw() -> None:
        with torch.inference_mode():
            net(x1)

    return time_calls(raw, n_calls, device=device) * 1e6


def _big_batch_energy(
    net: Any, example: Callable[[int], torch.Tensor], predict_big: Callable[[], Any] | None, throughput_batch: int, device: torch.device,
    watts: float | None, n_calls: int,
) -> tuple[_Meter, float, int, float]:
    """``(meter, joules per call, calls, seconds)`` of repeated calls on ``throughput_batch`` inputs.

    Through ``predict_big`` when ``predict`` can be timed, else a raw forward
    on ``example(throughput_batch)``; one call first warms up. A large batch
    gives both the throughput and an energy reading long enough to be measured:
    at least 3 calls over 0.3 s at ``n_calls`` >= 2000, proportionally less below (:func:`measuring_window`).
    """
    xb = example(throughput_batch)
    if predict_big is not None:
        big = predict_big
    else:
        def big() -> Any:
            with torch.inference_mode():
                return net(xb)
    big()
    meter = _meter(device, watts)
    e_call, reps, elapsed = _energy_per_call(big, meter, device, min_calls=3, min_seconds=measuring_window(0.3, n_calls))
    return meter, e_call, reps, elapsed


__all__ = ["blas_threads", "rnn_flops", "time_calls"]
