"""Energy of a running model: counters read in joules, and joules per call.

Reads Intel/AMD RAPL counters (``/sys/class/powercap``) or NVIDIA NVML when it
can, else estimates (and says so): the process's CPU time x an assumed power per busy CPU
thread, or wall time x an assumed power for a GPU or a ``watts`` given. Used
by :func:`hiddenlayers.rightsize.cost` for energy per prediction and per epoch.
"""

from __future__ import annotations

import glob
import os
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

ASSUMED_WATTS_PER_CPU_THREAD = 10.0  # a busy server core under a dense matmul load, roughly TDP / cores
ASSUMED_GPU_WATTS = 300.0
FULL_WINDOW_CALLS = 2000  # cost()'s default n_calls: the measuring windows at their full length


def measuring_window(seconds: float, n_calls: int) -> float:
    """``seconds`` (a measuring window's full length) at ``n_calls`` >= 2000 (cost()'s default), proportionally shorter below.

    ``n_calls`` is how much measuring the caller asks for: a quick estimate (``n_calls=50``) should not spend
    half a second per figure on throughput and energy when its latencies took milliseconds. The windows' other
    floors stay: each still makes its minimum of calls and lasts the meter's ``min_window_s``.
    """
    return seconds * min(1.0, n_calls / FULL_WINDOW_CALLS)


class _Meter(ABC):
    """Reads a cumulative energy counter in joules; ``method`` describes it."""

    measured = False
    method = ""
    #: shortest span (s) worth reading: counters that update in steps need spans of several steps
    min_window_s = 0.0

    @abstractmethod
    def read(self) -> float:
        """Joules counted so far (only differences between reads mean anything)."""


class _RaplMeter(_Meter):
    measured = True
    min_window_s = 0.05  # RAPL updates about every millisecond

    def __init__(self, files: list[str]) -> None:
        self.files = files
        self.ranges = []
        for f in files:
            rng = os.path.join(os.path.dirname(f), "max_energy_range_uj")
            try:
                with open(rng) as fh:
                    self.ranges.append(float(fh.read()))
            except OSError:
                self.ranges.append(float("inf"))
        self.method = (
            f"measured: RAPL package counters ({', '.join(os.path.dirname(f).rsplit('/', 1)[-1] for f in files)}); "
            "they include everything else the CPU package ran meanwhile"
        )
        self._last = [self._raw(f) for f in files]
        self._total = 0.0

    @staticmethod
    def _raw(f: str) -> float:
        with open(f) as fh:
            return float(fh.read())

    def read(self) -> float:
        for i, f in enumerate(self.files):
            now = self._raw(f)
            delta = now - self._last[i]
            if delta < 0:  # the counter wrapped around
                delta += self.ranges[i]
            self._total += delta
            self._last[i] = now
        return self._total * 1e-6


class _NvmlMeter(_Meter):
    measured = True
    min_window_s = 0.5  # the NVML counter moves in steps tens of milliseconds apart; shorter spans read 0

    def __init__(self, index: int) -> None:
        import pynvml

        pynvml.nvmlInit()
        self._nvml = pynvml
        self._handle = pynvml.nvmlDeviceGetHandleByIndex(index)
        self.read()
        self.method = f"measured: NVML total energy counter of GPU {index}"

    def read(self) -> float:
        return float(self._nvml.nvmlDeviceGetTotalEnergyConsumption(self._handle)) * 1e-3


class _EstimateMeter(_Meter):
    """Joules estimated: a GPU's (or a given power's) wall time x watts; a CPU's own CPU time x watts per busy thread.

    Why CPU time: the work runs on PyTorch's threads or, for the MLPs' ``predict``, on NumPy's
    BLAS threads, and on a shared machine those threads wait for a core part of the time;
    wall time x PyTorch's thread count charged both the waiting and threads that were idle
    (or missed BLAS's). The process's CPU time counts what its threads ran, whichever library.
    """

    def __init__(self, device: torch.device, watts: float | None, why: str) -> None:
        self._clock = time.perf_counter
        if device.type == "cuda":
            self.watts = ASSUMED_GPU_WATTS if watts is None else watts
            how = f"measured wall time x {self.watts:g} W assumed for the GPU"
        elif watts is not None:
            self.watts = watts
            how = f"measured wall time x {self.watts:g} W assumed"
        else:
            self.watts, self._clock = ASSUMED_WATTS_PER_CPU_THREAD, time.process_time
            how = (f"CPU time of this process (all its threads, PyTorch's and BLAS's) x {ASSUMED_WATTS_PER_CPU_THREAD:g} W "
                   "assumed per busy CPU thread")
        self.method = f"ESTIMATE, not a measurement ({why}): {how}; pass watts=... (CLI: --watts) to change"
        self._t0 = self._clock()

    def read(self) -> float:
        return (self._clock() - self._t0) * self.watts


