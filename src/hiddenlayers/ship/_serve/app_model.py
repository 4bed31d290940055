"""Application model files behind the server: each app's request form, checked, then its own public methods.

:func:`open_served` is what the server loads: a table model (MLP estimator, or
an ``.onnx`` export) is a :class:`~.model.ServedModel`, unchanged; a
TextClassifier, ImageClassifier, Autoencoder or Recommender is one of the
adapters here, a SequenceClassifier or Forecaster one of :mod:`.app_seq`'s (a SpeechRecognizer :mod:`.app_speech`'s),
which show the server the same interface (:class:`~.app_base.AppModel`:
``rows``, ``arrow_rows``, ``predict``, ``answer``, ``metadata``, ``classes``,
``version``, ``path``), so batching, metrics, reload and worker processes
are the table path's. Translator and DQNAgent files are refused in one line naming those served.

Request bodies (``/metadata`` shows the form for the loaded model):

* TextClassifier: ``{"texts": ["a fine film", ...]}``;
* ImageClassifier: ``{"images": [image, ...], "dtype": "float32" | "uint8"}``,
  each image nested lists ``(H, W)`` (one channel), ``(H, W, C)`` or ``(C, H, W)``
  at the fitted size; ``"uint8"``: whole numbers 0-255 the app scales by 1/255,
  as it does a camera's ``uint8`` array (default ``"float32"``: as given). JSON has
  no integer pixels, so 0-255 pixels sent without ``"uint8"`` arrive as floats: a
  model whose training pixels were on the 0-1 scale (its stored per-channel
  ``mean_ + scale_`` at most :data:`~hiddenlayers.apps.UNIT_SCALE_FIT`, as for uint8 images it scaled by
  1/255) refuses float pixels above :data:`~hiddenlayers.apps.UNIT_SCALE_MAX` with a 422 that says to
  send ``"dtype": "uint8"``, instead of answering for pixels 255 times too bright
  (the rule is :func:`hiddenlayers.ship.image_input`'s, shared with the command line);
* Autoencoder: ``{"rows": [...]}`` or ``{"columns": {...}}``, checked by the
  table path's rules (numbers only, none missing), answered with ``scores``
  (``score_samples``: higher is more normal) and ``predictions`` (+1 / -1);
* Recommender: ``{"users": [...], "items": [...]}`` (ids as fitted: integers
  or strings), answered with ``predictions`` and ``unseen``, the rows whose
  user or item was not seen in fit (rated from the global mean and the known
  side's bias, as ``Recommender.predict`` does);
* SequenceClassifier, Forecaster: see :mod:`.app_seq`; SpeechRecognizer: see :mod:`.app_speech`.

Every item is checked before it joins a batch, so one bad request gets its
own 4xx (400 for the body's form, 413 for too many items, 422 for a value)
and never fails the batch it would have joined.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ...exceptions import ModelFileError
from .._pixels import PIXEL_DTYPES, PixelError, image_input, image_shapes
from .app_base import AppModel, _body, _call, _Classifier, _items
from .app_seq import ForecasterModel, SequenceModel
from .app_speech import SpeechModel
from .model import Refusal, RequestError, RowsRefused, ServedModel, _require_finite, _sha256

TABLE_MODELS = ("MLPClassifier", "MLPRegressor")
SERVED = ", ".join(TABLE_MODELS) + ", TextClassifier, ImageClassifier, SequenceClassifier, SpeechRecognizer, Autoencoder, Recommender and Forecaster"


def _fitted_app(app: Any) -> None:
    from sklearn.exceptions import NotFittedError as SklearnNotFittedError
    from sklearn.utils.validation import check_is_fitted

    from ...exceptions import NotFittedError

    try:
        check_is_fitted(app)
    except SklearnNotFittedError:
        raise NotFittedError(f"serve() needs a fitted model: this {type(app).__name__} instance is not fitted yet. Call fit first, or pass the path of a saved model file.") from None


def open_served(source: Any, version: int = 1, threads: int | None = None) -> Any:
    """The served form of ``source`` (a model file path, a fitted estimator or app, or an already served model).

    Reads a ``.safetensors`` file's metadata first (no tensors) to pick the
    form; an ``.onnx`` file is always a table model (no PyTorch import).
    """
    if isinstance(source, (ServedModel, AppModel)):
        return source
    if isinstance(source, (str, Path)):
        p = Path(source)
        if p.suffix.lower() == ".onnx" or not p.is_file():
            return ServedModel(p, version, threads)
        from ..._files import read_metadata

        kind = read_metadata(p)["estimator"]
        if kind in TABLE_MODELS:
            return ServedModel(p, version, threads)
        if kind not in _ADAPTERS:
            raise ModelFileError(f"'{p}' holds a {kind}, which the server does not serve: it serves {SERVED} files. "
                                 f"Use the {kind} from Python (hl.load).")
        from .._modelfile import load

        return _ADAPTERS[kind](load(p), version, str(p.resolve()), _sha256(p))
    kind = type(source).__name__
    if kind in TABLE_MODELS:
        return ServedModel(source, version, threads)
    if kind in _ADAPTERS:
        _fitted_app(source)
        return _ADAPTERS[kind](source, version, None, None)
    raise TypeError(f"serve() takes a model file path or a fitted {SERVED.replace(' and ', ' or ')}. Received: {kind}.")


class TextModel(_Classifier):
    """A TextClassifier: ``{"texts": [...]}``."""

    form = '{"texts": ["a text", ...]}'

    def rows(self, body: Any, max_rows: int) -> list[Any]:
        texts = _items(_body(body, ("texts",), (), self.form), "texts", "strings", max_rows)
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise RequestError(400, f"texts[{i}] must be a string. Received: {type(t).__name__}.")
        return texts

    def _X(self, rows: list[Any]) -> Any:
        return list(rows)

    def inputs(self) -> dict[str, Any]:
        return {"body": self.form, "texts": "strings; words not seen in fit read as the unknown token"}


class ImageModel(_Classifier):
    """An ImageClassifier: ``{"images": [...], "dtype": ...}``, each image at the fitted size."""

    form = '{"images": [image, ...], "dtype": "float32" or "uint8"} with each image nested lists (H, W), (H, W, C) or (C, H, W)'

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.shape = tuple(int(d) for d in self.app.image_shape_)  # (C, H, W)
        self.accepted = image_shapes(self.app)  # each image's shape may say its layout: (H, W[, C]) or (C, H, W)
        from ...apps import fitted_on_unit_scale  # here, not at import: the ONNX path imports no torch

        self.unit_scale = fitted_on_unit_scale(self.app)  # float pixels above UNIT_SCALE_MAX are then refused

    def rows(self, body: Any, max_rows: int) -> list[Any]:
        b = _body(body, ("images",), ("dtype",), self.form)
        dtype = b.get("dtype", "float32")
        if dtype not in PIXEL_DTYPES:
            raise RequestError(400, f'"dtype" must be "float32" (pixels as given) or "uint8" (whole numbers 0-255, scaled by 1/255). Received: {dtype!r:.40}.')
        return [(dtype, self._image(x, i, dtype)) for i, x in enumerate(_items(b, "images", "images (nested lists of numbers)", max_rows))]

    def _image(self, x: Any, i: int, dtype: str) -> np.ndarray:
        """Image ``i`` by :func:`~hiddenlayers.ship.image_input`'s rule, in the shape the app reads; a broken rule is a 422 in the request's words."""
        try:
            return image_input(self.app, [x], dtype, layout="any")[0]
        except PixelError as exc:
            raise RequestError(422, self._says(exc, i, np.asarray(x).shape if exc.problem == "shape" else ())) from None

    def _says(self, exc: PixelError, i: int, shape: tuple[int, ...]) -> str:
        """The 422 text of pixel rule ``exc.problem`` broken by image ``i`` (``shape``: its shape, for the shape rule)."""
        if exc.problem == "numbers":
            return f"images[{i}] must be nested lists of numbers of one shape {self._shapes()}: check for text, null or rows of different lengths."
        if exc.problem == "shape":
            return (f"images[{i}] has shape {shape}, but the model reads {self.shape[1]} x {self.shape[2]} pixels with "
                    f"{self.shape[0]} channel(s): send {self._shapes()}, resized as in fit.")
        if exc.problem == "finite":
            return f"images[{i}] holds NaN or infinity: send finite pixel values."
        if exc.problem == "float32_range":
            return f"images[{i}] holds values beyond float32's range (largest {exc.value:.3g}): send pixels as fitted, e.g. 0-1 or 0-255."
        if exc.problem == "unit_scale":  # the fix from the model's own training range; a file without it: the generic 0-1 advice
            from ...apps import scale_advice

            said = scale_advice(self.app, float(exc.value or 0.0), 'send 0-255 pixels with "dtype": "uint8"')
            return f"images[{i}] holds float pixels up to {exc.value:.4g}, but " + (said or 'the model was fitted on pixels 0-1 (uint8 '
                                                                                 'images scaled by 1/255): send 0-255 pixels with "dtype": "uint8", or float pixels divided by 255.')
        return f'images[{i}] holds values that are not whole numbers 0-255, as "dtype": "uint8" needs: send such pixels, or "dtype": "float32".'

    def _shapes(self) -> str:
        return " or ".join(str(list(s)) for s in self.accepted)

    def predict(self, rows: list[Any], proba: bool) -> list[Any]:
        if len({kind for kind, _ in rows}) < 2:
            return super().predict(rows, proba)
        out: list[Any] = [None] * len(rows)  # a batch of uint8 and float32 requests: one pass each, answers in order
        refused: dict[int, Refusal] = {}
        for kind in ("float32", "uint8"):
            idx = [k for k, (d, _) in enumerate(rows) if d == kind]
            try:
                res = super().predict([rows[k] for k in idx], proba)
            except RowsRefused as exc:  # the pass's row numbers -> the batch's
                res = exc.results
                refused.update({idx[r]: msg for r, msg in exc.refused.items()})
            for k, r in zip(idx, res):
                out[k] = r
        if refused:
            raise RowsRefused(out, refused)
        return out

    def _X(self, rows: list[Any]) -> Any:
        return np.stack([a for _, a in rows])

    def inputs(self) -> dict[str, Any]:
        pixels = ('float32: 0-1, as fitted (0-255 pixels: send "dtype": "uint8")' if self.unit_scale
                  else "float32: as fitted; uint8: whole numbers 0-255, scaled by 1/255")
        return {"body": self.form, "image_shape": list(self.shape), "shapes": [list(s) for s in self.accepted], "dtype": ["float32", "uint8"],
                "pixels": pixels}


class _NumericRows(ServedModel):
    """The table path's row checks (names, counts, the CSV number rule) for an app reading numeric columns only."""

    def __init__(self, columns: list[str]) -> None:  # no model: only what rows() and arrow_rows() read
        self.impute, self.target, self.pre, self.weight_column = False, None, None, None  # an app file records no --sample-weight column
        self._index_columns([{"name": n, "kind": "numeric"} for n in columns])


