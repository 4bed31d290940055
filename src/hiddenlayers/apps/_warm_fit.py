"""``warm_start=True``: a second ``fit`` of an application goes on from its fitted network (scikit-learn's MLP rule).

What the first fit learned from the data stays fixed (classes, vocabulary, image shape, standardisation,
...); data that does not fit it is a ``ValueError`` naming what changed and the fix. The parameters that
shaped the network (``hidden_layer_sizes``, ``activation``, ``dtype``, a tokenizer's settings, ...) are
recorded when it is built (:func:`mark_built`) and a warm fit after :meth:`set_params` changed one is
refused, as the MLP estimators refuse it (``estimators/_warm.py``): the old layers would be kept silently.
The optimizer restarts at every ``fit`` (its moments are not kept), as scikit-learn's ``MLPClassifier``'s
do with ``warm_start``; ``history_`` goes on, its epochs numbered on, so ``n_iter_`` grows.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from ..network import Spec
from ..training import History, frozen


def wording(model: Any) -> tuple[str, str]:
    """``(what goes on, the fix)`` in a message: ``warm_start=True`` and ``set warm_start=False``, or, inside ``partial_fit``
    (``_partial``), ``partial_fit`` and ``call fit with warm_start=False``."""
    if getattr(model, "_incremental", False):
        return "partial_fit", "call fit with warm_start=False to fit a new model"
    return "warm_start=True", "set warm_start=False to fit a new model"


def continues(model: Any) -> bool:
    """Whether this ``fit`` of ``model`` goes on from its fitted network: ``warm_start=True`` and fitted before."""
    return bool(getattr(model, "warm_start", False)) and model.__sklearn_is_fitted__()


def _comparable(name: str, value: Any) -> Any:
    """``value`` of parameter ``name`` in a form where equal meanings compare equal (a spec as its text: ``(64,)`` is ``"64"``)."""
    if name.endswith("hidden_layer_sizes") or name.endswith("_layers"):
        try:
            return Spec.parse(list(value) if isinstance(value, tuple) else value).to_text()
        except (TypeError, ValueError):
            return repr(value)
    return value


def mark_built(model: Any, names: Sequence[str]) -> None:
    """Record the values of ``model``'s parameters ``names`` that built its fitted network (after fit, and in ``load``)."""
    model._built_with = {n: _comparable(n, getattr(model, n)) for n in names}


def refuse_rebuilt(model: Any, names: Sequence[str]) -> None:
    """A ValueError when a parameter of ``names`` differs from the value the fitted network was built with, before a warm fit.

    A model pickled before the record existed has none: nothing to compare, the warm fit goes on.
    """
    built = getattr(model, "_built_with", None)
    if not isinstance(built, dict):
        return
    for name in names:
        if name in built and _comparable(name, getattr(model, name)) != built[name]:
            how, fix = wording(model)
            raise ValueError(f"{how} goes on from the fitted network, which this change would leave as it is. Received: "
                             f"{name}={getattr(model, name)!r}, but the fitted network was built with {name}={built[name]!r}; "
                             f"{fix} (init_from=the fitted model copies its layers where they match), or set the old value back.")


def known_codes(model: Any, y: Any, n: int) -> np.ndarray:
    """Codes ``(n,)`` of labels ``y`` among the fitted ``classes_`` (a warm fit keeps them; some may be absent from ``y``).

    ``y`` gets the classifier's own checks (one label per sample, class labels); a label not in ``classes_`` is a ValueError.
    """
    classes, codes = model._classes(y, n, 1)
    fitted = np.asarray(model.classes_)
    where = {c: i for i, c in enumerate(fitted.tolist())}
    new = [c for c in classes.tolist() if c not in where]
    if new:
        how, fix = wording(model)
        raise ValueError(f"y has class(es) {new[:5]} that the fitted model does not know (classes_ {fitted.tolist()[:10]}): {how} "
                         f"goes on with the fitted classes; {fix} on these labels, or init_from=the fitted model to start one from its layers.")
    return np.array([where[c] for c in classes.tolist()], dtype=np.intp)[codes]


def refuse_other_data(model: Any, what: str, fitted: Any, given: Any, advice: str) -> None:
    """A ValueError when the data's ``what`` (an image shape, a window, ...) is ``given`` but the first fit's was ``fitted``;
    ``advice`` is the first fix (e.g. "resize them to 8 x 8 pixels"), the second is ``warm_start=False``."""
    if given != fitted:
        how, fix = wording(model)
        raise ValueError(f"{how} goes on from a network fitted on {what} {fitted}, but X has {what} {given}: {advice}, or {fix} on this data.")


def past_history(model: Any) -> History:
    """The history a warm fit of ``model`` goes on from: its ``history_``, or for a model loaded from a file that keeps only
    ``loss_curve_`` (the Autoencoder's, the Forecaster's) one made of it, epochs ``1..n_iter_`` (no validation numbers)."""
    history = getattr(model, "history_", None)
    if isinstance(history, History):
        return history
    curve = [float(v) for v in model.loss_curve_]
    n = len(curve)
    return History(epoch=list(range(1, n + 1)), train_loss=curve, val_loss=[math.nan] * n, val_score=[math.nan] * n, lr=[math.nan] * n,
                   time=[0.0] * n, stop_reason=getattr(model, "stop_reason_", None))


@contextmanager
def warm_frozen(model: Any, network: Any, freezable: Sequence[str], *, head_first: bool = False) -> Iterator[None]:
    """Within: the layers of ``network`` (names among ``freezable``) that ``model.freeze`` names now stay fixed, for a warm fit.

    As the MLP estimators' warm fit does, the current ``freeze`` rules, so Keras' fine-tuning recipe works: fit with the
    copied layers frozen, then ``set_params(freeze=None, learning_rate_init=...)`` and fit again to train them all (a warm
    fit kept the first fit's frozen layers fixed whatever ``freeze`` said, without a word). An unchanged ``freeze`` (a
    loaded model's too) names the same layers. ``head_first``: the app takes ``freeze="head_first"``, whose two phases ran
    in the first fit, so the layers that fit left fixed stay so (none; all after Ctrl-C in its first phase); the other
    apps refuse it as their fresh fit does. Sets ``frozen_`` and ``provenance_``'s record.
    """
    if head_first and model.freeze == "head_first":
        fixed = list(getattr(model, "frozen_", None) or [])
    else:
        from ._warm import frozen_names

        fixed = frozen_names(model, list(freezable))
    record = getattr(model, "provenance_", None)
    if record is not None and (record.get("source") is not None or fixed):
        model.provenance_ = {**record, "frozen": list(fixed)}
    else:
        model.provenance_ = {"source": None, "source_sha256": None, "transferred": [], "frozen": list(fixed)} if fixed else None
    model.frozen_ = fixed
    with frozen(network, fixed):
        yield


__all__ = ["warm_frozen", "continues", "past_history", "wording", "known_codes", "mark_built", "refuse_other_data", "refuse_rebuilt"]
