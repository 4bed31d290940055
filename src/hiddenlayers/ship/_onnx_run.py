"""Run an ONNX file written by :func:`hiddenlayers.export_onnx` on a raw table.

Kept apart from ``export.py`` so that predicting with an ``.onnx`` file needs
onnxruntime, NumPy and pandas but never PyTorch (start-up time). The file's
``metadata_props`` (JSON strings, never pickles) say which raw columns feed
which graph input:

* ``X``: ``(batch, n_numeric)`` float32 (float64 for a ``dtype="float64"`` model's export, which computes
  in float64), the numeric columns, NaN = missing;
* ``C``: ``(batch, n_categorical)`` string, the categorical columns as text,
  a missing cell given as ``missing_token`` (present only when the model has
  categorical columns; their one-hot encoding, ``<other>`` bucket included,
  runs inside the graph).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .._docsections import parameters_section
from .._meta import WEIGHT_COLUMN_KEY
from .._words import article
from ..exceptions import DataError, ModelFileError
from ._app_base import TABLE_COLUMNS_KEY
from ._app_graph import APP_INPUT_KEY, ONNX_APPS
from ._onnx_app import unreadable
from ._onnx_text import TOKENIZER_KEY, TOKENS_KEY
from ._pipeline_graph import STEP_PREFIX

INPUTS_KEY = "hiddenlayers_inputs"
#: metadata of a Pipeline's export (scikit-learn steps ahead of the MLP in the graph): its steps in one line, and whether the
#: graph fills NaN cells of ``X`` (a SimpleImputer first), so the runner and the server take missing cells for it
PIPELINE_META_KEY = "hiddenlayers_pipeline"
FILLS_MISSING_KEY = "hiddenlayers_fills_missing"


def input_spec(columns: list[dict[str, Any]], missing_token: str) -> dict[str, Any]:
    """The JSON-able description of the graph inputs for table ``columns`` (preprocessing order)."""
    return {
        "numeric": [c["name"] for c in columns if c["kind"] == "numeric"],
        # numeric columns filled without an indicator (none missing in training): a missing cell there is noted, as transform notes it
        "unlearned_missing": [c["name"] for c in columns if c["kind"] == "numeric" and not c["missing_indicator"]],
        "categorical": [{"name": c["name"], "categories": list(c["categories"])} for c in columns if c["kind"] != "numeric"],
        "missing_token": missing_token,
    }


def choose_missing_token(columns: list[dict[str, Any]]) -> str:
    """``""`` (an empty cell) stands for missing text, unless it is a real category; then ``<missing>``, ``<missing>_``, ..."""
    used = {str(v) for c in columns if c["kind"] != "numeric" for v in c["categories"]}
    token = ""
    if token in used:
        token = "<missing>"
        while token in used:
            token += "_"
    return token


def feeds_from_frame(frame: Any, spec: dict[str, Any], where: Callable[[int], str] | None = None,
                     dtype: Any = np.float32) -> tuple[dict[str, np.ndarray], list[str]]:
    """Graph inputs from a raw table (columns in any order, extras ignored); also one-line notes.

    ``dtype``: ``X``'s element type, the graph input's (``np.float64`` for a float64 model's export).

    Missing columns are a :class:`DataError` naming them; text in a numeric
    column is a :class:`DataError` naming the row (``where(i)``: row ``i``'s file line, as the CLI
    gives it; else ``row N`` counted from 1); unseen categories are counted
    in a note (the graph sends them to ``<other>``, or to no column).
    """
    from ..data import category_lookup, category_texts, check_column_names, check_readable, lacks_columns, numeric_values

    check_column_names(frame)
    frame = frame.rename(columns=str)
    numeric, cats = list(spec["numeric"]), list(spec["categorical"])
    names = numeric + [c["name"] for c in cats]
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise DataError(lacks_columns(missing, [c for c in frame.columns if c not in set(names)]))
    notes: list[str] = []
    extra = [c for c in frame.columns if c not in set(names)]
    if extra:
        notes.append(f"ignored {len(extra)} column(s) the model does not use: {', '.join(extra[:5])}{' ...' if len(extra) > 5 else ''}")
    n = frame.shape[0]
    feeds: dict[str, np.ndarray] = {}
    unlearned: dict[str, int] = {}
    if numeric:
        X = np.empty((n, len(numeric)), dtype=dtype)
        quiet = set(spec.get("unlearned_missing", ()))  # an older file lacks the list: no note, as before
        for j, name in enumerate(numeric):
            X[:, j] = numeric_values(name, frame[name], where)  # as TablePreprocessor reads it: booleans as 1.0/0.0, text as numbers
            if name in quiet and np.isnan(X[:, j]).any():
                unlearned[name] = int(np.isnan(X[:, j]).sum())
        feeds["X"] = X
    if cats:
        token = str(spec["missing_token"])
        C = np.empty((n, len(cats)), dtype=object)
        unseen: dict[str, int] = {}
        for j, c in enumerate(cats):
            check_readable(c["name"], frame[c["name"]], list(c["categories"]))
            text = category_texts(c["name"], frame[c["name"]].to_numpy(dtype=object), where)  # None where missing; inf refused
            # the stored spelling of each known text (a category stored as "2.0" by an older version is sent as "2.0")
            stored = {t: str(c["categories"][i]) for t, i in category_lookup(c["categories"]).items()}
            new = int(sum(1 for v in text if v is not None and v not in stored))
            if new:
                unseen[c["name"]] = new
            C[:, j] = [token if v is None else stored.get(v, v) for v in text]
        feeds["C"] = C
        if unseen:
            from ..data import unseen_note

            notes.append(unseen_note(unseen))
    if unlearned:
        from ..data import unlearned_missing_note

        notes.append(unlearned_missing_note(unlearned))
    return feeds, notes


REQUIRED_KEY = "hiddenlayers_output"


def parse_metadata(meta: dict[str, str], path: str | Path) -> dict[str, Any]:
    """The hiddenlayers part of an ONNX file's ``metadata_props`` (JSON strings), decoded and checked.

    Keys: ``output``, ``estimator``, ``classes`` (list or None), ``label_type``,
    ``target``, ``task``, ``spec`` (see :func:`input_spec`, or None),
    ``input_columns``, ``library_version``, ``weight_column`` (the ``train --sample-weight`` column, or None), ``pipeline`` (a
    Pipeline's steps in one line, or None), ``fills_missing`` (whether the graph fills NaN cells of a file without ``spec``: a
    Pipeline's SimpleImputer; a table preprocessing's ``spec`` always fills them) and, for an application's export,
    ``app_input`` (its input's shape and layout; None when not recorded); for a token-id export, ``token_ids`` (pad id, id shift,
    largest id, unknown id) and, a TextClassifier's, ``tokenizer`` (its mode, lowercase, normalize, vocab_size and max_len; None otherwise);
    ``data_columns`` (an application's data-file columns by role, ``{"value_column": "sales"}``, as ``train --app`` kept them;
    None where none were kept), ``long_columns`` (a SequenceClassifier's or SpeechRecognizer's long-table columns, its
    ``long_columns_``: ``id_column``, ``order_column``, ``features``, ``target``; None where none were kept) and ``step`` (a Forecaster's training dates' step, its ``freq_``, a pandas offset alias; None where
    none is stored). A file without our metadata, or with metadata that does not decode, is a :class:`ModelFileError`.
    """
    if REQUIRED_KEY not in meta:
        raise ModelFileError(f"'{path}' is an ONNX model but not one written by hiddenlayers (no '{REQUIRED_KEY}' metadata): export it with `hiddenlayers export`.")

    def get(key: str) -> Any:
        return json.loads(meta[key]) if key in meta else None

    try:
        out = {
            "output": meta[REQUIRED_KEY], "estimator": meta.get("hiddenlayers_estimator", ""), "library_version": meta.get("hiddenlayers_version"),
            "classes": get("classes"), "label_type": get("label_type"), "target": get("target"), "task": get("task"),
            "spec": get(INPUTS_KEY), "input_columns": get("input_columns"), "app_input": get(APP_INPUT_KEY),
            "weight_column": get(WEIGHT_COLUMN_KEY), "pipeline": meta.get(PIPELINE_META_KEY),
            "fills_missing": get(FILLS_MISSING_KEY) is True, "token_ids": get(TOKENS_KEY), "tokenizer": _tokenizer_summary(get(TOKENIZER_KEY)),
            "data_columns": (get(TABLE_COLUMNS_KEY) or {}).get("data_columns"), "long_columns": (get(TABLE_COLUMNS_KEY) or {}).get("long_columns"),
            "step": (get("forecaster") or {}).get("freq"),
        }
        for key in ("data_columns", "long_columns"):
            if out[key] is not None and not isinstance(out[key], dict):
                raise TypeError(f"{key} is not a mapping")
        if out["step"] is not None and not isinstance(out["step"], str):
            raise TypeError("the forecaster's step is not text")
        if out["classes"] is not None and not isinstance(out["classes"], list):
            raise TypeError("classes is not a list")
        if out["spec"] is not None and not (isinstance(out["spec"].get("numeric"), list) and isinstance(out["spec"].get("categorical"), list)):
            raise TypeError("input spec lacks its column lists")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ModelFileError(f"'{path}' has damaged hiddenlayers metadata ({type(exc).__name__}): export the model again.") from None
    return out


def _tokenizer_summary(data: Any) -> dict[str, Any] | None:
    """A TextClassifier export's tokenizer (``Tokenizer.to_dict()``) in a few facts (no vocabulary list), None for none."""
    if data is None:
        return None
    return {"mode": data["mode"], "lowercase": bool(data["lowercase"]), "normalize": data.get("normalize"),  # None: an older export's
            "vocab_size": len(data["tokens"]) + 2, "max_len": data["max_len"]}


# the Python runner of an application's export that OnnxModel refuses (a table model's runner): ``load`` points an .onnx file here
_APP_RUNNERS = {"TextClassifier": "hl.ship.TokenOnnx(path)", "SequenceClassifier": "hl.ship.TokenOnnx(path) (fitted on token ids) or onnxruntime",
                "SpeechRecognizer": "hl.ship.SpeechOnnx(path)"}


class OnnxModel:
    """An ONNX file from :func:`hiddenlayers.export_onnx`, run with onnxruntime on raw tables.

    ``classes_`` (classifiers), ``target`` and ``task`` come from the file's metadata; :meth:`predict` and
    :meth:`predict_proba` take a DataFrame (a 2-D array too, for a model exported without named columns).

    Parameters
    ----------
    path : str or Path
        The ``.onnx`` file.
    threads : int, optional
        onnxruntime's threads per run, without spin-waiting between runs (None: onnxruntime's defaults, one spinning
        thread per core).
    """

    def __init__(self, path: str | Path, threads: int | None = None) -> None:
        from ._onnx_app import session

        p = Path(path)
        if not p.exists():
            raise ModelFileError(f"model file '{p}' does not exist: check the path, or write one with `hiddenlayers export`.")
        if p.is_dir():
            raise ModelFileError(f"'{p}' is a folder, not a model file: give the path of a .onnx file.")
        self.session = session(p, threads)  # a server's threads per pass, none left spinning between passes
        m = parse_metadata(dict(self.session.get_modelmeta().custom_metadata_map), p)
        if m["estimator"] in ONNX_APPS:
            raise ModelFileError(f"'{p}' is the ONNX export of {article(m['estimator'])}, whose input is not a table: "
                                 f"run it with {_APP_RUNNERS.get(m['estimator'], 'onnxruntime directly')} (`hiddenlayers info` shows its input X), or serve "
                                 "it (`hiddenlayers serve`); predict and evaluate "
                                 "take table models' exports (and every app's but a DQNAgent's, on the tables and arrays their "
                                 ".safetensors files read).")
        self.output: str = m["output"]
        self.estimator: str = m["estimator"]
        self.classes_ = np.asarray(m["classes"]) if m["classes"] is not None else None
        self.multilabel = m["label_type"] == "multilabel-indicator"
        self.target: str | None = m["target"]
        self.task: str | None = m["task"]
        self.weight_column: str | None = m["weight_column"]  # never an input: left out of a table, with a note
        self.spec: dict[str, Any] | None = m["spec"]
        self.columns: list[str] | None = m["input_columns"]
        # whether a missing (NaN) cell is an input the graph fills: a stored preprocessing's or a Pipeline's SimpleImputer
        self.fills_missing: bool = self.spec is not None or bool(m["fills_missing"])
        self.pipeline: str | None = m["pipeline"]
        self.path = str(p)
        self.n_inputs = int(self.session.get_inputs()[0].shape[1]) if self.spec is None else len(self.spec["numeric"])
        # X's element type: float64 where the export of a dtype="float64" model computes in float64, else float32
        self.input_dtype: Any = np.float64 if any(i.name == "X" and i.type == "tensor(double)" for i in self.session.get_inputs()) else np.float32

    @property
    def inputs(self) -> list[str]:
        """The raw table columns the export reads by name, in the graph's order (its stored preprocessing's numeric then
        categorical columns, else its named numeric columns); empty for a model exported from an unnamed array."""
        if self.spec is not None:
            return [*self.spec["numeric"], *(c["name"] for c in self.spec["categorical"])]
        return list(self.columns or [])

    def __repr__(self) -> str:
        """What the file is, at a glance: ``OnnxModel('model.onnx', MLPClassifier, 64 inputs, 10 classes)`` (a regressor: its target)."""
        what = f", {len(self.classes_)} classes" if self.classes_ is not None else f", target {self.target!r}" if self.target else ""
        return f"OnnxModel({self.path!r}, {self.estimator}, {self._width} inputs{what})"

    @property
    def _width(self) -> int:
        """How many raw columns a row has: :attr:`inputs`' count, else (an unnamed array's export) the graph's ``X`` width."""
        return len(self.inputs) or self.n_inputs

    def feeds(self, frame: Any, where: Callable[[int], str] | None = None) -> tuple[dict[str, np.ndarray], list[str]]:
        """Graph inputs for ``frame`` and notes (see :func:`feeds_from_frame`).

        Parameters
        ----------
        frame : DataFrame or array
            Raw rows (a 2-D array for a model without named columns).
        where : callable, optional
            As :func:`feeds_from_frame` takes it: where row ``i`` is in the user's file, for messages.
        """
        if self.spec is not None:
            return feeds_from_frame(frame, self.spec, where, self.input_dtype)
        notes: list[str] = []
        if self.columns:  # no stored preprocessing: the named numeric columns, as they are
            missing = [c for c in self.columns if c not in frame.columns]
            if missing:
                from ..data import lacks_columns

                raise DataError(lacks_columns(missing, [c for c in frame.columns if c not in set(self.columns)], fix="add them"))
            frame = frame[self.columns]
        if frame.shape[1] != self.n_inputs:
            raise DataError(f"the model expects {self.n_inputs} numeric columns; the data has {frame.shape[1]}: pass the same columns as in training.")
        from ..data import by_position_note, check_float32, numeric_matrix

        X = numeric_matrix(frame, where)
        if self.pipeline is not None and not self.fills_missing:
            _refuse_missing(X, [str(c) for c in frame.columns], where)
        if self.input_dtype == np.float32:  # an infinite or too large cell named as predict of the .safetensors file names it,
            check_float32(X, [str(c) for c in frame.columns], frame, where)  # not as the row whose output overflowed
        positional = None if self.columns else by_position_note(frame.columns)  # as the model file's commands say it
        return {"X": X.astype(self.input_dtype)}, notes + ([positional] if positional else [])

    def _as_frame(self, frame: Any) -> Any:
        """``frame`` as a DataFrame: a 2-D array is taken for a model that reads unnamed numeric columns (exported without
        preprocessing from arrays), as the estimator's ``predict`` takes it; a model that reads named columns needs them named."""
        import pandas as pd

        if isinstance(frame, pd.DataFrame):
            return frame
        if self.spec is None and not self.columns:
            X = np.asarray(frame)
            if X.ndim != 2:
                raise DataError(f"X must be 2-D (rows, {self.n_inputs} features) or a DataFrame; got an array of shape {X.shape}: "
                                "reshape it (X.reshape(1, -1) for one row).")
            return pd.DataFrame(X)
        names = self.inputs
        shown = ", ".join(repr(n) for n in names[:6]) + (", ..." if len(names) > 6 else "")
        raise DataError(f"this ONNX model reads named columns ({shown}): pass a pandas DataFrame with them, "
                        f"not a {type(frame).__name__} (e.g. pd.DataFrame(X, columns=[...])).")

    def run(self, frame: Any, where: Callable[[int], str] | None = None) -> tuple[np.ndarray, list[str]]:
        """The graph's output for ``frame`` (probabilities or predictions, ``(n, k)``) and notes.

        Parameters
        ----------
        frame : DataFrame or array
            Raw rows (a 2-D array for a model without named columns); the target and weight columns, if present, are left
            out.
        where : callable, optional
            As in :meth:`feeds`.
        """
        frame = self._as_frame(frame)
        if self.target is not None and self.target in frame.columns:
            frame = frame.drop(columns=[self.target])
        weight = self.weight_column if self.weight_column in frame.columns and self.weight_column not in (self.columns or []) else None
        frame = frame if weight is None else frame.drop(columns=[weight])
        feeds, notes = self.feeds(frame, where)
        if len(frame) == 0:  # the graph would answer [] where the estimator refuses, in scikit-learn's words
            raise DataError(f"Found array with 0 sample(s) (shape=(0, {self._width})) while a minimum of 1 is required by {self.estimator}.")
        if weight is not None:  # as the model file's commands say it
            notes.insert(0, f"left out column '{weight}': the weight column the model was trained with (train --sample-weight {weight}), not an input")
        return self.session.run(None, feeds)[0], notes

    def predict_proba(self, frame: Any) -> np.ndarray:
        """Class probabilities, shape ``(n_rows, n_classes)``, from the ONNX graph; a regressor's model refuses.

        Parameters
        ----------
        frame : pandas.DataFrame
            Raw rows with the training columns (the target and weight columns, if present, are left out).
        """
        if self.classes_ is None:
            raise DataError("predict_proba needs a classifier; this ONNX model is a regressor.")
        return self.run(frame)[0]

    def predict(self, frame: Any) -> np.ndarray:
        """Predictions from the ONNX graph: class labels, shape ``(n_rows,)``, or values for a regressor.

        Parameters
        ----------
        frame : pandas.DataFrame
            Raw rows with the training columns (the target and weight columns, if present, are left out).
        """
        out = self.run(frame)[0]
        return self.decode(out)

    def decode(self, out: np.ndarray) -> np.ndarray:
        """Graph output -> predictions: class labels for classifiers, values for regressors.

        Parameters
        ----------
        out : numpy.ndarray of shape (n, k)
            The graph's output (probabilities, or predictions).
        """
        if self.classes_ is None:
            return out.ravel() if out.shape[1] == 1 else out
        if self.multilabel:
            return (out > 0.5).astype(np.int64)
        return self.classes_[out.argmax(1)]



def _refuse_missing(X: np.ndarray, names: list[str], where: Callable[[int], str] | None) -> None:
    """A DataError naming the first missing cell of ``X`` for a Pipeline's export whose steps fill none (no SimpleImputer
    before them): its graph would answer NaN for the row, as the Pipeline's own predict refuses it."""
    from ..data import refuse_missing_cells

    refuse_missing_cells(X, names, where, "and this Pipeline's export fills none (no SimpleImputer comes first in its steps): fill them "
                         "first, or put a SimpleImputer first in the Pipeline and export it again.")


# ------------------------------------------------------------------ what a file holds (for `hiddenlayers info`)
_DENSE_OPS = ("Gemm", "MatMul", "MatMulInteger")
_CONV_OPS = ("Conv", "ConvInteger")
_QUANT_OPS = {  # DequantizeLinear: an int8 copy of ship._int8 (its weights); the others: older, dynamically quantised copies
   "MatMulInteger", "DynamicQuantizeLinear", "QuantizeLinear", "DequantizeLinear", "QLinearMatMul", "ConvInteger", "QLinearConv"}
_PASS_THROUGH = {"Cast", "Mul"}  # between an int8 MatMulInteger/ConvInteger and its bias Add (rescaling)
_POOL_OPS = ("MaxPool", "AveragePool", "LpPool")
_GLOBAL_POOL_OPS = ("GlobalAveragePool", "GlobalMaxPool")
_REDUCE_OPS = ("ReduceMean", "ReduceMax")  # PyTorch exports gap/gmp (a mean/amax over H, W) as these
_SHAPE_OPS = {"Reshape", "Unsqueeze"}  # a bias reshaped for broadcasting before its Add
_RECURRENT_GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}  # ONNX's recurrent ops and their gates: W is (directions, gates x hidden, inputs)


