"""ONNX export of a fitted estimator, preprocessing included, parity-checked.

:func:`export_onnx` writes one ``.onnx`` file whose input ``X`` is
``(batch, n_inputs)`` float32 (float64 for a ``dtype="float64"`` model: its graph
computes and answers in float64) with a dynamic batch size and whose output is
what the estimator's own API returns: ``probabilities`` for classifiers (the
columns of ``predict_proba``, in ``classes_`` order) and ``predictions`` for
regressors. A model with a stored table ``preprocessing_`` takes the raw
columns instead: numeric ones as ``X`` (missing = NaN), where the median
fill, missing-value indicators and standardisation run inside the graph, and
categorical ones as the string tensor ``C`` (missing = an empty string),
one-hot encoded inside the graph with the ``<other>`` bucket for values
unseen in training (the graph is built in :mod:`hiddenlayers.ship._onnx_graph`). A network of dense layers has its
graph written directly (:mod:`hiddenlayers.ship._dense_graph`: ~0.4 s for a process's first export, a few ms after,
where torch's exporter takes ~5 s and ~0.6 s); any other is traced by torch's exporter.
The column names, classes and target travel as JSON ``metadata_props``;
:class:`hiddenlayers.ship.OnnxModel` runs the file on a raw table. The
file is checked against the PyTorch model with onnxruntime and can be
quantised to int8.

The applications in ``ONNX_APPS`` (ImageClassifier, Autoencoder, Forecaster,
SequenceClassifier, TextClassifier, Recommender, SpeechRecognizer, DQNAgent) export with their own input preprocessing in
the graph and are checked against their own ``predict_proba``,
``score_samples``, ``predict`` and ``q_values``; their graphs are in
:mod:`hiddenlayers.ship._app_graph` (and ``_app_graph_seq``, ``_app_graph_ids``, ``_app_graph_rec``, ``_app_graph_agent``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._docsections import parameters_section
from .._meta import WEIGHT_COLUMN_KEY
from .._network_of import network_of
from .._words import article, foreign_note
from ..exceptions import DataError, NotFittedError, QuantizedToleranceError
from ._app_base import GRAPH_DTYPES, AppGraph
from ._app_graph import INPUT_DTYPES, ONNX_APPS, app_kind, build_app_graph
from ._dense_graph import dense_graph, ir_version_for
from ._export_pipeline import check_missing_rows, numeric_rows, output_share, pipeline_plan, pipeline_report
from ._export_report import ExportReport, parity_tolerance
from ._fresh_dispatch import fresh_dispatch
from ._int8 import quantized_ops, weight_only_int8, written_opset
from ._int8_check import check_quantized_tolerance, record_int8_parity
from ._onnx_graph import _FEATURES, _add_string_inputs, _columns, _cpu_copy, _exportable, _width
from ._onnx_run import INPUTS_KEY, choose_missing_token, feeds_from_frame, input_spec
from ._pipeline import is_pipeline, pipeline_as_model, pipeline_parts
from ._rnn_shapes import shape_only_recurrence
from ._torchlib_registry import reused_registry


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


@contextlib.contextmanager
def _scratch() -> Iterator[Path]:
    """A private temporary folder for the exporter's and quantiser's files, removed afterwards.

    They write to paths, not bytes; working outside the output's folder means a
    failed export leaves nothing beside ``--out``, and the outputs themselves are
    written only at the end (:func:`hiddenlayers._files.atomic_write_files`).
    """
    with tempfile.TemporaryDirectory(prefix="hiddenlayers-export-") as folder:
        yield Path(folder)


def _session(data: bytes) -> Any:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.log_severity_level = 3
    return ort.InferenceSession(data, opts, providers=["CPUExecutionProvider"])


def _parity(model: Any, columns: list[dict[str, Any]] | None, n_inputs: int, X: Any, token: str,
            dtype: Any = np.float32) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The parity rows as (ONNX feeds, the traced module's float input), in the graph's float ``dtype``."""
    import pandas as pd

    if columns is None or not any(c["kind"] != "numeric" for c in columns):
        if isinstance(X, pd.DataFrame) and columns is not None:
            X = feeds_from_frame(X, input_spec(columns, token), dtype=dtype)[0]["X"]
        if X is not None:
            X = numeric_rows(X, n_inputs, missing_allowed=columns is not None, dtype=dtype)
            return {"X": X}, X
        rng = np.random.default_rng(0)
        Z = rng.standard_normal((256, n_inputs)).astype(dtype)
        if columns is not None:
            Z = Z * np.array([c["scale"] for c in columns], dtype=dtype) + np.array([c["mean"] for c in columns], dtype=dtype)
            Z[::17, 0] = np.nan  # exercise the missing-value path
        return {"X": Z}, Z
    names = [c["name"] for c in columns]
    if X is None:
        frame = _random_frame(columns)
    elif isinstance(X, pd.DataFrame):
        frame = X.rename(columns=str)
    else:
        X = np.asarray(X, dtype=object)
        if X.ndim != 2 or X.shape[1] != len(names):
            raise ValueError(f"X must be a table with columns {names} (a DataFrame, or an array in that order). Received shape {X.shape}.")
        frame = pd.DataFrame(X, columns=names)
    feeds, _ = feeds_from_frame(frame, input_spec(columns, token), dtype=dtype)
    from ..data import TablePreprocessor

    pre = TablePreprocessor()
    pre.columns = columns
    matrix = pre.transform(frame[names]).matrix  # the encoding the model was trained with
    starts = np.cumsum([0] + [_width(c) for c in columns])
    hot = [matrix[:, starts[i] : starts[i + 1]] for i, c in enumerate(columns) if c["kind"] != "numeric"]
    parts = ([feeds["X"]] if "X" in feeds else []) + hot
    return feeds, np.hstack(parts).astype(dtype)


