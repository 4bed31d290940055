"""The applications' checks before a prediction: "fitted yet?" and "any examples?", shared by every app class.

Each app says which attribute ``fit`` sets (``network_``, ``model_``,
``q_network_``) and, where it differs from scikit-learn's, what its message
asks the user to do; the check and the error are written once, here.
:func:`refuses_empty` gives every app's ``predict``/``predict_proba``/``transform``/``score``
one error for zero examples (scikit-learn's "Found array with 0 sample(s)"), where each app
had said it its own way, or returned an empty answer.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

import numpy as np

from ..exceptions import DataError, NotFittedError

F = TypeVar("F", bound=Callable[..., Any])


class FitRequired:
    """Mixin: ``_require_fitted`` raises :class:`~hiddenlayers.NotFittedError` (also scikit-learn's) naming the class before ``fit``.

    ``_fitted_attribute`` is what ``fit`` sets; ``_not_fitted`` is the message, with
    ``{name}`` for the class name (default: scikit-learn's own wording).
    ``__sklearn_is_fitted__`` reads the same attribute, so scikit-learn's
    ``check_is_fitted`` agrees with the app.
    """

    _fitted_attribute: ClassVar[str] = "network_"
    _not_fitted: ClassVar[str] = "This {name} instance is not fitted yet. Call 'fit' with appropriate arguments before using this estimator."

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, self._fitted_attribute)

    def _require_fitted(self) -> None:
        """Raise :class:`NotFittedError` naming the class unless ``fit`` has run."""
        if not hasattr(self, self._fitted_attribute):
            raise NotFittedError(self._not_fitted.format(name=type(self).__name__))


def _empty_shape(X: Any) -> tuple[int, ...] | None:
    """The shape of ``X`` when it holds no example (a list, array, frame, Series, or a (users, items) tuple of empty ones), else None."""
    if isinstance(X, (str, bytes)) or isinstance(X, (int, float, np.number)):
        return None  # a text, or a Forecaster's count of steps: not a collection of examples
    if isinstance(X, tuple) and X and all(hasattr(part, "__len__") and not isinstance(part, (str, bytes)) for part in X):
        return (0,) if all(len(part) == 0 for part in X) else None  # the Recommender's (users, items)
    try:
        n = len(X)
    except TypeError:
        return None
    if n:
        return None
    shape = getattr(X, "shape", None)
    return tuple(int(d) for d in shape) if shape is not None else (0,)


def refuses_empty(method: F) -> F:
    """Decorate an app's ``method(X, ...)``: after the fitted check, ``X`` without one example is a ``DataError`` (a ValueError)
    in scikit-learn's words, ``Found array with 0 sample(s) (shape=(0, 4)) while a minimum of 1 is required by Autoencoder.``"""

    name = list(inspect.signature(method).parameters)[1]  # X, or the Translator's sources: given by position or by name

    @functools.wraps(method)
    def checked(self: Any, *args: Any, **kwargs: Any) -> Any:
        require = getattr(self, "_require_fitted", None)
        if require is not None:
            require()
        shape = _empty_shape(args[0] if args else kwargs.get(name))
        if shape is not None:
            raise DataError(f"Found array with 0 sample(s) (shape={shape}) while a minimum of 1 is required by {type(self).__name__}.")
        return method(self, *args, **kwargs)

    return checked  # type: ignore[return-value]


__all__ = ["FitRequired", "refuses_empty"]
