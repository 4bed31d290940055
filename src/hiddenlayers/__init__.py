"""hiddenlayers: build, train, look inside and right-size the hidden layers of neural networks.

Public names are imported lazily on first use, so ``import hiddenlayers``
(and the CLI's ``--help``) stays fast: PyTorch loads only when a name that
needs it is touched.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "MLPClassifier": ".estimators",
    "MLPRegressor": ".estimators",
    "Network": ".network",
    "DenseLayer": ".layers",
    "ACTIVATIONS": ".layers",
    "activation_names": ".layers",
    "Spec": ".spec",
    "Dense": ".spec",
    "Conv": ".spec",
    "Pool": ".spec",
    "Flatten": ".spec",
    "GlobalPool": ".spec",
    "Recurrent": ".spec",
    "Embed": ".spec",
    "ImageClassifier": ".apps",
    "SequenceClassifier": ".apps",
    "TextClassifier": ".apps",
    "load_fashion_mnist": ".datasets_images",
    "load_image_folder": ".datasets_images",
    "load_movie_reviews": ".datasets_text",
    "load_gene_families": ".datasets_text",
    "load_spoken_digits": ".datasets_speech",
    "load_bible_pairs": ".datasets_bible",
    "train": ".training",
    "History": ".stopping",
    "Callback": ".stopping",
    "StoppingRule": ".stopping",
    "MaxEpochs": ".stopping",
    "LossBelow": ".stopping",
    "NoImprovement": ".stopping",
    "TimeLimit": ".stopping",
    "load": ".modelfile",
    "save": ".modelfile",
    "HiddenLayersError": ".exceptions",
    "SpecError": ".exceptions",
    "NotFittedError": ".exceptions",
    "ModelFileError": ".exceptions",
    "DataError": ".exceptions",
    "DivergedWarning": ".exceptions",
    "InterruptedWarning": ".exceptions",
    "explain": ".explain",
    "Explanation": ".explain",
    "TablePreprocessor": ".preprocessing",
    "load_table": ".data",
    "read_table": ".data",
    "cost": ".cost",
    "CostReport": ".cost",
    "export_onnx": ".export",
    "ExportReport": ".export",
    "prune": ".compress",
    "PruneReport": ".compress",
    "search": ".search",
    "SearchResult": ".search",
    "SearchSpace": ".search",
    "Autoencoder": ".apps",
    "Forecaster": ".apps",
    "Recommender": ".apps",
    "DQNAgent": ".apps",
    "Translator": ".apps",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    if name == "lens":  # subpackage, imported on first use (hl.lens.record, hl.lens.report, ...)
        return importlib.import_module(".lens", __name__)
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'hiddenlayers' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
