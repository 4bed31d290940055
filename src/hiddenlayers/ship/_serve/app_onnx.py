"""Applications' ONNX exports behind the server, run by onnxruntime alone (no PyTorch is imported).

An ``.onnx`` file exported from an ImageClassifier, an Autoencoder, a SpeechRecognizer or a DQNAgent is served with the request form,
the checks and the answers of that app's ``.safetensors`` server: each adapter here is that server's adapter
(:class:`~.app_image.ImageModel`, :class:`~.app_auto.AutoencoderModel`, :class:`~.app_speech.SpeechModel`,
:class:`~.app_agent.AgentModel`) given, in place of
the fitted app, what the export's metadata says of it, with its one computing step run by the graph:

* ImageClassifier: the probabilities of the graph (labels are their argmax, in the stored ``classes``); uint8 pixels are
  divided by 255 before a float32 graph, as ``predict`` does; a graph exported with ``input_dtype="uint8"`` reads only
  ``"dtype": "uint8"`` requests. Float pixels above 1.5 are refused for a model fitted on 0-1 pixels by the stored
  per-channel standardisation (exports from before it was stored skip that check);
* SpeechRecognizer: per-frame log-probabilities decoded in NumPy (greedy, or the prefix beam search of ``beam_size``),
  as ``hiddenlayers predict``/``evaluate`` decode the export (:meth:`~hiddenlayers.ship.SpeechOnnx.transcripts`).
  Utterances may have up to 1000 frames, or the graph's fixed step count where its steps axis is fixed;
* Autoencoder: the graph's ``scores`` (``score_samples``), the label +1 where ``scores - offset >= 0`` (the stored offset), as
  ``predict``; rows checked by the table path's rules against the stored column names;
* DQNAgent: the graph's Q-values, the greedy action their argmax.

The other applications' exports (Forecaster, SequenceClassifier, Recommender) are refused in one line
naming their ``.safetensors`` file, which the server takes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from ...exceptions import ModelFileError
from .._app_graph import ONNX_APPS, PIXELS_KEY
from .._onnx_app import AppOnnx, onnx_estimator
from .._onnx_speech import SpeechOnnx
from .app_agent import AgentModel
from .app_auto import AutoencoderModel
from .app_base import AppModel, RequestError, _call
from .app_image import ImageModel
from .app_seq import MIN_STEP_LIMIT
from .app_speech import SpeechModel
from .model import _sha256


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

    def rows(self, body: Any, max_rows: int) -> list[Any]:
        rows = super().rows(body, max_rows)
        if self.runner.dtype == "uint8" and rows[0][0] != "uint8":
            raise RequestError(422, 'this export reads uint8 pixels 0-255 (exported with input_dtype="uint8"): send them with "dtype": "uint8".')
        return rows

    def inputs(self) -> dict[str, Any]:
        info = super().inputs()
        if self.runner.dtype == "uint8":
            info.update(dtype=["uint8"], pixels="uint8: whole numbers 0-255 (the export's input)")
        return info

    def _proba(self, rows: list[Any]) -> np.ndarray:
        X = self._X(rows)
        if self.runner.dtype == "float32" and X.dtype == np.uint8:
            X = X.astype(np.float32) / np.float32(255.0)  # as predict scales uint8 images
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


_ONNX_ADAPTERS: dict[str, Callable[[Path, int, int | None], AppModel]] = {
    "ImageClassifier": ImageOnnx, "Autoencoder": AutoencoderOnnx, "SpeechRecognizer": SpeechOnnxModel, "DQNAgent": AgentOnnx,
}
SERVED_ONNX = ", ".join(_ONNX_ADAPTERS)


def open_onnx_app(path: Path, version: int, threads: int | None) -> AppModel | None:
    """The served form of the application export ``path``; None for any other ``.onnx`` file (a table model's, or one the
    table path's own loading refuses in one line). An export of an app this server runs only from its ``.safetensors`` file is refused."""
    kind = served_onnx_kind(path)
    return _ONNX_ADAPTERS[kind](path, version, threads) if kind in _ONNX_ADAPTERS else None


def served_onnx_kind(path: Path) -> str | None:
    """The application whose export ``path`` is, read from the graph's metadata (no session built); None for any other ``.onnx``
    file. An export of an app this server runs only from its ``.safetensors`` file is refused in one line (:class:`ModelFileError`)."""
    kind = onnx_estimator(path) if path.is_file() else None
    if kind in ONNX_APPS and kind not in _ONNX_ADAPTERS:
        raise ModelFileError(f"'{path}' is the ONNX export of {'an' if kind[:1] in 'AEIOU' else 'a'} {kind}; the server runs the exports of "
                             f"{SERVED_ONNX.replace(', DQNAgent', ' and DQNAgent')}: serve the {kind}'s .safetensors file.")
    return kind


__all__ = ["SERVED_ONNX", "AgentOnnx", "AutoencoderOnnx", "ImageOnnx", "SpeechOnnxModel", "open_onnx_app", "served_onnx_kind"]
