"""Gradient flow per hidden layer: a callback for the fit loop, or a tracker for your own PyTorch loop.

Per epoch and per layer with weights (dense, convolution, LSTM/GRU, attention:
its weight matrices and kernels taken as one vector; biases and normalisation
scales left out) it records:

- ``grad_norm``: the mean over the epoch's optimizer steps of each step's
  gradient norm ``‖∂L/∂W‖`` (the gradient the optimizer applies: L2 included,
  after clipping); ``grad_norm_max`` its largest step, ``steps`` how many steps;
- ``weight_norm`` ``‖W‖`` at the end of the epoch and ``update_ratio``
  ``‖W_end − W_start‖ / ‖W_start‖`` over the epoch;
- with a data sample ``X``: activation statistics on it after the epoch (mean,
  std, fraction active, dead and saturated units).

As a callback (``callbacks=[GradientFlow(X)]``) the records go to
``history.extra["gradient_flow"]``, so they land in the estimator's
``history_`` and in its model file. In your own loop, wrap each epoch in
``with flow.epoch(model):`` and call ``flow.step()`` after ``loss.backward()``:

>>> import torch, hiddenlayers as hl
>>> model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
>>> X, y = torch.randn(64, 4), torch.randn(64, 1)
>>> opt = torch.optim.SGD(model.parameters(), lr=0.1)
>>> flow = hl.lens.GradientFlow(X, layers=torch.nn.Linear)
>>> for _ in range(3):
...     with flow.epoch(model):
...         for i in range(0, 64, 16):
...             opt.zero_grad()
...             torch.nn.functional.mse_loss(model(X[i:i + 16]), y[i:i + 16]).backward()
...             flow.step()
...             opt.step()
>>> [r["layers"]["0"]["steps"] for r in flow.records]
[4, 4, 4]
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch
from torch import nn

from ..training import Callback
from ._record import activation_of
from ._select import Selector, select_layers
from ._target import check_max_rows, default_layers, n_rows, nan_padded, require_finite, sample_index, take_rows

KEY = "gradient_flow"
_METRICS = ("grad_norm", "grad_norm_max", "steps", "weight_norm", "update_ratio", "fraction_active", "dead", "saturated", "act_std")


def _weights(layer: nn.Module) -> list[torch.Tensor]:
    """The weight matrices and kernels of one layer: parameters named ``*weight*`` with 2 or more dimensions.

    A dense layer has one (``linear.weight``), a convolution its kernel, an
    LSTM/GRU its ``weight_ih_l*``/``weight_hh_l*``, attention its projections;
    biases and normalisation scales (1-D) are left out, a pooling layer has none.
    """
    return [p for n, p in layer.named_parameters() if "weight" in n.rsplit(".", 1)[-1] and p.ndim >= 2]


def _norm(ts: list[torch.Tensor]) -> float:
    """The Frobenius norm of several tensors taken as one vector."""
    return math.sqrt(sum(float(t.detach().double().square().sum()) for t in ts))


def _layers(module: nn.Module, layers: Selector, *, strict: bool) -> dict[str, list[torch.Tensor]]:
    """``{name: weights}`` of the selected layers that hold weights (lens' selection rules, see ``select_layers``).

    ``layers=None`` takes the module's default layers (a Network's hidden layers),
    else every leaf with weights. ``strict``: none with weights raises, naming what was selected.
    """
    chosen = select_layers(module, layers, default_layers(module))
    found = {n: ws for n, m in chosen.items() if (ws := _weights(m))}
    if not found and strict:
        listing = ", ".join(f"{n} ({type(m).__name__})" for n, m in chosen.items()) or "(none)"
        raise ValueError(
            f"GradientFlow found no weight matrices in the selected layers of {type(module).__name__}: {listing}; "
            "select layers that hold weights (Linear, Conv, RNN, attention), e.g. layers=torch.nn.Linear."
        )
    return found


def activation_after(module: nn.Module, name: str) -> str:
    """The module whose output holds layer ``name``'s units after their activation: ``name`` itself, or, for a bare weight
    layer of an ``nn.Sequential`` (``Linear``, ``Conv``), the activation that follows it there (past dropout and normalisation).

    Why: ``GradientFlow(layers=nn.Linear)`` reads activation statistics where the weights are; a bare ``Linear``'s output
    is the pre-activation, on which a ReLU unit that is never on is no "dead" unit (it is not constant), so the table
    showed no dead units where the ReLU after it had some.
    """
    parent_name, _, child = name.rpartition(".")
    parent = module.get_submodule(parent_name) if parent_name else module
    if not isinstance(parent, nn.Sequential) or activation_of(parent.get_submodule(child)) != "identity":
        return name
    names = [n for n, _ in parent.named_children()]
    for sibling in names[names.index(child) + 1:]:
        nxt = parent.get_submodule(sibling)
        if isinstance(nxt, (nn.Dropout, nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.LayerNorm)):
            continue  # the same units, before their activation
        if any(True for _ in nxt.parameters()) or activation_of(nxt) in (None, "identity"):
            return name  # another weight layer, or a module that is no activation: the layer's own output
        return f"{parent_name}.{sibling}" if parent_name else sibling
    return name


def _size(X: Any) -> str:
    """``X`` in a few words for a repr: an array's shape, a Translator's pair count, a list's sequence count (a list of
    sequences of different lengths has no shape: the repr raised on it)."""
    if isinstance(X, tuple) and len(X) == 2 and all(hasattr(part, "__len__") for part in X):
        return f"{len(X[0])} (source, target) pairs"
    if isinstance(X, list):
        return f"{len(X)} rows"
    return f"{'x'.join(map(str, np.shape(X)))} rows"


class _Epoch:
    """One epoch being measured: the weights at its start and each step's per-tensor gradient norms (on the device)."""

    def __init__(self, module: nn.Module, weights: dict[str, list[torch.Tensor]], number: int) -> None:
        self.module, self.weights, self.number = module, weights, number
        self.start = {n: [w.detach().clone() for w in ws] for n, ws in weights.items()}
        self.flat = [w for ws in weights.values() for w in ws]  # every weight tensor, layer by layer
        self.owner = [i for i, ws in enumerate(weights.values()) for _ in ws]  # its layer's index
        self.norms: list[torch.Tensor] = []  # per step: (tensors,) float32 gradient norms, 0 where none
        self.count = [0] * len(weights)  # per layer: the steps in which it had a gradient
        # float32 at least: a half-precision square sum overflows at 65504
        self.fast = len({(w.dtype, w.device) for w in self.flat}) == 1 and self.flat[0].dtype in (torch.float32, torch.float64)

    def step(self) -> None:
        """Keep this step's gradient norms; raise when no selected weight has a gradient. No host sync."""
        grads = [w.grad for w in self.flat]
        if all(g is not None for g in grads):
            for i in range(len(self.count)):
                self.count[i] += 1
            if self.fast:  # one fused call for every tensor (what clip_grad_norm_ uses)
                with torch.no_grad():
                    self.norms.append(torch.stack(torch._foreach_norm([g for g in grads if g is not None])).float())
                return
            norms = [torch.linalg.vector_norm(g.detach(), dtype=torch.promote_types(g.dtype, torch.float32)) for g in grads if g is not None]
        else:
            have = {self.owner[k] for k, g in enumerate(grads) if g is not None}
            if not have:
                raise RuntimeError(
                    f"GradientFlow.step() found no gradient on the weights of {', '.join(repr(n) for n in self.weights)}: "
                    "call it after loss.backward() and before optimizer.zero_grad()."
                )
            for i in have:
                self.count[i] += 1
            norms = [torch.linalg.vector_norm(g.detach(), dtype=torch.promote_types(g.dtype, torch.float32)) if g is not None
                     else torch.zeros((), device=w.device) for g, w in zip(grads, self.flat)]
        device = norms[0].device
        self.norms.append(torch.stack([t.to(device, torch.float32) for t in norms]))

    def layers(self) -> dict[str, dict[str, Any]]:
        """The epoch's record per layer (one host sync): mean and max over the steps of each layer's gradient norm."""
        if self.norms:
            per_tensor = torch.stack(self.norms).double().cpu().numpy()  # (steps, tensors)
            per_layer = np.sqrt(np.stack([np.square(per_tensor[:, [k for k, o in enumerate(self.owner) if o == i]]).sum(1)
                                          for i in range(len(self.weights))], axis=1))  # (steps, layers)
        out: dict[str, dict[str, Any]] = {}
        for i, (name, ws) in enumerate(self.weights.items()):
            k = self.count[i]
            col = per_layer[:, i] if k else None
            # a step where the layer had no gradient holds 0: the sum and max over steps are unchanged by it
            row: dict[str, Any] = {"weight_norm": _norm(ws), "grad_norm": float(col.sum()) / k if col is not None else math.nan,
                                   "grad_norm_max": float(col.max()) if col is not None else math.nan, "steps": k}
            start = self.start.get(name)
            if start is not None and [t.shape for t in start] == [w.shape for w in ws]:
                base = _norm(start)
                row["update_ratio"] = _norm([w.detach() - s for w, s in zip(ws, start)]) / base if base > 0 else math.nan
            out[name] = row
        return out


