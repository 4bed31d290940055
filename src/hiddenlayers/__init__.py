"""hiddenlayers: build, train, look inside and right-size the hidden layers of neural networks.

Public names are imported lazily on first use, so ``import hiddenlayers``
(and the CLI's ``--help``) stays fast: PyTorch loads only when a name that
needs it is touched.
"""

from __future__ import annotations

import importlib
from typing import Any

from . import _compat

__version__ = "0.1.0"

_EXPORTS = {
    "MLPClassifier": ".estimators",
    "MLPRegressor": ".estimators",
    "distill": ".estimators",
    "Network": ".network",
    "DenseLayer": ".network",
    "ACTIVATIONS": ".network",
    "activation_names": ".network",
    "Spec": ".network",
    "Dense": ".network",
    "Conv": ".network",
    "Pool": ".network",
    "Flatten": ".network",
    "GlobalPool": ".network",
    "Recurrent": ".network",
    "Embed": ".network",
    "ImageClassifier": ".apps",
    "SequenceClassifier": ".apps",
    "TextClassifier": ".apps",
    "load_fashion_mnist": ".data",
    "load_image_folder": ".data",
    "load_movie_reviews": ".data",
    "load_gene_families": ".data",
    "load_spoken_digits": ".data",
    "load_bible_pairs": ".data",
    "train": ".training",
    "lr_find": ".estimators",
    "LRFindResult": ".training",
    "History": ".training",
    "Callback": ".training",
    "CSVLogger": ".training",
    "BackupAndRestore": ".training",
    "StoppingRule": ".training",
    "MaxEpochs": ".training",
    "LossBelow": ".training",
    "NoImprovement": ".training",
    "TimeLimit": ".training",
    "load": ".ship",
    "save": ".ship",
    "HiddenLayersError": ".exceptions",
    "SpecError": ".exceptions",
    "NotFittedError": ".exceptions",
    "ModelFileError": ".exceptions",
    "DataError": ".exceptions",
    "DeviceUnavailableError": ".exceptions",
    "UnknownFitKeywordError": ".exceptions",
    "NonFiniteOutputError": ".exceptions",
    "QuantizedToleranceError": ".exceptions",
    "ColumnWarning": ".exceptions",
    "DivergedWarning": ".exceptions",
    "InterruptedWarning": ".exceptions",
    "OneHotTargetWarning": ".exceptions",
    "TableNoteWarning": ".exceptions",
    "explain": "._explain",
    "Explanation": ".training",
    "TablePreprocessor": ".data",
    "TableEncoder": ".data",
    "load_table": ".data",
    "read_table": ".data",
    "cost": ".rightsize",
    "CostReport": ".rightsize",
    "export_onnx": ".ship",
    "ExportReport": ".ship",
    "prune": ".rightsize",
    "PruneReport": ".rightsize",
    "search": ".rightsize",
    "SearchResult": ".rightsize",
    "SearchSpace": ".rightsize",
    "Autoencoder": ".apps",
    "Forecaster": ".apps",
    "Recommender": ".apps",
    "DQNAgent": ".apps",
    "Translator": ".apps",
    "serve": ".ship",
    "check": "._check",
    "DataReport": ".data",
    "Finding": ".data",
}

# Stage packages, imported on first touch: hl.lens.record, hl.data.load_table, ...
_SUBPACKAGES = ("apps", "data", "estimators", "lens", "network", "rightsize", "ship", "training")

__all__ = sorted(_EXPORTS) + ["__version__"]

_compat.install()  # old module paths (pickles, old imports) keep working


def __getattr__(name: str) -> Any:
    if name in _SUBPACKAGES:
        return importlib.import_module(f".{name}", __name__)
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'hiddenlayers' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
