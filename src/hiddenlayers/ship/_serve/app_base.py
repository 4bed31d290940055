"""What every served application shares: the adapter interface the server reads, and the request-form checks.

:class:`AppModel` is the interface of :mod:`.model`'s ``ServedModel`` (``rows``,
``arrow_rows``, ``predict``, ``answer``, ``metadata``, ``classes``, ``version``,
``path``) for a fitted application; each app's adapter (:mod:`.app_model`,
:mod:`.app_seq`) parses its own request form with the helpers here, so every
refusal has the same shape: 400 for the body's form, 413 for too many items,
422 for a value, one line each.
"""

from __future__ import annotations

import time
import warnings
from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from ..._network_of import network_of
from ...data import float32_numbers
from ...exceptions import DataError
from .keys import unknown_keys
from .model import RequestError, _require_finite, versions
from .values import shown

MAX_BEAM = 64  # the widest beam search one request may ask for (SpeechRecognizer, Translator: its cost grows with the width)


def _body(body: Any, keys: tuple[str, ...], optional: tuple[str, ...], form: str) -> dict[str, Any]:
    """``body`` as a dict holding every key of ``keys`` (plus any of ``optional``, nothing else); a 400 naming what is not (:func:`.keys.unknown_keys`)."""
    if not isinstance(body, dict):
        raise RequestError(400, f"the body must be a JSON object {form}. Received: {type(body).__name__}.")
    message = unknown_keys(body.keys(), keys + optional, form)
    if message is not None:
        raise RequestError(400, message)
    missing = [k for k in keys if k not in body]
    if missing:
        raise RequestError(400, f"the body has no {missing[0]!r}: it must be {form}.")
    return body


def _whole(v: Any, key: str, meaning: str, limit: int, whose: str = "") -> int:
    """A request's count ``key`` (``"steps"``, ``"beam_size"``): a whole number (``3.0`` taken as 3) from 1 to ``limit``.

    Another type is a 400 (``meaning`` follows "must be a whole number"), a number out of range a 422 naming
    ``limit`` as this server's limit (``whose``: what it limits, e.g. " for one forecast").
    """
    if isinstance(v, float) and np.isfinite(v) and v.is_integer():
        v = int(v)
    if isinstance(v, bool) or not isinstance(v, int):
        raise RequestError(400, f'"{key}" must be a whole number{meaning}. Received: {v!r:.40}.')
    if not 1 <= v <= limit:
        raise RequestError(422, f'"{key}" must be 1 to {limit} (this server\'s limit{whose}). Received: {v if abs(v) < 10**6 else shown(v)}.')
    return v


def _beam(v: Any) -> int:
    """A request's ``"beam_size"``: a whole number from 1 (greedy) to :data:`MAX_BEAM` (the rule of :func:`_whole`)."""
    return _whole(v, "beam_size", " (1: greedy)", MAX_BEAM)


def _per_beam(rows: list[tuple[Any, int]], decode: Any) -> list[Any]:
    """One answer per ``(item, beam width)`` of a batch that may join requests of other widths: ``decode(items, k)``
    once per width ``k`` in the batch (a list of answers, in order), each answer put back at its item's place."""
    out: list[Any] = [None] * len(rows)
    for beam in sorted({b for _, b in rows}):
        idx = [i for i, (_, b) in enumerate(rows) if b == beam]
        for i, t in zip(idx, _call(lambda X, k=beam: decode(X, k), [rows[i][0] for i in idx]).tolist()):
            out[i] = str(t)
    return out


def _texts(body: dict[str, Any], max_rows: int) -> list[str]:
    """``body["texts"]``: a non-empty list of at most ``max_rows`` strings (400 naming the first item that is none, 413)."""
    texts = _items(body, "texts", "strings", max_rows)
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise RequestError(400, f"texts[{i}] must be a string. Received: {type(t).__name__}.")
    return texts


def _items(body: dict[str, Any], key: str, what: str, max_rows: int) -> list[Any]:
    """``body[key]``, a non-empty list of at most ``max_rows`` items (400, 413)."""
    raw = body[key]
    if not isinstance(raw, list):
        raise RequestError(400, f'"{key}" must be a list of {what}. Received: {type(raw).__name__}.')
    if not raw:
        raise RequestError(400, f'"{key}" is empty: send at least one.')
    if len(raw) > max_rows:
        raise RequestError(413, f'"{key}" holds {len(raw)} items, more than the limit of {max_rows}: split it, or start the server with a larger --max-rows (max_rows= of hl.serve).')
    return raw