_DESCRIBE_ONNX_PARAMETERS = """
Parameters
----------
path : str or Path
    The ``.onnx`` file.
"""


@parameters_section(_DESCRIBE_ONNX_PARAMETERS)
def describe_onnx(path: str | Path) -> dict[str, Any]:
    """What an ONNX file from :func:`hiddenlayers.export_onnx` holds, read from the file alone (no onnxruntime, no PyTorch).

    The file (opset, size in bytes, producer), the graph's inputs and outputs with element types and shapes, ``dtype``
    (the float type it computes in: ``"float32"``, or ``"float64"``) (a dimension is an int or its symbolic name), our
    metadata (see :func:`parse_metadata`), whether it is int8 quantised, and one row per layer with stored weights, in
    graph order:

    * dense: a ``Gemm``/``MatMul``/``MatMulInteger`` node whose weight is an initializer (or an int8 one read through
      ``DequantizeLinear``: an int8 copy) gives ``inputs`` x ``units``;
    * convolution: a ``Conv``/``ConvInteger`` node gives ``inputs`` (input channels) x ``units`` (filters), ``kernel``,
      ``stride``, ``padding`` (ONNX ``pads``: begin of each axis, then end; ``"same"``/``"valid"`` where the graph says
      ``auto_pad``), ``dilation`` and ``groups``;
    * recurrent: an ``LSTM``/``GRU``/``RNN`` node gives ``inputs`` (features a step) x ``units`` (hidden size x
      directions), ``directions``, ``hidden``; its ``W``, ``R``, ``B`` counted from the op's sizes
      (:func:`_recurrent_row`);

    each with ``kind`` (``"dense"``/``"conv"``/``"recurrent"``), its bias (``Gemm``'s or ``Conv``'s own, the next
    ``Add``, or a recurrent op's ``B``) and the op that consumes its output; and, between them, the layers without weights
    of a convolutional network:

    * ``"pool"``: a ``MaxPool``/``AveragePool`` node (``kernel``, ``stride``, ``padding``);
    * ``"global_pool"``: ``GlobalAveragePool``/``GlobalMaxPool``, or a ``ReduceMean``/``ReduceMax`` between a convolution
      and the next dense layer (how PyTorch exports ``gap``/``gmp``);
    * ``"flatten"``: a ``Flatten``, or a ``Reshape`` of activations there (a spec's ``flatten``; a dense layer's own
      flattening of its input is part of that layer, and has no row),

    with ``inputs``, ``units`` and ``weight_type`` None and 0 ``parameters``. A row is named by the exporter's scope
    (``hidden2``) when the graph records it. ``inputs`` is the model's input: for a table model the first dense layer's
    inputs (the encoded features), for a Pipeline's export the columns its graph takes (its steps, a PCA's projection
    too, come before the first dense layer), for a model whose first layer is a convolution or a recurrent layer the
    graph input's shape without the batch axis (``[8, 8]`` for 8 x 8 images, ``["steps", 13]`` for sequences of 13
    features a step); ``outputs`` the last weighted layer's units. Bad or foreign files raise :class:`ModelFileError`.
    """
    import onnx
    from google.protobuf.message import DecodeError

    p = Path(path)
    if not p.exists():
        raise ModelFileError(f"model file '{p}' does not exist: check the path, or write one with `hiddenlayers export`.")
    if p.is_dir():
        raise ModelFileError(f"'{p}' is a folder, not a model file: give the path of a .onnx file.")
    bad = unreadable(p)
    try:
        proto = onnx.load(str(p), load_external_data=False)
    except (DecodeError, ValueError, OSError, RuntimeError):
        raise ModelFileError(bad) from None
    if proto.ir_version == 0 or not proto.graph.node:
        raise ModelFileError(bad)
    meta = parse_metadata({m.key: m.value for m in proto.metadata_props}, p)
    g = proto.graph
    opsets = {(o.domain or "ai.onnx"): int(o.version) for o in proto.opset_import}
    weight_types = {init.name: init.data_type for init in g.initializer}
    layers = _graph_layers(g, _value_shapes(proto))
    quantized = any(n.op_type in _QUANT_OPS for n in g.node) or any(r["weight_type"] in ("int8", "uint8") for r in layers)
    spec = meta["spec"]
    weighted = [r for r in layers if r["kind"] in _WEIGHTED_KINDS]
    graph_inputs = [_value_info(v) for v in g.input if v.name not in weight_types]
    return {
        "file": str(p), "format": "onnx", "bytes": p.stat().st_size, "ir_version": int(proto.ir_version),
        "opset": opsets.get("ai.onnx"), "opset_imports": opsets,
        "producer": f"{proto.producer_name} {proto.producer_version}".strip() or None,
        "library_version": meta["library_version"], "estimator": meta["estimator"], "task": meta["task"], "target": meta["target"],
        "output": meta["output"], "classes": meta["classes"], "label_type": meta["label_type"],
        "graph_inputs": graph_inputs,
        "graph_outputs": [_value_info(v) for v in g.output],
        # the float type the graph computes and answers in: float64 for a dtype="float64" model's export
        "dtype": {"float": "float32", "double": "float64"}.get(_value_info(g.output[0])["type"], _value_info(g.output[0])["type"]) if g.output else None,
        "input_columns": meta["input_columns"], "app_input": meta["app_input"], "token_ids": meta["token_ids"], "tokenizer": meta["tokenizer"],
        "data_columns": meta["data_columns"], "long_columns": meta["long_columns"], "step": meta["step"],
        "numeric_columns": list(spec["numeric"]) if spec else None,
        "categorical_columns": [{"name": c["name"], "categories": list(c["categories"])} for c in spec["categorical"]] if spec else None,
        "missing_token": spec.get("missing_token") if spec and spec["categorical"] else None,
        "pipeline": meta["pipeline"], "fills_missing": spec is not None or meta["fills_missing"],
        "quantized": quantized,
        "inputs": _model_inputs(weighted, graph_inputs, meta["pipeline"] is not None, meta["input_columns"]),
        "outputs": weighted[-1]["units"] if weighted else None,
        "layers": layers, "parameters": sum(r["parameters"] for r in layers) if layers else None,
    }


