"""The served SequenceClassifier and Forecaster: their request forms, checked, then their own public methods.

Request bodies (``/metadata`` shows the form and the limits of the loaded model):

* SequenceClassifier fitted on feature frames: ``{"sequences": [[[f1, f2, ...], ...], ...]}``,
  each sequence a list of frames of the fitted width, of any lengths (the app pads
  them, and padding never changes a prediction); fitted on token ids:
  ``{"sequences": [[id, id, ...], ...]}``, integers 0 to the largest id seen in fit.
  Answered as the other classifiers (``predictions``; ``/predict_proba``).
  A sequence longer than :func:`step_limit` steps is a 413: the padded batch
  grows with its longest sequence, and a recurrent pass with its length. A model
  fitted with ``max_len`` reads only the first ``max_len`` steps, so longer
  sequences are cut there, as its ``predict`` cuts them, and have no limit.
* Forecaster: ``{"series": [[...history...], ...], "steps": n}``, each series at
  least ``window`` values (oldest first; only the last ``window`` are read, as
  ``Forecaster.forecast`` reads them); ``steps`` (default ``horizon``, at most
  :func:`forecast_limit`) values are forecast after each, recursively beyond
  ``horizon`` as ``forecast`` does. Answered with ``{"forecasts": [[...], ...]}``.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from ...data import F32_MAX
from .app_base import AppModel, RequestError, _body, _call, _Classifier, _items, _whole
from .model import Refusal, RowsRefused
from .values import F32_TEXT, shown

MIN_STEP_LIMIT = 1000  # a sequence model's step limit is 4 x its longest sequence in fit, and never below this
MAX_FORECAST_STEPS = 1000  # most values one forecast may ask for (each ``horizon`` of them is one more pass)


def step_limit(app: Any) -> int | None:
    """Most steps a served sequence may have: None when the app cuts at its ``max_len``, else max(4 x the longest in fit, 1000)."""
    if app.max_len is not None:
        return None
    return max(4 * int(app.max_len_), MIN_STEP_LIMIT)


def forecast_limit(app: Any) -> int:
    """Most ``steps`` one forecast request may ask for: 1000, or ``horizon`` when that is more."""
    return max(MAX_FORECAST_STEPS, int(app.horizon))


def _numbers(x: Any) -> np.ndarray:
    """``x`` as an array of numbers (bool, text, null, ragged nesting or huge integers: an empty object array)."""
    try:
        a = np.asarray(x)
    except (ValueError, OverflowError):
        return np.asarray([None])  # rows of different lengths
    return a if a.dtype.kind in "iuf" else np.asarray([None])


def item_numbers(s: Any, where: str, what: str, step: str) -> np.ndarray:
    """Request item ``s`` (``where``: ``"sequences[3]"``), a non-empty list of ``what`` (``"frames"``), as :func:`_numbers` gives it.

    Not a list: a 400 naming ``what``; an empty list: a 422 asking for at least one ``step``.
    """
    if not isinstance(s, list):
        raise RequestError(400, f"{where} must be a list of {what}. Received: {type(s).__name__}.")
    if not s:
        raise RequestError(422, f"{where} is empty: send at least one {step}.")
    return _numbers(s)


def checked_frames(a: np.ndarray, where: str, width: int, double: bool = False) -> np.ndarray:
    """Frames ``a`` of request item ``where`` (from :func:`item_numbers`) checked as the apps check frames, as float64 ``(T, width)``:
    ``width`` numbers each (a 422 naming the shape, or text/null/ragged frames), finite, within float32's range where the model
    reads frames as float32 (such a value would be infinite there); ``double``: it computes in float64 (fitted with dtype='float64', or its float64 ONNX graph), whose
    range a finite JSON number never leaves."""
    if a.ndim != 2 or a.shape[1] != width:
        raise RequestError(422, f"{where} must be a list of frames, each a list of {width} numbers, as the model was fitted on"
                                + (f". Received shape {a.shape}." if a.dtype.kind != "O" else ": check for text, null or frames of different lengths."))
    if not np.isfinite(a).all():
        raise RequestError(422, f"{where} holds NaN or infinity: send finite values.")
    if not double and np.abs(a).max() > F32_MAX:
        raise RequestError(422, f"{where} holds {shown(a.flat[np.abs(a).argmax()])}, beyond {F32_TEXT}: send a smaller number.")
    return a.astype(np.float64)


class SequenceModel(_Classifier):
    """A SequenceClassifier: ``{"sequences": [...]}`` of frames or token ids, as it was fitted."""

    double = False  # frames read in float64 (a dtype='float64' app, or its float64 ONNX graph): no float32 range check

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.ids = self.app.input_kind_ == "ids"
        self.limit = step_limit(self.app)
        self.fixed = int(self.app.max_len_) if self.app.network_.fixed_length else None  # a spec that flattens time reads only that length
        if self.ids:
            self.max_id = int(self.app.max_id_)
            self.form = '{"sequences": [[id, id, ...], ...]} (token ids, integers)'
        else:
            self.width = int(self.app.n_features_in_)
            self.form = '{"sequences": [[[f1, f2, ...], ...], ...]} (each sequence a list of frames of ' + f"{self.width} numbers)"

    def rows(self, body: Any, max_rows: int) -> list[Any]:
        raw = _items(_body(body, ("sequences",), (), self.form), "sequences", "sequences", max_rows)
        return [self._sequence(s, i) for i, s in enumerate(raw)]

    def _sequence(self, s: Any, i: int) -> np.ndarray:
        """Sequence ``i``, checked as the app checks it (kind, width, ids, finite, lengths) and cut at its ``max_len``."""
        a = item_numbers(s, f"sequences[{i}]", "token ids" if self.ids else "frames", "step")
        if self.ids:
            if a.dtype.kind == "O" or a.ndim != 1 or any(isinstance(v, bool) for v in s) or (a.dtype.kind == "f" and not (np.isfinite(a).all() and (a == np.trunc(a)).all())):
                raise RequestError(422, f"sequences[{i}] must be a list of token ids (integers 0 to {self.max_id}), as the model was fitted on.")
            if a.min() < 0 or a.max() > self.max_id:
                bad = a.min() if a.min() < 0 else a.max()
                raise RequestError(422, f"sequences[{i}] holds the token id {bad:g}, outside the ids seen in fit (0 to {self.max_id}): map unseen tokens to an id seen in fit.")
            a = a.astype(np.int64)
        else:
            a = checked_frames(a, f"sequences[{i}]", self.width, self.double)
        return self._length(a, i)

    def _length(self, a: np.ndarray, i: int) -> np.ndarray:
        """``a`` cut at the app's ``max_len`` (what its ``predict`` reads), its length checked against the model's and the server's limits."""
        if self.app.max_len is not None:
            a = a[: int(self.app.max_len)]
        n = len(a)
        if self.limit is not None and n > self.limit:
            raise RequestError(413, f"sequences[{i}] has {n} steps, over this server's limit of {self.limit} for this model (4 x its longest sequence in fit, "
                                    f"at least {MIN_STEP_LIMIT}): send at most {self.limit}, or refit with max_len to have longer ones cut as the model reads them.")
        if n < int(self.app.min_length_):
            raise RequestError(422, f"sequences[{i}] has {n} steps, too few for the model's convolution/pooling layers: send at least {int(self.app.min_length_)}.")
        if self.fixed is not None and n != self.fixed:
            raise RequestError(422, f"sequences[{i}] has {n} steps, but this model's layers flatten the time axis: every sequence needs {self.fixed} steps, as in fit.")
        return a

    def _X(self, rows: list[Any]) -> Any:
        return list(rows)

    def inputs(self) -> dict[str, Any]:
        info: dict[str, Any] = {"body": self.form, "input_kind": self.app.input_kind_, "min_steps": int(self.app.min_length_),
                                "max_steps": self.limit, "fixed_steps": self.fixed, "max_len": self.app.max_len}
        if self.ids:
            info["ids"] = [0, self.max_id]
        else:
            info["n_features"] = self.width
        return info