def _random_frame(columns: list[dict[str, Any]], n: int = 256) -> Any:
    """Rows like the training data: numeric values around their mean, every category, unseen and missing ones."""
    import pandas as pd

    rng = np.random.default_rng(0)
    data: dict[str, Any] = {}
    for c in columns:
        if c["kind"] == "numeric":
            v = rng.standard_normal(n) * c["scale"] + c["mean"]
            v[:: 17] = np.nan
            data[c["name"]] = v
        else:
            pool = np.array([*c["categories"], "<a value unseen in training>", None], dtype=object)
            data[c["name"]] = pool[rng.integers(0, len(pool), n)]
    return pd.DataFrame(data)


def _reference(module: Any, features: np.ndarray) -> np.ndarray:
    """What the estimator's own API returns for these rows (through PyTorch)."""
    import torch

    with torch.inference_mode():
        return module(torch.as_tensor(features)).cpu().numpy().astype(np.float64)


def _score(model: Any, out: np.ndarray, y: Any) -> tuple[str, float]:
    from sklearn.metrics import accuracy_score, r2_score

    if hasattr(model, "classes_"):
        if getattr(model, "label_type_", None) == "multilabel-indicator":
            return "accuracy", float(accuracy_score(y, (out > 0.5).astype(int)))
        return "accuracy", float(accuracy_score(y, model.classes_[out.argmax(1)]))
    return "r2", float(r2_score(y, out.ravel() if out.shape[1] == 1 else out))


def _metadata(model: Any, columns: list[dict[str, Any]] | None, out_name: str, token: str) -> dict[str, str]:
    """``metadata_props`` of the file: JSON strings that `hiddenlayers predict`, `evaluate` and `info` read (never pickles); the version is plain text."""
    from .. import __version__

    meta = {"hiddenlayers_estimator": type(model).__name__, "hiddenlayers_output": out_name, "hiddenlayers_version": __version__}
    if hasattr(model, "classes_"):
        meta["classes"] = json.dumps(np.asarray(model.classes_).tolist())
        meta["label_type"] = json.dumps(str(model.label_type_))
    if columns is not None:
        meta["input_columns"] = json.dumps([c["name"] for c in columns])
        meta[INPUTS_KEY] = json.dumps(input_spec(columns, token))
        pre = model.preprocessing_
        for key in ("target", "task", WEIGHT_COLUMN_KEY):  # the weight column: so predict/evaluate/serve of the file name it
            if isinstance(pre.get(key), str):
                meta[key] = json.dumps(pre[key])
    elif hasattr(model, "feature_names_in_"):
        meta["input_columns"] = json.dumps([str(c) for c in model.feature_names_in_])
    return meta


SUPPORTED = f"MLPClassifier, MLPRegressor or one of the applications ({', '.join(ONNX_APPS)})"
LOWEST_OPSET = 16  # torch's exporter writes 18; it converts down to 16 or 17 where the model's operators allow


def opset_range() -> tuple[int, int]:
    """``(lowest, highest)`` ONNX opset :func:`export_onnx` accepts: down-converted from 18 up to the newest the installed onnx knows."""
    import onnx

    return LOWEST_OPSET, int(onnx.defs.onnx_opset_version())