def _model_inputs(weighted: list[dict[str, Any]], graph_inputs: list[dict[str, Any]], pipeline: bool = False, columns: list[str] | None = None) -> Any:
    """The model's input: a table model's first dense layer's inputs; after a first convolution, the graph input's per-row shape.

    ``pipeline``: the export of a scikit-learn Pipeline, whose steps (scaler, imputer, PCA) are in the graph before the first dense
    layer: its input is the columns the graph takes (the width of its one input ``X``; else ``columns``, the input columns it
    stores), not the first dense layer's inputs (a PCA's components). ``columns``: the metadata's ``input_columns`` (None: not stored).
    """
    if pipeline:
        shape = graph_inputs[0]["shape"] if len(graph_inputs) == 1 else None
        if shape and len(shape) == 2 and isinstance(shape[1], int):
            return shape[1]
        if columns:
            return len(columns)
    if weighted and weighted[0]["kind"] in ("conv", "recurrent") and len(graph_inputs) == 1 and graph_inputs[0]["shape"]:
        return graph_inputs[0]["shape"][1:]  # (batch, H, W) or (batch, C, H, W): the image's shape; (batch, steps, features)
    dense = [r for r in weighted if r["kind"] == "dense"]
    return dense[0]["inputs"] if dense else None


def _type_name(elem_type: int) -> str:
    from onnx import TensorProto

    try:
        return TensorProto.DataType.Name(elem_type).lower()
    except ValueError:
        return f"type {elem_type}"


