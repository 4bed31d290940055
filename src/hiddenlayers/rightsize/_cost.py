"""What a hidden-layer network costs: parameters, FLOPs, memory, latency, energy.

:func:`cost` measures a fitted estimator (or a bare :class:`Network`) per
hidden layer and in total. FLOPs are PyTorch's own
``torch.utils.flop_counter.FlopCounterMode``'s (2 FLOPs per multiply-add;
element-wise activations are not counted by it), counted from the layers'
shapes where every layer is known (:mod:`hiddenlayers.rightsize._flops_hand`,
without the counter's ``torch._dynamo`` import), and for the recurrent
kernels it cannot see into (the CPU LSTM, cuDNN) from :func:`rnn_flops`. Latency is measured at
batch 1 through the estimator's ``predict`` and through a raw forward, as
p50/p99 over many calls after warm-up. Energy is **measured** from Intel/AMD
RAPL counters (``/sys/class/powercap/intel-rapl*/energy_uj``) or NVIDIA NVML
when they can be read, and otherwise **estimated**: the process's CPU time x an
assumed power per busy thread (a GPU's, or a given ``watts``: wall time x the power); ``energy_method`` says which and how (the meters live in
:mod:`hiddenlayers.rightsize._energy`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from .._network_of import network_of
from .._pipe import real_steps, require_fitted_head, split_pipeline, through_head
from .._rng import keeps_torch_rng
from .._words import article, foreign, foreign_note, pipeline_note
from ..data import row_count
from ..network import in_mode
from ._cost_report import CostReport, LayerCost, tensor_bytes, with_remainder
from ._energy import ASSUMED_GPU_WATTS as ASSUMED_GPU_WATTS
from ._energy import ASSUMED_WATTS_PER_CPU_THREAD as ASSUMED_WATTS_PER_CPU_THREAD
from ._energy import _epoch_energy
from ._measure import _big_batch_energy, _flops, _forward_times_us, blas_threads, time_calls
from ._measure import rnn_flops as rnn_flops
from ._saved import saved_activation_bytes


def _unwrap(model: Any) -> tuple[Any, Any]:
    """``(estimator or None, its Network)``; clear errors for what cost() cannot measure."""
    from ..network import Network

    if isinstance(model, Network):
        return None, model
    net = network_of(model)
    if isinstance(net, Network):
        return model, net
    if net is not None:
        raise TypeError(
            f"cost() measures models built on one hiddenlayers Network; {type(model).__name__}'s network is "
            f"{article(type(net).__name__)}: measure it as a plain module, cost(model.network_, example_input=...) with inputs as the "
            "network takes them (batch first), or pass one of the Networks inside it."
        )
    if hasattr(model, "hidden_layer_sizes") and not foreign(model):
        from ..exceptions import NotFittedError

        raise NotFittedError(f"cost() needs a fitted model: call {type(model).__name__}.fit(...) first.")
    raise TypeError(f"cost() takes a fitted hiddenlayers estimator or application, a hiddenlayers Network, or a torch.nn.Module. Received: {type(model).__name__}"
                    f"{foreign_note(model)}{pipeline_note(model, 'hl.cost(pipe[-1]), which leaves out the steps before it')}.")


def _is_plain_module(model: Any, example_input: Any, input_shape: Any) -> bool:
    """A ``torch.nn.Module`` that is not a hiddenlayers ``Network``; ``example_input``/``input_shape`` given to anything else is refused."""
    from ..network import Network

    plain = isinstance(model, nn.Module) and not isinstance(model, Network) and getattr(model, "network_", None) is None
    if not plain and (example_input is not None or input_shape is not None):
        raise ValueError(f"example_input= and input_shape= are for a plain torch.nn.Module; {type(model).__name__} makes its own "
                         "inputs: pass X= (inputs in the form its predict takes) instead.")
    return plain


def _plain_module_cost(model: nn.Module, *, X: Any, epoch_samples: int | None, **kwargs: Any) -> CostReport:
    """:func:`cost` of a plain module (``_cost_module``), after refusing what only a hiddenlayers model can use."""
    from ._cost_module import module_cost

    if X is not None:
        raise ValueError("X is for a hiddenlayers estimator or application; for a plain torch.nn.Module pass example_input= "
                         "(a few inputs, batch first) instead.")
    if epoch_samples is not None:
        raise ValueError("epoch_samples needs a hiddenlayers model (its loss and training rows); a plain torch.nn.Module's "
                         "energy per epoch is not measured: omit epoch_samples.")
    return module_cost(model, **kwargs)


def _is_table_model(est: Any, net: Any) -> bool:
    """An estimator whose ``predict`` takes flat rows of ``n_features_in_`` numbers (the MLPs)."""
    return est is not None and hasattr(est, "n_features_in_") and not getattr(net, "vocab_size", None) and len(net.input_shape) == 1 \
        and not hasattr(est, "network_input") and type(est).__name__ in ("MLPClassifier", "MLPRegressor")


def _latency_note(numpy_predict: bool) -> str:
    """What the CPU's batch-1 figures include; ``numpy_predict``: ``predict`` runs the MLP's NumPy copy of its weights.

    That path has no PyTorch op overhead, so ``predict`` can be faster than the raw forward: "includes Python call
    overhead" alone read as if ``predict`` were the forward plus something (digits' 32,16 MLP: 41 µs against 105 µs).
    """
    if numpy_predict:
        return ("batch-1 predict() runs the MLP's NumPy copy of its weights (no PyTorch op overhead), with its Python call "
                "overhead, so it can be faster than the raw forward, the PyTorch module alone")
    return "batch-1 latency includes Python call overhead; the raw forward is the PyTorch module alone"


def _n_rows(X: Any) -> int:
    """The rows of ``X`` by :func:`hiddenlayers.data.row_count` (a SciPy sparse matrix's first axis: it has no ``len``; a
    list of sequences' length); anything else by its ``len()``, whose TypeError says what it is."""
    n = row_count(X)
    return len(X) if n is None else n


def _cycle_rows(X: Any, n: int) -> Any:
    """``n`` rows of ``X`` (repeated from the start when it has fewer), in X's own container."""
    m = _n_rows(X)
    idx = np.arange(n) % m
    if hasattr(X, "iloc"):
        return X.iloc[idx]
    if isinstance(X, list):
        return [X[i] for i in idx]
    return np.asarray(X)[idx] if not hasattr(X, "tocsr") else X.tocsr()[idx]


def _check_args(batch_size: int, n_calls: int, throughput_batch: int, watts: float | None, train_batch_size: int | None,
                epoch_samples: int | None) -> None:
    """One-line errors for :func:`cost`'s numeric arguments (``None``: the model's own training figure)."""
    for name, value, low in (("batch_size", batch_size, 1), ("n_calls", n_calls, 10), ("throughput_batch", throughput_batch, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}. Received: {name}={value!r}.")
    for name, own in (("train_batch_size", train_batch_size), ("epoch_samples", epoch_samples)):
        if own is not None and (isinstance(own, bool) or not isinstance(own, int) or own < 1):
            raise ValueError(f"{name} must be an integer >= 1, or None for the model's own. Received: {name}={own!r}.")
    if watts is not None and not (isinstance(watts, (int, float)) and watts > 0):
        raise ValueError(f"watts must be a positive number of watts or None. Received: watts={watts!r}.")


def _example_maker(est: Any, net: Any, X: Any) -> Callable[[int], torch.Tensor]:
    """``example(n)``: ``n`` input samples for the network, from ``X`` when given, else random of its shape.

    Random inputs are ids when the network embeds tokens. ``X`` is checked
    here: it needs an estimator (it is in the form ``predict`` takes) and a row.
    """
    param = next(net.parameters())
    device, dtype = param.device, param.dtype
    in_shape = tuple(getattr(net, "input_shape", (net.in_features,)))
    vocab = getattr(net, "vocab_size", None)
    prepared = None
    if X is not None:
        if est is None:
            raise ValueError("X is for an estimator or application: with a bare Network, omit X (random inputs of its shape are used).")
        if _n_rows(X) == 0:
            raise ValueError("X is empty: pass at least one input to time the model on.")
        from ..lens import as_target

        target = as_target(est)
        prepared, to_tensor = target.prepared(X), target.to_tensor

    def example(n: int) -> torch.Tensor:
        if prepared is not None:
            return to_tensor(_cycle_rows(prepared, n))
        if vocab:
            return torch.randint(0, int(vocab), (n, *in_shape), device=device)
        return torch.randn(n, *in_shape, dtype=dtype, device=device)

    return example


def _training_defaults(est: Any, train_batch_size: int | None, epoch_samples: int | None) -> tuple[int, int | None]:
    """``(train_batch_size, epoch_samples)``, the model's own where not given.

    The model's own step is the one its fit takes: ``batch_size`` (200 for
    ``"auto"``) capped at the rows of an epoch, as ``fit`` clips it
    (``min(200, n_samples)``), and the whole epoch for ``solver="lbfgs"``
    (full-batch). Without ``epoch_samples`` known the cap cannot apply.
    The rows of an epoch are the samples seen (``t_``) over the epochs that saw them:
    ``loss_curve_`` has one entry per epoch of every fit since the model was built, as
    ``t_`` counts them (sklearn's convention); ``n_iter_`` counts the last fit's alone
    (a warm fit, a ``partial_fit`` call or ``prune``'s fine-tuning restart it).
    """
    if epoch_samples is None and est is not None and getattr(est, "t_", None):
        curve = getattr(est, "loss_curve_", None)
        epochs = len(curve) if isinstance(curve, (list, tuple)) and curve else getattr(est, "n_iter_", None)
        if epochs:
            epoch_samples = max(1, int(round(est.t_ / epochs)))
    if train_batch_size is None:
        bs: Any = getattr(est, "batch_size", "auto")
        train_batch_size = 200 if bs == "auto" or bs is None else int(bs)
        if epoch_samples is not None:
            full_batch = getattr(est, "solver", None) == "lbfgs"
            train_batch_size = epoch_samples if full_batch else min(train_batch_size, epoch_samples)
    return train_batch_size, epoch_samples


def _layer_costs(
    net: Any, x1: torch.Tensor, f_pred: dict[str, int], f_train: dict[str, int], saved: dict[str | None, int], *,
    per_layer_latency: bool, n_calls: int
) -> list[LayerCost]:
    """One :class:`LayerCost` per hidden layer and the head, each fed the previous one's output on ``x1``.

    FLOPs come from the counts ``f_pred``/``f_train`` (keyed "Network.hidden1", ...);
    ``saved``: each row's activation bytes (``None``: saved before any row), :func:`~hiddenlayers.rightsize._saved.saved_activation_bytes`;
    energy shares are the layers' shares of the prediction FLOPs; what no layer holds is one ``(other)`` row. Runs
    ``net`` in the mode it finds it in (:func:`cost` holds it in eval).
    """
    device = next(net.parameters()).device
    top = type(net).__name__
    names = list(net.hidden_names) + ["head"]
    layers: list[LayerCost] = []
    h = x1
    for name in names:
        mod = getattr(net, name)
        if name == "head" and h.ndim > 2:
            h = h.flatten(1)
        with torch.inference_mode():
            out = mod(h)
        lat = None
        if per_layer_latency:
            inp = h

            def call(m: nn.Module = mod, i: torch.Tensor = inp) -> None:
                with torch.inference_mode():
                    m(i)

            lat = float(np.median(time_calls(call, max(50, n_calls // 4), device=device)) * 1e6)
        p = sum(q.numel() for q in mod.parameters())
        n_out = int(np.prod(out.shape[1:]))
        layers.append(LayerCost(
            name=name, in_features=int(np.prod(h.shape[1:])), out_features=n_out,
            activation=_activation_text(mod, name), params=p,
            flops_per_prediction=f_pred.get(f"{top}.{name}", 0), flops_per_train_step=f_train.get(f"{top}.{name}", 0),
            weight_bytes=tensor_bytes(mod), activation_bytes=saved.get(name, 0), latency_p50_us=lat,
        ))
        h = out
    total_pred = f_pred.get("Global", sum(lc.flops_per_prediction for lc in layers))
    total_train = f_train.get("Global", sum(lc.flops_per_train_step for lc in layers))
    return with_remainder(layers, sum(q.numel() for q in net.parameters()), total_pred, total_train, tensor_bytes(net), saved.get(None, 0))


def _activation_text(mod: nn.Module, name: str) -> str:
    """A row's ``activation``: the layer's own, a recurrent layer's cell (its gates are sigmoids, its state tanh), else the kind."""
    cell = getattr(mod, "cell", None)
    if isinstance(cell, str):
        return f"{cell}: sigmoid gates, tanh"
    return getattr(mod, "activation_name", "output" if name == "head" else type(mod).__name__)


def _predict_calls(est: Any, net: Any, X: Any, throughput_batch: int, notes: list[str]) -> tuple[Any, Any]:
    """``(one, big)``: ``est.predict`` on 1 and on ``throughput_batch`` inputs, or ``(None, None)`` with a note why not.

    From ``X`` when given; else random rows for the table MLPs (other models
    need real inputs: their ``predict`` takes images, sequences or texts).
    """
    if X is not None:
        x1_user, xb_user = _cycle_rows(X, 1), _cycle_rows(X, throughput_batch)
        try:
            est.predict(x1_user)
            return (lambda: est.predict(x1_user)), (lambda: est.predict(xb_user))
        except Exception as exc:  # e.g. a Forecaster predicts from a whole series, not from rows
            notes.append(f"predict not timed: {type(est).__name__}.predict does not take rows of X ({exc})")
    elif _is_table_model(est, net):
        n_flat = int(est.n_features_in_)
        dtype = next(net.parameters()).dtype
        x_np = np.random.default_rng(0).standard_normal((1, n_flat)).astype(np.float32 if dtype == torch.float32 else np.float64)
        xb_np = np.random.default_rng(1).standard_normal((throughput_batch, n_flat)).astype(x_np.dtype)
        return (lambda: est.predict(x_np)), (lambda: est.predict(xb_np))
    elif est is not None:
        notes.append(f"predict not timed: pass X= (a few real inputs) to time {type(est).__name__}.predict")
    return None, None


def _percentiles(times_us: np.ndarray | None) -> tuple[float | None, float | None]:
    """``(p50, p99)`` of timed calls, or ``(None, None)`` when not timed."""
    if times_us is None:
        return None, None
    return float(np.percentile(times_us, 50)), float(np.percentile(times_us, 99))


@keeps_torch_rng  # random timing inputs and the energy probe's training steps (dropout) leave the user's stream alone
def cost(
    model: Any,
    *,
    batch_size: int = 256,
    n_calls: int = 2000,
    throughput_batch: int = 4096,
    train_batch_size: int | None = None,
    epoch_samples: int | None = None,
    watts: float | None = None,
    per_layer_latency: bool = True,
    X: Any = None,
    example_input: Any = None,
    input_shape: Any = None,
) -> CostReport:
    """Measure what ``model`` costs, per hidden layer and in total.

    Parameters
    ----------
    model : estimator, Network, torch.nn.Module or Pipeline
        A fitted ``MLPClassifier``/``MLPRegressor`` (or a ``Network``), or any ``torch.nn.Module`` with
        ``example_input``/``input_shape``; or a fitted scikit-learn ``Pipeline`` ending in one of ours: its last step's
        cost on ``X`` through the steps before it, which are not counted (a note says so, and ``str(report)`` names the
        Pipeline's steps).
    batch_size : int
        Rows per batch for the activation-memory figure (what a training forward keeps for backward, autograd's saved
        tensors: :mod:`hiddenlayers.rightsize._saved`).
    n_calls : int
        Timed batch-1 calls for the p50/p99 latency (after ``max(10, n_calls // 10)`` warm-up calls). It also sets how
        long throughput and energy are measured: 0.3 s of large-batch calls and 0.2 s of training steps at 2000 or
        more, proportionally less below (``n_calls=50``: a quick estimate), each over a few calls at least.
    throughput_batch : int
        Rows per call for the predictions/s figure.
    train_batch_size : int, optional
        Rows of one training step (default: the model's own, as its fit took it: ``batch_size`` capped at the epoch's
        rows, the whole epoch for L-BFGS).
    epoch_samples : int, optional
        Rows per epoch for the energy per epoch (default: what the model was trained on).
    watts : float, optional
        Force an energy *estimate* at this power (W) instead of reading a counter.
    per_layer_latency : bool
        Also time each layer alone (``LayerCost.latency_p50_us``).
    X : array-like, optional
        A few real inputs in the form ``model.predict`` takes (rows, images, sequences, texts). With it, the network is
        timed on those inputs and ``predict`` is timed too; without it, random inputs of the network's shape are used,
        and ``predict`` is timed only for the table MLPs.
    example_input : torch.Tensor or tuple of tensors, optional
        A plain ``torch.nn.Module``'s inputs, batch first ``(N, ...)``.
    input_shape : tuple of int, optional
        A plain ``torch.nn.Module``'s one input's shape, for random inputs (what the report holds then, and leaves out:
        :mod:`hiddenlayers.rightsize._cost_module`).

    Examples
    --------
    >>> report = cost(clf, n_calls=500)           # doctest: +SKIP
    >>> report.latency_predict_p50_us, report.energy_method  # doctest: +SKIP
    """
    _check_args(batch_size, n_calls, throughput_batch, watts, train_batch_size, epoch_samples)
    parts = split_pipeline(model)
    if parts is not None:
        return _pipeline_cost(model, parts, X=X, example_input=example_input, input_shape=input_shape, batch_size=batch_size, n_calls=n_calls,
                              throughput_batch=throughput_batch, train_batch_size=train_batch_size, epoch_samples=epoch_samples, watts=watts,
                              per_layer_latency=per_layer_latency)
    if _is_plain_module(model, example_input, input_shape):
        return _plain_module_cost(model, X=X, example_input=example_input, input_shape=input_shape, epoch_samples=epoch_samples, batch_size=batch_size,
                                  n_calls=n_calls, throughput_batch=throughput_batch, train_batch_size=train_batch_size, watts=watts)
    return _network_cost(model, batch_size=batch_size, n_calls=n_calls, throughput_batch=throughput_batch, train_batch_size=train_batch_size,
                         epoch_samples=epoch_samples, watts=watts, per_layer_latency=per_layer_latency, X=X)


def _pipeline_cost(pipe: Any, parts: tuple[Any, Any], *, X: Any, example_input: Any, input_shape: Any, **kwargs: Any) -> CostReport:
    """:func:`cost` of a scikit-learn ``Pipeline`` ending in a hiddenlayers model: its last step's, on ``X`` through the steps before it.

    The steps before the model are not counted, and the report says so: they run in NumPy or pandas, where PyTorch's FLOP
    counter sees nothing, and most of them (an imputer, a one-hot encoder, a TableEncoder) do no multiply-adds to count;
    a scaler's or a PCA's exact few FLOPs per row summed with the network's would make the table's total no layer's sum.
    """
    head, last = parts
    if example_input is not None or input_shape is not None:
        raise ValueError("example_input= and input_shape= are for a plain torch.nn.Module; a Pipeline makes its own inputs: pass X= "
                         "(rows in the form pipe.predict takes) instead.")
    require_fitted_head(head, last, "cost()")
    if X is not None and _n_rows(X) == 0:
        raise ValueError("X is empty: pass at least one input to time the model on.")
    report = cost(last, X=None if X is None else through_head(head, X), **kwargs)
    report.pipeline = [f"{name}: {step if step is None or isinstance(step, str) else type(step).__name__}" for name, step in pipe.steps]
    if head is not None:
        before = ", ".join(f"{name!r} ({type(step).__name__})" for name, step in real_steps(head.steps))
        fed = "X transformed by them" if X is not None else "random rows of the network's width (pass X= for real ones)"
        report.notes.insert(0, f"the Pipeline's steps before {type(last).__name__}, {before}, are not counted: every figure is "
                               f"{type(last).__name__}'s, on {fed}; predict() is pipe[-1].predict")
    return report


def _network_cost(
    model: Any, *, batch_size: int, n_calls: int, throughput_batch: int, train_batch_size: int | None, epoch_samples: int | None,
    watts: float | None, per_layer_latency: bool, X: Any,
) -> CostReport:
    """:func:`cost` of a hiddenlayers estimator, application or ``Network`` (arguments checked there)."""
    est, net = _unwrap(model)
    param = next(net.parameters())
    device, dtype = param.device, param.dtype
    example = _example_maker(est, net, X)
    is_clf = est is not None and hasattr(est, "classes_")
    train_batch_size, epoch_samples = _training_defaults(est, train_batch_size, epoch_samples)

    # FLOPs: measured on a copy so the user's gradients and mode are untouched; then per layer
    probe = copy.deepcopy(net)
    f_pred = _flops(probe, example(1), False, is_clf)
    f_train = _flops(probe, example(train_batch_size), True, is_clf)
    x1 = example(1)
    notes: list[str] = []
    rows = [(n, getattr(probe, n)) for n in (*probe.hidden_names, "head")]
    saved = saved_activation_bytes(probe, example, rows, batch_size)  # on the copy: its batch-norm statistics may move
    # the user's network is timed in eval mode; every submodule's own mode comes back after, also on error
    with in_mode(net, False):
        layers = _layer_costs(net, x1, f_pred, f_train, saved, per_layer_latency=per_layer_latency, n_calls=n_calls)
        total_pred = f_pred.get("Global", sum(lc.flops_per_prediction for lc in layers))
        torch_threads, numpy_threads = torch.get_num_threads(), blas_threads()  # what the timings below run under

        # latency at batch 1: through predict (NumPy fast path or torch) and a raw forward
        predict_one, predict_big = _predict_calls(est, net, X, throughput_batch, notes)
        lat_pred = None if predict_one is None else time_calls(predict_one, n_calls) * 1e6
        lat_fwd = _forward_times_us(net, x1, n_calls, device)

        # throughput and energy per prediction at a large batch
        meter, e_call, reps, elapsed = _big_batch_energy(net, example, predict_big, throughput_batch, device, watts, n_calls)

    # energy per epoch from timed training steps (forward, backward, SGD step) on a copy
    e_epoch = None
    if epoch_samples:
        e_epoch = _epoch_energy(probe, train_batch_size, epoch_samples, is_clf, meter, device, dtype, n_calls)
    else:  # the figure is absent from the summary: say why and how to get it
        owner = type(est).__name__ if est is not None else "a bare Network"
        notes.append(f"energy per epoch not measured: {owner} records no rows per epoch; pass epoch_samples= (rows per epoch) for it")
    if device.type == "cpu":
        notes.append(_latency_note(lat_pred is not None and _is_table_model(est, net) and net.numpy_norms(np.float32) is not None))
    pred_p50, pred_p99 = _percentiles(lat_pred)
    return CostReport(
        layers=layers, params=sum(q.numel() for q in net.parameters()), flops_per_prediction=int(total_pred),
        flops_per_train_step=int(f_train.get("Global", 0)), train_batch_size=train_batch_size,
        weight_bytes=sum(lc.weight_bytes for lc in layers),
        activation_bytes=sum(lc.activation_bytes for lc in layers), batch_size=batch_size,
        device=str(device), threads=torch_threads, blas_threads=numpy_threads,
        latency_predict_p50_us=pred_p50, latency_predict_p99_us=pred_p99,
        latency_forward_p50_us=float(np.percentile(lat_fwd, 50)), latency_forward_p99_us=float(np.percentile(lat_fwd, 99)),
        throughput_batch=throughput_batch, throughput_per_s=reps * throughput_batch / elapsed,
        energy_per_1000_predictions_j=float(e_call / throughput_batch * 1000.0), energy_per_epoch_j=e_epoch, epoch_samples=epoch_samples,
        energy_measured=meter.measured, energy_method=meter.method, n_calls=n_calls, notes=notes,
    )


__all__ = ["CostReport", "LayerCost", "cost", "time_calls"]
