"""The small exception and warning tree of hiddenlayers.

Every error a user can cause derives from :class:`HiddenLayersError`, so a
caller (or the CLI) can catch ours without catching programming errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any


class HiddenLayersError(Exception):
    """Base class of every error raised on purpose by hiddenlayers."""


class SpecError(HiddenLayersError, ValueError):
    """A hidden-layer spec (text, JSON or objects) is not valid."""


if TYPE_CHECKING:
    from sklearn.exceptions import NotFittedError as _SklearnNotFittedError

    class NotFittedError(HiddenLayersError, _SklearnNotFittedError):
        """A model was used before ``fit``; also scikit-learn's NotFittedError."""

_lazy: dict[str, Any] = {}


def __getattr__(name: str) -> Any:
    # NotFittedError subclasses scikit-learn's, whose import costs ~1 s; build it
    # on first use so the CLI's start-up (which needs only HiddenLayersError) stays fast.
    if name != "NotFittedError":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if name not in _lazy:
        from sklearn.exceptions import NotFittedError as _SklearnNotFittedError

        class NotFittedError(HiddenLayersError, _SklearnNotFittedError):  # type: ignore[no-redef]
            """A model was used before ``fit``; also scikit-learn's NotFittedError."""

        NotFittedError.__module__ = __name__
        NotFittedError.__qualname__ = "NotFittedError"
        _lazy[name] = NotFittedError
    return _lazy[name]


class ModelFileError(HiddenLayersError, ValueError):
    """A model file is missing, truncated, foreign, tampered with or too new."""


class DeviceUnavailableError(HiddenLayersError, ValueError):
    """A well-formed ``device`` (``"cuda"``, ``"cuda:1"``, ``"mps"``) that this machine does not have; the message names
    what it has and what to pass instead (``device="auto"`` or ``"cpu"``)."""


class UnknownFitKeywordError(HiddenLayersError, TypeError):
    """A keyword ``fit`` does not take (``epochs=`` from Keras, ``max_epochs=`` from Lightning): Python's ``TypeError``
    wording plus where that setting lives here (``max_iter``, a constructor parameter, ``X_val``/``y_val``)."""


class DataError(HiddenLayersError, ValueError):
    """Input data cannot be used: wrong shape, non-finite values, unknown columns."""


class NonFiniteOutputError(DataError):
    """Finite input rows whose network output is NaN or infinite: the network overflowed inside.

    For example a float32 layer norm's variance of a row of 1e30.

    Parameters
    ----------
    message : str
        The error's text.
    rows : array-like of int
        The rows' positions in ``X`` (0-based, ascending).
    answer : object
        What the method computed, those rows NaN (``predict``'s labels or values, ``predict_proba``'s probabilities,
        also for ``predict_log_proba``, ``predict_with_proba``'s pair), for callers that refuse row by row
        (``hiddenlayers predict``, the server).
    """

    def __init__(self, message: str, rows: Any, answer: Any) -> None:
        super().__init__(message)
        self.rows = rows
        self.answer = answer


class QuantizedToleranceError(HiddenLayersError, ValueError):
    """An export's int8 copy answers further from the model than the ``quantized_tolerance`` asked for.

    The int8 file was not written (what was at its path is as it was), the float file was.

    Parameters
    ----------
    message : str
        The error's text.
    report : ExportReport
        The export's :class:`~hiddenlayers.ship.ExportReport`, with the measured ``quantized_max_abs_diff`` and
        ``quantized_refused`` (this message).
    """

    def __init__(self, message: str, report: Any) -> None:
        super().__init__(message)
        self.report = report

    def __reduce__(self) -> tuple[object, ...]:
        return type(self), (str(self), self.report)


class DivergedWarning(UserWarning):
    """Training stopped because the loss became NaN or infinite."""


class InterruptedWarning(UserWarning):
    """Training stopped because the user pressed Ctrl-C (KeyboardInterrupt)."""


class OneHotTargetWarning(UserWarning):
    """``MLPClassifier.fit`` got a 0/1 ``y`` of several columns in which every row has exactly one 1: a one-hot target.

    scikit-learn (and so this estimator) reads such a ``y`` as multi-label: one independent sigmoid output per
    column, so ``predict`` may give a row no label or several. For one label per row pass ``y.argmax(1)``; for a
    multi-label target that happens to hold one label per row, silence it with
    ``warnings.filterwarnings("ignore", category=hl.OneHotTargetWarning)``.
    """


class ColumnWarning(UserWarning):
    """A text column the preprocessing reads as categories but that looks like something else.

    The CLI leaves out a warning its data check already reported for the same column.

    Parameters
    ----------
    message : str
        The warning's text.
    column : str
        The column's name.
    reason : {"id", "dates", "numbers", ""}
        ``"id"`` (every value distinct), ``"dates"`` (every value an ISO date or timestamp) or ``"numbers"`` (every
        value the text of a number, e.g. a Parquet string column).
    """

    def __init__(self, message: str, column: str = "", reason: str = "") -> None:
        super().__init__(message)
        self.column, self.reason = column, reason

    def __reduce__(self) -> tuple[object, ...]:
        return type(self), (str(self), self.column, self.reason)


class TableNoteWarning(UserWarning):
    """A note of :class:`~hiddenlayers.TableEncoder`'s ``transform``: extra columns ignored, values outside the
    categories kept in training, or missing cells in a column that had none in training (filled, no indicator learned).
    Also the stored preprocessing's notes of ``predict``/``predict_proba``/``score`` of a
    :class:`~hiddenlayers.data.ParquetSource`, and a ``TableEncoder``'s under ``source.apply(pipe.predict)``: each kind
    one warning once the last record batch is done, its counts summed over every batch."""


__all__ = [
    "ColumnWarning",
    "DataError",
    "DeviceUnavailableError",
    "DivergedWarning",
    "HiddenLayersError",
    "InterruptedWarning",
    "ModelFileError",
    "NonFiniteOutputError",
    "NotFittedError",
    "OneHotTargetWarning",
    "QuantizedToleranceError",
    "SpecError",
    "TableNoteWarning",
]
