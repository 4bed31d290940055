"""The checks of per-row weights (``sample_weight``): one rule set for :func:`hiddenlayers.check` and ``check --sample-weight``.

:func:`weight_problem` is what ``fit(sample_weight=)`` refuses (numbers, none missing, finite,
none negative, not all zero), said with the first bad row; :func:`weight_findings` turns it into
the report's findings, with ``zero_weight`` (rows training leaves out) and ``skewed_weights``
(Kish's effective sample size under a tenth of the rows) when the weights are usable. ``label``
names the weights in every message (``"sample_weight"``; the CLI: ``"--sample-weight column 'w'"``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .common import Finding, preview

SKEWED_SHARE = 0.1  # skewed_weights: Kish's effective sample size under this share of the rows
SKEWED_MIN_ROWS = 20  # ... on at least this many rows (a handful of rows has no meaningful effective size)


def weight_problem(values: Any, label: str, where: Callable[[int], str] | None = None, *,
                   scope: str = "") -> tuple[str, str, np.ndarray] | None:
    """``(what is wrong, how to fix it, the bad rows)`` of the weights ``values``, or None when ``fit`` takes them.

    The checks are ``fit``'s (``estimators.check_sample_weight``), in its words where it has them, the first failing one
    said. The bad rows are 0-based positions in ``values`` (empty when every row is 0).

    Parameters
    ----------
    values : Series
        One weight per row.
    label : str
        How the message names the weights.
    where : callable, optional
        ``where(row)`` says where a 0-based row is in the user's file (``"line 7"``); ``"row N"`` (1-based) without it.
    scope : str
        Follows the count of bad rows (``" in this batch"``: a streamed record batch, where the count is the batch's).
    """
    import pandas as pd

    def at(row: int) -> str:
        return where(row) if where is not None else f"row {row + 1}"

    def first(mask: np.ndarray, kind: str = "") -> tuple[np.ndarray, int, str]:
        """The rows of ``mask``, its first and how many there are (``"2 rows"``, ``"1 negative row"``)."""
        rows = np.flatnonzero(mask)
        return rows, int(rows[0]), f"{len(rows)} {kind}row{'s' if len(rows) > 1 else ''}{scope}"

    if pd.api.types.is_bool_dtype(values):  # True/False as 1/0, as every numeric column reads booleans
        values = values.astype(np.float64)
    num = pd.to_numeric(values, errors="coerce")
    text = (num.isna() & values.notna()).to_numpy()
    if text.any():
        rows, row, count = first(text)
        return (f"{label} must hold numbers but holds {str(values.iloc[row])!r} ({at(row)}; {count}):",
                "fix it, or choose other weights.", rows)
    w = np.asarray(num.to_numpy(dtype=np.float64), dtype=np.float64)
    if np.isnan(w).any():
        rows, row, count = first(np.isnan(w))
        return (f"{label} has no value on {at(row)} ({count}): Input sample_weight contains NaN.",
                "Give every row a weight (0 leaves a row out).", rows)
    if np.isinf(w).any():
        rows, row, count = first(np.isinf(w))
        return (f"{label} holds {w[row]:g} ({at(row)}; {count}): Input sample_weight contains infinity.",
                "Give every row a finite weight.", rows)
    if (w < 0).any():
        rows, row, count = first(w < 0, "negative ")
        return (f"{label} holds {w[row]:g} ({at(row)}; {count}): sample_weight must be >= 0, as a negative "
                "weight rewards mispredicting its row.", "Drop those rows or give them weight 0.", rows)
    if len(w) and not w.any():
        return (f"{label} is 0 on every row: Sample weights must contain at least one non-zero number.",
                "Give some rows a weight > 0.", np.array([], dtype=np.int64))
    return None


def weight_findings(values: Any, label: str, columns: tuple[str, ...] = (), where: Callable[[int], str] | None = None) -> list[Finding]:
    """The findings of the weights ``values``.

    ``sample_weight`` (fatal) when ``fit`` would refuse them (:func:`weight_problem`), else ``zero_weight`` (info) for
    rows of weight 0, which training leaves out, and ``skewed_weights`` (warning) when Kish's effective sample size
    ``sum(w)**2 / sum(w**2)`` is under a tenth of the rows (on 20 rows or more): a few rows carry the fit.

    Parameters
    ----------
    values : Series
        One weight per row.
    label : str
        How the messages name the weights.
    columns : tuple of str
        The weight column's name, when the weights are one.
    where : callable, optional
        A row's place, as :func:`~hiddenlayers.data.at_row` takes it.
    """
    problem = weight_problem(values, label, where)
    if problem is not None:
        what, fix, rows = problem
        return [Finding("sample_weight", "fatal", what.rstrip(":"), fix[:1].lower() + fix[1:], tuple(int(r) for r in rows), columns)]
    w = as_weights(values)
    found = []
    zero = np.flatnonzero(w == 0)
    if zero.size:
        found.append(Finding("zero_weight", "info", f"{zero.size} row(s) have weight 0 in {label}: rows {preview(zero)}",
                             "training leaves them out (as dropping them); give them a weight > 0 to use them", tuple(int(r) for r in zero), columns))
    n_eff = float(w.sum() ** 2 / (w**2).sum())
    if len(w) >= SKEWED_MIN_ROWS and n_eff < SKEWED_SHARE * len(w):
        found.append(Finding("skewed_weights", "warning", f"the weights in {label} are so uneven that {len(w):,} rows count as "
                             f"{n_eff:.1f} (Kish's effective sample size): a few rows carry the fit and its held-out metrics are noisy",
                             "check the weights (a wrong unit or scale?), or cap the largest", (), columns, {"effective_rows": n_eff}))
    return found


def as_weights(values: Any) -> np.ndarray:
    """Weights that :func:`weight_problem` passed, as a writable float64 array ``(n_rows,)`` (booleans as 1/0).

    Parameters
    ----------
    values : Series or array-like
        One weight per row.
    """
    import pandas as pd

    if pd.api.types.is_bool_dtype(values):
        values = values.astype(np.float64)
    return np.array(pd.to_numeric(values).to_numpy(dtype=np.float64), dtype=np.float64)  # a copy: torch warns on a read-only array


def length_finding(n_weights: int, n_rows: int, shape: tuple[int, ...]) -> Finding:
    """The fatal ``sample_weight`` finding of weights that are not one per row of the table (``shape``: theirs)."""
    what = f"an array of shape {shape}" if len(shape) != 1 else f"{n_weights:,} values"
    return Finding("sample_weight", "fatal", f"sample_weight has {what} for the {n_rows:,} rows of X",
                   "pass one weight per row of X, in X's order, as a 1-D array")


__all__ = ["SKEWED_MIN_ROWS", "SKEWED_SHARE", "as_weights", "length_finding", "weight_findings", "weight_problem"]
