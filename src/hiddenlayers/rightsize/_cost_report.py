"""The result of :func:`~hiddenlayers.rightsize.cost`: :class:`CostReport` with one :class:`LayerCost` per layer, as a table or JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class LayerCost:
    """Cost of one layer (``hidden1`` ... ``head``); FLOPs at batch 1, memory at ``batch_size``.

    Attributes
    ----------
    name : str
        The layer's name.
    in_features : int
        Its inputs per row.
    out_features : int
        Its outputs per row.
    activation : str
        Its activation.
    params : int
        Its trainable parameters.
    flops_per_prediction : int
        FLOPs of its forward pass on one row.
    flops_per_train_step : int
        FLOPs of its forward and backward passes in one training step.
    weight_bytes : int
        Bytes of its parameters and buffers.
    activation_bytes : int
        Bytes it keeps for backward at ``batch_size`` rows.
    latency_p50_us : float or None
        Its median batch-1 latency alone, in µs (None: not timed).
    energy_share : float
        The layer's share of the prediction FLOPs: the total energy apportioned by FLOPs, an estimate even when the
        total is measured (no counter reads a single layer).
    """

    name: str
    in_features: int
    out_features: int
    activation: str
    params: int
    flops_per_prediction: int
    flops_per_train_step: int
    weight_bytes: int
    activation_bytes: int
    latency_p50_us: float | None = None
    energy_share: float = 0.0


#: what the FLOPs figures count, said under every table (fvcore and ptflops count a multiply-add as 1, and some count
#: activations: without it a figure compares with theirs at 2x or 1x by guess)
FLOP_CONVENTION = ("FLOPs: 2 per multiply-add of the matrix products and convolutions (torch.utils.flop_counter; recurrent layers "
                   "by hand alike); activations, "
                   "normalisation, bias adds and pooling not counted; FLOPs/pred at batch 1, FLOPs/step: forward and backward "
                   "of one training step at batch {batch}")

#: what the acts column counts, said under every table (it is no sum of the layers' output sizes)
ACTIVATION_CONVENTION = ("acts@{batch}: the bytes a training forward at batch {batch} keeps for backward (autograd's saved tensors: "
                         "inputs, gates, masks, statistics), each once, in the row of the layer that first saves it; weights not counted")

#: the name of the row holding what no layer row does (:func:`with_remainder`)
OTHER = "(other)"


def tensor_bytes(module: Any) -> int:
    """Bytes of ``module``'s parameters and buffers (batch norm's running statistics), each at its own dtype."""
    return sum(t.numel() * t.element_size() for t in (*module.parameters(), *module.buffers()))


def with_remainder(layers: list[LayerCost], params: int, flops_pred: int, flops_train: int, weight_bytes: int,
                   activation_bytes: int = 0) -> list[LayerCost]:
    """``layers`` and, when they fall short of the totals, one ``(other)`` row with the rest; energy shares from the FLOPs.

    Why: a custom module's own ``nn.Parameter`` (``x @ self.w``) and the matrix
    products of its ``forward`` belong to no leaf layer, so the rows summed to
    less than the totals and their energy shares to less than 100%. The row has
    no shape (0 -> 0); ``weight_bytes`` is the model's total (:func:`tensor_bytes`), ``activation_bytes`` what autograd
    saved outside every row (:mod:`~hiddenlayers.rightsize._saved`).
    """
    rest = (params - sum(lc.params for lc in layers), flops_pred - sum(lc.flops_per_prediction for lc in layers),
            flops_train - sum(lc.flops_per_train_step for lc in layers), weight_bytes - sum(lc.weight_bytes for lc in layers),
            activation_bytes)
    out = list(layers)
    if any(rest):
        out.append(LayerCost(name=OTHER, in_features=0, out_features=0, activation="outside the layers", params=rest[0],
                             flops_per_prediction=rest[1], flops_per_train_step=rest[2], weight_bytes=rest[3],
                             activation_bytes=rest[4]))
    for lc in out:
        lc.energy_share = lc.flops_per_prediction / flops_pred if flops_pred else 1.0 / len(out)
    return out


@dataclass(repr=False)
class CostReport:
    """The result of :func:`cost`; ``to_dict()`` for JSON, ``table()`` for Rich, ``print()`` for the table as text.

    Its repr is one line of the key numbers (parameters, FLOPs, latency, throughput), not every field and layer:
    ``hl.cost(clf)`` ending a REPL line printed kilobytes on one line. FLOPs count 2 per multiply-add of matrix products
    and convolutions, nothing else (``FLOP_CONVENTION``, shown under the table).

    Attributes
    ----------
    layers : list of LayerCost
        One row per layer (hidden layers, then the head): its parameters, FLOPs, bytes and, when timed, latency.
    params : int
        Trainable parameters of the whole model.
    flops_per_prediction : int
        FLOPs of one row's forward pass.
    flops_per_train_step : int
        FLOPs of one training step (forward and backward) at ``train_batch_size`` rows.
    train_batch_size : int
        Rows of the training step counted.
    weight_bytes : int
        Bytes of the parameters and buffers (batch norm's running statistics, needed to predict), each at its own dtype.
    activation_bytes : int
        Bytes training keeps for backward at ``batch_size``: the tensors autograd saves in one training forward (the
        input at the dtype the network is fed, token ids int64; an LSTM's gates and cell states per step; dropout's
        masks), each counted once, per layer in the row that first saves it (``ACTIVATION_CONVENTION``; measured by
        :mod:`~hiddenlayers.rightsize._saved`).
    batch_size : int
        Rows of the activation-memory figure.
    device : str
        Where the model ran (``"cpu"``, ``"cuda:0"``).
    threads : int
        PyTorch's threads during the measurements.
    blas_threads : int or None
        NumPy's BLAS threads (``predict``'s NumPy path multiplies with it); None when no BLAS is loaded.
    latency_predict_p50_us : float or None
        Median batch-1 ``predict`` latency in µs; None where ``predict`` was not timed.
    latency_predict_p99_us : float or None
        99th-percentile batch-1 ``predict`` latency in µs.
    latency_forward_p50_us : float
        Median batch-1 latency of the raw network forward in µs.
    latency_forward_p99_us : float
        99th-percentile batch-1 forward latency in µs.
    throughput_batch : int
        Rows per call of the throughput figure.
    throughput_per_s : float
        Predictions per second at ``throughput_batch``.
    energy_per_1000_predictions_j : float
        Joules per 1,000 predictions (measured or an estimate: ``energy_measured``).
    energy_per_epoch_j : float or None
        Joules per training epoch of ``epoch_samples`` rows; None when unknown.
    epoch_samples : int or None
        Rows per epoch of the energy-per-epoch figure.
    energy_measured : bool
        True when an energy counter was read; False for an estimate from an assumed power.
    energy_method : str
        Which counter or estimate gave the energy, in words.
    n_calls : int
        Timed batch-1 calls behind the latency percentiles.
    notes : list of str
        What the figures leave out or assume, one line each.
    pipeline : list of str or None
        For a scikit-learn ``Pipeline`` ending in a hiddenlayers model, its steps as ``"name: Class"`` (the figures are
        its last step's, on rows the steps before it transformed: a note says so); None for a model given alone.
    """

    layers: list[LayerCost]
    params: int
    flops_per_prediction: int
    flops_per_train_step: int
    train_batch_size: int
    weight_bytes: int
    activation_bytes: int
    batch_size: int
    device: str
    threads: int
    blas_threads: int | None
    latency_predict_p50_us: float | None
    latency_predict_p99_us: float | None
    latency_forward_p50_us: float
    latency_forward_p99_us: float
    throughput_batch: int
    throughput_per_s: float
    energy_per_1000_predictions_j: float
    energy_per_epoch_j: float | None
    epoch_samples: int | None
    energy_measured: bool
    energy_method: str
    n_calls: int
    notes: list[str] = field(default_factory=list)
    pipeline: list[str] | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (for ``--json``)."""
        return asdict(self)

    def table(self) -> Any:
        """A Rich table: one row per layer, then the total, then the measurements."""
        from .._rich_plain import PlainTable  # cells, titles and captions print as given (paths, names)

        blas = "" if self.blas_threads is None else f", {self.blas_threads} BLAS thread(s)"
        of = "" if self.pipeline is None else f"of Pipeline({', '.join(self.pipeline)}) "
        t = PlainTable(title=f"cost {of}on {self.device} ({self.threads} torch thread(s){blas})", show_footer=False)
        for col in ("layer", "shape", "act", "params", "FLOPs/pred", f"FLOPs/step@{self.train_batch_size}", "weights", f"acts@{self.batch_size}", "p50 µs", "est. energy %"):
            t.add_column(col, justify="left" if col in ("layer", "shape", "act") else "right")
        for lc in self.layers:
            t.add_row(
                lc.name, "" if lc.name == OTHER else f"{lc.in_features}→{lc.out_features}", lc.activation, f"{lc.params:,}",
                f"{lc.flops_per_prediction:,}", f"{lc.flops_per_train_step:,}", _fmt_bytes(lc.weight_bytes),
                _fmt_bytes(lc.activation_bytes), "" if lc.latency_p50_us is None else f"{lc.latency_p50_us:.1f}",
                f"{100 * lc.energy_share:.0f}%",
            )
        t.add_section()
        t.add_row(
            "total", "", "", f"{self.params:,}", f"{self.flops_per_prediction:,}", f"{self.flops_per_train_step:,}",
            _fmt_bytes(self.weight_bytes), _fmt_bytes(self.activation_bytes), f"{self.latency_forward_p50_us:.1f}", "100%",
        )
        t.caption = self.summary()
        return t

    def summary(self) -> str:
        """The conventions and measurements below the table, one per line: how FLOPs and activation memory are counted,
        latency percentiles (µs), throughput (predictions/s) and energy (J, measured or an estimate)."""
        lines = [FLOP_CONVENTION.format(batch=self.train_batch_size), ACTIVATION_CONVENTION.format(batch=self.batch_size)]
        if self.latency_predict_p50_us is not None:
            lines.append(f"predict() batch 1: p50 {self.latency_predict_p50_us:.1f} µs, p99 {self.latency_predict_p99_us:.1f} µs")
        lines.append(f"raw forward batch 1: p50 {self.latency_forward_p50_us:.1f} µs, p99 {self.latency_forward_p99_us:.1f} µs ({self.n_calls} calls)")
        lines.append(f"throughput at batch {self.throughput_batch}: {self.throughput_per_s:,.0f} predictions/s")
        kind = "measured" if self.energy_measured else "ESTIMATE"
        e = f"energy ({kind}): {self.energy_per_1000_predictions_j:.4g} J per 1,000 predictions"
        if self.energy_per_epoch_j is not None:
            e += f", {self.energy_per_epoch_j:.4g} J per epoch of {self.epoch_samples} samples"
        lines.append(e)
        lines.append(self.energy_method)
        lines.append("est. energy %: each layer's share of the FLOPs, not measured per layer")
        lines.extend(self.notes)
        return "\n".join(lines)

    def __rich__(self) -> Any:
        return self.table()

    def __repr__(self) -> str:
        return (f"CostReport({len(self.layers)} layers, params={self.params:,}, flops_per_prediction={self.flops_per_prediction:,}, "
                f"forward p50 {self.latency_forward_p50_us:.1f} µs, {self.throughput_per_s:,.0f} predictions/s on {self.device}; "
                "print() shows the table)")

    def __str__(self) -> str:
        """The table as plain text, so ``print(hl.cost(model))`` shows it (no colours, 140 columns)."""
        from ._plain import plain_text

        return plain_text(self.table())


def _fmt_bytes(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)  # pragma: no cover


__all__ = ["FLOP_CONVENTION", "CostReport", "LayerCost", "tensor_bytes", "with_remainder"]
