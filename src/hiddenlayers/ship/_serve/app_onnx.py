"""Applications' ONNX exports behind the server, run by onnxruntime alone (no PyTorch is imported).

An ``.onnx`` file exported from any application ``export_onnx`` takes is served with the request form, the checks and
the answers of that app's ``.safetensors`` server: each adapter here is that server's adapter
(:class:`~.app_image.ImageModel`, :class:`~.app_auto.AutoencoderModel`, :class:`~.app_speech.SpeechModel`,
:class:`~.app_agent.AgentModel`, :class:`~.app_rec.RecommenderModel`, :class:`~.app_seq.SequenceModel`,
:class:`~.app_seq.ForecasterModel`) given, in place of the fitted app, what the export's metadata says of it, with its
one computing step run by the graph:

* ImageClassifier: the probabilities of the graph (labels are their argmax, in the stored ``classes``); uint8 pixels are
  divided by 255 before a float32 graph, as ``predict`` does; a graph exported with ``input_dtype="uint8"`` reads only
  ``"dtype": "uint8"`` requests. A model fitted on float pixels beyond 0-1 (0-255 images given as floats) refuses uint8
  pixels divided by 255, as its ``.safetensors`` server does; its ``input_dtype="uint8"`` graph reads them as given. Float pixels above 1.5 are refused for a model fitted on 0-1 pixels by the stored
  per-channel standardisation (exports from before it was stored skip that check);
* SpeechRecognizer: per-frame log-probabilities decoded in NumPy (greedy, or the prefix beam search of ``beam_size``),
  as ``hiddenlayers predict``/``evaluate`` decode the export (:meth:`~hiddenlayers.ship.SpeechOnnx.transcripts`).
  Utterances may have up to 1000 frames, or the graph's fixed step count where its steps axis is fixed;
* Autoencoder: the graph's ``scores`` (``score_samples``), the label +1 where ``scores - offset >= 0`` (the stored offset), as
  ``predict``; rows checked by the table path's rules against the stored column names;
* DQNAgent: the graph's Q-values, the greedy action their argmax;
* Recommender: ratings by the graph, whose id lookup rates unseen ids as ``predict`` does (cold start); the answer's
  ``unseen`` rows from the fitted ids the metadata lists (an export from before they were stored is refused in one line
  saying to export it again);
* SequenceClassifier: probabilities by the graph on the sequences padded with NaN steps (frames) or with the export's
  pad id (token ids, checked against its largest id), the same step limits; a graph whose steps axis is fixed (1-D pooling,
  a recurrent layer returning every step) reads at most the fitted length, one whose layers flatten time exactly that length;
* TextClassifier: each text tokenized in NumPy by the tokenizer the file holds (:class:`~.._onnx_text.TokenOnnx`), then
  probabilities by the graph, labels their argmax;
* Forecaster: each ``horizon`` block one pass of the graph, fed back recursively past ``horizon``
  (:func:`hiddenlayers.apps.recursive_forecast`, the loop of ``forecast_many``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from ...data import F32_MAX
from ...exceptions import ModelFileError
from .._app_graph import PIXELS_KEY
from .._app_graph_rec import IDS_KEY
from .._app_graph_seq import pad_with_nan
from .._onnx_app import AppOnnx, onnx_estimator, session
from .._onnx_speech import SpeechOnnx
from .._onnx_text import TOKENS_KEY, TokenOnnx
from .app_agent import AgentModel
from .app_auto import AutoencoderModel
from .app_base import AppModel, RequestError, _call
from .app_image import ImageModel
from .app_rec import RecommenderModel
from .app_seq import MIN_STEP_LIMIT, ForecasterModel, SequenceModel
from .app_speech import SpeechModel
from .app_text import TextModel
from .model import _sha256
from .values import F32_TEXT, shown


def _opened(model: Any, base: type[AppModel], runner: AppOnnx, facts: Any, path: Path, version: int) -> None:
    """Initialise ``model`` as its ``base`` adapter would a fitted app, from the export's ``facts``; then the export's name and file."""
    base.__init__(model, facts, version, str(path.resolve()), _sha256(path))
    model.runner, model.estimator = runner, runner.estimator


class _Exported:
    """What /metadata says of a served export: its format and the libraries that run it."""

    file_format = "onnx"
    runtime: tuple[str, ...] = ("onnxruntime", "numpy")
    runner: Any


class ImageOnnx(_Exported, ImageModel):
    """An ImageClassifier's export: ``{"images": [...], "dtype": ...}`` -> labels or probabilities, by the graph."""

    def __init__(self, path: Path, version: int, threads: int | None) -> None:
        runner = AppOnnx(path, threads)
        h, w, *c = runner.shape  # (H, W) or (H, W, C)
        pixels = runner.info(PIXELS_KEY, None)
        facts = SimpleNamespace(image_shape_=(c[0] if c else 1, h, w), classes_=np.asarray(runner.info("classes")),
                                mean_=np.asarray(pixels["mean"]) if pixels else np.nan, scale_=np.asarray(pixels["scale"]) if pixels else np.nan)
        _opened(self, ImageModel, runner, facts, path, version)
        self.double = runner.double
        # a uint8 graph of a model fitted beyond 0-1 reads uint8 pixels as given; one without the divisor divides by 255 (older exports)
        self.uint8_scaled = runner.dtype != "uint8" or (pixels or {}).get("uint8_divisor", 255) == 255

    def refuse_dtype(self, dtype: str) -> None:
        """An ``input_dtype="uint8"`` export reads uint8 requests only: float pixels are refused before the pixel rule, whose
        fix for 0-255 floats ("or divide the floats by 255") would only lead to this refusal. Where the model was fitted on
        float pixels beyond 0-1 and the uint8 pixels are divided by 255 (by this adapter for a float graph, or inside a uint8
        graph exported before such a graph read them as given), uint8 is refused as for the ``.safetensors`` file."""
        if self.runner.dtype == "uint8" and dtype != "uint8":
            raise RequestError(422, 'this export reads uint8 pixels 0-255 (exported with input_dtype="uint8"): send them with "dtype": "uint8".')
        if self.runner.dtype == "uint8" and self.uint8_scaled and self.beyond_unit:
            raise RequestError(422, "this export divides uint8 pixels by 255, but the model was fitted on float pixels beyond 0-1: export it again "
                                    "with this version, whose uint8 graph reads them as given.")
        super().refuse_dtype(dtype)

    def inputs(self) -> dict[str, Any]:
        info = super().inputs()
        if self.runner.dtype == "uint8":
            info.update(dtype=["uint8"], pixels="uint8: whole numbers 0-255 (the export's input)")
        return info

    def _proba(self, rows: list[Any]) -> np.ndarray:
        X = self._X(rows)
        if self.runner.dtype in ("float32", "float64") and X.dtype == np.uint8:
            floats = np.float64 if self.double else np.float32
            X = X.astype(floats) / floats(255.0)  # as predict scales uint8 images
        return _call(self.runner.run, X)