def _check_export_args(model: Any, quantize: bool, quantized_path: Any, X: Any, y: Any, opset: Any, tolerance: Any, input_dtype: Any = "float32") -> None:
    """One-line errors for what :func:`export_onnx` cannot export or was asked inconsistently."""
    if not isinstance(input_dtype, str) or input_dtype not in INPUT_DTYPES:
        raise ValueError(f"input_dtype must be one of {', '.join(map(repr, INPUT_DTYPES))} (the ONNX input X's element type; 'uint8' for an "
                         f"ImageClassifier's 0-255 pixels). Received: input_dtype={input_dtype!r}.")
    lo, hi = opset_range()
    if isinstance(opset, bool) or not isinstance(opset, int) or not lo <= opset <= hi:
        raise ValueError(f"opset must be an integer from {lo} to {hi} (the ONNX versions the exporter can write). Received: opset={opset!r}.")
    if tolerance is not None and (isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or not tolerance >= 0):
        raise ValueError(f"tolerance must be a number >= 0 (the largest |ONNX - PyTorch| difference accepted, relative to outputs beyond size 1), e.g. 1e-4, or None for the "
                         f"default of the graph's float type. Received: tolerance={tolerance!r}.")
    from ..estimators import MLPClassifier, MLPRegressor

    if not isinstance(model, (MLPClassifier, MLPRegressor)) and app_kind(model) is None:
        raise TypeError(f"export_onnx() takes a fitted {SUPPORTED}. Received: {type(model).__name__}{foreign_note(model)}.")
    if network_of(model) is None:
        raise NotFittedError(f"export_onnx() needs a fitted model: call {type(model).__name__}.fit(...) first.")
    if quantize is False and quantized_path is not None:
        raise ValueError("quantized_path was given but quantize=False: pass quantize=True to write the int8 model.")
    if y is not None and X is None:
        raise ValueError("y was given without X: pass the rows X that y labels.")
    if input_dtype != "float32" and app_kind(model) != "ImageClassifier":
        raise ValueError(f"input_dtype={input_dtype!r} is for an ImageClassifier's pixels; {article(type(model).__name__)} reads real values: leave input_dtype='float32'.")


def _check_dtype(model: Any, dtype: Any) -> None:
    """One-line errors for ``dtype``: None, or ``"float32"``/``"float64"`` for an application (a table model's graph is its fitted type)."""
    if dtype is None:
        return
    if not isinstance(dtype, str) or dtype not in GRAPH_DTYPES:
        raise ValueError(f"dtype must be None (the model's own float type) or one of {', '.join(map(repr, GRAPH_DTYPES))} (the float type "
                         f"the application's graph computes in). Received: dtype={dtype!r}.")
    if app_kind(model) is None:
        raise ValueError(f"dtype={dtype!r} is for the applications' graphs; {article(type(model).__name__)}'s graph computes in the dtype it was fitted "
                         "with: leave dtype=None (refit with that dtype for another).")


def _check_onnx_suffix(path: str | os.PathLike[str], name: str) -> None:
    """Refuse an ONNX file named otherwise (``model.txt``): onnxruntime's users and the CLI (``predict``, ``serve``) know one by ``.onnx``."""
    p = Path(path)
    if p.suffix.lower() != ".onnx":
        example = p / "model.onnx" if not p.name or p.is_dir() else p.with_name(p.stem + ".onnx")
        given = os.fspath(path)  # as the user gave it: Path("") would show '.'
        raise ValueError(f"{name} must end in .onnx (the file is an ONNX model), e.g. {str(example)!r}. Received: {name}={given!r}.")


def _torch_proto(module: Any, sample: Any, *, input_names: list[str], out_name: str | list[str], opset: int, dynamic_shapes: Any) -> Any:
    """``module`` traced by torch's exporter (torch.export, torchlib) as a ``ModelProto``, in a scratch folder."""
    import onnx
    import torch

    # each export as in a fresh process (see _fresh_dispatch), but for torch's torchlib registry, built once (_torchlib_registry),
    # and an LSTM's or GRU's shapes given without tracing its steps (_rnn_shapes)
    with _scratch() as folder, _quiet(), fresh_dispatch(), reused_registry(), shape_only_recurrence():
        tmp = folder / "model.onnx"
        torch.onnx.export(
            module, sample if isinstance(sample, tuple) else (sample,), str(tmp), input_names=input_names,
            output_names=[out_name] if isinstance(out_name, str) else list(out_name), opset_version=opset,
            dynamic_shapes=dynamic_shapes or {"x": {0: torch.export.Dim("batch")}}, external_data=False, verbose=False,
        )
        proto = onnx.load(str(tmp))
    _drop_trace_notes(proto.graph)
    return proto


#: The one note of torch's exporter a node keeps: the module path it came from (``network.hidden2``), which ``info`` names layers by.
_KEPT_NODE_NOTE = "pkg.torch.onnx.name_scopes"


def _drop_trace_notes(graph: Any) -> None:
    """Remove the tracing notes torch's exporter writes on every node (nested graphs too) but the module path.

    Why: its ``stack_trace``, ``fx_node``, ``class_hierarchy`` and ``namespace`` notes hold the absolute paths of the
    exporting machine's files (its home folder, virtual environment and scripts) and were a third of a small model's
    file (``lstm80,16``: 49 kB of 186 kB); onnxruntime reads none of them.
    """
    for node in graph.node:
        kept = [p for p in node.metadata_props if p.key == _KEPT_NODE_NOTE]
        del node.metadata_props[:]
        node.metadata_props.extend(kept)
        for attr in node.attribute:
            for sub in ([attr.g] if attr.HasField("g") else []) + list(attr.graphs):
                _drop_trace_notes(sub)


