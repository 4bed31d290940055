"""``TableEncoder``: :class:`~._preprocessing.TablePreprocessor` as a scikit-learn transformer.

:class:`TablePreprocessor` is the preprocessing that model files store; its ``transform`` returns a
:class:`~._preprocessing.Transformed` (matrix and notes) and its ``fit`` takes ``where`` as its second
argument, which the CLI, the server, the exporter and users' code rely on. scikit-learn's contract is
another one (``fit(X, y=None)``, ``transform`` returning an array, no validation in ``__init__``,
fitted state in ``name_`` attributes), so rather than give one class two contracts this thin adapter
wraps it: the same encoding, a fitted ``preprocessor_`` (its ``to_dict()`` is what a model file keeps),
the notes as :class:`~hiddenlayers.TableNoteWarning` warnings. It can be a step of a ``Pipeline``,
is searched by ``GridSearchCV`` and follows ``set_output``.

>>> import pandas as pd
>>> enc = TableEncoder().fit(pd.DataFrame({"a": [1.0, 2.0, 3.0], "c": ["x", "y", "x"]}))
>>> enc.transform(pd.DataFrame({"c": ["y"], "a": [2.0]})).round(3).tolist()
[[0.0, 0.0, 1.0]]
>>> enc.get_feature_names_out().tolist()
['a', 'c=x', 'c=y']
"""

from __future__ import annotations

import numbers
import os
import warnings
from typing import Any

import numpy as np
import sklearn
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._stacklevel import user_stacklevel
from ..exceptions import TableNoteWarning
from ._preprocessing import NUMERIC_TEXT_RATIO, TablePreprocessor

_SKLEARN = (os.path.dirname(os.path.abspath(sklearn.__file__)),)  # warnings name the user's line, not a Pipeline's


def _arrow_decimals_as_float(X: Any) -> Any:
    """A ``pyarrow.Table``/``RecordBatch`` with its decimal columns cast to float64 by Arrow (:mod:`._arrow_decimals`), as
    :func:`~hiddenlayers.data.read_table` reads a Parquet file; anything else (polars) as it is."""
    import sys

    pa = sys.modules.get("pyarrow")  # an Arrow table was made with pyarrow imported: no import for anything else
    if pa is None or not isinstance(X, (pa.Table, pa.RecordBatch)):
        return X
    from ._arrow_decimals import decimals_as_float

    return decimals_as_float(X)


def _as_frame(X: Any) -> tuple[Any, bool]:
    """``X`` as a pandas DataFrame and whether its column names are all text (a DataFrame's own names).

    A DataFrame is kept as it is (its dtypes matter: text is one-hot, numbers standardised); an object
    with ``to_pandas`` (pyarrow, polars) is converted; anything else goes through ``np.asarray`` and must be 2-D.
    """
    import pandas as pd
    import scipy.sparse as sp

    if sp.issparse(X):
        raise TypeError("TableEncoder reads a table of columns, not a sparse matrix: pass X.toarray() or a DataFrame.")
    if not isinstance(X, pd.DataFrame) and hasattr(X, "to_pandas"):
        X = _arrow_decimals_as_float(X).to_pandas()
    if isinstance(X, pd.DataFrame):
        return X, all(isinstance(c, str) for c in X.columns)
    arr = np.asarray(X)
    if arr.ndim != 2:
        raise ValueError(f"Expected a 2D array or a DataFrame, got a {arr.ndim}D array. Reshape your data with X.reshape(-1, 1) "
                         "for one feature or X.reshape(1, -1) for one sample.")
    if np.iscomplexobj(arr):
        raise ValueError("Complex data not supported: turn it into real numbers first (e.g. X.real and X.imag as two columns).")
    # an object array (a mixed DataFrame's .to_numpy()) holds numbers as Python objects: read them as numbers, not text
    return pd.DataFrame(arr).infer_objects(), False