class ForecasterModel(AppModel):
    """A Forecaster: ``{"series": [...], "steps": n}`` -> ``{"forecasts": [[...], ...]}``, each as ``forecast(steps, series)``."""

    form = '{"series": [[x0, x1, ...], ...], "steps": n} (each series oldest first, at least window values; steps optional)'

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.window, self.horizon, self.limit = int(self.app.window), int(self.app.horizon), forecast_limit(self.app)
        self.no_proba = "/predict_proba needs a classifier; a Forecaster answers /predict with forecasts."

    def rows(self, body: Any, max_rows: int) -> list[Any]:
        b = _body(body, ("series",), ("steps",), self.form)
        steps = self._steps(b.get("steps", self.horizon))
        return [(self._series(s, i), steps) for i, s in enumerate(_items(b, "series", "series (lists of numbers)", max_rows))]

    def _steps(self, v: Any) -> int:
        return _whole(v, "steps", " of values to forecast", self.limit, " for one forecast")

    def _series(self, s: Any, i: int) -> np.ndarray:
        """Series ``i``'s last ``window`` values, once the whole series is checked as ``forecast`` checks it (numbers, finite, long enough)."""
        a = _numbers(s) if isinstance(s, list) else np.asarray([None])
        if a.ndim != 1 or a.dtype.kind == "O" or any(isinstance(v, bool) for v in s):
            raise RequestError(422, f"series[{i}] must be a list of numbers (one value per time step, oldest first).")
        if not np.isfinite(a).all():
            raise RequestError(422, f"series[{i}] holds NaN or infinity: fill the gaps first (e.g. pandas' Series.interpolate()).")
        if len(a) < self.window:  # before the scaling check, which needs a value (an empty series has none)
            raise RequestError(422, f"series[{i}] has {len(a)} values, but the model reads the last window={self.window}: send at least {self.window}.")
        z = (a - float(self.app.mean_)) / float(self.app.scale_)  # as the network reads the values (in float32)
        if np.abs(z).max() > F32_MAX:
            raise RequestError(422, f"series[{i}] holds {shown(a.flat[np.abs(z).argmax()])}, beyond {F32_TEXT} after the model's scaling: "
                                    "send values of the size the model was trained on.")
        return a[-self.window :].astype(np.float64)

    def predict(self, rows: list[Any], proba: bool) -> list[Any]:
        # one forecast_many for the batch (one pass per horizon block); rows of requests asking fewer steps take the first ones,
        # which forecast recursively as a shorter forecast does
        want = [n for _, n in rows]
        out = _call(partial(self.app.forecast_many, max(want)), np.stack([w for w, _ in rows]))  # (batch, max steps)
        got = [f[:n] for f, n in zip(out, want)]  # row-wise: a series' forecast reads only its own window
        bad: dict[int, Refusal] = {i: _not_finite for i, f in enumerate(got) if not np.isfinite(f).all()}
        results = [self.numbers(f) for f in got]
        if bad:
            raise RowsRefused(results, bad)  # only the requests holding such a series are refused
        return results

    def answer(self, result: list[Any], proba: bool) -> dict[str, Any]:
        return {"forecasts": result}

    def inputs(self) -> dict[str, Any]:
        # freq: the training dates' step (a pandas offset alias), which predict and evaluate hold a date column to; None: fitted without dates
        return {"body": self.form, "window": self.window, "horizon": self.horizon, "target": self.app.target,
                "steps": {"default": self.horizon, "max": self.limit}, "freq": getattr(self.app, "freq_", None)}


def _not_finite(i: int) -> str:
    return (f"series[{i}]: its forecast is not finite (its values are so far from the training series that the network overflows): "
            "send values of the size the model was trained on.")


__all__ = ["MIN_STEP_LIMIT", "MAX_FORECAST_STEPS", "ForecasterModel", "SequenceModel", "forecast_limit", "step_limit"]