class AutoencoderModel(AppModel):
    """An Autoencoder: table rows (numbers, none missing) -> ``scores`` and ``predictions`` (+1 inlier, -1 outlier)."""

    form = '{"rows": [[x0, x1, ...] or {"x0": ..., ...}]} or {"columns": {"x0": [...], ...}}'

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        names = getattr(self.app, "feature_names_in_", None)
        self.names = names is not None
        self.table = _NumericRows([str(n) for n in names] if names is not None else [f"x{i}" for i in range(int(self.app.n_features_in_))])
        self.no_proba = "/predict_proba needs a classifier; an Autoencoder answers /predict with scores (higher is more normal) and predictions (+1 inlier, -1 outlier)."

    def rows(self, body: Any, max_rows: int) -> list[Any]:
        return self.table.rows(body, max_rows)

    def arrow_rows(self, table: Any, max_rows: int) -> list[Any]:
        return self.table.arrow_rows(table, max_rows)

    def predict(self, rows: list[Any], proba: bool) -> list[Any]:
        X: Any = np.array(rows, dtype=np.float64).reshape(len(rows), -1)
        if self.names:
            import pandas as pd

            X = pd.DataFrame(X, columns=self.table.columns)  # the names it was fitted with, so scikit-learn does not warn
        scores = _call(self.app.score_samples, X)
        labels = np.where(scores - self.app.offset_ >= 0, 1, -1)  # predict's rule (decision_function >= 0), without a second pass
        return _require_finite(scores, [[s, k] for s, k in zip(scores.tolist(), labels.tolist())])

    def answer(self, result: list[Any], proba: bool) -> dict[str, Any]:
        return {"scores": [s for s, _ in result], "predictions": [k for _, k in result]}

    def inputs(self) -> dict[str, Any]:
        return {"body": self.form, "columns": self.table.column_info, "offset": float(self.app.offset_)}


