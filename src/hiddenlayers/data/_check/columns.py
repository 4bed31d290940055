"""Checks of single columns: missing values (and whether missingness predicts the
target), constant and near-constant columns, ID-like columns, dates and numbers as text
(target leakage is :mod:`.leakage`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._column_hints import NumbersAsText, dates_as_text, number_fix, numbers_as_text
from .blocks import float_blocks, plain_columns
from .common import Finding, preview


def missing_values_findings(cols: list[tuple[str, float]]) -> list[Finding]:
    """The ``missing_values`` finding of ``(column, share missing)`` pairs, for the in-memory and streamed checks."""
    if not cols:
        return []
    many = [c for c, f in cols if f >= 0.5]
    desc = preview([f"{c} {f:.0%}" for c, f in sorted(cols, key=lambda cf: -cf[1])])
    return [Finding("missing_values", "warning" if many else "info", f"{len(cols)} column(s) have missing values: {desc}",
                    "they are imputed (mean / most frequent) with an indicator column; drop columns that are mostly empty",
                    columns=tuple(c for c, _ in cols))]


def check_missing(frame: Any, y: np.ndarray | None, task: str | None) -> list[Finding]:
    """Missing values per column and per row, and columns whose missingness predicts the target (chi² / Mann-Whitney)."""
    out: list[Finding] = []
    n = len(frame)
    if n == 0 or frame.shape[1] == 0:
        return out
    M = frame.isna().to_numpy()
    frac = M.mean(axis=0)
    cols = [(str(c), f) for c, f in zip(frame.columns, frac) if 0 < f < 1]
    out += missing_values_findings(cols)
    if frame.shape[1] >= 2:
        row_frac = M.mean(axis=1)
        bad = np.flatnonzero(row_frac >= 0.5)
        if bad.size:
            out.append(Finding("missing_rows", "warning", f"{bad.size} row(s) miss at least half their values: rows {preview(bad)}",
                               "drop or complete these rows", rows=tuple(int(r) for r in bad)))
    if y is not None and task is not None and n >= 20:
        out += _missing_predicts(frame, M, frac, y, task)
    return out


def _missing_predicts(frame: Any, M: np.ndarray, frac: np.ndarray, y: np.ndarray, task: str) -> list[Finding]:
    hits = []
    labels, codes = np.unique(y.astype(str), return_inverse=True) if task == "classification" else (None, None)
    for j, c in enumerate(frame.columns):
        if not 0.01 <= frac[j] <= 0.99:
            continue
        m = M[:, j]
        if labels is not None and codes is not None:
            found = missing_label_test(np.bincount(codes[m], minlength=labels.size), np.bincount(codes[~m], minlength=labels.size))
        else:
            found = missing_value_test(y, m)
        if found is not None and found[0] < 1e-3 and found[1] >= 0.1:
            hits.append((str(c), *found))
    return missing_predicts_finding(hits)


def missing_value_test(y: np.ndarray, m: np.ndarray) -> tuple[float, float] | None:
    """``(p, effect)`` of whether a column's missingness goes with a numeric target ``y`` (shape (rows,)): the Mann-Whitney
    test of ``y`` where the column is missing (``m``, bool) against where it is not, and the gap between the two medians in
    SDs of ``y``. None when it cannot be judged. What check() and the streamed check share for regression.
    """
    from scipy import stats

    try:
        p = stats.mannwhitneyu(y[m], y[~m]).pvalue
    except ValueError:
        return None
    return float(p), float(abs(np.median(y[m]) - np.median(y[~m])) / (np.std(y) or 1.0))


def missing_label_test(missing: np.ndarray, present: np.ndarray) -> tuple[float, float] | None:
    """``(p, effect)`` of whether a column's missingness goes with the class: chi² of the labels' counts on the rows where
    it is ``missing`` and where it is ``present`` (one count per class, same order), and the largest gap between the two
    rows' class shares. None when it cannot be judged (fewer than 2 classes). What check() and the streamed check share.
    """
    from scipy import stats

    if missing.size < 2:
        return None
    table = np.stack([missing, present])
    table = table[:, table.sum(axis=0) > 0]
    try:
        p = stats.chi2_contingency(table)[1]
    except ValueError:
        return None
    effect = float(np.abs(table[0] / table[0].sum() - table[1] / table[1].sum()).max())
    return float(p), effect


def missing_predicts_finding(hits: list[tuple[str, float, float]]) -> list[Finding]:
    """The ``missing_predicts_target`` finding of the columns ``hits`` (``(column, p, effect)``, p < 0.001); [] if none."""
    if not hits:
        return []
    return [Finding("missing_predicts_target", "warning",
                    f"whether {preview([h[0] for h in hits])} is missing predicts the target (p < 0.001)",
                    "keep the missing-value indicator if this is real signal; if missingness was caused by the outcome, it is a leak: fix the data collection",
                    columns=tuple(h[0] for h in hits), details={"p_values": {h[0]: h[1] for h in hits}})]


def check_constant(frame: Any, near: float = 0.99) -> list[Finding]:
    """Constant columns (one value) and near-constant ones (one value in ``near`` of the rows or more).

    Plain numeric columns without missing values are judged a block at a time (:mod:`.blocks`), the others one by one.
    """
    if len(frame) < 2:
        return []
    kinds: dict[int, str | None] = {}
    for pos, W in float_blocks(frame, np.flatnonzero(plain_columns(frame))):
        kinds.update(_constant_block(pos, W, near))
    const, almost = [], []
    for j, c in enumerate(frame.columns):
        kind = kinds[j] if j in kinds else _constant_kind(frame[c], len(frame), near)
        if kind == "constant":
            const.append(str(c))
        elif kind == "near":
            almost.append(str(c))
    return constant_findings(const, almost, near)


def _constant_block(pos: np.ndarray, W: np.ndarray, near: float) -> dict[int, str | None]:
    """:func:`_constant_kind` of each row of ``W`` (shape (columns, rows), float64) without NaN, by column position."""
    n = W.shape[1]
    full = np.flatnonzero(~np.isnan(W).any(axis=1))
    V = W if full.size == len(W) else W[full]
    # a value held by more than half the rows is the median: O(rows), no sort or hash
    top = np.partition(V, n // 2, axis=1)[:, n // 2]
    n_top = np.count_nonzero(V == top[:, None], axis=1)
    share = n_top / n
    return {int(pos[r]): "constant" if k == n else "near" if s >= near else None for r, k, s in zip(full.tolist(), n_top.tolist(), share.tolist())}


def _constant_kind(s: Any, n: int, near: float) -> str | None:
    """``"constant"``, ``"near"`` (one value in ``near`` of the ``n`` rows or more) or None for the column ``s`` (Series)."""
    import pandas as pd

    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        v = s.to_numpy(dtype=np.float64, na_value=np.nan)
        v = v[~np.isnan(v)]
        if v.size == 0:
            return None  # reported as an empty column
        top = np.partition(v, v.size // 2)[v.size // 2]
        n_top = np.count_nonzero(v == top)
        return "constant" if n_top == v.size else "near" if n_top / n >= near else None
    col = s.dropna()
    if col.empty:
        return None
    counts = col.value_counts(sort=True)
    return "constant" if counts.size == 1 else "near" if counts.iloc[0] / n >= near else None


def constant_findings(const: list[str], almost: list[str], near: float) -> list[Finding]:
    """The ``constant_columns`` and ``near_constant_columns`` findings of the columns found, for the in-memory and streamed checks."""
    out = []
    if const:
        out.append(Finding("constant_columns", "warning", f"{len(const)} column(s) hold a single value: {preview(const)}",
                           "drop them: a constant carries no information", columns=tuple(const)))
    if almost:
        out.append(Finding("near_constant_columns", "info", f"{len(almost)} column(s) hold one value in {near:.0%}+ of rows: {preview(almost)}",
                           "check they are meant to be that way; consider dropping them", columns=tuple(almost)))
    return out


def _all_distinct_ints(frame: Any) -> dict[int, bool]:
    """Whether each NumPy integer column holds a different value in every row, by column position (sorted a block at a time)."""
    from .blocks import BLOCK_BYTES

    dtypes = frame.dtypes.to_numpy()
    plain = np.flatnonzero(plain_columns(frame) & np.array([t.kind in "iu" for t in dtypes], dtype=bool))
    out: dict[int, bool] = {}
    step = max(1, BLOCK_BYTES // max(8 * len(frame), 1))
    for t in {dtypes[j] for j in plain}:
        same = plain[dtypes[plain] == t]
        for start in range(0, len(same), step):
            pos = same[start:start + step]
            S = np.sort(frame.iloc[:, pos].to_numpy().T, axis=1)  # in the column's own dtype: no rounding of large integers
            out.update(zip(pos.tolist(), (np.diff(S, axis=1) != 0).all(axis=1).tolist()))
    return out


def numbers_finding(numbers: list[str], written: dict[str, tuple[str, NumbersAsText]]) -> Finding:
    """The ``numeric_text_columns`` finding for ``numbers`` (column names), its fix named for each way they are written.

    ``written``: each way of writing found (``"plain"``, ``"decimal_comma"``, ``"thousands"``, ``"percent"``,
    ``"currency"``) and the first column so written, whose own fix (:func:`number_fix`) is quoted.
    """
    words = {"decimal_comma": "decimal commas ('0,2'), which a CSV reader takes as text unless told decimal=','",
             "thousands": "thousands separators ('1,234'), which a CSV reader takes as text unless told thousands=','",
             "percent": "percent signs ('12%')", "currency": "currency symbols ('$1,200.50')", "unit": "a unit ('2.5 kg')"}
    how = [words[k] for k in words if k in written]
    said = "some written with " + "; some with ".join(how) if how else "a CSV file of the same values is read as numbers"
    fixes = [f"{col}: {number_fix(found, col)}" for kind, (col, found) in written.items() if kind != "plain"]
    return Finding("numeric_text_columns", "warning", f"{len(numbers)} column(s) hold numbers as text, read as categories (unordered, "
                   f"a new value unknown; {said}): {preview(numbers)}",
                   "convert them first (df[col] = pd.to_numeric(df[col]), or write them to Parquet as number columns); "
                   + "".join(f"{f} " for f in fixes) + "codes with leading zeros (zip codes) stay text", columns=tuple(numbers),
                   details={"written": {kind: [col, *found] for kind, (col, found) in written.items()}})


def check_id_like(frame: Any) -> list[Finding]:
    """Integer or text columns with a different value in every row (IDs, names), and text columns of ISO dates or of numbers.

    A text column of dates (``2021-01-03``) is reported as dates, not as an ID,
    whether its values repeat or not, and a text column of numbers (``"1.5"``,
    a Parquet string column) as numbers, unless they are whole numbers in a
    different row each (an ID) or codes (``"02139"``); by the preprocessing's own
    tests (:mod:`.._column_hints`), so each column gets one reason.
    """
    import pandas as pd

    n = len(frame)
    ids, dates, numbers = [], [], []
    written: dict[str, tuple[str, NumbersAsText]] = {}  # how numbers are written ('decimal_comma', 'percent', ...): the first such column
    distinct = _all_distinct_ints(frame)
    for j, (c, t) in enumerate(zip(frame.columns, frame.dtypes)):
        if pd.api.types.is_float_dtype(t) or pd.api.types.is_bool_dtype(t) or (n < 20 and not (pd.api.types.is_object_dtype(t) or pd.api.types.is_string_dtype(t))):
            continue  # neither an ID (floats, bools) nor text
        if j in distinct:
            if distinct[j]:
                ids.append(str(c))
            continue
        s = frame[c]
        is_id = n >= 20 and not (pd.api.types.is_float_dtype(s) or pd.api.types.is_bool_dtype(s) or s.isna().any()) and s.nunique() == n
        if pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s):
            present = s.dropna()
            values = present.astype(str).value_counts().index.tolist() if not present.empty else []
            if values and dates_as_text(values) is not None:
                dates.append(str(c))
                continue
            found = numbers_as_text(values) if values else None
            if found is not None and not (is_id and found.whole and not found.written):
                numbers.append(str(c))
                written.setdefault(found.written or "plain", (str(c), found))
                continue
        if is_id:
            ids.append(str(c))
    out = []
    if ids:
        out.append(Finding("id_columns", "warning", f"{len(ids)} column(s) look like IDs (a different value in every row): {preview(ids)}",
                           "drop them (--features, or X.drop(columns=...)): a network memorises IDs and learns nothing general", columns=tuple(ids)))
    if dates:
        out.append(Finding("date_text_columns", "warning", f"{len(dates)} column(s) hold dates as text, read as categories (one per date, "
                           f"unordered, a new date unknown): {preview(dates)}",
                           "turn them into numbers first (e.g. days since a start date, day of week, month) or drop them (--features)",
                           columns=tuple(dates)))
    if numbers:
        out.append(numbers_finding(numbers, written))
    return out
