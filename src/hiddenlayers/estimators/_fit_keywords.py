"""``fit(X, y, epochs=5)`` from Keras (or ``max_epochs=`` from Lightning): one line naming our equivalent.

Python's own refusal ("fit() got an unexpected keyword argument 'epochs'") leaves a Keras user to
find that epochs are the constructor's ``max_iter``. :func:`fit_keywords` wraps a ``fit`` method and,
before it runs, refuses a keyword the method does not take with :class:`UnknownFitKeywordError` (a
``TypeError``, so ``except TypeError`` still catches it, and a ``HiddenLayersError``) whose message is Python's wording plus the fix.

Why a wrapper and not a ``**kwargs`` catch-all in the signature: the wrapper keeps ``fit``'s signature
(``functools.wraps`` sets ``__wrapped__``, which ``inspect.signature`` follows), so scikit-learn's metadata
routing (``get_metadata_routing``, ``set_fit_request``, built from fit's explicit parameters),
``has_fit_parameter`` and ``check_estimator`` see exactly what they saw before. Names are checked before
the call rather than by catching a ``TypeError`` afterwards, so a ``TypeError`` raised inside fit is never
mistaken for a bad keyword.
"""

from __future__ import annotations

import functools
import inspect
import numbers
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from ..exceptions import UnknownFitKeywordError

__all__ = ["UnknownFitKeywordError", "fit_keywords"]

F = TypeVar("F", bound=Callable[..., Any])

_NAMED = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
# other libraries' fit keywords (Keras, PyTorch Lightning, skorch) that our constructors hold
_EPOCHS = ("epochs", "max_epochs", "n_epochs", "num_epochs")
_CONSTRUCTOR = ("batch_size", "callbacks", "verbose", "class_weight", "shuffle")


def fit_keywords(fit: F) -> F:
    """Wrap the ``fit`` method ``fit`` so an unknown keyword raises :class:`UnknownFitKeywordError` naming the fix.

    The wrapped method keeps ``fit``'s name, docstring and signature; known keywords pass through untouched.

    Parameters
    ----------
    fit : callable
        The ``fit`` method.
    """
    names = tuple(p.name for p in inspect.signature(fit).parameters.values() if p.kind in _NAMED)[1:]  # [1:]: self
    known = frozenset(names)

    @functools.wraps(fit)
    def checked(self: Any, *args: Any, **kwargs: Any) -> Any:
        unknown = [k for k in kwargs if k not in known]
        if unknown:
            raise UnknownFitKeywordError(unknown_keyword_message(self, fit.__name__, names, unknown, kwargs))
        return fit(self, *args, **kwargs)

    return checked  # type: ignore[return-value]


def unknown_keyword_message(est: Any, method: str, names: tuple[str, ...], unknown: list[str], given: dict[str, Any]) -> str:
    """The one-line refusal of the keywords ``unknown`` (in call order) passed to ``est.<method>()``.

    ``names``: the method's own parameters, in order (without ``self``); ``given``: every keyword passed,
    whose values make the suggested calls concrete (``epochs=5`` -> ``max_iter=5``).
    """
    cls = type(est).__name__
    params = set(est.get_params(deep=False)) if hasattr(est, "get_params") else set()
    quoted = ", ".join(repr(k) for k in unknown)
    plural = "s" if len(unknown) > 1 else ""
    head = f"{cls}.{method}() got an unexpected keyword argument{plural} {quoted}"
    hints = [h for h in (_hint(cls, method, names, params, k, given[k]) for k in unknown) if h]
    if len(hints) < len(unknown):
        hints.append(f"{method}() takes {', '.join(names)}")
    return f"{head}: {'; '.join(hints)}."


def _value(v: Any, placeholder: str) -> str:
    """``v`` as the user would type it when it is a plain number or bool, else ``placeholder``."""
    if isinstance(v, (bool, np.bool_)):
        return repr(bool(v))
    if isinstance(v, numbers.Integral):
        return str(int(v))
    return repr(float(v)) if isinstance(v, numbers.Real) else placeholder


def _hint(cls: str, method: str, names: tuple[str, ...], params: set[str], key: str, value: Any) -> str | None:
    """Where the other library's ``key`` lives on ``cls`` (``params`` its constructor's), or None when nowhere."""
    if key in _EPOCHS and "max_iter" in params:
        v = _value(value, "N")
        return f"epochs are the constructor's max_iter: {cls}(max_iter={v}) or est.set_params(max_iter={v}) before {method}()"
    if key in _CONSTRUCTOR and key in params:
        v = _value(value, "[...]" if key == "callbacks" else "...")
        return f"{key} is a constructor parameter: {cls}({key}={v}) or est.set_params({key}={v}) before {method}()"
    if key == "validation_data" and "X_val" in names:
        call = f"{method}(X, y, X_val=Xv, y_val=yv)" if "y_val" in names else f"{method}(X, X_val=Xv)"
        need = " with early_stopping=True" if "early_stopping" in params else ""
        return f"validation_data=(Xv, yv) is {call}{need}"
    if key == "validation_split" and {"early_stopping", "validation_fraction"} <= params:
        v = _value(value, "0.1")
        return f"validation_split is {cls}(early_stopping=True, validation_fraction={v}) (or set_params)"
    return None