class TableEncoder(TransformerMixin, BaseEstimator):
    """A raw table (DataFrame or 2-D array) -> the float64 matrix a network reads, as a scikit-learn transformer.

    The encoding is :class:`~hiddenlayers.TablePreprocessor`'s: numeric columns median-filled and standardised
    (a ``COL=<missing>`` indicator where training had missing values), text / category / bool columns one-hot
    with the ``max_categories - 1`` most frequent values kept and the rest in ``COL=<other>``. Parameters are
    the preprocessor's and are checked at :meth:`fit` (scikit-learn's rule), so ``set_params`` and ``clone`` work.

    A DataFrame with text column names is read by name, as ``hiddenlayers predict`` reads a file and as
    ``ColumnTransformer`` reads named columns: order does not matter, a missing column is an error, an extra one
    is ignored with a :class:`~hiddenlayers.TableNoteWarning`. Other input (an array, a frame with non-text
    names) is read by position, its columns named ``x0``, ``x1``, ... (scikit-learn's convention).

    Parameters
    ----------
    max_categories : int, default=20
        Most one-hot columns per categorical column (>= 2): the ``max_categories - 1`` most frequent values
        keep their own column, the rest share ``COL=<other>``.
    numeric_text_ratio : float, default=0.9
        Share of number-like values above which a text column is refused as numbers with typos.

    Attributes
    ----------
    preprocessor_ : TablePreprocessor
        The fitted preprocessing (``preprocessor_.to_dict()`` is the JSON a model file stores;
        ``preprocessor_.transform(frame)`` gives the matrix with its notes).
    n_features_in_ : int
        Number of input columns seen in :meth:`fit`.
    feature_names_in_ : ndarray of str, shape (n_features_in_,)
        Column names seen in :meth:`fit`; only when ``X`` was a DataFrame whose column names are all text.
    """

    def __init__(self, max_categories: int = 20, numeric_text_ratio: float = NUMERIC_TEXT_RATIO) -> None:
        self.max_categories = max_categories
        self.numeric_text_ratio = numeric_text_ratio

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # missing values are imputed (and flagged), not refused
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        tags.input_tags.sparse = False
        tags.transformer_tags.preserves_dtype = ["float64"]  # always float64, as the preprocessing computes
        return tags

    def fit(self, X: Any, y: Any = None) -> TableEncoder:
        """Learn each column's kind, fill value, mean, scale and categories from ``X``; returns ``self``.

        A column the preprocessing cannot read (dates, all missing, numbers with a few typos, a value beyond float32's range)
        is a :class:`~hiddenlayers.DataError` (a ``ValueError``) naming it.

        Parameters
        ----------
        X : DataFrame or array of shape (n_samples, n_features)
            The training table.
        y : None
            Ignored (present for ``Pipeline``).
        """
        frame, named = _as_frame(X)
        if frame.shape[1] == 0:
            raise ValueError(f"0 feature(s) (shape={frame.shape}) while a minimum of 1 is required: pass at least one column.")
        for attr in ("feature_names_in_", "n_features_in_", "preprocessor_"):
            self.__dict__.pop(attr, None)  # a refit on unnamed data must not keep the last fit's names
        if not named:
            frame = frame.set_axis([f"x{i}" for i in range(frame.shape[1])], axis=1)
        if not isinstance(self.numeric_text_ratio, (int, float)) or not 0.0 < self.numeric_text_ratio <= 1.0:
            raise ValueError(f"numeric_text_ratio must be a number in (0, 1]. Received: numeric_text_ratio={self.numeric_text_ratio!r}.")
        k = self.max_categories
        k = int(k) if isinstance(k, numbers.Integral) and not isinstance(k, bool) else k  # NumPy integers from a grid too
        pre = TablePreprocessor(max_categories=k, numeric_text_ratio=float(self.numeric_text_ratio))
        self.preprocessor_ = pre.fit(frame)
        self.n_features_in_ = int(frame.shape[1])
        if named:
            self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        return self

    @classmethod
    def from_preprocessor(cls, preprocessor: TablePreprocessor, *, named: bool, **params: Any) -> TableEncoder:
        """A fitted encoder around ``preprocessor``, as :meth:`fit` leaves one.

        Used to give back the ``Pipeline`` a model file stores without refitting.

        Parameters
        ----------
        preprocessor : TablePreprocessor
            A fitted preprocessor (a model file's, :meth:`TablePreprocessor.from_dict`).
        named : bool
            Whether :meth:`fit` read a DataFrame by its text column names (then ``feature_names_in_`` is the
            preprocessor's ``feature_names``; else the columns are read by position and were named ``x0``, ``x1``, ...).
        **params : dict
            The constructor's parameters.
        """
        names = preprocessor.feature_names
        if not names:
            raise ValueError("the preprocessing reads no column: an encoder needs at least one.")
        if not named and names != [f"x{i}" for i in range(len(names))]:
            raise ValueError(f"an encoder fitted by position names its columns x0, x1, ...; this preprocessing reads {names[:3]}")
        enc = cls(**params)
        enc.preprocessor_ = preprocessor
        enc.n_features_in_ = len(names)
        if named:
            enc.feature_names_in_ = np.asarray(names, dtype=object)
        return enc

    def transform(self, X: Any) -> Any:
        """``X`` -> the encoded ``(n_samples, n_outputs)`` float64 array, columns in :meth:`get_feature_names_out`'s order.

        The preprocessing's notes (ignored extra columns, values outside the kept categories, missing cells in a column
        that had none in training) are each a :class:`~hiddenlayers.TableNoteWarning`
        (``warnings.simplefilter("ignore", hl.TableNoteWarning)`` silences them; ``preprocessor_.transform(X).notes``
        returns them instead).

        Parameters
        ----------
        X : DataFrame or array of shape (n_samples, n_features)
            A table with the fitted columns.
        """
        check_is_fitted(self, "preprocessor_")
        frame = self._aligned(X)
        out = self.preprocessor_.transform(frame)
        for note in out.notes:
            warnings.warn(note, TableNoteWarning, stacklevel=user_stacklevel(_SKLEARN))
        return out.matrix

    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> Any:
        """:meth:`fit` then the encoded ``X`` ``(n_samples, n_outputs)``, without :meth:`transform`'s notes.

        On the rows it was fitted on, a value sent to ``<other>`` (rarer than ``max_categories``) is the design, not news,
        and no column is extra or newly missing.

        Parameters
        ----------
        X, y
            As :meth:`fit` takes them: the training table ``(n_samples, n_features)``, and ``y`` ignored.
        **fit_params : dict
            Passed to :meth:`fit`, which takes none (scikit-learn's ``fit_transform`` signature).
        """
        self.fit(X, y, **fit_params)
        return self.preprocessor_.transform(self._aligned(X)).matrix

    def _aligned(self, X: Any) -> Any:
        """``X`` as the frame the fitted preprocessor reads: by name if fitted on text names and given them, else by position."""
        frame, named = _as_frame(X)
        fitted_named = hasattr(self, "feature_names_in_")
        if fitted_named and named:
            return frame
        if frame.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {frame.shape[1]} features, but TableEncoder is expecting {self.n_features_in_} "
                             "features as input: pass the columns it was fitted on.")
        if fitted_named:
            warnings.warn("X does not have valid feature names, but TableEncoder was fitted with feature names: "
                          "its columns are read in the fitted order.", UserWarning, stacklevel=user_stacklevel(_SKLEARN))
        elif named:
            warnings.warn("X has feature names, but TableEncoder was fitted without feature names: its columns are "
                          "read by position.", UserWarning, stacklevel=user_stacklevel(_SKLEARN))
        return frame.set_axis(self.preprocessor_.feature_names, axis=1)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """The output column names (``COL`` for a number, ``COL=value`` / ``COL=<other>`` / ``COL=<missing>`` for one-hot).

        Parameters
        ----------
        input_features : array-like of str, optional
            If given, must be the fitted input names (``feature_names_in_``, else ``x0``, ``x1``, ...).
        """
        check_is_fitted(self, "preprocessor_")
        if input_features is not None:
            expected = list(self.preprocessor_.feature_names)
            if [str(f) for f in input_features] != expected:
                raise ValueError(f"input_features is not equal to feature_names_in_: expected {expected}, got {list(input_features)}.")
        return np.asarray(self.preprocessor_.output_names, dtype=object)