def _call(method: Any, X: Any) -> np.ndarray:
    """``method(X)``; a DataError or ValueError of the app (a value it refuses) is a 422 of its first line."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # the answer says what a warning would (Recommender: unseen rows)
            return np.asarray(method(X))
    except (ValueError, TypeError, DataError) as exc:
        raise RequestError(422, str(exc).splitlines()[0]) from None


def _fitted_in_float64(app: Any) -> bool:
    """Whether the fitted ``app``'s network computes in float64 (``dtype="float64"``); False for what has no network of its
    own here (an export's stand-in, whose adapter reads the graph's float type instead)."""
    network = network_of(app)
    if not callable(getattr(network, "parameters", None)):
        return False
    from .._app_base import fitted_dtype  # NumPy only: the ONNX path stays free of PyTorch

    return fitted_dtype(app) == "float64"


class AppModel(ABC):
    """A fitted application behind the server; subclasses parse their request form."""

    form = ""  # the body, in words (messages and /metadata)
    double = False  # values read in float64, to float64's range (a float64 network or graph), not float32's; numbers answered with float64's digits
    classes: list[Any] | None = None
    file_format = "safetensors"  # what /metadata calls a served file ("onnx": an export run by onnxruntime)
    runtime: tuple[str, ...] = ("torch", "numpy")  # the libraries whose versions /metadata shows

    def __init__(self, app: Any, version: int, path: str | None, sha256: str | None) -> None:
        self.app, self.version, self.path, self.sha256 = app, version, path, sha256
        self.loaded_at = time.time()
        self.estimator = type(app).__name__
        self.no_proba = f"/predict_proba needs a classifier; this model is a {self.estimator}: use /predict."
        if hasattr(app, "classes_"):
            self.classes = app.classes_.tolist()
        # an app fitted with dtype="float64" reads any finite value, as its predict does (an export's adapter sets its graph's)
        self.double = _fitted_in_float64(app)

    @abstractmethod
    def rows(self, body: Any, max_rows: int) -> list[Any]:
        """The request's checked items (texts, images, rows, pairs), each ready to join a batch."""

    def arrow_rows(self, table: Any, max_rows: int) -> list[Any]:
        """An Arrow body carries table rows: a 415 naming the JSON form (the Autoencoder reads them)."""
        raise RequestError(415, f"an Arrow body carries table rows, but this model is a {self.estimator}: send JSON {self.form}.")

    @abstractmethod
    def predict(self, rows: list[Any], proba: bool) -> list[Any]:
        """One JSON-able answer per item of ``rows`` (a batch of several requests' items)."""

    def numbers(self, values: Any) -> list[Any]:
        """``values`` (probabilities, scores, Q-values, ratings, forecasts; any shape) as JSON-able nested lists of floats:
        a float32 model's with float32's shortest digits (0.3, not 0.30000001192092896), as ``hiddenlayers predict`` writes
        them and the table models' answers hold them (:func:`~hiddenlayers.data.float32_numbers`); a float64 one's
        (:attr:`double`) with float64's."""
        return np.asarray(values).tolist() if self.double else float32_numbers(values)  # type: ignore[no-any-return]

    def notes(self, rows: list[Any]) -> list[str]:
        """Notes on one request's checked items for its answer's ``notes`` (none for an application)."""
        return []

    def answer(self, result: list[Any], proba: bool) -> dict[str, Any]:
        """The JSON answer for one request's slice of :meth:`predict` (the server adds ``model_version``)."""
        return {"probabilities": result, "classes": self.classes} if proba else {"predictions": result}

    def inputs(self) -> dict[str, Any]:
        """What a request holds, for ``/metadata``."""
        return {"body": self.form}

    def metadata(self) -> dict[str, Any]:
        """What ``GET /metadata`` shows: the app, its input form, classes, source file, versions."""
        return {
            "format": self.file_format if self.path else "estimator", "path": self.path, "sha256": self.sha256, "model_version": self.version,
            "loaded_at": self.loaded_at, "estimator": self.estimator, "classes": self.classes, "input": self.inputs(),
            "versions": versions(self.runtime),
        }


class _Classifier(AppModel):
    """Text and image classifiers: labels from the probabilities of one pass (checked finite), as their ``predict`` takes them."""

    @abstractmethod
    def _X(self, rows: list[Any]) -> Any:
        """The app's input for ``predict_proba`` from a batch of checked items (texts, an image array, sequences)."""

    def _proba(self, rows: list[Any]) -> np.ndarray:
        return _call(self.app.predict_proba, self._X(rows))

    def predict(self, rows: list[Any], proba: bool) -> list[Any]:
        p = self._proba(rows)
        # the app's predict, without a second pass; a row whose probabilities are not finite is refused alone (RowsRefused)
        return _require_finite(p, self.numbers(p) if proba else self.app.classes_[p.argmax(axis=1)].tolist())


__all__ = ["MAX_BEAM", "AppModel", "RequestError"]