def _verified_bytes(
    module: Any, sample: Any, *, input_name: str, out_name: str | list[str], opset: int, columns: list[dict[str, Any]] | None,
    token: str, metadata: dict[str, str], features: np.ndarray, feeds: dict[str, np.ndarray], tolerance: float,
    reference: np.ndarray | None = None, input_names: list[str] | None = None, dynamic_shapes: Any = None, edit: Any = None,
    double: bool | None = None, proto: Any = None, unit: Any = None,
) -> tuple[bytes, np.ndarray, np.ndarray, float]:
    """``module`` as ONNX bytes, once its output matches PyTorch's on ``features``; nothing is written to the user's folders.

    ``out_name``: the output's name, or the outputs' names (the first is checked);
    ``reference``: what the first output must match (default: ``module`` on ``features``);
    ``sample``: a tensor, or a tuple of them when ``input_names`` names several inputs;
    ``dynamic_shapes``: torch's, by ``forward``'s argument names (default: a dynamic batch on ``x``);
    ``edit``: a function that changes the exported ModelProto in place before it is checked;
    ``double``: the graph computes in float64 (default: where ``sample`` is a float64 tensor);
    ``proto``: the graph already written (:mod:`._dense_graph`'s ``ModelProto``), checked as torch's would be,
    which is then not run (None: torch's exporter traces ``module``);
    ``unit``: each output column's own unit, ``(n_outputs,)`` (a scaled regressor's ``target_scale_``, by which the
    network's rounding is multiplied), or None.
    Returns ``(file bytes, reference, ONNX output, largest absolute difference)``.
    Raises ``ValueError`` where a difference exceeds ``tolerance`` x the larger of the output's size, its ``unit`` and 1.
    """
    import onnx
    import torch

    categorical = [c for c in columns or [] if c["kind"] != "numeric"]
    direct = proto is not None
    if proto is None:
        proto = _torch_proto(module, sample, input_names=input_names or [input_name], out_name=out_name, opset=opset,
                             dynamic_shapes=dynamic_shapes)
    written = written_opset(proto)
    if written != opset:  # the exporter falls back to its own opset when it cannot convert, silently
        raise ValueError(f"opset={opset} cannot be written for this model: the exporter could convert its operators only to opset {written}; "
                         f"pass opset={written} or higher (up to {opset_range()[1]}).")
    proto.ir_version = max(int(proto.ir_version), ir_version_for(opset))  # torch's exporter writes 10 even where the opset needs more
    # value_info holds optional shape notes; some exporter versions write stale ones (a weight's
    # shape before a transpose) that make onnx's shape inference, and so int8 quantisation, fail
    del proto.graph.value_info[:]
    if double is None:
        double = getattr(sample, "dtype", None) == torch.float64  # a float64 model's graph: float64 from input to output
    if categorical:
        _add_string_inputs(proto, columns or [], token, double)
    if edit is not None:
        edit(proto)
    if categorical or edit is not None or direct:
        onnx.checker.check_model(proto)
    onnx.shape_inference.infer_shapes(proto, check_type=True, strict_mode=True)  # raises on an inconsistent graph
    onnx.helper.set_model_props(proto, metadata)
    data = proto.SerializeToString()
    ref = _reference(module, features) if reference is None else reference
    try:
        got = _session(data).run(None, feeds)[0].astype(np.float64)
    except Exception as exc:  # onnxruntime's own error types; NOT_IMPLEMENTED where an operator has no float64 kernel
        if not double:
            raise
        import re

        from ._double_ops import FLOAT32_FIX

        op = re.search(r"implementation for (\w+)|(\w+) operator does not support double", str(exc))
        name = (op.group(1) or op.group(2)) if op else None
        what = f"its {name} operator" + (" (the gelu activation)" if name == "Erf" else "") if name else "one of its operators"
        fix = FLOAT32_FIX if edit is not None or input_names is not None else "fit the model with dtype='float32' (or another activation) to export it"
        raise ValueError(f"this float64 model's graph cannot run in onnxruntime: {what} has no float64 kernel there: {fix}.") from None
    diff = float(np.max(np.abs(got - ref))) if got.size else 0.0
    share = output_share(got, ref, unit)
    if not share <= tolerance:
        raise ValueError(f"ONNX output differs from PyTorch by {diff:.3g} ({share:.3g} of the output's size; > tolerance={tolerance}): "
                         "the export is not faithful; report this model's spec.")
    return data, ref, got, diff


