"""The model file's metadata document: its format constants and its one validation.

Kept free of heavy imports (only ``json``), so ``hiddenlayers info`` can check a
file's header without NumPy or PyTorch, with the same rules and messages as
loading it (:func:`hiddenlayers._files.read_metadata`).
"""

from __future__ import annotations

import json
from typing import Any

FORMAT = "hiddenlayers"
#: the newest model-file format this library reads. Version 2 is a Pipeline file whose MLP reads the output of scikit-learn
#: steps (``MATRIX_STEPS``): a reader of version 1 would predict with the MLP alone, so it must refuse the file. Every other
#: file is written as ``BASE_FORMAT_VERSION``, which every hiddenlayers reads.
FORMAT_VERSION = 2
BASE_FORMAT_VERSION = 1
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
#: TableEncoder's parameters and input names (the file's "preprocessing" is the encoder's), or the scikit-learn steps' records
PIPELINE_KEY = "pipeline"
#: the scikit-learn steps a Pipeline file may hold before its MLP (instead of a TableEncoder): the allow-list, by class name
MATRIX_STEPS = ("StandardScaler", "MinMaxScaler", "MaxAbsScaler", "RobustScaler", "SimpleImputer", "PCA")
_PIPELINE_KINDS = ("TableEncoder", "MLPClassifier", "MLPRegressor", "passthrough", None, *MATRIX_STEPS)


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
        raise error(f"'{where}' metadata is not in the hiddenlayers format (its '{META_KEY}' entry is no hiddenlayers record): the file "
                    "was altered or written by another tool; save the model again with .save(path) or `hiddenlayers train`.")
    version = meta.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:  # JSON's true is no version (bool is an int)
        raise error(f"'{where}' has the model-file format version {version!r}, not a whole number >= 1: the file was altered; save the model again.")
    if version > FORMAT_VERSION:
        raise error(f"'{where}' uses model-file format {version!r}, newer than this hiddenlayers reads ({FORMAT_VERSION}): upgrade hiddenlayers.")
    if meta.get("estimator") not in MODEL_KINDS:
        raise error(f"'{where}' holds an unknown model kind {meta.get('estimator')!r}: a newer hiddenlayers may know it (upgrade hiddenlayers); "
                    "else the file was altered.")
    return meta


def pipeline_steps(record: Any, estimator: str) -> list[tuple[str, str | None]]:
    """The ``(name, kind)`` steps of a file's ``"pipeline"`` record, checked (a damaged record: ``TypeError``/``ValueError``).

    Names are distinct, non-empty and free of ``__``; the steps not skipped are a TableEncoder, or one or more of
    ``MATRIX_STEPS``, then ``estimator``, last.
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
    kept = [k for k in kinds if k not in ("passthrough", None)]
    before = kept[:-1]
    if (kept[-1:] != [estimator] or kinds[-1] != estimator
            or not (before == ["TableEncoder"] or (before and all(k in MATRIX_STEPS for k in before)))):
        raise ValueError(f"the pipeline steps {kinds!r} are not a TableEncoder then the file's {estimator}, nor scikit-learn steps then it")
    return out


def stored_steps(meta: dict[str, Any]) -> list[str]:
    """The scikit-learn steps' class names (``MATRIX_STEPS``) of the Pipeline file whose metadata is ``meta`` (empty for any other file).

    Non-empty where the file's MLP alone does not read raw rows, so the CLI runs the Pipeline and the server refuses it.

    Parameters
    ----------
    meta : dict
        A model file's metadata (:func:`read_metadata`).
    """
    record = meta.get(PIPELINE_KEY)
    steps = record.get("steps") if isinstance(record, dict) else None
    if not isinstance(steps, list):
        return []
    return [s[1] for s in steps if isinstance(s, list) and len(s) == 2 and s[1] in MATRIX_STEPS]


def pipeline_inputs(meta: dict[str, Any]) -> int | None:
    """The columns a Pipeline file of scikit-learn steps takes (its first step's fitted ``n_features_in_``), or None for any
    other file or a record without it. Why: its MLP reads the steps' output (a PCA's 3 components), so the network's width is
    not what the Pipeline is given; ``info`` of its ONNX export says the raw columns, and the file's ``info`` must agree.

    ``meta``: the file's metadata document (:func:`parse_metadata`).
    """
    record = meta.get(PIPELINE_KEY)
    stored = record.get("matrix_steps") if isinstance(record, dict) else None
    steps = record.get("steps") if isinstance(record, dict) else None
    if not isinstance(stored, dict) or not isinstance(steps, list):
        return None
    first = next((s[0] for s in steps if isinstance(s, list) and len(s) == 2 and isinstance(s[0], str) and s[0] in stored), None)
    fitted = stored[first].get("fitted") if first is not None and isinstance(stored[first], dict) else None
    entry = fitted.get("n_features_in_") if isinstance(fitted, dict) else None
    n = entry.get("value") if isinstance(entry, dict) else None
    return n if isinstance(n, int) and not isinstance(n, bool) and n > 0 else None


def pipeline_text(record: Any, estimator: str) -> str:
    """A file's Pipeline in one line (``info``): ``pre: TableEncoder -> clf: MLPClassifier``."""
    return " -> ".join(f"{name}: {kind}" for name, kind in pipeline_steps(record, estimator))


__all__ = ["BASE_FORMAT_VERSION", "FORMAT", "FORMAT_VERSION", "MATRIX_STEPS", "META_KEY", "MODEL_KINDS", "PIPELINE_KEY", "parse_metadata", "pipeline_inputs", "pipeline_steps", "pipeline_text", "stored_steps"]