def _meter(device: torch.device, watts: float | None) -> _Meter:
    if watts is not None:
        return _EstimateMeter(device, watts, "watts given by the caller")
    if device.type == "cuda":
        try:
            return _NvmlMeter(device.index or 0)
        except Exception as exc:  # no pynvml, or the driver refuses: fall back, saying why
            return _EstimateMeter(device, None, f"NVML unavailable: {type(exc).__name__}")
    files = sorted(f for f in glob.glob("/sys/class/powercap/intel-rapl:*/energy_uj") if f.count(":") == 1)
    if not files:
        return _EstimateMeter(device, None, "no RAPL counters under /sys/class/powercap")
    try:
        return _RaplMeter(files)
    except OSError as exc:
        return _EstimateMeter(device, None, f"RAPL counters not readable: {exc.strerror or exc}")


def _sync(device: torch.device) -> None:
    """Wait for the device's queued work, so timings and counter reads include it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _epoch_energy(net: nn.Module, batch: int, samples: int, is_clf: bool, meter: _Meter, device: torch.device, dtype: torch.dtype,
                  n_calls: int) -> float:
    """Joules for one epoch of ``samples`` rows in steps of ``batch``: each step's energy timed on a few steps
    (for 0.2 s at ``n_calls`` >= 2000, proportionally less below: :func:`measuring_window`).

    An epoch is ``samples // batch`` full steps and, when the rows do not divide, one last
    step of the rest, timed on its own rows: costing it as a full step overstated the
    epoch up to twice (201 rows at batch 200 are a step of 200 and one of 1, not two of 200).
    """
    full, rest = divmod(samples, batch)
    window = measuring_window(0.2, n_calls)
    joules = full * _step_energy(net, batch, is_clf, meter, device, dtype, min_calls=min(full, 5), seconds=window) if full else 0.0
    if rest:  # batch norm cannot train on one row: such a last step is timed on two (a step's cost is mostly per call there)
        one_row_ok = not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in net.modules())
        joules += _step_energy(net, rest if one_row_ok else max(rest, 2), is_clf, meter, device, dtype, min_calls=1, seconds=window)
    return joules


def _step_energy(net: nn.Module, rows: int, is_clf: bool, meter: _Meter, device: torch.device, dtype: torch.dtype, *,
                 min_calls: int, seconds: float) -> float:
    """Joules of one training step (forward, backward, SGD step) on ``rows`` random inputs, after 3 warm-up steps;
    at least ``min_calls`` steps over at least ``seconds``.

    The SGD step is ``torch.optim.SGD``'s on the CPU (``p -= lr * grad`` per parameter) written out: building a
    ``torch.optim`` optimizer imports ``torch._dynamo`` (about 3 s, once per process), which ``cost`` otherwise avoids.
    """
    shape = tuple(getattr(net, "input_shape", (net.in_features,)))
    vocab = getattr(net, "vocab_size", None)
    x = torch.randint(0, int(vocab), (rows, *shape), device=device) if vocab else torch.randn(rows, *shape, dtype=dtype, device=device)
    params = [p for p in net.parameters() if p.requires_grad]
    net.train()

    def step() -> None:
        for p in params:
            p.grad = None
        out = net(x)
        loss = out.logsumexp(1).sum() if is_clf else (out * out).sum()
        loss.backward()
        with torch.no_grad():
            for p in params:
                if p.grad is not None:
                    p.add_(p.grad, alpha=-1e-6)

    for _ in range(3):
        step()
    _sync(device)
    e_step, _, _ = _energy_per_call(step, meter, device, min_calls=min_calls, min_seconds=seconds)
    return e_step


def _energy_per_call(fn: Callable[[], Any], meter: _Meter, device: torch.device, *, min_calls: int, min_seconds: float) -> tuple[float, int, float]:
    """Joules per call of ``fn``, with the number of calls and the seconds they took (device work included).

    Calls ``fn`` at least ``min_calls`` times and for at least ``min_seconds`` or
    the meter's ``min_window_s``; a counter that has not moved by then is given
    up to ten times longer, so a short span never reads as zero energy.
    """
    window = max(min_seconds, meter.min_window_s)
    n, e0, t0 = 0, meter.read(), time.perf_counter()
    while True:
        fn()
        n += 1
        if n < min_calls or time.perf_counter() - t0 < window:
            continue
        _sync(device)
        elapsed, joules = time.perf_counter() - t0, meter.read() - e0
        if joules > 0 or elapsed > 10 * window:
            return joules / n, n, elapsed
