"""Tabular preprocessing that lives in the model file as plain JSON.

:class:`TablePreprocessor` turns a raw table (a DataFrame, columns in any
order) into the float matrix a network reads:

* numeric columns: missing values filled with the training median, then
  standardised ``(x - mean) / scale``; a ``COL=missing`` indicator column is
  added when the column had missing values in training;
* categorical columns (text, bool-as-text, few-valued objects): one-hot, the
  ``max_categories - 1`` most frequent values kept and the rest sent to a
  ``COL=<other>`` bucket; missing values get their own ``COL=<missing>`` column.
  An ordered pandas ``Categorical`` is one-hot encoded too: its order is not
  used (give ``df[c].cat.codes`` as a numeric column to keep it). A text column
  of ISO dates, or one whose values are all distinct (an ID), is a
  :class:`~hiddenlayers.ColumnWarning` naming it (see :mod:`._column_hints`).

Columns of dates, durations, periods, intervals or complex numbers, repeated
column names and a MultiIndex header are a :class:`DataError` naming them
(see :mod:`._cells`); a whole float in a categorical column is compared as
its integer's text (``2.0`` is category ``"2"``). A column of ``decimal.Decimal``
(``pandas.read_sql``'s NUMERIC column) is numeric, read as floats.

Its whole state is :meth:`to_dict` (JSON types only), so a saved model needs
no pickle. Labels are not encoded here: the estimator's ``classes_`` does it.

>>> import pandas as pd
>>> pre = TablePreprocessor().fit(pd.DataFrame({"a": [1.0, 2.0, 3.0], "c": ["x", "y", "x"]}))
>>> pre.transform(pd.DataFrame({"c": ["y"], "a": [2.0]})).matrix.round(3).tolist()
[[0.0, 0.0, 1.0]]
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._stacklevel import user_stacklevel
from ..exceptions import DataError
from ._cells import (
    at_row,
    category_lookup,
    category_text,
    category_texts,
    check_column_names,
    check_readable,
    decimal_floats,
    is_missing,
    numeric_values,
    refuse_infinite,
)
from ._close_names import lacks_columns
from ._column_hints import warn_column_hints
from ._count_notes import unlearned_missing_note, unseen_note
from ._float32 import F32_MAX
from ._spread import center_spread, unit_scale

NUMERIC_TEXT_RATIO = 0.9
"""A text column whose present cells parse as numbers at least this often is refused by :meth:`TablePreprocessor.fit`
(numbers with a few typos), not read as categories; the data check (``unparseable_numbers``) judges by the same share."""

# The text a CSV cell holds for a missing value: pandas' default ``na_values`` of read_csv
# (pandas._libs.parsers.STR_NA_VALUES; a test checks they agree). The server reads such text
# in a request as missing too, so a category spelled so would be lost when served.
MISSING_TEXT = frozenset({
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA",
    "NULL", "NaN", "None", "n/a", "nan", "null",
})

FORMAT_VERSION = 1
MISSING = "<missing>"
OTHER = "<other>"


@dataclass
class Transformed:
    """The result of :meth:`TablePreprocessor.transform`.

    ``matrix`` is ``(n_rows, n_outputs)`` float64; ``notes`` are one-line
    messages for the user (ignored extra columns, unseen categories).
    """

    matrix: np.ndarray
    notes: list[str] = field(default_factory=list)
    unseen: dict[str, int] = field(default_factory=dict)


def _numeric_or_none(name: str, col: Any, where: Callable[[int], str] | None) -> Any:
    """``col`` as a float64 Series if it is numeric: a numeric dtype, or a column of ``decimal.Decimal``
    (:func:`~._cells.decimal_floats`, which names column ``name`` and its row by ``where`` for one beyond float64); else ``None``."""
    import pandas as pd

    if pd.api.types.is_bool_dtype(col):
        return None
    if pd.api.types.is_numeric_dtype(col):
        return col.astype(np.float64)
    decimals = decimal_floats(name, col, where)
    return None if decimals is None else pd.Series(decimals, index=col.index)


def _check_where(where: Any, method: str) -> None:
    """Refuse a ``where`` that is not a function: a scikit-learn ``Pipeline`` passes ``y`` there (``fit_transform(X, y)``)."""
    if where is not None and not callable(where):
        raise TypeError(f"TablePreprocessor.{method}'s second argument is where (a function naming a row), not "
                        f"{type(where).__name__}: for a scikit-learn Pipeline use hl.TableEncoder (the same encoding, fit(X, y) "
                        "and transform returning an array).")


def _stored_scale(mean: Any, std: Any) -> float:
    """A numeric column's stored scale: :func:`unit_scale`'s, at least float32's smallest normal number (1.2e-38).

    A model file's preprocessing also runs in float32 (its ``.onnx`` export's graph, the server): a smaller scale is 0
    there, and every row NaN. Such a column's values underflow to 0 in float32 anyway; so scaled, they stay ~0.
    """
    return max(float(unit_scale(mean, std)), float(np.finfo(np.float32).tiny))


class TablePreprocessor:
    """Fit on a training table, then transform any table with the same columns.

    This is the preprocessing model files store (:meth:`to_dict`); :meth:`transform` returns a :class:`Transformed`
    (matrix and notes). For a scikit-learn ``Pipeline``, ``GridSearchCV`` or ``clone``, use
    :class:`~hiddenlayers.TableEncoder`: the same encoding as a transformer.

    Ordered categories (``pd.Categorical(..., ordered=True)``) are one-hot encoded like any text:
    their order is ignored, so ``low < mid < high`` are three unrelated columns. To keep the order, pass the codes as numbers
    (``df[c].cat.codes.where(df[c].notna())``: -1 is a missing value). :meth:`fit` warns
    (:class:`~hiddenlayers.ColumnWarning`) for a text column of ISO dates or of all-distinct values (an ID).

    Parameters
    ----------
    max_categories : int
        Caps the one-hot columns of one categorical feature (the rest share an ``<other>`` column).
    numeric_text_ratio : float
        The share of number-like values above which a text column is taken as a numeric column with typos (an error
        naming the bad values, not silent one-hot).
    """

    def __init__(self, max_categories: int = 20, numeric_text_ratio: float = NUMERIC_TEXT_RATIO) -> None:
        if not isinstance(max_categories, int) or max_categories < 2:
            raise ValueError(f"max_categories must be an integer >= 2. Received: max_categories={max_categories!r}.")
        self.max_categories = max_categories
        self.numeric_text_ratio = numeric_text_ratio
        self.columns: list[dict[str, Any]] = []
        self._stream: dict[str, dict[str, Any]] = {}  # partial_fit's running sums, by column

    # ---------------------------------------------------------------- fit
    def fit(self, frame: Any, where: Callable[[int], str] | None = None) -> TablePreprocessor:
        """Learn column kinds, medians, means, scales and categories from ``frame``.

        Parameters
        ----------
        frame : DataFrame
            The training table (features only).
        where : callable, optional
            ``where(i)``: where 0-based row ``i`` of ``frame`` is in the user's file (``"line 7"``), for an error that
            names a row; None: a row is ``"row N"``, counted from 1 (:func:`~._cells.at_row`).
        """
        import pandas as pd

        _check_where(where, "fit")
        if frame.shape[1] == 0:
            raise DataError("the table has no feature columns.")
        if frame.shape[0] == 0:
            raise DataError("the table has no rows to learn from.")
        check_column_names(frame)
        self.columns = []
        self._stream = {}
        for name in frame.columns:
            col = frame[name]
            check_readable(str(name), col)
            num = _numeric_or_none(str(name), col, where)
            if num is None and not pd.api.types.is_bool_dtype(col):
                self._check_numeric_text(str(name), col, where)
            if num is not None:
                values = num.to_numpy()
                _refuse_beyond_float32(str(name), values, where)
                finite = values[~np.isnan(values)]
                if finite.size == 0:
                    raise DataError(f"column '{name}' has no values (all missing): drop it with --features.")
                median = float(np.median(finite))
                filled = np.where(np.isnan(values), median, values)
                mean, std = center_spread(filled)  # at any magnitude; a column in small units keeps its spread
                self.columns.append({
                    "name": str(name), "kind": "numeric", "fill": median, "mean": float(mean),
                    "scale": _stored_scale(mean, std), "missing_indicator": bool(np.isnan(values).any()),
                    "missing_rate": float(np.isnan(values).mean()),
                })
            else:
                text = _category_texts(str(name), col, where)
                counts = text.value_counts(dropna=True)
                # most frequent first, ties in sorted order, so the result is deterministic
                ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
                keep = [k for k, _ in ordered]
                _warn_missing_markers(str(name), keep)
                warn_column_hints(str(name), keep, int(counts.sum()), self.max_categories)
                other = len(keep) > self.max_categories
                if other:
                    keep = keep[: self.max_categories - 1]
                self.columns.append({
                    "name": str(name), "kind": "categorical", "categories": keep, "other": other,
                    "missing_indicator": bool(text.isna().any()),
                    "frequencies": _frequencies(dict(counts.items()), keep, other, int(text.isna().sum())),
                })
        return self

    def partial_fit(self, frame: Any, *, wait_for_values: bool = False) -> TablePreprocessor:
        """Learn the same state as :meth:`fit` from one more chunk of a table too big for memory.

        Call it on each chunk in turn (one streaming pass); after every call the preprocessor is usable. Means and variances
        are merged exactly (Chan et al.), category counts summed; the one difference from :meth:`fit` is the fill value of a
        missing number: the streamed mean, since an exact median needs all values at once. The column kinds come from the
        first chunk.

        Parameters
        ----------
        frame : DataFrame
            The next chunk (the same columns as the first).
        wait_for_values : bool
            False: a numeric column with no value yet is a :class:`DataError`. True: it is left out of the state until a
            later chunk brings one (a column empty in the first files of a folder), and the caller refuses what is still
            empty after its last chunk (:meth:`refuse_empty`).
        """
        import pandas as pd

        if frame.shape[1] == 0:
            raise DataError("the table has no feature columns.")
        check_column_names(frame, "a chunk")
        acc = self._stream
        if acc and list(acc) != [str(c) for c in frame.columns]:
            raise DataError(f"a chunk has columns {[str(c) for c in frame.columns]} but the first had {list(acc)}: every file must have the same columns.")
        for name in frame.columns:
            col = frame[name]
            check_readable(str(name), col)
            st = acc.get(str(name))
            num = _numeric_or_none(str(name), col, lambda _: "a chunk")
            if st is None:
                st = acc[str(name)] = {"kind": "numeric" if num is not None else "categorical", "n": 0, "mean": 0.0, "m2": 0.0, "missing": 0, "counts": {}}
            if st["kind"] == "numeric":
                if num is None:
                    num = pd.to_numeric(col, errors="coerce") if not pd.api.types.is_bool_dtype(col) else None
                    if num is None or bool((num.isna() & ~col.map(is_missing)).any()):
                        raise DataError(f"column '{name}' is numeric in the first chunk but holds text later: fix those cells or leave them empty.")
                values = num.to_numpy(dtype=np.float64)
                _refuse_beyond_float32(str(name), values, None, "a chunk")
                nan = np.isnan(values)
                finite = values[~nan]
                st["missing"] += int(nan.sum())
                if finite.size:  # Chan et al.'s merge of (n, mean, M2)
                    n_b, mean_b = finite.size, float(finite.mean())
                    m2_b = float(((finite - mean_b) ** 2).sum())
                    n = st["n"] + n_b
                    delta = mean_b - st["mean"]
                    st["mean"] += delta * n_b / n
                    st["m2"] += m2_b + delta * delta * st["n"] * n_b / n
                    st["n"] = n
            else:
                text = _category_texts(str(name), col, lambda _: "a chunk")
                st["missing"] += int(text.isna().sum())
                for k, v in text.value_counts(dropna=True).items():
                    st["counts"][k] = st["counts"].get(k, 0) + int(v)
        columns = []
        for name, st in acc.items():
            if not (wait_for_values and st["kind"] == "numeric" and st["n"] == 0):
                columns.append(self._stream_column(name, st))
        self.columns = columns
        return self

    def refuse_empty(self) -> None:
        """The :class:`DataError` of :meth:`partial_fit` for a numeric column that had no value in any chunk (after the last one)."""
        for name, st in self._stream.items():
            if st["kind"] == "numeric" and st["n"] == 0:
                raise DataError(f"column '{name}' has no values (all missing): drop it with --features.")

    def streamed_counts(self) -> dict[str, dict[str, int]]:
        """Each categorical column's present values (as category text) and their counts so far, from :meth:`partial_fit`.

        The data check of a streamed table reads them (constant, ID, dates and numbers as text), so the values are counted once.
        """
        return {name: dict(st["counts"]) for name, st in self._stream.items() if st["kind"] == "categorical"}

    def _stream_column(self, name: str, st: dict[str, Any]) -> dict[str, Any]:
        """One column's :meth:`fit`-style state from the streamed accumulators."""
        if st["kind"] == "numeric":
            if st["n"] == 0:
                raise DataError(f"column '{name}' has no values (all missing): drop it with --features.")
            # missing values are filled with the mean: they add rows but no spread
            std = float(np.sqrt(st["m2"] / (st["n"] + st["missing"])))
            return {"name": name, "kind": "numeric", "fill": st["mean"], "mean": st["mean"], "scale": _stored_scale(st["mean"], std),
                    "missing_indicator": st["missing"] > 0, "missing_rate": st["missing"] / (st["n"] + st["missing"])}
        ordered = sorted(st["counts"].items(), key=lambda kv: (-kv[1], kv[0]))
        keep = [k for k, _ in ordered]
        if not st.get("marked"):  # once per column, not once per chunk (as the hints below)
            st["marked"] = _warn_missing_markers(name, keep)
        if not st.get("hinted"):  # once per column, not once per chunk
            st["hinted"] = warn_column_hints(name, keep, sum(st["counts"].values()), self.max_categories) is not None
        other = len(keep) > self.max_categories
        if other:
            keep = keep[: self.max_categories - 1]
        return {"name": name, "kind": "categorical", "categories": keep, "other": other, "missing_indicator": st["missing"] > 0,
                "frequencies": _frequencies(st["counts"], keep, other, st["missing"])}

    def _check_numeric_text(self, name: str, col: Any, where: Callable[[int], str] | None) -> None:
        import pandas as pd

        mask = ~col.map(is_missing).to_numpy(dtype=bool)
        present = col[mask]
        if present.empty:
            raise DataError(f"column '{name}' has no values (all missing): drop it with --features.")
        parsed = pd.to_numeric(present.astype(str).str.strip(), errors="coerce")
        ok = parsed.notna().to_numpy()
        if ok.mean() >= self.numeric_text_ratio and not ok.all():
            bad = present[~ok]
            examples = ", ".join(repr(str(v)) for v in bad.unique()[:3])
            row = int(np.flatnonzero(mask)[np.flatnonzero(~ok)[0]])  # a position, whatever the frame's index labels
            raise DataError(
                f"column '{name}' is numeric but holds text in {len(bad)} row(s) (e.g. {examples} at {at_row(row, where)}): "
                "fix those cells or leave them empty for missing."
            )

    # ----------------------------------------------------------- transform
    @property
    def feature_names(self) -> list[str]:
        """Input column names, in the order the model was trained on."""
        return [c["name"] for c in self.columns]

    @property
    def output_names(self) -> list[str]:
        """Names of the matrix columns :meth:`transform` returns."""
        out: list[str] = []
        for c in self.columns:
            if c["kind"] == "numeric":
                out.append(c["name"])
                if c["missing_indicator"]:
                    out.append(f"{c['name']}={MISSING}")
            else:
                out.extend(f"{c['name']}={v}" for v in c["categories"])
                if c["other"]:
                    out.append(f"{c['name']}={OTHER}")
                if c["missing_indicator"]:
                    out.append(f"{c['name']}={MISSING}")
        return out

    def transform(self, frame: Any, where: Callable[[int], str] | None = None) -> Transformed:
        """``frame`` -> :class:`Transformed` (the encoded matrix and the notes).

        Parameters
        ----------
        frame : DataFrame
            A table with the fitted columns, in any order (extra columns are ignored).
        where : callable, optional
            As in :meth:`fit`.
        """
        import pandas as pd

        _check_where(where, "transform")
        if not self.columns:
            raise DataError("the preprocessing is not fitted: call fit first.")
        check_column_names(frame)
        names = self.feature_names
        have = {str(c) for c in frame.columns}
        missing = [n for n in names if n not in have]
        if missing:
            raise DataError(lacks_columns(missing, [c for c in frame.columns if str(c) not in set(names)]))
        notes: list[str] = []
        extra = [c for c in frame.columns if str(c) not in set(names)]
        if extra:
            notes.append(f"ignored {len(extra)} column(s) the model does not use: {', '.join(str(e) for e in extra[:5])}{' ...' if len(extra) > 5 else ''}")
        frame = frame.rename(columns=str)
        n = frame.shape[0]
        blocks: list[np.ndarray] = []
        unseen: dict[str, int] = {}
        unlearned: dict[str, int] = {}  # missing cells of numeric columns that had none in training (no indicator learned)
        for c in self.columns:
            col = frame[c["name"]]
            check_readable(c["name"], col, c.get("categories"))
            if c["kind"] == "numeric":
                values = numeric_values(c["name"], col, where)  # booleans as 1.0/0.0, text as numbers; the rule in _cells
                isnan = np.isnan(values)
                filled = np.where(isnan, c["fill"], values)
                blocks.append(((filled - c["mean"]) / c["scale"]).reshape(n, 1))
                if c["missing_indicator"]:
                    blocks.append(isnan.astype(np.float64).reshape(n, 1))
                elif isnan.any():
                    unlearned[c["name"]] = int(isnan.sum())
            else:
                text = _category_texts(c["name"], col, where)
                k = len(c["categories"])
                width = k + int(c["other"]) + int(c["missing_indicator"])
                lookup = category_lookup(c["categories"])
                codes = pd.Series(text.to_numpy(dtype=object)).map(lookup).fillna(-1).to_numpy(dtype=np.intp)  # -1: unseen or missing
                isna = text.isna().to_numpy()
                _numeric_text_codes(text, codes, isna, lookup)
                new = (codes < 0) & ~isna
                block = np.zeros((n, width))
                rows = np.flatnonzero(codes >= 0)
                block[rows, codes[rows]] = 1.0
                if c["other"]:
                    block[new, k] = 1.0
                if c["missing_indicator"]:
                    block[isna, width - 1] = 1.0
                n_unseen = int(new.sum())
                if n_unseen:
                    unseen[c["name"]] = n_unseen
                blocks.append(block)
        if unseen:
            notes.append(unseen_note(unseen))
        if unlearned:
            notes.append(unlearned_missing_note(unlearned))
        matrix = np.hstack(blocks) if blocks else np.zeros((n, 0))
        return Transformed(matrix=matrix, notes=notes, unseen=unseen)

    def fit_transform(self, frame: Any, where: Callable[[int], str] | None = None) -> Transformed:
        """:meth:`fit` then :meth:`transform` on the same table.

        Parameters
        ----------
        frame : DataFrame
            The training table (features only).
        where : callable, optional
            As in :meth:`fit`.
        """
        return self.fit(frame, where).transform(frame, where)

    def training_mean(self) -> np.ndarray | None:
        """The mean of the training rows' encoded matrix, ``(n_features,)`` in :meth:`output_names`' order; None when not stored.

        What the lens's ``"mean"``/``"auto"`` attribution baseline needs of a model that reads a raw table: 0 for a
        standardised numeric column (its training mean), a missing-value indicator's training missing rate, and the
        training frequency of each one-hot column (each kept category, ``<other>``, missing). A state written before
        these were stored (no ``missing_rate``/``frequencies``) gives None.
        """
        parts: list[float] = []
        for c in self.columns:
            if c["kind"] == "numeric":
                parts.append(0.0)
                if c["missing_indicator"]:
                    if "missing_rate" not in c:
                        return None
                    parts.append(float(c["missing_rate"]))
            else:
                if "frequencies" not in c:
                    return None
                parts.extend(float(f) for f in c["frequencies"])
        return np.asarray(parts, dtype=np.float64)

    # ------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        """The complete state as JSON types (stored in the model file)."""
        return {
            "kind": "table", "version": FORMAT_VERSION, "max_categories": self.max_categories,
            "columns": [dict(c) for c in self.columns],
        }

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> TablePreprocessor:
        """Rebuild from :meth:`to_dict`'s output; a damaged state is a :class:`DataError`.

        Parameters
        ----------
        state : dict
            What :meth:`to_dict` returned (as a model file stores it).
        """
        try:
            if state.get("kind") != "table" or int(state["version"]) > FORMAT_VERSION:
                raise DataError(f"unsupported preprocessing format {state.get('kind')!r} v{state.get('version')!r}: upgrade hiddenlayers.")
            pre = cls(max_categories=int(state["max_categories"]))
            cols = [dict(c) for c in state["columns"]]
            for c in cols:
                if c["kind"] not in ("numeric", "categorical"):
                    raise DataError(f"unknown preprocessing column kind {c['kind']!r}.")
                flags = [c["missing_indicator"]] + ([c["other"]] if c["kind"] == "categorical" else [])
                # bool(None) passed, and so did an int such as -1, which transform's int() made a column too few: IndexError at predict
                if not isinstance(c["name"], str) or not all(isinstance(f, (bool, int, np.bool_, np.integer)) and f in (0, 1) for f in flags):
                    raise ValueError(f"column {c['name']!r} has a name that is not text or a flag that is not true/false")
                if c["kind"] == "numeric":
                    float(c["fill"]), float(c["mean"]), float(c["scale"])
                    if "missing_rate" in c:  # optional: older files lack it
                        float(c["missing_rate"])
                else:
                    if not isinstance(c["categories"], list) or not all(isinstance(v, str) for v in c["categories"]):
                        raise ValueError(f"column {c['name']!r} has categories that are not a list of text")
                    width = len(c["categories"]) + int(bool(c["other"])) + int(bool(c["missing_indicator"]))
                    if "frequencies" in c and len([float(f) for f in c["frequencies"]]) != width:  # optional: older files lack it
                        raise ValueError(f"column {c['name']!r} has {len(c['frequencies'])} frequencies for {width} encoded columns")
        except DataError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise DataError(f"the stored preprocessing is damaged ({type(exc).__name__}: {exc}).") from None
        pre.columns = cols
        return pre


