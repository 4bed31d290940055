"""The model file's metadata document: its format constants and its one validation.

Kept free of heavy imports (only ``json``), so ``hiddenlayers info`` can check a
file's header without NumPy or PyTorch, with the same rules and messages as
loading it (:func:`hiddenlayers._files.read_metadata`).
"""

from __future__ import annotations

import json
from typing import Any

FORMAT = "hiddenlayers"
FORMAT_VERSION = 1
META_KEY = "hiddenlayers"
# Every kind of model a file may hold: the two estimators and the applications.
#: the key under which a model file's stored preprocessing records the column its row weights came from (``train
#: --sample-weight``): never an input; ``info`` shows it, ``evaluate``/``predict`` and the server name it
WEIGHT_COLUMN_KEY = "sample_weight_column"
#: the key under which a model file saved by ``hiddenlayers search`` records where it came from: study, trial, storage,
#: its cross-validated score and fold sd (``info`` shows it)
SEARCH_KEY = "search"
MODEL_KINDS = ("MLPClassifier", "MLPRegressor", "Autoencoder", "Forecaster", "Recommender", "DQNAgent", "ImageClassifier",
               "SequenceClassifier", "TextClassifier", "Translator", "SpeechRecognizer")


#: the end of every "not a readable model file" message: what to do about a file that cannot be read
UNREADABLE = "it may be truncated, corrupt or of another format: copy or save it again (a copy or download that stopped leaves a truncated file)."


def parse_metadata(raw: Any, where: Any, error: type[Exception]) -> dict[str, Any]:
    """The metadata JSON ``raw`` (None where the file has none) of the file ``where``, validated.

    Each problem is one ``error`` naming the file: no hiddenlayers metadata, damaged JSON,
    another format, a newer format version than this library reads, an unknown model kind.
    """
    if raw is None:
        raise error(f"'{where}' is a safetensors file but not a hiddenlayers model (no '{META_KEY}' metadata): read its tensors with "
                    "safetensors.torch.load_file(path); hiddenlayers loads the files its save() and `hiddenlayers train` write.")
    try:
        meta = json.loads(raw)
    except (TypeError, json.JSONDecodeError):
        raise error(f"'{where}' has damaged hiddenlayers metadata (not valid JSON): the file was altered.") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise error(f"'{where}' metadata is not in the hiddenlayers format.")
    version = meta.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise error(f"'{where}' uses model-file format {version!r}, newer than this hiddenlayers reads ({FORMAT_VERSION}): upgrade hiddenlayers.")
    if meta.get("estimator") not in MODEL_KINDS:
        raise error(f"'{where}' holds an unknown model kind {meta.get('estimator')!r}.")
    return meta


__all__ = ["FORMAT", "FORMAT_VERSION", "META_KEY", "MODEL_KINDS", "parse_metadata"]