_EXPORT_ONNX_PARAMETERS = """
Parameters
----------
model : estimator, application or Pipeline
    A fitted MLPClassifier or MLPRegressor, a ``Pipeline`` of a TableEncoder then one (exported as
    :func:`~hiddenlayers.save` stores it: the encoder's preprocessing in the graph, raw columns in), a ``Pipeline``
    of scikit-learn steps then one (the steps as ONNX nodes, checked against the Pipeline's own predictions:
    :mod:`._export_pipeline`), or an ImageClassifier (input ``X`` raw float pixels ``(batch, H, W)``, or
    ``(batch, H, W, C)`` in colour, uint8 images divided by 255; output ``probabilities``), an Autoencoder (raw rows
    -> ``scores`` = ``score_samples`` and ``reconstruction``), a Forecaster (``(batch, window)`` raw values ->
    ``forecasts`` ``(batch, horizon)``), a SequenceClassifier on feature frames (``(batch, steps, n_features)`` raw
    frames, NaN steps after each sequence's end -> ``probabilities``), a TextClassifier or a token-id
    SequenceClassifier (int64 ids ``(batch, steps)``, padded; the tokenizer in the metadata:
    :mod:`._app_graph_ids`) or a Recommender (raw ids ``users`` and ``items`` ``(batch,)`` -> ``predictions``,
    unseen ids included). Other applications are refused (``TypeError``).
path : str or PathLike
    Where to write the ONNX file; the name must end in ``.onnx``.
include_preprocessing : bool
    Put the stored table preprocessing in the graph (raw columns in); False: the graph takes the encoded matrix.
X : array-like, optional
    Rows for the parity check (with stored preprocessing: a raw DataFrame, or an array of the raw columns in order;
    random rows with every category, unseen and missing values when omitted). For the applications, their own kind
    of input (images; rows, an Autoencoder's DataFrame in its fitted columns and order, as ``predict`` checks them;
    a series or windows; a list of ``(T_i, F)`` sequences; texts; id sequences; ``(users, items)`` pairs), and the
    reference is the app's own method.
y : array-like, optional
    Labels/targets for the score before/after int8 quantisation.
quantize : bool
    Also write an int8 copy: the dense, convolution and LSTM/GRU weights stored as int8 with one scale per output
    unit, computed in float32, so a row's answer does not depend on the rows batched with it (:mod:`._int8`).
quantized_path : str or PathLike, optional
    Where the int8 copy goes (default ``<path stem>.int8.onnx``); must end in ``.onnx``.
quantized_tolerance : float, optional
    Bound on the int8 copy's difference from the model on the parity rows, as ``tolerance`` measures it (None: no
    limit). Over it the int8 file is not written (nor one there touched), the float file is, and
    ``QuantizedToleranceError`` says so (:mod:`._int8_check`).
opset : int
    The ONNX opset to write, from 16 to the newest the installed onnx knows (``opset_range()``; 16 and 17 only where
    the model's operators convert down); the report's ``opset`` is read back from the file.
tolerance : float, optional
    The largest parity difference allowed (None: 1e-4 for a float32 graph, 1e-8 for float64), times the output's
    size beyond 1 (predictions in y's units) or a scaled regressor's ``target_scale_`` where larger (the report's
    ``max_abs_diff`` stays absolute).
input_dtype : {"float32", "uint8"}
    ``"uint8"`` (ImageClassifier only): ``X`` is uint8 pixels 0-255, as a camera gives them, and the division by 255
    that ``predict`` applies to uint8 images runs inside the graph (parity ``X``: uint8 images).
dtype : {None, "float32", "float64"}
    The float type of an application's graph: ``"float32"`` (a float64 app exported as a float32 copy of its
    network, parity default 1e-4) or ``"float64"``; None: the fitted network's. A table model's graph computes in
    its fitted type: leave it None.
"""


@parameters_section(_EXPORT_ONNX_PARAMETERS)
def export_onnx(
    model: Any,
    path: str | os.PathLike[str],
    *,
    include_preprocessing: bool = True,
    X: Any = None,
    y: Any = None,
    quantize: bool = False,
    quantized_path: str | os.PathLike[str] | None = None,
    quantized_tolerance: float | None = None,
    opset: int = 18,
    tolerance: float | None = None,
    input_dtype: str = "float32",
    dtype: str | None = None,
) -> ExportReport:
    """Write ``model`` as ONNX to ``path`` and check it against PyTorch.

    Raises ``ValueError`` when a parity difference exceeds ``tolerance``; files are written atomically. A table model
    fitted with ``dtype="float64"`` exports a float64 graph: input ``X`` and the output are float64 and every operator
    computes in float64 (a network operator onnxruntime has no float64 kernel for is refused in one line); its int8
    copy (``quantize=True``) is refused, as onnxruntime quantises float32 graphs only. An ImageClassifier,
    SequenceClassifier or SpeechRecognizer fitted with ``dtype="float64"`` exports a float64 graph too (float inputs,
    weights and outputs; a uint8 ``X`` stays uint8): convolutions and average pooling, which onnxruntime has no float64
    kernel for, run as slices and matrix products; LSTM/GRU layers are refused in one line.

    Examples
    --------
    >>> report = export_onnx(clf, "model.onnx", quantize=True, X=X_test, y=y_test)  # doctest: +SKIP
    >>> report.max_abs_diff < 1e-5  # doctest: +SKIP
    True
    """
    import onnx  # noqa: F401  (imported first, as before: a missing onnx fails before any work)
    import torch  # noqa: F401  (likewise)

    from .._files import check_writable

    pipe, model = _pipeline_and_model(model)
    _check_export_args(model, quantize, quantized_path, X, y, opset, tolerance, input_dtype)
    check_quantized_tolerance(quantized_tolerance, quantize)
    _check_dtype(model, dtype)
    _check_onnx_suffix(path, "path")
    path = check_writable(path, what="the ONNX file")  # before any work: a missing folder or a device is refused at once
    int8 = _Int8.asked(path, quantized_path, quantized_tolerance, X is not None) if quantize else None
    if pipe is not None:  # scikit-learn steps then an MLP: the steps as ONNX nodes ahead of its graph
        return _export_steps(pipe, path, int8, X=X, y=y, opset=opset, tolerance=tolerance, include_preprocessing=include_preprocessing)
    if app_kind(model) is not None:
        if not include_preprocessing:
            raise ValueError(f"include_preprocessing=False is for table models: a {type(model).__name__}'s input preprocessing is always in the graph; leave it True.")
        return _export_app(model, path, int8, X=X, y=y, opset=opset, tolerance=tolerance, input_dtype=input_dtype, dtype=dtype)
    return _export_table(model, path, int8, include_preprocessing=include_preprocessing, X=X, y=y, opset=opset, tolerance=tolerance)