class GradientFlow(Callback):
    """Per-layer gradient norm (mean and max over each epoch's steps), weight norm, update ratio and activation stats.

    Use it as a training callback of the estimators, or in your own loop: ``with flow.epoch(model):`` around each epoch
    and ``flow.step()`` after each ``loss.backward()``. ``records`` holds one dict per measured epoch; :meth:`to_frame`,
    :meth:`table` and :meth:`plot` show them, and ``hl.lens.report(model, X, gradient_flow=flow)`` puts them in the
    report. No hook is registered and nothing in the model is changed. As a callback it reads every batch's gradients,
    so the fit gives up its CUDA graphs and its L2 term folded into the step while it runs: a small model on the CPU
    fitted 10-25% slower with it in one noisy measurement.

    Parameters
    ----------
    X : array-like of shape (n, ...), optional
        A sample for activation statistics (at most ``max_rows`` rows, drawn at random with seed 0, the same ones every
        epoch); without it only gradients and weights are kept.
    layers : selector, optional
        Which layers, as :func:`~hiddenlayers.lens.record` takes them (names, glob patterns, hidden-layer indices,
        module types, a predicate); None: a Network's hidden layers, else every leaf module with weights.
    every : int
        Record every k-th epoch (a Python or NumPy integer >= 1; cost: one forward pass on the sample). As a fit
        callback the last epoch is recorded too, whether or not k divides it, so the records always end on the final
        state: gradients are read in every epoch for that (no host sync per step), and with ``X`` a copy of the weights
        is kept at the end of each unrecorded epoch until the next one ends. A ``partial_fit`` call is one epoch of a
        longer run, not its end: there every k-th call is recorded.
    max_rows : int, optional
        The most rows of ``X`` used; None: every row.
    """

    def __init__(self, X: Any = None, *, layers: Selector = None, every: int = 1, max_rows: int | None = 1024) -> None:
        if not isinstance(every, (int, np.integer)) or isinstance(every, bool) or every < 1:
            raise ValueError(f"every must be an integer >= 1. Received: every={every!r}.")
        rows = check_max_rows(max_rows)
        if X is not None and not nan_padded(X):  # a sequence app's NaN padding: checked when the network first reads X
            require_finite(X)
        self.X, self.layers, self.max_rows = X, layers, rows
        self.every = int(every)
        self.records: list[dict[str, Any]] = []
        self._epoch: _Epoch | None = None
        self._app: Any = None  # the application whose fit runs this callback (set_estimator), and X as its network reads it
        self._app_input: Any = None
        self._app_view: tuple[nn.Module, nn.Module] | None = None  # (the fit's network, the lens's one-input view of it)
        # the latest epoch that ended unrecorded: (its record without activation statistics, its weights when X is given)
        self._pending: tuple[dict[str, Any], dict[str, torch.Tensor] | None] | None = None

    def __repr__(self) -> str:
        """The arguments, ``X`` by its shape: an estimator's repr shows its callbacks (it showed ``<... object at 0x...>``)."""
        x = "" if self.X is None else f"X=<{_size(self.X)}>, "
        layers = self.layers.__qualname__ if isinstance(self.layers, type) else repr(self.layers)
        return f"GradientFlow({x}layers={layers}, every={self.every}, max_rows={self.max_rows})"

    # ------------------------------------------------------------------ your own loop

    @contextmanager
    def epoch(self, model: nn.Module) -> Iterator[GradientFlow]:
        """Measure one epoch of ``model``'s training: call :meth:`step` after each ``loss.backward()`` inside.

        On a clean exit the epoch's record is appended to ``records`` (numbered from 1); when the block raises, the partial
        epoch is dropped.

        Parameters
        ----------
        model : torch.nn.Module
            The module being trained.
        """
        if not isinstance(model, nn.Module):
            raise TypeError(f"GradientFlow.epoch takes the torch.nn.Module being trained. Received: {type(model).__name__}.")
        if self._epoch is not None:
            raise RuntimeError("GradientFlow.epoch() is already open: epochs cannot nest; close the previous `with flow.epoch(model):` first.")
        number = int(self.records[-1]["epoch"]) + 1 if self.records else 1
        if not self.records:
            self._check_rows(model)  # before the first epoch's steps, not at its end
        self._epoch = _Epoch(model, _layers(model, self.layers, strict=True), number)
        try:
            yield self
            current, self._epoch = self._epoch, None
            self.records.append(self._finish(current))
        finally:
            self._epoch = None

    def step(self) -> None:
        """Read the gradient of every selected layer now: after ``loss.backward()``, before ``zero_grad()``.

        The norms stay on the model's device until the epoch ends (no sync per step).
        """
        if self._epoch is None:
            raise RuntimeError("GradientFlow.step() was called outside an epoch: wrap each epoch's steps in `with flow.epoch(model):`.")
        self._epoch.step()

    # ------------------------------------------------------------------ the fit loop's callback hooks

    def set_estimator(self, estimator: Any) -> None:
        """Bound by an application's ``fit``: ``X`` is read as that app's ``fit`` takes it.

        A Translator's ``(sources, targets)``, a SequenceClassifier's sequences of different lengths: turned into its
        network's input by the app (its ``network_input``, else the lens's preparation), and a Translator's two-input
        network is read through its ``lens_network()`` view, whose layers are named ``encoder.*`` and ``decoder.*`` as
        ``train --app translator --gradient-flow`` and ``inspect`` name them. Why: the fit handed the callback the raw
        two-input network, which the lens cannot run, and a padded sequence's rows were read as a table.

        Parameters
        ----------
        estimator : application
            The application being fitted.
        """
        self._app, self._app_input, self._app_view = estimator, None, None

    def _lens_view(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """``kwargs`` with the fit's ``network`` swapped for the bound app's one-input lens view where it makes one (the view
        shares the network's parameters, so the gradients read are the fit's; made once per network, as epochs are told apart
        by the network's identity)."""
        network, make = kwargs.get("network"), getattr(self._app, "lens_network", None)
        if network is None or make is None:
            return kwargs
        if self._app_view is None or self._app_view[0] is not network:
            view = make()
            shared = {id(p) for p in network.parameters()} <= {id(p) for p in view.parameters()}
            self._app_view = (network, view if shared else network)
        return {**kwargs, "network": self._app_view[1]}

    def _network_rows(self) -> Any:
        """``X`` as the network reads it: prepared by the bound app once it can (its vocabulary or scaling exists), else
        ``X`` itself (no app; or an app whose preparation exists only once ``fit`` returns: an Autoencoder's scaling)."""
        if self._app is None or self.X is None:
            if self._app is None and nan_padded(self.X):  # NaN padding is a sequence app's form: your own loop's X is checked here
                require_finite(self.X)
            return self.X
        if self._app_input is None:
            from ..exceptions import NotFittedError
            from ._target import as_target

            try:
                prepare = getattr(self._app, "network_input", None)
                self._app_input = prepare(self.X) if prepare is not None else as_target(self._app).prepared(self.X)
            except NotFittedError:
                return self.X
        return self._app_input

    def on_train_begin(self, **kwargs: Any) -> None:
        """Check ``X`` against the network; a fit that starts a new history (not warm, not a later ``partial_fit``) starts
        ``records`` afresh, as Keras' ``History`` does: re-running ``fit`` gave records of epochs 1, 2, 1, 2 mixed in one table.
        ``**kwargs``: the loop's keywords (:class:`~hiddenlayers.training.Callback`); reads ``network`` and ``history``."""
        kwargs = self._lens_view(kwargs)
        network, history = kwargs.get("network"), kwargs.get("history")
        self._app_input = None  # this fit's preparation (a refit's vocabulary may differ)
        if network is not None:
            self._check_rows(network)
        if history is not None and not history.epoch:
            self.records, self._pending = [], None

    def on_epoch_begin(self, **kwargs: Any) -> None:
        kwargs = self._lens_view(kwargs)
        network = kwargs.get("network")
        epoch = int(kwargs.get("epoch", 0))
        self._epoch = None
        if network is None:
            return
        # every epoch is measured: which one is the last is known only after it ends
        self._epoch = _Epoch(network, _layers(network, self.layers, strict=self.layers is not None), epoch)

    def on_batch_end(self, **kwargs: Any) -> None:
        if self._epoch is not None and self._epoch.weights:
            self._epoch.step()

    def on_epoch_end(self, **kwargs: Any) -> None:
        kwargs = self._lens_view(kwargs)
        network, history = kwargs.get("network"), kwargs.get("history")
        if network is None or history is None or not history.epoch:
            return
        epoch = int(history.epoch[-1])
        current = self._epoch if self._epoch is not None and self._epoch.module is network else None
        self._epoch = None
        if current is None:  # called by hand without on_epoch_begin: no start weights, no steps
            current = _Epoch(network, _layers(network, self.layers, strict=self.layers is not None), epoch)
            current.start = {}
        current.number = epoch
        self._pending = None
        if epoch % self.every:  # kept until the next epoch ends: recorded at on_train_end if this one was the last
            weights = None if self.X is None else {k: v.detach().clone() for k, v in network.state_dict().items()}
            self._pending = ({"epoch": epoch, "layers": current.layers()}, weights)
            return
        record = self._finish(current)
        self.records.append(record)
        history.extra.setdefault(KEY, []).append(record)

    def on_train_end(self, **kwargs: Any) -> None:
        """Record the last epoch when ``every`` skipped it, with the activation statistics of its own weights; then forget
        the app the fit bound (the same callback given to an MLP estimator next must not read X as that app's).
        ``**kwargs``: the loop's keywords (:class:`~hiddenlayers.training.Callback`); reads ``network`` and ``history``."""
        try:
            self._record_pending(self._lens_view(kwargs))
        finally:
            self._app, self._app_input, self._app_view = None, None, None

    def _record_pending(self, kwargs: dict[str, Any]) -> None:
        """:meth:`on_train_end`'s record of an epoch ``every`` skipped, if the run ended on one."""
        network, history = kwargs.get("network"), kwargs.get("history")
        pending, self._pending = self._pending, None
        # a partial_fit call is one epoch of a longer run, not its end: every=k holds across the calls
        if network is None or history is None or pending is None or history.stop_reason == "partial_fit":
            return
        record, weights = pending
        if weights is not None:
            kept = {k: v.detach().clone() for k, v in network.state_dict().items()}  # the weights training kept (maybe the best epoch's)
            try:
                network.load_state_dict(weights)
                self._activation_stats(network, record["layers"])
            finally:
                network.load_state_dict(kept)
        self.records.append(record)
        history.extra.setdefault(KEY, []).append(record)

    # ------------------------------------------------------------------ results

    def _finish(self, ep: _Epoch) -> dict[str, Any]:
        layers = ep.layers()
        if self.X is not None:
            self._activation_stats(ep.module, layers)
        return {"epoch": ep.number, "layers": layers}

    def _rows(self) -> Any:
        """``X``'s sample as an array: at most ``max_rows`` rows, the same each epoch."""
        X = self._network_rows()
        X = X if hasattr(X, "shape") else np.asarray(X)
        X = take_rows(X, sample_index(n_rows(X), self.max_rows, 0))  # drawn at random: not the first (sorted data)
        return X if not hasattr(X, "to_numpy") else X.to_numpy()

    def _check_rows(self, network: nn.Module) -> None:
        """Run ``X``'s sample through ``network`` before it trains: rows it cannot take are one line now, not after an epoch.

        Why: the activation statistics are read at each epoch's end, so ``GradientFlow(X)`` with the wrong width (the
        target column left in, the raw table of a scaled fit) failed after a whole epoch with an error about the
        network's input that did not say which ``X``. The fit is left as it was (no step has run).
        """
        from ._record import NonFiniteActivations, record_prepared
        from ._target import as_target

        if self.X is None:
            return
        read = {activation_after(network, n) for n in _layers(network, self.layers, strict=False)}
        if not read:
            return
        try:
            # the sample each epoch reads (one forward of at most max_rows rows), so the message gives its shape; read as
            # _activation_stats reads it (NaN steps of a padded sequence are its end, not missing values)
            record_prepared(as_target(network), self._rows(), sorted(read), stream=True, sample=1, pre=False)
        except NonFiniteActivations:
            return  # initial weights that overflow: training reports what follows
        except ValueError as e:
            raise ValueError(
                f"GradientFlow(X): its rows do not fit the network being trained: {str(e).rstrip('.')}; give GradientFlow rows as fit "
                "takes them, e.g. GradientFlow(X_train) with the X passed to fit."
            ) from None

    def _activation_stats(self, network: nn.Module, layers: dict[str, dict[str, Any]]) -> None:
        from ._record import NonFiniteActivations, record_prepared
        from ._target import as_target

        modules = dict(network.named_modules())
        read = {n: activation_after(network, n) for n in layers if n in modules}  # weight layer -> the module whose output is read
        if not read:
            return
        try:
            # X is the network's input, checked for NaN when given (__init__) or made by an app (AppGradientFlow): a padded
            # sequence's NaN steps (a SequenceClassifier's, a SpeechRecognizer's) are how the network reads its end, as in record_prepared
            rec = record_prepared(as_target(network), self._rows(), sorted(set(read.values())), stream=True, sample=1, pre=False)
        except NonFiniteActivations:
            return  # a diverged epoch: training reports it; its activation statistics are left missing (NaN in the table)
        for name, source in read.items():
            s = rec.stats.get(source)
            if s is not None:
                layers[name].update(
                    act_mean=float(s.mean.mean()), act_std=float(s.std.mean()), fraction_active=float(s.fraction_active.mean()),
                    dead=s.n_dead, saturated=s.n_saturated, units=s.units,
                )

    def table(self) -> dict[str, dict[str, np.ndarray]]:
        """``{layer: {metric: (epochs,) array}}`` of :attr:`records` (see :func:`gradient_flow_table`)."""
        return gradient_flow_table(self)

    def to_frame(self) -> Any:
        """:attr:`records` as a pandas DataFrame: one row per epoch and layer, one column per metric."""
        return records_frame(self.records)

    def plot(self) -> Any:
        """The report's figure of :attr:`records`: gradient norm, update ratio, fraction active per epoch (a matplotlib Figure)."""
        from ._plots import gradient_flow

        if not self.records:
            raise ValueError("GradientFlow has no records yet: train with it first (`with flow.epoch(model):` ... `flow.step()`).")
        return gradient_flow(self.table())


def flow_records(source: Any) -> list[dict[str, Any]]:
    """The per-epoch records of a :class:`GradientFlow`, a training ``History`` or a list of records."""
    if isinstance(source, GradientFlow):
        return source.records
    if isinstance(source, list):
        return source
    return list((getattr(source, "extra", None) or {}).get(KEY, []))


def records_frame(records: list[dict[str, Any]]) -> Any:
    """Records as a long DataFrame: columns ``epoch``, ``layer`` and the metrics (missing -> NaN)."""
    import pandas as pd

    rows = [{"epoch": r["epoch"], "layer": name, **{k: row.get(k, math.nan) for k in _METRICS}}
            for r in records for name, row in r["layers"].items()]
    return pd.DataFrame(rows, columns=["epoch", "layer", *_METRICS])


def gradient_flow_table(history: Any) -> dict[str, dict[str, np.ndarray]]:
    """``{layer: {metric: (epochs,) array}}`` from a History's ``extra["gradient_flow"]`` or a :class:`GradientFlow` (missing -> NaN).

    Parameters
    ----------
    history : History or GradientFlow
        Where the records are.
    """
    records = flow_records(history)
    names: list[str] = []
    for r in records:
        for n in r["layers"]:
            if n not in names:
                names.append(n)
    out: dict[str, dict[str, np.ndarray]] = {}
    for n in names:
        metrics: dict[str, list[float]] = {}
        for r in records:
            row = r["layers"].get(n, {})
            for k in _METRICS:
                v = row.get(k, math.nan)
                metrics.setdefault(k, []).append(float(v) if v is not None else math.nan)
        out[n] = {k: np.asarray(v, dtype=float) for k, v in metrics.items()}
        out[n]["epoch"] = np.asarray([r["epoch"] for r in records], dtype=float)
    return out


__all__ = ["GradientFlow", "flow_records", "gradient_flow_table", "records_frame"]