class AutoencoderOnnx(_Exported, AutoencoderModel):
    """An Autoencoder's export: table rows -> ``scores`` (the graph's) and ``predictions`` (+1 where ``scores - offset >= 0``)."""

    def __init__(self, path: Path, version: int, threads: int | None) -> None:
        runner = AppOnnx(path, threads)
        names = runner.info("input_columns", None)
        facts = SimpleNamespace(n_features_in_=runner.shape[0], offset_=float(runner.info("offset")))
        if names is not None:
            facts.feature_names_in_ = np.asarray(names, dtype=object)
        _opened(self, AutoencoderModel, runner, facts, path, version)

    def scores(self, X: Any) -> np.ndarray:
        return _call(self.runner.run, np.asarray(X, dtype=np.float32))


class SpeechOnnxModel(_Exported, SpeechModel):
    """A SpeechRecognizer's export: ``{"utterances": [...], "beam_size": k}`` -> transcripts, decoded from the graph's log-probabilities."""

    def __init__(self, path: Path, version: int, threads: int | None) -> None:
        runner = SpeechOnnx(path, threads)
        AppModel.__init__(self, runner, version, str(path.resolve()), _sha256(path))
        self.runner, self.estimator = runner, "SpeechRecognizer"
        limit, why = ((runner.steps, "its export's fixed step count") if runner.steps is not None
                      else (MIN_STEP_LIMIT, "the export does not store the longest utterance in fit"))
        self.describe(runner.n_features, runner.min_length, limit, why, runner.alphabet)
        self.double = runner.dtype == np.float64

    def transcribe(self, X: list[np.ndarray], beam_size: int) -> list[str]:
        return self.runner.transcripts(X, beam_size)  # type: ignore[no-any-return]


