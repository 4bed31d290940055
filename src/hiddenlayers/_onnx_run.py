"""Run an ONNX file written by :func:`hiddenlayers.export_onnx` on a raw table.

Kept apart from ``export.py`` so that predicting with an ``.onnx`` file needs
onnxruntime, NumPy and pandas but never PyTorch (start-up time). The file's
``metadata_props`` (JSON strings, never pickles) say which raw columns feed
which graph input:

* ``X``: ``(batch, n_numeric)`` float32, the numeric columns, NaN = missing;
* ``C``: ``(batch, n_categorical)`` string, the categorical columns as text,
  a missing cell given as ``missing_token`` (present only when the model has
  categorical columns; their one-hot encoding, ``<other>`` bucket included,
  runs inside the graph).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from .exceptions import DataError, ModelFileError

INPUTS_KEY = "hiddenlayers_inputs"


def input_spec(columns: list[dict[str, Any]], missing_token: str) -> dict[str, Any]:
    """The JSON-able description of the graph inputs for table ``columns`` (preprocessing order)."""
    return {
        "numeric": [c["name"] for c in columns if c["kind"] == "numeric"],
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


def _text(value: Any) -> str | None:
    """A cell as the text the preprocessing compares (``None`` when missing), as ``TablePreprocessor`` does."""
    from .preprocessing import _is_missing

    return None if _is_missing(value) else str(value)


def feeds_from_frame(frame: Any, spec: dict[str, Any]) -> tuple[dict[str, np.ndarray], list[str]]:
    """Graph inputs from a raw table (columns in any order, extras ignored); also one-line notes.

    Missing columns are a :class:`DataError` naming them; text in a numeric
    column is a :class:`DataError` naming the row; unseen categories are counted
    in a note (the graph sends them to ``<other>``, or to no column).
    """
    import pandas as pd

    frame = frame.rename(columns=str)
    numeric, cats = list(spec["numeric"]), list(spec["categorical"])
    names = numeric + [c["name"] for c in cats]
    missing = [n for n in names if n not in frame.columns]
    if missing:
        shown = ", ".join(repr(m) for m in missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
        raise DataError(f"the data lacks column(s) {shown} that the model was trained on: add them (values may be empty).")
    notes: list[str] = []
    extra = [c for c in frame.columns if c not in set(names)]
    if extra:
        notes.append(f"ignored {len(extra)} column(s) the model does not use: {', '.join(extra[:5])}{' ...' if len(extra) > 5 else ''}")
    n = frame.shape[0]
    feeds: dict[str, np.ndarray] = {}
    if numeric:
        X = np.empty((n, len(numeric)), dtype=np.float32)
        for j, name in enumerate(numeric):
            col = frame[name]
            if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
                values = col.to_numpy(dtype=np.float64)
            else:
                text = col.map(_text)
                parsed = pd.to_numeric(text.map(lambda v: v if v is None else v.strip()), errors="coerce")
                bad = text.notna() & parsed.isna()
                if bad.any():
                    row = int(np.flatnonzero(bad.to_numpy())[0])
                    raise DataError(f"column '{name}' must be numeric but row {row + 1} holds {str(col.iloc[row])!r}: fix the value or leave it empty.")
                values = parsed.to_numpy(dtype=np.float64)
            if np.isinf(values).any():
                raise DataError(f"column '{name}' holds infinite values: replace them with numbers or leave the cells empty.")
            X[:, j] = values
        feeds["X"] = X
    if cats:
        token = str(spec["missing_token"])
        C = np.empty((n, len(cats)), dtype=object)
        unseen: dict[str, int] = {}
        for j, c in enumerate(cats):
            text = [_text(v) for v in frame[c["name"]].to_numpy(dtype=object)]  # not Series.map: it turns None into NaN
            known = set(c["categories"])
            new = int(sum(1 for v in text if v is not None and v not in known))
            if new:
                unseen[c["name"]] = new
            C[:, j] = [token if v is None else v for v in text]
        feeds["C"] = C
        if unseen:
            parts = ", ".join(f"{k}: {v}" for k, v in unseen.items())
            notes.append(f"{sum(unseen.values())} value(s) outside the categories kept in training (unseen, or rarer than max_categories) ({parts}) were encoded as unknown / <other>")
    return feeds, notes


class OnnxModel:
    """An ONNX file from :func:`hiddenlayers.export_onnx`, run with onnxruntime on raw tables.

    ``classes_`` (classifiers), ``target`` and ``task`` come from the file's
    metadata; :meth:`predict` and :meth:`predict_proba` take a DataFrame.
    """

    def __init__(self, path: str | Path) -> None:
        import onnxruntime as ort

        p = Path(path)
        if not p.exists():
            raise ModelFileError(f"model file '{p}' does not exist: check the path, or write one with `hiddenlayers export`.")
        if p.is_dir():
            raise ModelFileError(f"'{p}' is a folder, not a model file: give the path of a .onnx file.")
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(str(p), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types for any bad file
            raise ModelFileError(f"'{p}' is not a readable ONNX model ({type(exc).__name__}): it may be truncated, corrupt or of another format.") from None
        meta = dict(self.session.get_modelmeta().custom_metadata_map)
        if "hiddenlayers_output" not in meta:
            raise ModelFileError(f"'{p}' is an ONNX model but not one written by hiddenlayers (no 'hiddenlayers_output' metadata): export it with `hiddenlayers export`.")
        try:
            self.output = meta["hiddenlayers_output"]
            self.estimator = meta.get("hiddenlayers_estimator", "")
            self.classes_ = np.asarray(json.loads(meta["classes"])) if "classes" in meta else None
            self.multilabel = json.loads(meta.get("label_type", '""')) == "multilabel-indicator"
            self.target = json.loads(meta["target"]) if "target" in meta else None
            self.task = json.loads(meta["task"]) if "task" in meta else None
            if INPUTS_KEY in meta:
                self.spec: dict[str, Any] | None = json.loads(meta[INPUTS_KEY])
            else:
                self.spec = None
            self.columns = json.loads(meta["input_columns"]) if "input_columns" in meta else None
        except (ValueError, KeyError, TypeError) as exc:
            raise ModelFileError(f"'{p}' has damaged hiddenlayers metadata ({type(exc).__name__}): export the model again.") from None
        self.path = str(p)
        self.n_inputs = int(self.session.get_inputs()[0].shape[1]) if self.spec is None else len(self.spec["numeric"])

    def feeds(self, frame: Any) -> tuple[dict[str, np.ndarray], list[str]]:
        """Graph inputs for ``frame`` and notes (see :func:`feeds_from_frame`)."""
        if self.spec is not None:
            return feeds_from_frame(frame, self.spec)
        notes: list[str] = []
        if self.columns:  # no stored preprocessing: the named numeric columns, as they are
            missing = [c for c in self.columns if c not in frame.columns]
            if missing:
                raise DataError(f"the data lacks column(s) {', '.join(map(repr, missing[:10]))} that the model was trained on.")
            frame = frame[self.columns]
        if frame.shape[1] != self.n_inputs:
            raise DataError(f"the model expects {self.n_inputs} numeric columns; the data has {frame.shape[1]}: pass the same columns as in training.")
        try:
            return {"X": frame.to_numpy(dtype=np.float32)}, notes
        except (ValueError, TypeError):
            raise DataError("this model has no stored preprocessing, so every column must be numeric: convert text columns first.") from None

    def run(self, frame: Any) -> tuple[np.ndarray, list[str]]:
        """The graph's output for ``frame`` (probabilities or predictions, ``(n, k)``) and notes."""
        if self.target is not None and self.target in frame.columns:
            frame = frame.drop(columns=[self.target])
        feeds, notes = self.feeds(frame)
        return self.session.run(None, feeds)[0], notes

    def predict_proba(self, frame: Any) -> np.ndarray:
        if self.classes_ is None:
            raise DataError("predict_proba needs a classifier; this ONNX model is a regressor.")
        return self.run(frame)[0]

    def predict(self, frame: Any) -> np.ndarray:
        out = self.run(frame)[0]
        return self.decode(out)

    def decode(self, out: np.ndarray) -> np.ndarray:
        """Graph output -> predictions: class labels for classifiers, values for regressors."""
        if self.classes_ is None:
            return out.ravel() if out.shape[1] == 1 else out
        if self.multilabel:
            return (out > 0.5).astype(np.int64)
        return self.classes_[out.argmax(1)]


__all__ = ["INPUTS_KEY", "OnnxModel", "choose_missing_token", "feeds_from_frame", "input_spec"]