def _frequencies(counts: dict[Any, int], keep: list[str], other: bool, missing: int) -> list[float]:
    """The training fraction of rows in each one-hot column of a categorical column: each kept category in ``keep``'s
    order, then ``<other>`` (the values beyond ``keep``, when ``other``), then missing (when any was)."""
    total = sum(int(v) for v in counts.values()) + missing
    freq = [int(counts.get(k, 0)) / total for k in keep]
    if other:
        freq.append((total - missing - sum(int(counts.get(k, 0)) for k in keep)) / total)
    if missing:
        freq.append(missing / total)
    return freq


def _refuse_beyond_float32(name: str, values: np.ndarray, where: Callable[[int], str] | None, chunk: str = "") -> None:
    """A DataError for an infinite value of numeric column ``name``, or one beyond ±3.4e38 (float32's range).

    The network computes in float32, and ``predict`` refuses such a value (cli ``check_float32``); in training
    it would also overflow the column's variance to ``inf``, a scale no model file can store. ``where`` names
    the row as in :meth:`TablePreprocessor.fit`; ``chunk`` (partial_fit's ``"a chunk"``) replaces it.
    """
    refuse_infinite(name, values, where, chunk)
    with np.errstate(invalid="ignore"):
        big = np.flatnonzero(np.abs(values) > F32_MAX)
    if big.size:
        place = chunk or at_row(int(big[0]), where)
        raise DataError(f"column '{name}' must be within ±3.4e38 (float32, which the model computes in) but {place} holds "
                        f"{float(values[big[0]]):.3g}: fix the value or leave it empty.")


