"""Checks of the table itself: ragged and empty lines in a CSV file, unparseable
numbers, infinite numbers, mixed types in a column, empty and all-missing
columns, and new data whose columns are not the training table's."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from .._cells import is_missing
from .._csv_rows import Records
from .blocks import float_blocks, plain_columns
from .common import Finding, preview

_MAX_SCAN_BYTES = 2_000_000_000


def file_findings(records: Records) -> list[Finding]:
    """Ragged rows (a field count unlike the header's) and empty lines, with 1-based line numbers.

    The records hold the one rule for ragged rows, the one :func:`read_table` drops them by, so the finding names exactly
    the lines every command drops.

    Parameters
    ----------
    records : Records
        The :class:`~._csv_rows.Records` of a CSV/TSV file, from ``read_table(path).records()`` or :func:`scan_file`.
    """
    short, long = records.start[records.short].tolist(), records.start[records.long].tolist()
    out = []
    if short or long:
        lines = sorted(short + long)
        parts = [f"{len(short)} short" if short else "", f"{len(long)} long" if long else ""]
        out.append(Finding(
            "ragged_rows", "warning",
            f"{len(lines)} row(s) ({', '.join(x for x in parts if x)}) do not have the header's {records.width} fields: line(s) {preview(lines)}",
            "fix or delete those lines: hiddenlayers drops rows of the wrong width when it reads the file",
            rows=tuple(lines), details={"short": short, "long": long, "fields": records.width}))
    empty = records.blank.tolist()
    if empty:
        out.append(Finding("empty_rows", "info", f"{len(empty)} empty line(s) in the file: line(s) {preview(empty)}",
                           "delete them (they are skipped when reading)", rows=tuple(empty)))
    return out


def scan_file(path: str | os.PathLike[str]) -> list[Finding]:
    """:func:`file_findings` of a CSV/TSV file (by its suffix, as :func:`read_table` reads it); other files return none.

    For a table read by other means (pandas pads short rows with missing values and skips blank lines, so only the raw
    file shows them). A file the scanner cannot parse, or one over 2 GB, returns none: reading it says why.

    Parameters
    ----------
    path : str or PathLike
        The file.
    """
    from .._csv_rows import scan
    from .._table import SUFFIXES

    p = Path(path)
    kind = SUFFIXES.get(p.suffix.lower())
    if kind not in ("csv", "tsv") or not p.is_file() or p.stat().st_size > _MAX_SCAN_BYTES:
        return []
    try:
        return file_findings(scan(p, "\t" if kind == "tsv" else ","))
    except ValueError:  # unparseable quoting or text that is not UTF-8
        return []


def _kinds(values: Any) -> dict[str, int]:
    """Count of each Python kind (number, text, bool, other) among non-missing values of an object column."""
    counts: dict[str, int] = {}
    for v in values:
        if isinstance(v, (bool, np.bool_)):
            k = "bool"
        elif isinstance(v, (int, float, np.integer, np.floating)):
            k = "number"
        elif isinstance(v, str):
            k = "text"
        else:
            k = type(v).__name__
        counts[k] = counts.get(k, 0) + 1
    return counts


def check_columns_shape(frame: Any, sample: int = 20000) -> list[Finding]:
    """Columns the model cannot read (fatal: dates, durations, ...), unparseable numbers, mixed types, and empty or all-missing columns of ``frame``."""
    import pandas as pd

    from .._cells import unreadable_kind
    from .._column_hints import header_as_data

    out: list[Finding] = []
    n = len(frame)
    dtypes = list(frame.dtypes)
    kind_of = {t: unreadable_kind(t) for t in set(dtypes)}  # one call per distinct dtype, not per column
    unreadable = {str(c): what for c, what in ((c, kind_of[t]) for c, t in zip(frame.columns, dtypes)) if what is not None}
    if unreadable:  # fatal as infinite values are: training refuses such a column (see data/_cells.py)
        held = sorted(set(unreadable.values()))
        out.append(Finding(
            "unreadable_columns", "fatal", f"{len(unreadable)} column(s) hold {' or '.join(held)}, which the model cannot read: {preview(list(unreadable))}",
            "turn them into numbers first (e.g. days since a start date, day of week, seconds) or leave them out (--features)",
            columns=tuple(unreadable)))
    data_names = header_as_data([str(c) for c in frame.columns])
    if data_names:
        out.append(Finding("header_as_data", "warning", f"the column names look like a row of data ({preview([repr(c) for c in data_names], 3)}): "
                           "a file without a header row has its first row read as the names, and that row lost",
                           "add a header line naming each column as the file's first line", columns=tuple(data_names)))
    types = pd.api.types
    text_cols = [c for c, t in zip(frame.columns, dtypes) if not (types.is_numeric_dtype(t) or types.is_bool_dtype(t) or types.is_datetime64_any_dtype(t))]
    text_set = set(text_cols)
    all_missing = frame.isna().all(axis=0).to_numpy() if n else np.ones(frame.shape[1], dtype=bool)
    empty = [c for c, none in zip(frame.columns, all_missing) if none or (c in text_set and frame[c].astype(str).str.strip().eq("").all())]
    if empty:
        out.append(Finding("empty_columns", "warning", f"{len(empty)} column(s) hold no values at all: {preview(empty)}",
                           "drop them: they carry no information", columns=tuple(map(str, empty))))
    empty_set = set(empty)
    for c in text_cols:
        if c in empty_set:
            continue
        col = frame[c].dropna()
        col = col.iloc[:sample] if len(col) > sample else col
        kinds = _kinds(col.to_numpy())
        if len(kinds) > 1:
            desc = ", ".join(f"{v} {k}" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1]))
            out.append(Finding("mixed_types", "warning", f"column '{c}' mixes value types ({desc})",
                               f"convert '{c}' to one type before training", columns=(str(c),)))
            continue
        text = col.astype(str).str.strip()
        num = pd.to_numeric(text, errors="coerce")
        ok = num.notna().to_numpy()
        if 0 < (~ok).sum() and ok.mean() >= 0.8:
            out.append(_unparseable(frame[c], str(c)))
    return out


def _unparseable(column: Any, name: str) -> Finding:
    """The ``unparseable_numbers`` finding of a text column whose present cells mostly parse as numbers.

    Fatal where training refuses the column (at least :data:`NUMERIC_TEXT_RATIO` of its present cells parse, as
    :class:`TablePreprocessor` judges), a warning where it is read as text (categories).
    """
    import pandas as pd

    from .._preprocessing import NUMERIC_TEXT_RATIO

    full = column.astype(str).str.strip()
    present = ~column.map(is_missing).to_numpy(dtype=bool)
    bad_rows = np.flatnonzero(present & pd.to_numeric(full, errors="coerce").isna().to_numpy())
    examples = list(dict.fromkeys(full.iloc[bad_rows[:50]].tolist()))[:3]
    refused = 1 - len(bad_rows) / max(1, int(present.sum())) >= NUMERIC_TEXT_RATIO
    consequence = f"training refuses '{name}' as it is" if refused else f"as it is, '{name}' is read as text (categories)"
    return Finding(
        "unparseable_numbers", "fatal" if refused else "warning",
        f"column '{name}' is numeric except {len(bad_rows)} value(s) that do not parse as numbers, e.g. {', '.join(map(repr, examples))} (rows {preview(bad_rows)})",
        f"fix those values or make them empty: {consequence}", rows=tuple(int(r) for r in bad_rows), columns=(name,))


def check_infinite(frame: Any) -> list[Finding]:
    """A fatal finding naming the numeric columns that hold ``inf``/``-inf`` (``"inf"``, ``1e400`` in a CSV) and their rows.

    Fatal because training refuses such a table (the preprocessing cannot scale
    an infinite value), so the check says so before ``train`` is run. Boolean
    columns are left out, as the preprocessing leaves them out.
    """
    import pandas as pd

    plain = plain_columns(frame)
    found: dict[int, np.ndarray] = {}  # column position -> its rows of infinite values
    for pos, W in float_blocks(frame, np.flatnonzero(plain)):
        bad = np.isinf(W)
        for r in np.flatnonzero(bad.any(axis=1)).tolist():
            found[int(pos[r])] = np.flatnonzero(bad[r])
    for j, (c, t) in enumerate(zip(frame.columns, frame.dtypes)):
        if plain[j] or pd.api.types.is_bool_dtype(t) or not pd.api.types.is_numeric_dtype(t):
            continue
        col = frame[c]
        bad_rows = np.flatnonzero(np.isinf(col.to_numpy(dtype=np.float64, na_value=np.nan)))
        if bad_rows.size:
            found[j] = bad_rows
    columns = [str(frame.columns[j]) for j in sorted(found)]
    rows = set(np.concatenate([found[j] for j in found]).tolist()) if found else set()
    if not columns:
        return []
    ordered = sorted(rows)
    return [Finding(
        "infinite_values", "fatal",
        f"{len(columns)} column(s) hold infinite values: {preview(columns)} (rows {preview(ordered)})",
        "replace them with numbers or leave the cells empty (missing values are imputed)",
        rows=tuple(ordered), columns=tuple(columns))]


def beyond_float32(v: np.ndarray) -> np.ndarray:
    """Bool mask of the finite values of ``v`` beyond float32's range (:data:`~.._float32.F32_MAX`, about 3.4e38).

    The rule ``predict`` and the server apply to a request's values: the network computes in float32, where such a
    value is infinite (the loss NaN, the model garbage); an infinite value is ``infinite_values``' finding instead."""
    from .._float32 import F32_MAX

    with np.errstate(invalid="ignore"):
        return np.isfinite(v) & (np.abs(v) > F32_MAX)


def check_beyond_float32(frame: Any, target: Any = None) -> list[Finding]:
    """A fatal finding naming the numeric columns (the target ``target``, a named Series, too) holding finite values beyond
    float32's range (``1e39`` in a CSV cell) and their rows: training refuses them (:func:`beyond_float32`)."""
    import pandas as pd

    found: dict[str, np.ndarray] = {}
    columns = [(str(c), frame[c]) for c in frame.columns] if frame.columns.is_unique else []
    if target is not None:
        columns.append((str(target.name), target))
    for c, col in columns:
        if pd.api.types.is_bool_dtype(col.dtype) or not pd.api.types.is_numeric_dtype(col.dtype):
            continue
        v = col.to_numpy(dtype=np.float64, na_value=np.nan)
        if v.size and np.nanmax(np.abs(v), initial=0.0) > 3e38:  # only then find the cells
            rows = np.flatnonzero(beyond_float32(v))
            if rows.size:
                found[c] = rows
    if not found:
        return []
    ordered = sorted(set(np.concatenate(list(found.values())).tolist()))
    return [beyond_float32_finding(list(found), ordered, preview(ordered))]


def beyond_float32_finding(columns: list[str], rows: list[int], rows_text: str) -> Finding:
    """The fatal ``beyond_float32`` finding of ``columns`` (in memory and streamed alike); ``rows_text`` names ``rows`` in the message."""
    return Finding(
        "beyond_float32", "fatal",
        f"{len(columns)} column(s) hold values beyond float32's range (±3.4e38, where the network computes): {preview(columns)} (rows {rows_text})",
        "fix those values, or rescale the column (other units, a log): training refuses them",
        rows=tuple(rows), columns=tuple(columns))


def check_new_columns(frame: Any, new: Any) -> list[Finding]:
    """Columns of ``X`` missing from ``X_new`` (a warning: a model trained on ``X`` needs them) or only in ``X_new`` (info).

    The overlap and drift checks compare the shared columns only; this
    finding says which ones they leave out.
    """
    new_cols, old_cols = set(new.columns), set(frame.columns)
    lacking = [str(c) for c in frame.columns if c not in new_cols]
    extra = [str(c) for c in new.columns if c not in old_cols]
    if not lacking and not extra:
        return []
    shared = len(frame.columns) - len(lacking)
    parts = []
    if lacking:
        parts.append(f"X_new lacks {len(lacking)} of X's {len(frame.columns)} columns ({preview(lacking)})")
    if extra:
        parts.append(f"{'it' if lacking else 'X_new'} has {len(extra)} column(s) X does not ({preview(extra)})")
    fix = ("give X_new every column of X (a model trained on X needs them to predict)" if lacking
           else "drop the extra columns, or train on them too")
    return [Finding("new_columns", "warning" if lacking else "info",
                    f"{' and '.join(parts)}: overlap and drift compare the {shared} shared column(s) only", fix,
                    columns=tuple(lacking + extra), details={"missing_from_new": lacking, "only_in_new": extra})]
