"""ONNX export of a fitted estimator, preprocessing included, parity-checked.

:func:`export_onnx` writes one ``.onnx`` file whose input ``X`` is
``(batch, n_inputs)`` float32 with a dynamic batch size and whose output is
what the estimator's own API returns: ``probabilities`` for classifiers (the
columns of ``predict_proba``, in ``classes_`` order) and ``predictions`` for
regressors. A model with a stored table ``preprocessing_`` takes the raw
numeric columns instead (missing = NaN): the median fill, missing-value
indicators and standardisation run inside the graph. The file is checked
against the PyTorch model with onnxruntime and can be quantised to int8.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from .exceptions import DataError, NotFittedError


@dataclass
class ExportReport:
    """What :func:`export_onnx` wrote and how closely it matches PyTorch."""

    path: str
    input_name: str
    output_name: str
    n_inputs: int
    input_columns: list[str] | None
    opset: int
    bytes: int
    max_abs_diff: float
    parity_rows: int
    quantized_path: str | None = None
    quantized_bytes: int | None = None
    quantized_max_abs_diff: float | None = None
    score_before: float | None = None
    score_after: float | None = None
    metric: str | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def table(self) -> Any:
        from rich.table import Table

        t = Table(title="ONNX export", show_header=False)
        t.add_column("what")
        t.add_column("value")
        t.add_row("file", f"{self.path} ({self.bytes:,} bytes)")
        t.add_row("input", f"{self.input_name}: (batch, {self.n_inputs}) float32")
        t.add_row("output", self.output_name)
        t.add_row("parity", f"largest |onnx - torch| = {self.max_abs_diff:.3g} over {self.parity_rows} rows")
        if self.quantized_path:
            t.add_row("int8 file", f"{self.quantized_path} ({self.quantized_bytes:,} bytes)")
            t.add_row("int8 parity", f"largest |int8 - torch| = {self.quantized_max_abs_diff:.3g}")
        if self.score_before is not None:
            t.add_row(self.metric or "score", f"{self.score_before:.4f} (float) -> {self.score_after:.4f} (int8)")
        for note in self.notes:
            t.add_row("note", note)
        return t

    def __rich__(self) -> Any:
        return self.table()


class _Exportable(nn.Module):
    """Preprocessing + network + output activation as one traceable module."""

    fill: Tensor
    mean: Tensor
    scale: Tensor

    def __init__(self, network: nn.Module, out_activation: str, binary: bool, columns: list[dict[str, Any]] | None) -> None:
        super().__init__()
        self.network = network
        self.out_activation = out_activation
        self.binary = binary
        self.columns = columns
        if columns is not None:
            self.register_buffer("fill", torch.tensor([c["fill"] for c in columns], dtype=torch.float32))
            self.register_buffer("mean", torch.tensor([c["mean"] for c in columns], dtype=torch.float32))
            self.register_buffer("scale", torch.tensor([c["scale"] for c in columns], dtype=torch.float32))
            self.indicator = [i for i, c in enumerate(columns) if c["missing_indicator"]]

    def forward(self, x: Tensor) -> Tensor:
        if self.columns is not None:
            isnan = torch.isnan(x)  # (N, n_columns)
            z = (torch.where(isnan, self.fill, x) - self.mean) / self.scale
            if self.indicator:
                # interleave each column with its indicator, in the preprocessing's order
                parts = []
                for i in range(z.shape[1]):
                    parts.append(z[:, i : i + 1])
                    if i in self.indicator:
                        parts.append(isnan[:, i : i + 1].to(z.dtype))
                z = torch.cat(parts, dim=1)
            x = z
        out = self.network(x.to(next(self.network.parameters()).dtype))
        if self.out_activation == "softmax":
            out = torch.softmax(out, dim=1)
        elif self.out_activation == "logistic":
            out = torch.sigmoid(out)
            if self.binary:
                out = torch.cat([1.0 - out, out], dim=1)
        elif self.out_activation == "exp":
            out = torch.exp(out)
        return out.to(torch.float32)


def _columns(model: Any) -> list[dict[str, Any]] | None:
    pre = getattr(model, "preprocessing_", None)
    if pre is None:
        return None
    if not isinstance(pre, dict) or pre.get("kind") != "table" or not isinstance(pre.get("columns"), list):
        raise DataError("the model's preprocessing_ is not a table preprocessing dict (TablePreprocessor.to_dict()): refit or export with include_preprocessing=False.")
    cats = [c["name"] for c in pre["columns"] if c.get("kind") != "numeric"]
    if cats:
        raise DataError(
            f"categorical column(s) {', '.join(cats[:5])} cannot be folded into the ONNX graph yet: "
            "export with include_preprocessing=False and one-hot encode before calling the ONNX model."
        )
    return [dict(c) for c in pre["columns"]]


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence the exporter's and quantiser's log chatter (torchvision notes, tips)."""
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logging.disable(previous)