def _pipeline_and_model(model: Any) -> tuple[Any, Any]:
    """``(the Pipeline, its MLP)`` for a Pipeline of scikit-learn steps then an MLP (exported whole, :mod:`._export_pipeline`);
    ``(None, the MLP its file holds)`` for a TableEncoder then an MLP (the encoder's preprocessing in the graph); else
    ``(None, model)``. Another Pipeline is refused in one line (:func:`._pipeline.pipeline_parts`)."""
    if not is_pipeline(model):
        return None, model
    if pipeline_parts(model, "export_onnx()")[0] is None:
        return model, model.steps[-1][1]
    return None, pipeline_as_model(model)


def _export_steps(pipe: Any, path: Path, int8: _Int8 | None, *, X: Any, y: Any, opset: int, tolerance: float | None,
                  include_preprocessing: bool) -> ExportReport:
    """:func:`export_onnx` of a Pipeline of scikit-learn steps then an MLP: the graph and parity rows of
    :func:`._export_pipeline.pipeline_plan`, checked here against the Pipeline's own answers (and on rows with missing cells
    where an imputer fills them), then written with its int8 copy."""
    plan = pipeline_plan(pipe, X=X, y=y, opset=opset, tolerance=tolerance, include_preprocessing=include_preprocessing, quantize=int8 is not None)
    data, ref, got, diff = _verified_bytes(
        None, None, input_name="X", out_name=plan.out_name, opset=opset, columns=None, token="", metadata=plan.metadata(_metadata),
        features=plan.rows, feeds={"X": plan.rows}, tolerance=plan.tolerance, reference=plan.reference, double=plan.double,
        proto=plan.proto, unit=plan.unit)
    extra = check_missing_rows(plan, lambda rows: _session(data).run(None, {"X": rows})[0])
    report = pipeline_report(plan, path, opset, len(data), diff, extra)  # _verified_bytes refused another opset written
    return _written(report, path, int8, data, got=got, ref=ref, feeds={"X": plan.rows}, model=plan.mlp, y=y, unit=plan.unit)


