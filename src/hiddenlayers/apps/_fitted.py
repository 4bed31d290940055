"""The applications' one "fitted yet?" check, shared by every app class.

Each app says which attribute ``fit`` sets (``network_``, ``model_``,
``q_network_``) and, where it differs from scikit-learn's, what its message
asks the user to do; the check and the error are written once, here.
"""

from __future__ import annotations

from typing import ClassVar

from ..exceptions import NotFittedError


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


__all__ = ["FitRequired"]