class RecommenderModel(AppModel):
    """A Recommender: ``{"users": [...], "items": [...]}`` -> predicted ratings, and which rows had an unseen id."""

    form = '{"users": [id, ...], "items": [id, ...]} (ids as fitted, one user and one item per row)'

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        import pandas as pd

        kinds: dict[str, type] = {"integer": int, "string": str}
        self.kinds: dict[str, type | None] = {side: kinds.get(pd.api.types.infer_dtype(getattr(self.app, f"{side}s_"), skipna=True)) for side in ("user", "item")}
        self.no_proba = "/predict_proba needs a classifier; a Recommender answers /predict with ratings."

    def rows(self, body: Any, max_rows: int) -> list[Any]:
        b = _body(body, ("users", "items"), (), self.form)
        users = _items(b, "users", "ids", max_rows)
        items = _items(b, "items", "ids", max_rows)
        if len(users) != len(items):
            raise RequestError(400, f'"users" has {len(users)} ids but "items" has {len(items)}: send one user and one item per row.')
        return [(self._id("user", u, k), self._id("item", i, k)) for k, (u, i) in enumerate(zip(users, items))]

    def _id(self, side: str, v: Any, k: int) -> Any:
        """One id, checked: an integer (a whole float is one) or a string, of the kind the model was fitted on."""
        if isinstance(v, float) and v == v and v not in (float("inf"), float("-inf")) and v.is_integer():
            v = int(v)
        if isinstance(v, bool) or not isinstance(v, (int, str)):
            raise RequestError(422, f"{side}s[{k}] must be an id (an integer or a string). Received: {v!r:.40}.")
        want = self.kinds[side]
        if want is not None and not isinstance(v, want):
            fitted = "integers" if want is int else "strings"
            raise RequestError(422, f"{side}s[{k}] is {v!r:.40}, but the model's {side} ids are {fitted}: send them as {fitted}, so that known ids are found.")
        return v

    def predict(self, rows: list[Any], proba: bool) -> list[Any]:
        cols = []
        for side in (0, 1):
            ids = [r[side] for r in rows]
            cols.append(np.asarray(ids) if self.kinds["user" if side == 0 else "item"] is not None else np.array(ids, dtype=object))
        ratings = _call(self.app.predict, tuple(cols))
        seen = (self.app.users_.get_indexer(cols[0]) >= 0) & (self.app.items_.get_indexer(cols[1]) >= 0)
        return _require_finite(ratings, [[r, bool(s)] for r, s in zip(ratings.tolist(), seen.tolist())])

    def answer(self, result: list[Any], proba: bool) -> dict[str, Any]:
        return {"predictions": [r for r, _ in result], "unseen": [k for k, (_, s) in enumerate(result) if not s]}

    def inputs(self) -> dict[str, Any]:
        shown: dict[type | None, str] = {None: "integers or strings", int: "integers", str: "strings"}
        return {"body": self.form, "user_ids": shown[self.kinds["user"]], "item_ids": shown[self.kinds["item"]],
                "n_users": len(self.app.users_), "n_items": len(self.app.items_),
                "unseen": "an id not seen in fit is rated from the global mean plus the known side's bias; the answer's 'unseen' lists those rows"}


_ADAPTERS: dict[str, type[AppModel]] = {
    "TextClassifier": TextModel, "ImageClassifier": ImageModel, "SequenceClassifier": SequenceModel, "Autoencoder": AutoencoderModel,
    "Recommender": RecommenderModel, "Forecaster": ForecasterModel, "SpeechRecognizer": SpeechModel,
}


__all__ = ["SERVED", "AppModel", "open_served"]