class AgentOnnx(_Exported, AgentModel):
    """A DQNAgent's export: ``{"observations": [...], "return_q": bool}`` -> greedy actions (and Q-values), by the graph."""

    def __init__(self, path: Path, version: int, threads: int | None) -> None:
        runner = AppOnnx(path, threads)
        agent = runner.info("agent")
        facts = SimpleNamespace(observation_shape_=runner.shape, obs_dim_=int(np.prod(runner.shape)), n_actions_=int(agent["n_actions"]),
                                env_id_=agent.get("env_id"))
        _opened(self, AgentModel, runner, facts, path, version)

    def q_values(self, X: np.ndarray) -> np.ndarray:
        return _call(self.runner.run, X.reshape(len(X), *self.shape))


class SequenceOnnx(_Exported, SequenceModel):
    """A SequenceClassifier's export: ``{"sequences": [...]}`` of frames (padded with NaN steps) or of token ids (padded with
    the export's pad id, checked against its largest id) -> labels or probabilities, by the graph; a graph whose steps axis is
    fixed reads at most that many steps."""

    def __init__(self, path: Path, version: int, threads: int | None) -> None:
        runner: Any = AppOnnx(path, threads)
        ids = TOKENS_KEY in runner.metadata
        if ids:  # token ids: the runner that checks and pads them, on the same session
            runner = TokenOnnx(path, threads, opened=runner.session)
        seq, steps = runner.info("sequence"), runner.shape[0]
        self.graph_steps = steps if steps > 0 else None  # the graph's fixed step count (pad to it), None where it is dynamic
        # exports from before "fixed_length" was stored: a fixed graph at the fitted length reads only that length (the safe reading)
        exact = seq.get("fixed_length", self.graph_steps == int(seq["fitted_steps"]))
        facts = SimpleNamespace(input_kind_="ids" if ids else "features", max_len=seq["max_len"], max_len_=int(seq["fitted_steps"]),
                                min_length_=int(seq["min_length"]), network_=SimpleNamespace(fixed_length=bool(exact)),
                                classes_=np.asarray(runner.info("classes")), predict_proba=self._graph_proba)
        if ids:
            facts.max_id_ = runner.max_id
        else:
            facts.n_features_in_ = runner.shape[1]
        _opened(self, SequenceModel, runner, facts, path, version)
        self.double = runner.double

    def _graph_proba(self, seqs: list[np.ndarray]) -> np.ndarray:
        """The graph's probabilities ``(n, n_classes)`` for checked sequences (``(T_i, F)`` frames, NaN-padded, or ids, padded
        with the pad id) to the batch's longest or the fixed steps."""
        if self.ids:
            return self.runner.proba_of_ids(seqs)  # type: ignore[no-any-return]
        return self.runner.run(pad_with_nan(seqs, self.graph_steps, np.float64 if self.double else np.float32))  # type: ignore[no-any-return]

    def _length(self, a: np.ndarray, i: int) -> np.ndarray:
        a = super()._length(a, i)
        if self.graph_steps is not None and len(a) > self.graph_steps:
            raise RequestError(422, f"sequences[{i}] has {len(a)} steps, but this export's graph is fixed at {self.graph_steps} steps (the longest sequence "
                                    f"in fit): send at most {self.graph_steps}, or serve the SequenceClassifier's .safetensors file, which reads longer ones.")
        return a

    def inputs(self) -> dict[str, Any]:
        info = super().inputs()
        if self.graph_steps is not None and self.app.max_len is None:  # (with max_len, longer sequences are cut: no limit)
            info["max_steps"] = self.graph_steps
        return info


