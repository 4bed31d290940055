"""The server's decision threshold for a two-class table model (``hl.serve(threshold=, pos_label=)``, ``serve --threshold``):
``/predict`` answers the positive class wherever its probability is at least the threshold, as ``hiddenlayers predict
--threshold`` does (one rule, :mod:`hiddenlayers._cut`), and ``/metadata`` shows both; ``/predict_proba`` is unchanged.

A model the threshold cannot apply to is refused in ``predict``'s words, naming the parameter (or the command's option):
a regressor, a classifier of more than two classes or of several labels, an application file, a ``pos_label`` that is not
one of the two classes or is given without a threshold. A reload checks the new file by the same rule (a refused file
fails the reload; the old model keeps serving).
"""

from __future__ import annotations

from typing import Any

from ..._cut import Cut, cut_problem, positive_index, threshold_problem
from ..._words import article
from .model import ServedModel

#: the parameters' names in ``hl.serve``; the command passes its options' (``--threshold``, ``--pos-label``)
NAMES = ("threshold", "pos_label")


def check_cut_settings(threshold: float | None, pos_label: str | None, names: tuple[str, str] = NAMES) -> None:
    """``threshold`` and ``pos_label`` checked before any model is read: a probability strictly between 0 and 1, and a
    positive class only with a threshold (the class it cuts), else a ValueError of one line (``names``: their words)."""
    t_name, p_name = names
    if threshold is None and pos_label is not None:
        raise ValueError(f"{p_name} names the class whose probability {t_name} cuts: give {t_name} too, or drop {p_name}.")
    problem = threshold_problem(threshold, t_name)
    if problem is not None:
        raise ValueError(problem)


def served_cut(model: Any, threshold: float | None, pos_label: str | None, names: tuple[str, str] = NAMES) -> Cut | None:
    """The :class:`~hiddenlayers._cut.Cut` the server applies to ``model`` (a :class:`~.model.ServedModel` or an application's
    adapter) for ``threshold`` and ``pos_label`` (the positive class as text; default the second label), or None without a
    threshold; a ValueError of one line saying why it cannot apply (``names``: the threshold's and the positive class's words)."""
    check_cut_settings(threshold, pos_label, names)
    if threshold is None:
        return None
    t_name, p_name = names
    held = f"'{model.path}'" if model.path else "the model served"
    if not isinstance(model, ServedModel):
        raise ValueError(f"{t_name} cuts a two-class table model's probability of its positive class; {held} holds "
                         f"{article(model.estimator)} (an application file): drop {t_name}.")
    if model.multilabel:
        raise ValueError(f"{t_name} cuts a two-class classifier's probability of its positive class; {held} holds a classifier of "
                         f"{len(model.classes or ())} labels, each predicted apart: drop {t_name}.")
    problem = cut_problem(model.classes, held, t_name)
    if problem is not None:
        raise ValueError(problem)
    return Cut(float(threshold), positive_index(model.classes, pos_label, name=p_name))


def check_serve_threshold(path: str, threshold: float | None, pos_label: str | None, names: tuple[str, str] = NAMES) -> None:
    """Refuse, before the server starts, a ``threshold`` and ``pos_label`` that the model file ``path`` cannot take
    (:func:`served_cut`'s ValueError of one line; ``names``: the command's options). The file is read only with a threshold.

    Parameters
    ----------
    path : str
        The model file the server will serve.
    threshold : float or None
        ``hl.serve``'s ``threshold``: the positive class's probability at or above which ``/predict`` answers it.
    pos_label : str or None
        ``hl.serve``'s ``pos_label``: the positive class, as text (default the second label).
    names : tuple of str
        The words for the two in a message, ``("--threshold", "--pos-label")`` from the command line.
    """
    check_cut_settings(threshold, pos_label, names)
    if threshold is not None:
        from .app_model import open_served

        served_cut(open_served(path), threshold, pos_label, names)


__all__ = ["NAMES", "check_cut_settings", "check_serve_threshold", "served_cut"]
