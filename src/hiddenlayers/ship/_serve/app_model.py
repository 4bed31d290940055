"""Application model files behind the server: each app's request form, checked, then its own public methods.

:func:`open_served` is what the server loads: a table model (MLP estimator, or
an ``.onnx`` export) is a :class:`~.model.ServedModel`, unchanged; a
TextClassifier, ImageClassifier, Autoencoder or Recommender is one of the
adapters here, a SequenceClassifier or Forecaster one of :mod:`.app_seq`'s (a SpeechRecognizer :mod:`.app_speech`'s),
which show the server the same interface (:class:`~.app_base.AppModel`:
``rows``, ``arrow_rows``, ``predict``, ``answer``, ``metadata``, ``classes``,
``version``, ``path``), so batching, metrics, reload and worker processes
are the table path's. A Translator is :mod:`.app_translate`'s, a DQNAgent :mod:`.app_agent`'s, an ImageClassifier
:mod:`.app_image`'s, an Autoencoder :mod:`.app_auto`'s, a Recommender :mod:`.app_rec`'s; an app's ``.onnx`` export is :mod:`.app_onnx`'s.

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
  (the rule is :func:`hiddenlayers.ship.image_input`'s, shared with the command line); conversely a model
  fitted on float pixels beyond 0-1 (0-255 images given as floats) refuses ``"dtype": "uint8"`` with a 422
  that says to send ``"float32"``, instead of answering for pixels 255 times too dark;
* Autoencoder: ``{"rows": [...]}`` or ``{"columns": {...}}``, checked by the
  table path's rules (numbers only, none missing), answered with ``scores``
  (``score_samples``: higher is more normal) and ``predictions`` (+1 / -1);
* Recommender: ``{"users": [...], "items": [...]}`` (ids as fitted: integers
  or strings), answered with ``predictions`` and ``unseen``, the rows whose
  user or item was not seen in fit (rated from the global mean and the known
  side's bias, as ``Recommender.predict`` does);
* SequenceClassifier, Forecaster: see :mod:`.app_seq`; SpeechRecognizer: see :mod:`.app_speech`;
  Translator: :mod:`.app_translate`; DQNAgent: :mod:`.app_agent`.

Every item is checked before it joins a batch, so one bad request gets its
own 4xx (400 for the body's form, 413 for too many items, 422 for a value)
and never fails the batch it would have joined.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..._words import article, foreign, foreign_note
from ...exceptions import ModelFileError
from .app_agent import AgentModel
from .app_auto import AutoencoderModel
from .app_base import AppModel
from .app_image import ImageModel
from .app_rec import RecommenderModel
from .app_seq import ForecasterModel, SequenceModel
from .app_speech import SpeechModel
from .app_text import TextModel
from .app_translate import TranslatorModel
from .model import ServedModel, _sha256, unchanged_while

TABLE_MODELS = ("MLPClassifier", "MLPRegressor")
SERVED = ", ".join(TABLE_MODELS) + ", TextClassifier, ImageClassifier, SequenceClassifier, SpeechRecognizer, Translator, Autoencoder, Recommender, Forecaster and DQNAgent"


def _fitted_app(app: Any) -> None:
    from sklearn.exceptions import NotFittedError as SklearnNotFittedError
    from sklearn.utils.validation import check_is_fitted

    from ...exceptions import NotFittedError

    try:
        check_is_fitted(app)
    except SklearnNotFittedError:
        raise NotFittedError(f"serve() needs a fitted model: this {type(app).__name__} instance is not fitted yet. Call fit first, or pass the path of a saved model file.") from None


def check_servable(path: str | Path) -> str | None:
    """The model kind of the file ``path`` from its header alone (no weights read, no session built).

    None where only loading can tell (a table model's ``.onnx``, a missing file); a file the server refuses is one line
    (:class:`ModelFileError`), so a caller can say so before it binds a port.

    Parameters
    ----------
    path : str or Path
        The model file.
    """
    p = Path(path)
    if p.suffix.lower() == ".onnx":
        from .app_onnx import served_onnx_kind

        return served_onnx_kind(p)
    if not p.is_file():
        return None
    from ..._files import read_metadata

    meta = read_metadata(p)
    kind = str(meta["estimator"])
    if kind not in TABLE_MODELS and kind not in _ADAPTERS:
        raise ModelFileError(f"'{p}' holds {article(kind)}, which the server does not serve: it serves {SERVED} files. Use the {kind} from Python (hl.load).")
    return kind  # a Pipeline of scikit-learn steps then an MLP too: the server runs it whole (.model.ServedModel)


def open_served(source: Any, version: int = 1, threads: int | None = None) -> Any:
    """The served form of ``source`` (a model file path, a fitted estimator or app, a fitted ``Pipeline`` of a TableEncoder
    then an MLP (served as ``hl.save(pipe, path)``'s file is) or of scikit-learn steps then an MLP (run whole), or an
    already served model).

    Reads a ``.safetensors`` file's metadata first (no tensors) to refuse a file it does not serve; an ``.onnx`` file is a
    table model's export, or an application's (:mod:`.app_onnx`), and never imports PyTorch. A file is hashed and loaded
    while it stays unchanged (:func:`.model.unchanged_while`), so ``/metadata``'s ``sha256`` is that of the bytes served.
    """
    if isinstance(source, (ServedModel, AppModel)):
        return source
    if isinstance(source, (str, Path)):
        return unchanged_while(Path(source), lambda: _open_file(Path(source), version, threads))
    from .._pipeline import is_pipeline, pipeline_as_model, pipeline_parts

    if is_pipeline(source):
        if pipeline_parts(source, "serve()")[0] is None:  # scikit-learn steps then an MLP: run whole, as its file is
            return ServedModel(source, version, threads)
        source = pipeline_as_model(source, "serve()")  # a Pipeline(TableEncoder, MLP) as its saved file is: the MLP with the encoder inside
    kind = type(source).__name__
    ours = not foreign(source)  # scikit-learn's MLPClassifier has our name, not our methods
    if kind in TABLE_MODELS and ours:
        return ServedModel(source, version, threads)
    if kind in _ADAPTERS and ours:
        _fitted_app(source)
        return _ADAPTERS[kind](source, version, None, None)
    raise TypeError(f"serve() takes a model file path or a fitted {SERVED.replace(' and ', ' or ')}. Received: {kind}{foreign_note(source)}.")


def _open_file(p: Path, version: int, threads: int | None) -> Any:
    """The served form of the model file ``p``; :func:`open_served` runs it by :func:`.model.unchanged_while`."""
    if p.suffix.lower() == ".onnx":
        from .app_onnx import open_onnx_app

        exported = open_onnx_app(p, version, threads)  # an app's export; None for a table model's
        return exported if exported is not None else ServedModel(p, version, threads)
    if not p.is_file():
        return ServedModel(p, version, threads)
    kind = str(check_servable(p))  # a file's kind (it exists), refused in one line if the server does not serve it
    if kind in TABLE_MODELS:
        return ServedModel(p, version, threads)
    from .._modelfile import load

    sha256 = _sha256(p)  # hashed, then loaded: both while the file stays unchanged (unchanged_while), so they name one file
    return _ADAPTERS[kind](load(p, as_pipeline=False), version, str(p.resolve()), sha256)


_ADAPTERS: dict[str, type[AppModel]] = {
    "TextClassifier": TextModel, "ImageClassifier": ImageModel, "SequenceClassifier": SequenceModel, "Autoencoder": AutoencoderModel,
    "Recommender": RecommenderModel, "Forecaster": ForecasterModel, "SpeechRecognizer": SpeechModel, "Translator": TranslatorModel,
    "DQNAgent": AgentModel,
}


__all__ = ["SERVED", "AppModel", "check_servable", "open_served"]
