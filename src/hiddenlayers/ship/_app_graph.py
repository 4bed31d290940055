"""The graphs :func:`hiddenlayers.export_onnx` writes for the applications (``ONNX_APPS``), and their dispatch.

Each builder takes a fitted app and the user's parity rows (or ``None``) and
returns an :class:`AppGraph`: a traceable module with the app's own input
preprocessing inside, the ONNX input rows, and what the app's *own* public
method returns for them (the parity reference):

* ``ImageClassifier``: ``X`` float32 ``(batch, H, W)`` (grayscale) or
  ``(batch, H, W, C)`` (colour), pixels as ``predict`` reads float images
  (``uint8`` images divided by 255 first, as ``predict`` does); with
  ``input_dtype="uint8"``, ``X`` is uint8 pixels 0-255 as a camera gives them
  and the division by 255 runs in the graph too. The channel-first transpose
  and per-channel standardisation run in the graph; output ``probabilities``
  ``(batch, n_classes)`` = ``predict_proba``; the metadata key ``pixels`` holds the per-channel ``mean_``/``scale_``
  (the server's 0-1 scale rule for float pixels reads them).
* ``Autoencoder``: ``X`` float32 ``(batch, n_features)`` raw rows; output
  ``scores`` ``(batch,)`` = ``score_samples`` (``decision_function`` is
  ``scores - offset``, the offset is in the metadata) and ``reconstruction``
  ``(batch, n_features)`` in the input's units.
* ``Forecaster``: ``X`` float32 ``(batch, window)``, each row the last
  ``window`` values of a series, oldest first; output ``forecasts``
  ``(batch, horizon)`` in series units = the rows of ``predict(series)``.
* ``TextClassifier`` and ``SequenceClassifier`` on token ids: int64 ids ``(batch, steps)``, padded, -> ``probabilities``, the
  tokenizer in the metadata (:mod:`hiddenlayers.ship._app_graph_ids`).
* ``SequenceClassifier`` (feature frames), ``Recommender``, ``SpeechRecognizer`` (its acoustic network: per-frame
  log-probabilities) and ``DQNAgent`` (observations -> Q-values): see :mod:`hiddenlayers.ship._app_graph_seq`,
  :mod:`hiddenlayers.ship._app_graph_rec`, :mod:`hiddenlayers.ship._app_graph_ctc` and :mod:`hiddenlayers.ship._app_graph_agent`.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from .._words import article
from ._app_base import APP_INPUT_KEY, AppGraph, graph_dtype, graph_network, refuse_float32_scale
from ._app_base import base_metadata as _base_metadata
from ._app_base import cpu_network as _cpu_network
from ._app_graph_agent import agent_graph
from ._app_graph_ctc import speech_graph
from ._app_graph_ids import ids_graph
from ._app_graph_rec import recommender_graph
from ._app_graph_seq import sequence_graph
from ._onnx_text import TOKENIZER_KEY, TOKENS_KEY

ONNX_APPS = ("ImageClassifier", "Autoencoder", "Forecaster", "SequenceClassifier", "TextClassifier", "Recommender", "SpeechRecognizer", "DQNAgent")  # the applications export_onnx takes
PIXELS_KEY = "pixels"  # an ImageClassifier's metadata: JSON {"mean": [...], "scale": [...]} per channel, of the pixels as predict reads them
INPUT_DTYPES = ("float32", "uint8")  # what export_onnx's input X can be: uint8 for an ImageClassifier's pixels only


def app_kind(model: Any) -> str | None:
    """The name in ``ONNX_APPS`` of the app ``model`` is (a TextClassifier's own, though it is a SequenceClassifier too); ``None`` for anything else."""
    from ..apps import Autoencoder, DQNAgent, Forecaster, ImageClassifier, Recommender, SequenceClassifier, SpeechRecognizer, TextClassifier

    for cls in (ImageClassifier, Autoencoder, Forecaster, TextClassifier, SequenceClassifier, Recommender, SpeechRecognizer, DQNAgent):
        if isinstance(model, cls):
            return cls.__name__
    return None


def build_app_graph(model: Any, X: Any, input_dtype: str = "float32", dtype: str | None = None) -> AppGraph:
    """The :class:`AppGraph` of a fitted supported app; ``X``: parity inputs, random ones around the training data when ``None``.

    ``input_dtype``: the ONNX input's element type, ``"float32"``, or ``"uint8"`` for an ImageClassifier's raw pixels.
    ``dtype``: the float type the graph computes in (:func:`._app_base.graph_dtype`; None: the fitted network's). A float64
    graph (an ImageClassifier, SequenceClassifier or SpeechRecognizer fitted with ``dtype="float64"``) reads float X
    and answers in float64; the other apps compute in float32 only.
    """
    kind = app_kind(model)
    if input_dtype != "float32" and kind != "ImageClassifier":
        raise ValueError(f"input_dtype={input_dtype!r} is for an ImageClassifier's pixels; {article(kind)}'s input is real values: leave input_dtype='float32'.")
    double = graph_dtype(model, dtype) == "float64"
    if kind == "ImageClassifier":
        return _image(model, X, input_dtype, double)
    if kind == "TextClassifier" or (kind == "SequenceClassifier" and model.input_kind_ == "ids"):
        return ids_graph(model, X, double=double)
    if kind in ("SequenceClassifier", "SpeechRecognizer"):
        return (sequence_graph if kind == "SequenceClassifier" else speech_graph)(model, X, double=double)
    builder = {"Autoencoder": _autoencoder, "Forecaster": _forecaster, "Recommender": recommender_graph, "DQNAgent": agent_graph}[kind or ""]
    return builder(model, X)


def _float_rows(X: Any, shape: tuple[int, ...], what: str, dtype: Any = np.float32) -> np.ndarray:
    """``X`` as finite rows of ``dtype`` (float32, or float64 for a float64 graph) of ``(n, *shape)``, n >= 1, or a one-line
    ``ValueError`` naming the expected shape."""
    try:
        rows = np.asarray(X, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"X must be numbers, {what}, for this model's ONNX input: {exc}.") from None
    if rows.ndim != len(shape) + 1 or tuple(rows.shape[1:]) != shape or rows.shape[0] == 0:
        raise ValueError(f"X must be {what} with at least one row for this model's ONNX input. Received shape {rows.shape}.")
    if not np.isfinite(rows).all():
        raise ValueError("X contains NaN or infinite values: the parity check needs finite inputs; drop or fill them.")
    return rows


def _uint8_rows(X: Any, shape: tuple[int, ...], what: str) -> np.ndarray:
    """``X`` as uint8 images ``(n, *shape)``, n >= 1: uint8, or whole numbers 0-255 of another integer type; else a one-line ``ValueError``."""
    rows = np.asarray(X)
    if rows.dtype != np.uint8:
        if rows.dtype.kind not in "iu" or (rows.size and (rows.min() < 0 or rows.max() > 255)):
            raise ValueError(f"with input_dtype='uint8', X must be uint8 pixels 0-255, {what}, as the ONNX input reads them. "
                             f"Received dtype {rows.dtype}: pass the camera's uint8 images, or use input_dtype='float32' for float pixels.")
        rows = rows.astype(np.uint8)
    if rows.ndim != len(shape) + 1 or tuple(rows.shape[1:]) != shape or rows.shape[0] == 0:
        raise ValueError(f"X must be {what} with at least one row for this model's ONNX input. Received shape {rows.shape}.")
    return rows


def _in_fitted_range(model: Any, pixels: np.ndarray) -> np.ndarray:
    """Random parity ``pixels`` (as ``predict`` reads them: uint8 images already / 255) clipped to the training pixels' range.

    A normal draw around the per-channel mean and spread leaves [0, 1] (a few pixels up to ~1.5-2 on digits), and
    ``predict`` takes float pixels above :data:`~hiddenlayers.apps.UNIT_SCALE_MAX` for 0-255 ones: it warned the user, who
    gave no pixels, that "these float pixels" were on the wrong scale. Clipped to ``pixel_range_`` (in 0-1 units for a
    model fitted on uint8 images) they are pixels the model could have seen; a file without the range, fitted on 0-1
    pixels, is clipped to [0, 1].
    """
    from ..apps import fitted_on_unit_scale

    span = getattr(model, "pixel_range_", None)
    if span is not None:
        low, high = (float(v) / (255.0 if getattr(model, "pixel_dtype_", None) == "uint8" else 1.0) for v in span)
        return np.clip(pixels, low, high)
    return np.clip(pixels, 0.0, 1.0) if fitted_on_unit_scale(model) else pixels


def _image_feeds(model: Any, X: Any, shape: tuple[int, ...], what: str, pixels8: bool, as_given: bool, double: bool) -> tuple[np.ndarray, Any]:
    """``(feeds, reference)``: the parity images the graph reads (``X``, else random ones around the training pixels) and
    ``predict_proba`` of the same pixels as the model reads them (uint8 read ``as_given``: as floats, not / 255)."""
    floats: Any = np.float64 if double else np.float32
    if X is None:  # random images around the training pixels' per-channel mean and spread
        channels = int(model.image_shape_[0])
        rng = np.random.default_rng(0)
        chw = rng.standard_normal((64, channels, *model.image_shape_[1:])) * model.scale_[None, :, None, None] + model.mean_[None, :, None, None]
        raw: Any = _in_fitted_range(model, chw).astype(floats).transpose(0, 2, 3, 1)
        raw = raw[..., 0] if channels == 1 else raw
        if pixels8:  # the same, as 0-255 pixels (the mean and spread are of pixels / 255, or of the pixels as given)
            raw = np.clip(np.rint(raw if as_given else raw * 255), 0, 255).astype(np.uint8)
    else:
        raw = np.asarray(X)
    if pixels8:
        feeds = raw = _uint8_rows(raw, shape, what)
        return feeds, np.asarray(model.predict_proba(raw.astype(floats) if as_given else raw), dtype=np.float64)
    feeds = _float_rows(raw, shape, what, floats)
    if raw.dtype == np.uint8:
        feeds = feeds / floats(255.0)  # as predict scales uint8 pixels
    raw = raw if raw.dtype == np.uint8 else feeds  # the pixels the graph reads, in its float type
    return feeds, np.asarray(model.predict_proba(raw), dtype=np.float64)


def _image(model: Any, X: Any, input_dtype: str = "float32", double: bool = False) -> AppGraph:
    """ImageClassifier: raw pixels ``(N, H, W)`` / ``(N, H, W, C)`` -> class probabilities ``(N, n_classes)``.

    ``input_dtype="float32"``: float pixels as ``predict`` reads them (uint8 images / 255 outside
    the graph; float64 pixels where ``double``); ``"uint8"``: the camera's 0-255 pixels, divided by 255 inside, as ``predict`` does,
    except for a model fitted on float pixels beyond 0-1 (0-255 images given as floats), which reads them as given, as its
    ``predict`` reads ``X.astype(np.float32)``: / 255 it would read them 255 times too dark.
    ``double``: the graph computes and answers in float64 (a ``dtype="float64"`` model), else float32.
    """
    import torch
    from torch import Tensor

    from ..apps import fitted_beyond_unit_scale
    from ._scaled_graph import ScaledGraph

    pixels8 = input_dtype == "uint8"
    as_given = pixels8 and fitted_beyond_unit_scale(model)  # uint8 0-255 are this model's own scale: no division by 255
    channels, height, width = (int(d) for d in model.image_shape_)
    shape = (height, width) if channels == 1 else (height, width, channels)
    layout = "(batch, H, W)" if channels == 1 else "(batch, H, W, C)"
    feeds, reference = _image_feeds(model, X, shape, f"images ({', '.join(['n', *map(str, shape)])})", pixels8, as_given, double)
    network = graph_network(model.network_, double)
    dtype = torch.float64 if double else torch.float32

    class _Image(ScaledGraph):
        def forward(self, x: Tensor) -> Tensor:
            if pixels8:
                x = x.to(dtype) if as_given else x.to(dtype) / 255.0  # uint8 0-255 -> [0, 1], as predict scales uint8 images
            x = x.unsqueeze(1) if channels == 1 else x.permute(0, 3, 1, 2)  # -> (N, C, H, W)
            z = (x - self.mean) / self.scale
            p = torch.softmax(self.network(z).to(torch.float64), dim=1)
            return p if double else p.to(torch.float32)

    values = ("uint8 pixels 0-255, read as given (the model was fitted on float pixels beyond 0-1)" if as_given
              else "uint8 pixels 0-255 as a camera gives them; the division by 255 is in the graph" if pixels8
              else "float pixels as predict reads them: uint8 images divided by 255")
    x_type = "float64" if double and not pixels8 else input_dtype
    meta = _base_metadata(model, "probabilities", ["batch", *shape], layout, values, x_type)
    meta["classes"] = json.dumps(np.asarray(model.classes_).tolist())
    # the per-channel standardisation as the graph holds it: the server's 0-1 scale rule for float pixels reads it (fitted_on_unit_scale);
    # a uint8 graph's divisor (1: read as given), without which a uint8 export of a model fitted beyond 0-1 divides by 255 (older exports)
    pixels = {"mean": np.asarray(model.mean_, dtype=np.float64).ravel().tolist(), "scale": np.asarray(model.scale_, dtype=np.float64).ravel().tolist()}
    meta[PIXELS_KEY] = json.dumps({**pixels, "uint8_divisor": 1 if as_given else 255} if pixels8 else pixels)
    notes = [f"input X is uint8 pixels {layout}, 0-255; "
             + ("read as given (the model was fitted on float pixels beyond 0-1: no division by 255)" if as_given else "the division by 255")
             + ", the channel transpose and per-channel standardisation are in the graph" if pixels8 else
             f"input X is raw float pixels {layout} (uint8 images / 255, as predict reads them); the channel transpose and per-channel standardisation are in the graph"]
    sample = torch.zeros(2, *shape, dtype=torch.uint8 if pixels8 else dtype)
    module = _Image(network, model.mean_, model.scale_, (1, channels, 1, 1), dtype).eval()
    return AppGraph(module, sample, feeds, reference, ["probabilities"], ["batch", *shape], meta, notes, input_types=[x_type], double=double)


def _autoencoder(model: Any, X: Any) -> AppGraph:
    """Autoencoder: raw rows ``(N, d)`` -> ``scores`` ``(N,)`` (``score_samples``) and ``reconstruction`` ``(N, d)``."""
    import pandas as pd
    import torch
    from torch import Tensor

    from ._scaled_graph import ScaledGraph

    d = int(model.n_features_in_)
    names = getattr(model, "feature_names_in_", None)
    refuse_float32_scale(model, names)
    columns = names  # the reference rows' names: the fitted ones (no "X does not have valid feature names" warning), a frame's own below
    if X is None:
        rng = np.random.default_rng(0)
        X = (rng.standard_normal((256, d)) * model.scale_ + model.mean_).astype(np.float32)
    elif hasattr(X, "to_numpy"):
        if names is not None and hasattr(X, "columns"):  # a frame's own, which score_samples checks as predict does (refused: other names or order)
            columns = list(X.columns)
        X = X.to_numpy()
    feeds = _float_rows(X, (d,), f"rows (n, {d})")
    rows = feeds if columns is None else pd.DataFrame(feeds, columns=columns)
    reference = np.asarray(model.score_samples(rows), dtype=np.float64)  # the float32 rows the graph reads
    recon = np.asarray(model.inverse_transform(model.transform(rows)), dtype=np.float64)
    network = _cpu_network(model.network_)

    class _Scores(ScaledGraph):
        def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
            z = (x - self.mean) / self.scale  # (N, d) standardised
            r = self.network(z)  # (N, d) reconstruction, standardised
            return -((r - z) ** 2).mean(1), r * self.scale + self.mean

    meta = _base_metadata(model, "scores", ["batch", d], "(batch, n_features)", "raw feature values, in the columns' fitted order")
    meta["offset"] = json.dumps(float(model.offset_))
    if names is not None:
        meta["input_columns"] = json.dumps([str(c) for c in names])
    notes = ["input X is the raw rows; standardisation is in the graph",
             f"output scores = score_samples (higher = more normal); decision_function = scores - offset (offset = {float(model.offset_):.6g}, "
             "in the metadata), an outlier where < 0",
             "second output reconstruction: the decoded rows in the input's units"]
    return AppGraph(_Scores(network, model.mean_, model.scale_).eval(), torch.zeros(2, d), feeds, reference, ["scores", "reconstruction"], ["batch", d], meta, notes,
                    extra_reference={"reconstruction": recon})


def _forecaster(model: Any, X: Any) -> AppGraph:
    """Forecaster: windows ``(N, window)`` of raw values, oldest first -> ``forecasts`` ``(N, horizon)`` in series units."""
    import torch
    from numpy.lib.stride_tricks import sliding_window_view
    from torch import Tensor, nn

    window, horizon = int(model.window), int(model.horizon)
    refuse_float32_scale(model)
    if X is None:  # a random walk around the training series' level and spread
        rng = np.random.default_rng(0)
        X = model.mean_ + model.scale_ * np.cumsum(rng.standard_normal(255 + window)) / np.sqrt(window)
    arr = np.asarray(X, dtype=np.float64) if not hasattr(X, "to_numpy") else X.to_numpy(dtype=np.float64)
    if arr.ndim == 1:  # a series: every window of it, referenced by predict(series)
        if len(arr) < window:
            raise ValueError(f"X has {len(arr)} values but each forecast needs window={window}: pass a longer series, or windows (n, {window}).")
        series = _float_rows(arr[:, None], (1,), f"a series, or windows (n, {window})")[:, 0]  # the float32 values the graph reads
        feeds = np.ascontiguousarray(sliding_window_view(series, window))
        reference = np.asarray(model.predict(series.astype(np.float64)), dtype=np.float64)
    else:
        feeds = _float_rows(arr, (window,), f"a series, or windows (n, {window})")
        reference = np.vstack([model.predict(row) for row in feeds]).astype(np.float64)
    network = _cpu_network(model.network_)
    delta = model.target == "delta"
    mean, scale = float(model.mean_), float(model.scale_)

    class _Forecast(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.network = network

        def forward(self, x: Tensor) -> Tensor:
            z = (x - mean) / scale  # (N, window) standardised
            anchor = z[:, -1:] if delta else torch.zeros_like(z[:, -1:])  # (N, 1): the last value, for target="delta"
            return (self.network(z - anchor) + anchor) * scale + mean

    meta = _base_metadata(model, "forecasts", ["batch", window], "(batch, window)", "the last window values of the series, oldest first")
    # the server's value check; "freq": the training dates' step (freq_, a pandas offset alias; None: fitted without dates), which
    # predict and evaluate of the export check a date column against, as the .safetensors file's
    meta["forecaster"] = json.dumps({"window": window, "horizon": horizon, "target": model.target, "mean": mean, "scale": scale,
                                     "freq": getattr(model, "freq_", None)})
    notes = [f"input X is windows of the last {window} raw values (oldest first); {'scaling and the delta from the last value are' if delta else 'scaling is'} in the graph; "
             f"output forecasts = the next {horizon} value(s), as the rows of predict(series)"]
    return AppGraph(_Forecast().eval(), torch.zeros(2, window), feeds, reference, ["forecasts"], ["batch", window], meta, notes)


__all__ = ["ONNX_APPS", "APP_INPUT_KEY", "PIXELS_KEY", "INPUT_DTYPES", "TOKENIZER_KEY", "TOKENS_KEY", "AppGraph", "app_kind", "build_app_graph"]