class TextOnnxModel(_Exported, TextModel):
    """A TextClassifier's export: ``{"texts": [...]}`` -> labels or probabilities, each text tokenized in NumPy by the tokenizer
    the file holds (:class:`~.._onnx_text.TokenOnnx`), then run by the graph; a text the graph cannot read (more tokens than its
    fixed steps, fewer than its layers need) is a 422 of its one line, as the ``.safetensors`` server's refusal."""

    def __init__(self, path: Path, version: int, threads: int | None) -> None:
        runner = TokenOnnx(path, threads)
        facts = SimpleNamespace(classes_=runner.classes, predict_proba=runner.predict_proba)
        _opened(self, TextModel, runner, facts, path, version)
        self.double = runner.double

    def inputs(self) -> dict[str, Any]:
        info = super().inputs()
        tok = self.runner.tokenizer
        info.update(tokenizer=tok.mode, lowercase=tok.lowercase, normalize=tok.normalize, vocab_size=tok.vocab_size, max_len=tok.max_len)
        if self.runner.graph_steps is not None:
            info["max_tokens"] = self.runner.graph_steps
        return info


class ForecasterOnnx(_Exported, ForecasterModel):
    """A Forecaster's export: ``{"series": [...], "steps": n}`` -> forecasts, each ``horizon`` block one pass of the graph,
    fed back as the newest inputs of the next past ``horizon`` (:func:`hiddenlayers.apps.recursive_forecast`, as ``forecast_many``)."""

    def __init__(self, path: Path, version: int, threads: int | None) -> None:
        runner = AppOnnx(path, threads)
        from ...apps import checked_freq

        f = runner.info("forecaster")
        # exports from before the scaling was stored: values checked as the graph reads them (float32's range, unscaled);
        # from before the training dates' step was stored (freq_): None, not checked, as an older .safetensors file
        facts = SimpleNamespace(window=int(f["window"]), horizon=int(f["horizon"]), target=f["target"], mean_=float(f.get("mean", 0.0)),
                                scale_=float(f.get("scale", 1.0)), freq_=checked_freq(f.get("freq"), path), forecast_many=self._forecast_many)
        _opened(self, ForecasterModel, runner, facts, path, version)

    def _series(self, s: Any, i: int) -> np.ndarray:
        window = super()._series(s, i)
        if np.abs(window).max() > F32_MAX:  # the graph reads raw values as float32, before its scaling
            raise RequestError(422, f"series[{i}] holds {shown(window.flat[np.abs(window).argmax()])}, beyond {F32_TEXT}, which this export reads: "
                                    "send values of the size the model was trained on.")
        return window

    def _forecast_many(self, steps: int, windows: np.ndarray) -> np.ndarray:
        """``(n, steps)`` forecasts after each of the checked last windows ``(n, window)``, by the graph."""
        from ...apps import recursive_forecast  # NumPy: no PyTorch

        return recursive_forecast(lambda hist: self.runner.run(hist.astype(np.float32)).astype(np.float64), windows, steps)


