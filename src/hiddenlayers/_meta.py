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

#: the section of an MLP's file saved from a scikit-learn Pipeline (``hiddenlayers.ship._pipeline``): its steps, the
#: TableEncoder's parameters and input names; the file's "preprocessing" is the encoder's
PIPELINE_KEY = "pipeline"
_PIPELINE_KINDS = ("TableEncoder", "MLPClassifier", "MLPRegressor", "passthrough", None)


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


def pipeline_steps(record: Any, estimator: str) -> list[tuple[str, str | None]]:
    """The ``(name, kind)`` steps of a file's ``"pipeline"`` record, checked (a damaged record: ``TypeError``/``ValueError``).

    Names are distinct, non-empty and free of ``__``; the steps not skipped are a TableEncoder then ``estimator``, last.
    """
    if not isinstance(record, dict):
        raise TypeError(f"'{PIPELINE_KEY}' is {type(record).__name__}, not a JSON object")
    steps = record["steps"]
    if not isinstance(steps, list) or not all(isinstance(s, list) and len(s) == 2 for s in steps):
        raise TypeError("the pipeline steps are not a list of [name, kind] pairs")
    out = [(s[0], s[1]) for s in steps]
    names = [n for n, _ in out]
    if not all(isinstance(n, str) and n and "__" not in n for n in names) or len(set(names)) != len(names):
        raise ValueError(f"the pipeline step names {names!r} are not distinct non-empty names without '__'")
    kinds = [k for _, k in out]
    if not all(k in _PIPELINE_KINDS for k in kinds):
        raise ValueError(f"the pipeline steps hold unknown kinds {kinds!r}")
    if [k for k in kinds if k not in ("passthrough", None)] != ["TableEncoder", estimator] or kinds[-1] != estimator:
        raise ValueError(f"the pipeline steps {kinds!r} are not a TableEncoder then the file's {estimator}")
    return out


def pipeline_text(record: Any, estimator: str) -> str:
    """A file's Pipeline in one line (``info``): ``pre: TableEncoder -> clf: MLPClassifier``."""
    return " -> ".join(f"{name}: {kind}" for name, kind in pipeline_steps(record, estimator))


__all__ = ["FORMAT", "FORMAT_VERSION", "META_KEY", "MODEL_KINDS", "PIPELINE_KEY", "parse_metadata", "pipeline_steps", "pipeline_text"]
