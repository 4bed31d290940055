"""``hiddenlayers cost`` of an application file (``hl.apps``): each app measured on inputs of its own fitted form.

:func:`hiddenlayers.rightsize.cost` takes an app built on one hiddenlayers Network as it is (TextClassifier,
ImageClassifier, SequenceClassifier, Forecaster, SpeechRecognizer, DQNAgent: random inputs of the network's fitted
shape, token ids below its vocabulary). A Translator, whose encoder-decoder reads several inputs, is refused. The two apps whose network is their own module are measured as a plain module
with the input their file fixes: an Autoencoder on rows of its ``n_features_in_`` columns, a Recommender on pairs of the
user and item codes it was fitted on. An app whose input cannot be known from its file is refused in one line.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._words import article
from ._common import UserError, one_line

#: rows of (user code, item code) a Recommender is timed on (cycled where a batch needs more)
_PAIRS = 256


def app_cost(model: Any, path: str, **options: Any) -> Any:
    """The :class:`~hiddenlayers.rightsize.CostReport` of application ``model`` (read from ``path``); ``options``: ``cost``'s
    ``batch_size``, ``n_calls``, ``watts``. A note under the table says which input the measure ran on."""
    from ..rightsize import cost

    kind = type(model).__name__
    if kind == "Translator":  # its model_ reads source ids, their lengths and the target ids so far: no one input to time it on
        raise UserError(f"'{path}' holds a Translator, whose encoder-decoder reads several inputs (source token ids, their lengths, the target "
                        f"tokens so far), which cost does not time: time hl.load('{path}').predict(sentences) from Python instead.")
    try:
        if kind == "Autoencoder":
            n = int(model.n_features_in_)
            report = cost(model.network_, input_shape=(n,), **options)
            report.notes.insert(0, f"an Autoencoder file: its network measured on random rows of its {n} fitted columns (standardised scale)")
            return _named(report, kind)
        if kind == "Recommender":
            rng = np.random.default_rng(0)
            users, items = len(model.users_), len(model.items_)
            pairs = np.stack([rng.integers(0, users, _PAIRS), rng.integers(0, items, _PAIRS)], axis=1)  # (256, 2) fitted codes
            report = cost(model.network_, example_input=pairs.astype(np.float32), **options)
            report.notes.insert(0, f"a Recommender file: its network measured on random pairs of its {users} users and {items} items (codes)")
            return _named(report, kind)
        return _cli_notes(cost(model, **options), kind)
    except (TypeError, ValueError) as exc:
        raise UserError(f"'{path}' holds {article(kind)}, whose cost cannot be measured from the file alone "
                        f"({one_line(exc)}): use hl.cost(hl.load('{path}'), X=...) from Python with inputs it predicts on.") from None


def _named(report: Any, kind: str) -> Any:
    """``report`` of an app's network measured as a plain module, its note in the app's words: the file holds ``kind`` (an Autoencoder,
    a Recommender), not "a plain torch.nn.Module", as cost names every other app; what was not measured, and why, is kept."""
    plain = "a plain torch.nn.Module:"  # hl.cost's note for a module that is no hiddenlayers model (rightsize/_cost_module.py)
    said = (f"the {kind}'s predict() not timed (its network's raw forward is), and its loss and rows per epoch are not measured, "
            "so no energy per epoch")
    report.notes = [said if note.startswith(plain) else note for note in report.notes]
    return report


def _cli_notes(report: Any, kind: str) -> Any:
    """``report`` with ``hl.cost``'s Python advice said in the command's words. ``cost`` has no option for ``X=`` or
    ``epoch_samples=``, so a note that told the user to pass one says instead what the command measured: the network's raw
    forward on random inputs of its fitted shape (no ``predict``), and the energy per prediction (none per epoch).

    ``kind``: the app's class name (``Forecaster``), as the notes name it.
    """
    said = {"pass X=": f"{kind}.predict not timed: the file holds no inputs of the form it predicts on, so the latencies are its network's "
                       "raw forward on random inputs of its fitted shape",
            "pass epoch_samples=": f"energy per epoch not measured: the {kind} file records no rows per epoch (the energy per 1000 "
                                   "predictions is measured)"}
    report.notes = [next((words for advice, words in said.items() if advice in note), note) for note in report.notes]
    return report


__all__ = ["app_cost"]