def _export_table(model: Any, path: Path, int8: _Int8 | None, *, include_preprocessing: bool, X: Any, y: Any, opset: int,
                  tolerance: float | None) -> ExportReport:
    """:func:`export_onnx` for an MLPClassifier or MLPRegressor: its table preprocessing (unless left out) in the graph,
    in the network's float type (float32, or float64 from input to output)."""
    import torch

    dt = next(model.network_.parameters()).dtype
    double = dt == torch.float64
    if double and int8 is not None:
        raise ValueError("quantize=True needs a float32 graph (onnxruntime quantises float32 only), and this model computes in float64: "
                         "export without quantize, or fit with dtype='float32'.")
    tolerance = parity_tolerance(tolerance, double)

    columns = _columns(model) if include_preprocessing else None
    numeric = [c for c in columns if c["kind"] == "numeric"] if columns is not None else None
    n_inputs = len(numeric) if numeric is not None else int(model.n_features_in_)
    categorical = [c for c in columns or [] if c["kind"] != "numeric"]
    token = choose_missing_token(columns or [])
    if columns is not None:
        expect = sum(_width(c) for c in columns)
        if expect != model.network_.in_features:
            raise DataError(f"the preprocessing produces {expect} features but the network reads {model.network_.in_features}: the model is inconsistent.")
    feeds, features = _parity(model, columns, n_inputs, X, token, np.float64 if double else np.float32)  # before any export: bad rows are refused at once
    if y is not None and len(y) != features.shape[0]:
        raise ValueError(f"X and y have different numbers of rows: {features.shape[0]} and {len(y)}.")
    is_clf = hasattr(model, "classes_")
    out_act = model.out_activation_
    binary = is_clf and model.label_type_ == "binary"
    target = (model.target_mean_, model.target_scale_) if hasattr(model, "target_mean_") else None  # scale_target's affine map
    network = _cpu_copy(model.network_)
    module = _exportable(network, out_act, binary, columns, target)  # the PyTorch reference of the parity check (and torch's exporter's input)
    out_name = "probabilities" if is_clf else "predictions"
    input_name = _FEATURES if categorical else "X"
    # dense layers only: the graph written directly, in milliseconds (_dense_graph); else None, and torch's exporter traces module
    proto = dense_graph(network, out_act, binary, columns, target, opset=opset, input_name=input_name, out_name=out_name)
    width = n_inputs + sum(_width(c) for c in categorical)
    sample = torch.zeros(2, width, dtype=dt)

    unit = np.abs(np.asarray(target[1], dtype=np.float64)) if target is not None else None
    data, ref, got, diff = _verified_bytes(
        module, sample, input_name=input_name, out_name=out_name, opset=opset, columns=columns, token=token,
        metadata=_metadata(model, columns, out_name, token), features=features, feeds=feeds, tolerance=tolerance, proto=proto, unit=unit)
    report = ExportReport(
        path=str(path), input_name="X", output_name=out_name, n_inputs=n_inputs,
        input_columns=[c["name"] for c in columns] if columns is not None else None, opset=opset,  # _verified_bytes read the written opset back and refused any other
        bytes=len(data), max_abs_diff=diff, parity_rows=int(features.shape[0]),
        string_input_columns=[c["name"] for c in categorical] or None, missing_token=token if categorical else None,
        input_dtype="float64" if double else "float32",
    )
    if categorical:
        report.notes.append(f"input C is the raw categorical columns as text (missing = {token!r}); one-hot encoding, <other> and unseen values are in the graph")
    if numeric:
        report.notes.append("input X is the raw numeric columns (NaN = missing); fill, indicators and standardisation are in the graph")
    return _written(report, path, int8, data, got=got, ref=ref, feeds=feeds, model=model, y=y, unit=unit)


def _app_bytes(graph: AppGraph, opset: int, tolerance: float) -> tuple[AppGraph, bytes, np.ndarray, np.ndarray, float]:
    """``(the graph exported, its ONNX bytes, reference, ONNX output, largest difference)`` by :func:`_verified_bytes`; where the graph's
    export fails and it has a ``fallback`` (a SpeechRecognizer's fixed steps axis for a dynamic one), the fallback's, whose error wins."""
    def run(g: AppGraph) -> tuple[bytes, np.ndarray, np.ndarray, float]:
        return _verified_bytes(g.module, g.sample, input_name="X", out_name=g.outputs, opset=opset, columns=None, token="", metadata=g.metadata,
                               features=g.feeds, feeds=g.all_feeds(), tolerance=tolerance, reference=g.reference, input_names=g.inputs,
                               dynamic_shapes=g.dynamic_shapes, edit=g.edit, double=g.double)

    try:
        return (graph, *run(graph))
    except Exception:  # the exporter's own error types (a conversion it cannot do), or the graph's own check
        if graph.fallback is None:
            raise
    fallback = graph.fallback()
    return (fallback, *run(fallback))


def _export_app(model: Any, path: Path, int8: _Int8 | None, *, X: Any, y: Any, opset: int, tolerance: float | None, input_dtype: str = "float32",
                dtype: str | None = None) -> ExportReport:
    """:func:`export_onnx` for an application with numeric inputs (see :mod:`hiddenlayers.ship._app_graph`), its graph in ``dtype``
    (None: the fitted network's); ``tolerance`` None: 1e-4 for a float32 graph, 1e-8 for a float64 one."""
    kind = app_kind(model)
    if y is not None and kind not in ("ImageClassifier", "SequenceClassifier", "TextClassifier"):
        raise ValueError(f"y is for classifiers (the accuracy before and after int8); {article(kind)} is scored by its own outputs: leave y out.")
    graph = build_app_graph(model, X, input_dtype, dtype)  # before any export: bad rows are refused at once
    if graph.double and int8 is not None:
        raise ValueError("quantize=True needs a float32 graph (onnxruntime quantises float32 only), and this model computes in float64: "
                         "export without quantize, or with dtype='float32'.")
    tolerance = parity_tolerance(tolerance, graph.double)
    if y is not None and len(y) != graph.feeds.shape[0]:
        raise ValueError(f"X and y have different numbers of rows: {graph.feeds.shape[0]} and {len(y)}.")
    graph, data, ref, got, diff = _app_bytes(graph, opset, tolerance)
    feeds = graph.all_feeds()
    outs = _session(data).run(graph.outputs, feeds)
    for name, expected in graph.extra_reference.items():  # later outputs (the autoencoder's reconstruction) are checked too
        extra = float(np.max(np.abs(outs[graph.outputs.index(name)].astype(np.float64) - expected)))
        scale = max(1.0, float(np.max(np.abs(expected))))  # in the input's units: relative to its size
        if not extra <= tolerance * scale:
            raise ValueError(f"ONNX output {name!r} differs from the app's own by {extra:.3g} (> tolerance={tolerance} x {scale:.3g}): the export is not faithful.")
    report = ExportReport(
        path=str(path), input_name=", ".join(graph.inputs), output_name=", ".join(graph.outputs),
        n_inputs=math.prod(d for d in graph.input_shape[1:] if isinstance(d, int)),  # per row; a dynamic axis (steps) counts as 1
        input_columns=None, opset=opset, bytes=len(data), max_abs_diff=diff, parity_rows=int(graph.feeds.shape[0]),
        notes=list(graph.notes), input_shape=graph.input_shape, input_dtype=graph.input_types[0], input_types=list(graph.input_types),
    )
    return _written(report, path, int8, data, got=got, ref=ref, feeds=feeds, model=model, y=y)