class RecommenderOnnx(_Exported, RecommenderModel):
    """A Recommender's export: ``{"users": [...], "items": [...]}`` -> ratings by the graph (unseen ids included), and the rows
    whose user or item was not seen in fit, from the fitted ids the export's metadata lists."""

    def __init__(self, path: Path, version: int, threads: int | None) -> None:
        import pandas as pd

        runner = AppOnnx(path, threads)
        ids = runner.info(IDS_KEY, None)
        if ids is None:
            raise ModelFileError(f"'{path}' is a Recommender export without the fitted ids the server needs to tell unseen ones (exported before they "
                                 "were stored): export it again with `hiddenlayers export`, or serve the Recommender's .safetensors file.")
        users, items = pd.Index(ids["users"]), pd.Index(ids["items"])
        _opened(self, RecommenderModel, runner, SimpleNamespace(users_=users, items_=items, predict=self._ratings), path, version)
        # an integer id beyond int64 (none was seen in fit) is fed as one that fits int64 and was not seen either
        self.absent = {side: int(known.max()) + 1 if int(known.max()) < np.iinfo(np.int64).max else int(known.min()) - 1
                       for side, known in (("users", users), ("items", items)) if self.kinds[side[:-1]] is int}

    def _ratings(self, pairs: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        """The graph's ratings of ``(users, items)`` (raw ids, as :meth:`RecommenderModel.predict` hands them to ``predict``)."""
        feeds = {}
        for side, ids in zip(("users", "items"), pairs):
            if side in self.absent:
                top = np.iinfo(np.int64)
                ids = np.array([v if top.min <= v <= top.max else self.absent[side] for v in ids.tolist()], dtype=np.int64)
            feeds[side] = ids.astype(object) if side not in self.absent else ids
        return np.asarray(self.runner.session.run(None, feeds)[0])


_ONNX_ADAPTERS: dict[str, Callable[[Path, int, int | None], AppModel]] = {
    "ImageClassifier": ImageOnnx, "Autoencoder": AutoencoderOnnx, "SpeechRecognizer": SpeechOnnxModel, "DQNAgent": AgentOnnx,
    "Recommender": RecommenderOnnx, "SequenceClassifier": SequenceOnnx, "Forecaster": ForecasterOnnx, "TextClassifier": TextOnnxModel,
}


def open_onnx_app(path: Path, version: int, threads: int | None) -> AppModel | None:
    """The served form of the application export ``path`` (every app in :data:`~.._app_graph.ONNX_APPS`); None for any other
    ``.onnx`` file (a table model's, or one the table path's own loading refuses in one line)."""
    kind = onnx_estimator(path) if path.is_file() else None
    return _ONNX_ADAPTERS[kind](path, version, threads) if kind in _ONNX_ADAPTERS else None


def app_export(path: str | Path) -> AppModel:
    """The served form of the application export ``path`` (its request form, checks and answers).

    :meth:`AppModel.rows`, :meth:`AppModel.predict`: for ``hiddenlayers predict``/``evaluate``, which read a data file
    through the same rules as a request; a file that is no application's export is a one-line :class:`ModelFileError`.

    Parameters
    ----------
    path : str or Path
        The ``.onnx`` file.
    """
    model = open_onnx_app(Path(path), 1, None)
    if model is None:
        raise ModelFileError(f"'{path}' is not the ONNX export of an application ({', '.join(_ONNX_ADAPTERS)}): export one with `hiddenlayers export`.")
    return model


def served_onnx_kind(path: Path) -> str | None:
    """The application whose export ``path`` is, read from the graph's metadata; None for any other ``.onnx`` file (a table
    model's, a missing one). A file that is no ONNX model is one line (:class:`ModelFileError`), as loading it says."""
    if not path.is_file():
        return None
    return session(path).get_modelmeta().custom_metadata_map.get("hiddenlayers_estimator")  # type: ignore[no-any-return]


__all__ = ["AgentOnnx", "AutoencoderOnnx", "app_export", "ForecasterOnnx", "ImageOnnx", "RecommenderOnnx", "SequenceOnnx", "SpeechOnnxModel", "open_onnx_app",
           "served_onnx_kind"]