def _warn_missing_markers(name: str, categories: list[str]) -> bool:
    """Warn when a category is spelled as a missing value ("NA", "null", "", ...); whether it warned.

    In a DataFrame such text is a value, and the model learns it as a category;
    the CSV reader reads the same text as missing, so ``hiddenlayers predict`` on a CSV
    never meets that category (the server does: the exact text of a learned category is that
    category there, and null is missing). The warning names the user's line.
    """
    marked = [c for c in categories if c.lstrip(" ") in MISSING_TEXT]
    if marked:
        shown = ", ".join(repr(c) for c in marked[:3]) + (f" (+{len(marked) - 3} more)" if len(marked) > 3 else "")
        warnings.warn(
            f"column '{name}' has the category {shown}, which CSV files read as a missing value, so the model given a CSV "
            "(hiddenlayers predict) will not see it (the server takes the exact text as this category): rename the category "
            "(e.g. 'N.A.') or make those cells missing.",
            UserWarning, stacklevel=user_stacklevel(),
        )
    return bool(marked)


def _numeric_text_codes(text: Any, codes: np.ndarray, isna: np.ndarray, lookup: dict[str, int]) -> None:
    """Fill in place the ``codes`` of cells whose text matched no category but spells a number whose category text does:
    ``"1.0"`` is category ``"1"``, as pandas reads ``1.0`` from a column of numbers (a streamed CSV reads a categorical
    column as text, ``ParquetSource(text_columns=)``, so its ``1.0`` met the ``1`` a whole read learnt)."""
    import pandas as pd

    todo = np.flatnonzero((codes < 0) & ~isna)
    if not len(todo):
        return
    numbers = pd.to_numeric(pd.Series(text.to_numpy(dtype=object)[todo]), errors="coerce").to_numpy(dtype=np.float64)
    for i, v in zip(todo, numbers):
        if np.isfinite(v):
            code = lookup.get(category_text(float(v)))
            if code is not None:
                codes[i] = code


def _category_texts(name: str, col: Any, where: Callable[[int], str] | None) -> Any:
    """``col``'s cells as category text (:func:`~._cells.category_texts`: ``None`` where missing, an infinite number refused
    naming the row by ``where``), as a Series on ``col``'s index."""
    import pandas as pd

    return pd.Series(category_texts(name, col.to_numpy(dtype=object), where), index=col.index, dtype=object)


__all__ = ["MISSING", "MISSING_TEXT", "OTHER", "TablePreprocessor", "Transformed"]