def _value_info(v: Any) -> dict[str, Any]:
    """``{"name", "type", "shape"}`` of a graph input/output; a dimension is its size or its symbolic name."""
    t = v.type.tensor_type
    dims: list[int | str | None] = [d.dim_value if d.HasField("dim_value") else (d.dim_param or None) for d in t.shape.dim]
    return {"name": v.name, "type": _type_name(t.elem_type), "shape": dims if t.HasField("shape") else None}


_WEIGHTED_KINDS = ("dense", "conv", "recurrent")


def _value_shapes(proto: Any) -> dict[str, list[Any]]:
    """The shapes ONNX's shape inference finds for the graph's values (a recurrent weight the exporter builds from
    PyTorch's tensor by ``Slice``/``Concat`` has one); ``{}`` where inference fails on the file."""
    import onnx

    try:
        inferred = onnx.shape_inference.infer_shapes(proto).graph.value_info
    except Exception:  # noqa: BLE001 - a file inference cannot read still gets its other rows
        return {}
    return {v.name: [d.dim_value if d.HasField("dim_value") else None for d in v.type.tensor_type.shape.dim]
            for v in inferred if v.type.tensor_type.HasField("shape")}


def _recurrent_row(node: Any, inits: dict[str, Any], producers: dict[str, Any], shapes: dict[str, list[Any]],
                   before: list[str]) -> dict[str, Any] | None:
    """A row for an ``LSTM``/``GRU``/``RNN`` node (see :func:`describe_onnx`; its next op aside), or None when its sizes cannot be read.

    ``inits``, ``producers``: the graph's initializers and each value's producing node, by name; ``shapes``: shape
    inference's value shapes (:func:`_value_shapes`: a weight the exporter builds from PyTorch's tensor has no
    initializer); ``before``: the earlier rows' names. PyTorch's exporter writes a two-direction layer as two forward ops (the second reads the steps
    reversed): the second of a layer is named ``hidden1 (2)``."""
    import onnx

    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
    gates = _RECURRENT_GATES[node.op_type]
    directions = 2 if attrs.get("direction", b"forward") == b"bidirectional" else 1
    stored = _weight(node.input[1], inits, producers) if len(node.input) > 1 else None  # an int8 copy's: through its dequantisation
    w_dims = [int(d) for d in stored.dims] if stored is not None else shapes.get(node.input[1]) if len(node.input) > 1 else None
    hidden = attrs.get("hidden_size") or (w_dims[1] // gates if w_dims and len(w_dims) == 3 and w_dims[1] else None)
    n_in = w_dims[2] if w_dims and len(w_dims) == 3 else None
    if not hidden or not n_in:
        return None
    has_bias = len(node.input) > 3 and bool(node.input[3])
    params = directions * gates * int(hidden) * (int(n_in) + int(hidden)) + (directions * 2 * gates * int(hidden) if has_bias else 0)
    name = _scope_name(node) or f"{node.op_type.lower()}{len(before) + 1}"
    seen = sum(1 for r in before if r == name or r.startswith(f"{name} ("))
    return {"layer": f"{name} ({seen + 1})" if seen else name, "op": node.op_type, "kind": "recurrent", "inputs": int(n_in), "units": int(hidden) * directions, "directions": directions, "hidden": int(hidden),
            "weight_type": _type_name(stored.data_type) if stored is not None else "float", "bias": has_bias, "parameters": params}


def _graph_layers(g: Any, shapes: dict[str, list[Any]] | None = None) -> list[dict[str, Any]]:
    """One row per dense or convolution node (graph order) whose weight is an initializer, and per recurrent node: sizes,
    bias, next op, parameters; and one per pooling, global pooling or flattening node of a convolutional network
    (:func:`_structural_kind`). ``shapes``: value shapes from shape inference (:func:`_value_shapes`), for recurrent weights."""
    inits = {i.name: i for i in g.initializer}
    producers = {out: n for n in g.node for out in n.output}
    consumers: dict[str, list[Any]] = {}
    for n in g.node:
        for name in n.input:
            consumers.setdefault(name, []).append(n)

    def stored(name: str) -> Any:
        """The initializer behind ``name``, directly or through a Reshape/Unsqueeze (a broadcast bias); else None."""
        node = producers.get(name)
        while name not in inits and node is not None and node.op_type in _SHAPE_OPS:
            name = node.input[0]
            node = producers.get(name)
        return inits.get(name)

    def bias_after(out: str) -> tuple[Any, str]:
        """The bias ``Add`` after a node's output ``out`` (past int8 rescaling): (its initializer or None, the output after it)."""
        nxt = consumers.get(out, [])
        while len(nxt) == 1 and nxt[0].op_type in _PASS_THROUGH:
            out = nxt[0].output[0]
            nxt = consumers.get(out, [])
        if len(nxt) == 1 and nxt[0].op_type == "Add":
            other = [i for i in nxt[0].input if i != out]
            bias = stored(other[0]) if other else None
            if bias is not None:
                return bias, nxt[0].output[0]
        return None, out

    rows: list[dict[str, Any]] = []
    in_conv = False  # after a convolution, before the next dense layer: where pooling and flattening happen
    for n in g.node:
        if n.op_type in _RECURRENT_GATES:
            rec = _recurrent_row(n, inits, producers, shapes or {}, [r["layer"] for r in rows])
            after = consumers.get(n.output[0], []) if n.output else []
            rows.extend([{**rec, "followed_by": after[0].op_type if len(after) == 1 else None}] if rec is not None else [])
            in_conv = in_conv and rec is None
            continue
        kind = _structural_kind(n, in_conv, lambda name: stored(name) is not None)
        if kind is not None:
            after = consumers.get(n.output[0], []) if n.output else []
            rows.append({"layer": _scope_name(n) or f"{kind}{len(rows) + 1}", "op": n.op_type, "kind": kind, "inputs": None, "units": None,
                         **(_pool_sizes(n) if kind == "pool" else {}), "weight_type": None, "bias": False,
                         "followed_by": after[0].op_type if len(after) == 1 else None, "parameters": 0})
            continue
        conv = n.op_type in _CONV_OPS
        w = _weight(n.input[1], inits, producers) if len(n.input) >= 2 and (conv or n.op_type in _DENSE_OPS) else None
        if w is None or w.name.startswith(STEP_PREFIX):  # a Pipeline's PCA step ahead of the network is no layer
            continue
        if conv:
            if len(w.dims) < 3:
                continue
            row, bias, out = _conv_row(n, w), None, n.output[0]
            if n.op_type == "Conv" and len(n.input) > 2 and n.input[2]:
                bias = stored(n.input[2])
            else:  # ConvInteger (+ Cast/Mul rescaling) then Add(bias)
                bias, out = bias_after(out)
        else:
            if len(w.dims) != 2:
                continue
            row, bias, out = _dense_row(n, w), None, n.output[0]
            if n.op_type == "Gemm" and len(n.input) > 2 and n.input[2] in inits:
                bias = inits[n.input[2]]
            else:  # MatMul (+ Cast/Mul rescaling for int8) then Add(bias)
                bias, out = bias_after(out)
        after = consumers.get(out, [])
        n_bias = int(np.prod(bias.dims)) if bias is not None else 0
        weights = row.pop("weights")
        in_conv = row["kind"] == "conv"
        rows.append({
            "layer": _layer_name(w.name, len(rows) + 1, row["kind"]), "op": n.op_type, **row,
            "weight_type": _type_name(w.data_type), "bias": bias is not None,
            "followed_by": after[0].op_type if len(after) == 1 else None, "parameters": weights + n_bias,
        })
    names = {r["layer"] for r in rows if r["kind"] in _WEIGHTED_KINDS}
    # a dense layer's own flattening of a convolution's output (no flatten layer in the spec) is part of that layer
    return [r for r in rows if r["kind"] in _WEIGHTED_KINDS or r["layer"] not in names]


def _weight(name: str, inits: dict[str, Any], producers: dict[str, Any]) -> Any:
    """The initializer of a layer's weight ``name``: itself, or the int8 one a ``DequantizeLinear`` reads (an int8 copy), or
    that a ``Cast`` then ``Mul`` by its scales reads (an int8 copy at opset 28 and later); else None."""
    node = producers.get(name)
    if node is not None and node.op_type == "Mul":
        cast = producers.get(node.input[0])
        node = cast if cast is not None and cast.op_type == "Cast" else None
        if node is None:
            return None
    if node is not None and node.op_type in ("DequantizeLinear", "Cast"):
        name = node.input[0]
    return inits.get(name)


def _structural_kind(node: Any, in_conv: bool, is_stored: Callable[[str], bool]) -> str | None:
    """``"pool"``, ``"global_pool"`` or ``"flatten"`` for a layer without weights of a convolutional network; else None.

    ``in_conv``: the node comes after a convolution and before the next dense layer (a ``ReduceMean``
    or ``Reshape`` elsewhere is not a layer); ``is_stored``: whether an input is a stored tensor (a bias's reshape).
    """
    op = node.op_type
    if op in _POOL_OPS:
        return "pool"
    if op in _GLOBAL_POOL_OPS or (in_conv and op in _REDUCE_OPS):
        return "global_pool"
    if op == "Flatten" or (in_conv and op == "Reshape" and node.input and not is_stored(node.input[0])):
        return "flatten"
    return None


def _pool_sizes(node: Any) -> dict[str, Any]:
    """A MaxPool/AveragePool node's ``kernel``, ``stride`` and ``padding`` (ONNX ``pads``, or ``"same"``/``"valid"``)."""
    import onnx

    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
    kernel = [int(k) for k in attrs.get("kernel_shape", [])]
    spatial = len(kernel)
    padding = _padding(attrs, spatial)
    return {"kernel": kernel, "stride": [int(v) for v in attrs.get("strides", [1] * spatial)], "padding": padding}


def _padding(attrs: dict[str, Any], spatial: int) -> Any:
    """A conv or pooling node's padding: ``"same"``/``"valid"`` from ``auto_pad``, else its explicit ``pads`` (begins, then ends)."""
    auto_pad = attrs.get("auto_pad", b"NOTSET")
    auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else str(auto_pad)
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        return "same"
    if auto_pad == "VALID":
        return "valid"
    return [int(p) for p in attrs.get("pads", [0] * (2 * spatial))]


def _scope_name(node: Any) -> str | None:
    """The network layer a node belongs to (``hidden2``), from the scopes PyTorch's exporter records; None when not recorded."""
    import ast

    scopes = next((p.value for p in node.metadata_props if p.key == "pkg.torch.onnx.name_scopes"), None)
    if not scopes:
        return None
    try:
        names = ast.literal_eval(scopes)  # a list of strings: a literal, never code
    except (ValueError, SyntaxError):
        return None
    found = [m.group(1) for v in names if isinstance(v, str) and (m := re.fullmatch(r"network\.(hidden\d+|head)", v))]
    return found[-1] if found else None


def _dense_row(node: Any, w: Any) -> dict[str, Any]:
    """A ``Gemm``/``MatMul`` node's sizes from its 2-D weight ``w``: ``inputs`` x ``units`` (``Gemm``'s ``transB`` read)."""
    trans_b = next((a.i for a in node.attribute if a.name == "transB"), 0) if node.op_type == "Gemm" else 0
    n_in, units = (int(w.dims[1]), int(w.dims[0])) if trans_b else (int(w.dims[0]), int(w.dims[1]))
    return {"kind": "dense", "inputs": n_in, "units": units, "weights": n_in * units}


def _conv_row(node: Any, w: Any) -> dict[str, Any]:
    """A Conv/ConvInteger node's sizes from its weight ``(filters, in_channels / groups, *kernel)`` and attributes."""
    import onnx

    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
    dims = [int(d) for d in w.dims]
    spatial = len(dims) - 2
    groups = int(attrs.get("group", 1))
    padding = _padding(attrs, spatial)
    return {
        "kind": "conv", "inputs": dims[1] * groups, "units": dims[0], "kernel": dims[2:],
        "stride": [int(s) for s in attrs.get("strides", [1] * spatial)], "padding": padding,
        "dilation": [int(d) for d in attrs.get("dilations", [1] * spatial)], "groups": groups, "weights": int(np.prod(dims)),
    }


def _layer_name(weight: str, i: int, kind: str = "dense") -> str:
    """``network.hidden1.linear.weight`` -> ``hidden1``; ``network.head.weight...`` -> ``head``; otherwise ``{kind}{i}`` (``dense3``, ``conv1``)."""
    parts = weight.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "network" else f"{kind}{i}"


__all__ = ["FILLS_MISSING_KEY", "INPUTS_KEY", "PIPELINE_META_KEY", "OnnxModel", "choose_missing_token", "describe_onnx", "feeds_from_frame", "input_spec", "parse_metadata"]