def _atomic_path(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    return tmp


def _session(data: bytes) -> Any:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.log_severity_level = 3
    return ort.InferenceSession(data, opts, providers=["CPUExecutionProvider"])


def _parity_data(model: Any, columns: list[dict[str, Any]] | None, n_inputs: int, X: Any) -> np.ndarray:
    if X is not None:
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 2 or X.shape[1] != n_inputs:
            raise ValueError(f"X must be (n_rows, {n_inputs}) for this model's ONNX input. Received shape {X.shape}.")
        return X
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((256, n_inputs)).astype(np.float32)
    if columns is not None:
        Z = Z * np.array([c["scale"] for c in columns], dtype=np.float32) + np.array([c["mean"] for c in columns], dtype=np.float32)
        Z[::17, 0] = np.nan  # exercise the missing-value path
    return Z


def _reference(model: Any, module: _Exportable, X: np.ndarray) -> np.ndarray:
    """What the estimator's own API returns for raw rows ``X`` (through PyTorch)."""
    module.eval()
    with torch.inference_mode():
        return module(torch.as_tensor(X)).cpu().numpy().astype(np.float64)


def _score(model: Any, out: np.ndarray, y: Any) -> tuple[str, float]:
    from sklearn.metrics import accuracy_score, r2_score

    if hasattr(model, "classes_"):
        if model._label_binarizer.y_type_ == "multilabel-indicator":
            return "accuracy", float(accuracy_score(y, (out > 0.5).astype(int)))
        return "accuracy", float(accuracy_score(y, model.classes_[out.argmax(1)]))
    return "r2", float(r2_score(y, out.ravel() if out.shape[1] == 1 else out))


def export_onnx(
    model: Any,
    path: str | os.PathLike[str],
    *,
    include_preprocessing: bool = True,
    X: Any = None,
    y: Any = None,
    quantize: bool = False,
    quantized_path: str | os.PathLike[str] | None = None,
    opset: int = 18,
    tolerance: float = 1e-4,
) -> ExportReport:
    """Write ``model`` as ONNX to ``path`` and check it against PyTorch.

    ``X``: rows for the parity check (raw columns when the model has
    preprocessing; random rows when omitted); ``y``: labels/targets for the
    score before/after int8 quantisation. ``quantize=True`` also writes an
    int8 dynamically-quantised copy to ``quantized_path`` (default
    ``<path stem>.int8.onnx``). Raises ``ValueError`` when the parity check's
    largest difference exceeds ``tolerance``. Files are written atomically.

    >>> report = export_onnx(clf, "model.onnx", quantize=True, X=X_test, y=y_test)  # doctest: +SKIP
    >>> report.max_abs_diff < 1e-5  # doctest: +SKIP
    True
    """
    import onnx

    if not hasattr(model, "network_"):
        if hasattr(model, "hidden_layer_sizes"):
            raise NotFittedError(f"export_onnx() needs a fitted model: call {type(model).__name__}.fit(X, y) first.")
        raise TypeError(f"export_onnx() takes a fitted MLPClassifier or MLPRegressor. Received: {type(model).__name__}.")
    if quantize is False and quantized_path is not None:
        raise ValueError("quantized_path was given but quantize=False: pass quantize=True to write the int8 model.")
    if y is not None and X is None:
        raise ValueError("y was given without X: pass the rows X that y labels.")
    path = Path(path)
    columns = _columns(model) if include_preprocessing else None
    n_inputs = len(columns) if columns is not None else int(model.n_features_in_)
    if columns is not None:
        expect = n_inputs + sum(bool(c["missing_indicator"]) for c in columns)
        if expect != model.network_.in_features:
            raise DataError(f"the preprocessing produces {expect} features but the network reads {model.network_.in_features}: the model is inconsistent.")
    is_clf = hasattr(model, "classes_")
    out_act = model._loss().out_activation
    binary = is_clf and model._label_binarizer.y_type_ == "binary"
    net = _cpu_copy(model.network_)
    module = _Exportable(net, out_act, binary, columns).eval()
    out_name = "probabilities" if is_clf else "predictions"
    sample = torch.zeros(2, n_inputs, dtype=torch.float32)
    Xp = _parity_data(model, columns, n_inputs, X)

    tmp = _atomic_path(path)
    try:
        with _quiet():
            torch.onnx.export(
                module, (sample,), tmp, input_names=["X"], output_names=[out_name], opset_version=opset,
                dynamic_shapes={"x": {0: torch.export.Dim("batch")}}, external_data=False, verbose=False,
            )
        proto = onnx.load(tmp)
        meta = {"hiddenlayers_estimator": type(model).__name__, "hiddenlayers_output": out_name}
        if is_clf:
            meta["classes"] = json.dumps(np.asarray(model.classes_).tolist())
        if columns is not None:
            meta["input_columns"] = json.dumps([c["name"] for c in columns])
        elif hasattr(model, "feature_names_in_"):
            meta["input_columns"] = json.dumps([str(c) for c in model.feature_names_in_])
        onnx.helper.set_model_props(proto, meta)
        data = proto.SerializeToString()
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        ref = _reference(model, module, Xp)
        got = _session(data).run(None, {"X": Xp})[0].astype(np.float64)
        diff = float(np.max(np.abs(got - ref))) if got.size else 0.0
        if not diff <= tolerance:
            raise ValueError(f"ONNX output differs from PyTorch by {diff:.3g} (> tolerance={tolerance}): the export is not faithful; report this model's spec.")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    report = ExportReport(
        path=str(path), input_name="X", output_name=out_name, n_inputs=n_inputs,
        input_columns=[c["name"] for c in columns] if columns is not None else None, opset=opset,
        bytes=len(data), max_abs_diff=diff, parity_rows=int(Xp.shape[0]),
    )
    if columns is not None:
        report.notes.append("input is the raw numeric columns (NaN = missing); fill, indicators and standardisation are in the graph")
    if quantize:
        _quantize(report, path, quantized_path, Xp, ref, model, got, y)
    elif y is not None:
        report.metric, report.score_before = _score(model, got, y)
    return report


def _cpu_copy(network: nn.Module) -> nn.Module:
    import copy

    return copy.deepcopy(network).to(device="cpu").eval()


def _quantize(report: ExportReport, path: Path, qpath: Any, Xp: np.ndarray, ref: np.ndarray, model: Any, got: np.ndarray, y: Any) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    qpath = Path(qpath) if qpath is not None else path.with_name(path.stem + ".int8.onnx")
    tmp = _atomic_path(qpath)
    try:
        with _quiet():
            quantize_dynamic(str(path), tmp, weight_type=QuantType.QInt8)
        with open(tmp, "rb") as fh:
            qdata = fh.read()
        qgot = _session(qdata).run(None, {"X": Xp})[0].astype(np.float64)
        os.replace(tmp, qpath)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    report.quantized_path = str(qpath)
    report.quantized_bytes = len(qdata)
    report.quantized_max_abs_diff = float(np.max(np.abs(qgot - ref))) if qgot.size else 0.0
    if y is not None:
        report.metric, report.score_before = _score(model, got, y)
        report.score_after = _score(model, qgot, y)[1]


__all__ = ["ExportReport", "export_onnx"]