def _written(report: ExportReport, path: Path, int8: _Int8 | None, data: bytes, *, got: np.ndarray, ref: np.ndarray,
             feeds: dict[str, np.ndarray], model: Any, y: Any, unit: Any = None) -> ExportReport:
    """The end of every export (a table model's, an application's, a Pipeline's): with ``y``, the score of ``model`` on the
    ONNX outputs ``got``; with ``int8``, the int8 copy of ``data``, checked on ``feeds`` against the reference ``ref``
    (``unit``: the output columns' own unit, see :func:`_quantize`); then ``path`` (and the int8 copy, unless over its
    tolerance) written at once, atomically, and ``report`` returned; an int8 copy over its tolerance then raises
    :class:`QuantizedToleranceError`.

    Last: everything that can fail has run, so a failed export changes no file.
    """
    from .._files import atomic_write_files

    files: dict[str | os.PathLike[str], bytes] = {path: data}
    if y is not None:
        report.metric, report.score_before = _score(model, got, y)
    if int8 is not None:
        _quantize(report, int8, files, data, feeds, ref, model, y, unit=unit)
    atomic_write_files(files)
    if report.quantized_refused is not None:
        raise QuantizedToleranceError(report.quantized_refused, report)
    return report


@dataclass(frozen=True)
class _Int8:
    """The int8 copy asked of :func:`export_onnx`: its ``path``, the ``tolerance`` on its answers (None: no limit), and
    whether the parity rows are the caller's ``X`` (``given``) or generated."""

    path: Path
    tolerance: float | None
    given: bool

    @classmethod
    def asked(cls, path: Path, quantized_path: str | os.PathLike[str] | None, tolerance: float | None, given: bool) -> _Int8:
        """The int8 copy of the export to ``path``: at ``quantized_path`` (None: ``<path stem>.int8.onnx``), checked writable now."""
        from .._files import check_writable

        qpath = Path(quantized_path) if quantized_path is not None else path.with_name(path.stem + ".int8.onnx")
        _check_onnx_suffix(qpath, "quantized_path")
        check_writable(qpath, what="the int8 ONNX file")
        return cls(qpath, tolerance, given)


def _quantize(report: ExportReport, int8: _Int8, files: dict[str | os.PathLike[str], bytes], data: bytes, feeds: dict[str, np.ndarray],
              ref: np.ndarray, model: Any, y: Any, *, unit: Any = None) -> None:
    """The int8 copy of the ONNX model ``data`` (weights int8, see :mod:`._int8`) added to ``files`` at ``int8.path``, its parity
    and (with ``y``) score in ``report``; over ``int8.tolerance`` it is left out and ``report.quantized_refused`` says why.
    ``unit``: the output columns' own unit, as the float parity check read it (None: none)."""
    qdata = weight_only_int8(data)
    qgot = _session(qdata).run(None, feeds)[0].astype(np.float64)
    report.quantized_refused = record_int8_parity(report, qgot, ref, unit=unit, given=int8.given, limit=int8.tolerance, qpath=int8.path)
    if y is not None:
        report.score_after = _score(model, qgot, y)[1]
    report.notes.append(quantized_ops(qdata))
    if report.quantized_refused is None:
        report.quantized_path, report.quantized_bytes = str(int8.path), len(qdata)
        files[int8.path] = qdata
        if len(qdata) >= report.bytes:  # a tiny model: int8's scales, zero points and dequantize nodes outweigh the bytes its weights save
            report.notes.append(f"the int8 file ({len(qdata):,} bytes) is not smaller than the float one ({report.bytes:,} bytes): this "
                                "model's weights are too few for int8 to save what its per-unit scales and dequantize steps add; "
                                "ship the float file")


__all__ = ["export_onnx"]
