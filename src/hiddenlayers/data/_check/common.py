"""What every data check shares: the :class:`Finding` record and the numeric view of a table.

A check is a plain function ``(frame, ...) -> list[Finding]``; it never raises
on odd data (all-NaN columns, one row, text in numeric columns): what it cannot
judge it leaves out, so a report is always produced.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._float32 import F32_MAX

SEVERITIES = ("fatal", "warning", "info")


@dataclass(frozen=True)
class Finding:
    """One problem found in the data.

    Attributes
    ----------
    check : str
        Which check found it (``"duplicates"``, ``"label_issues"``, ...); ``clean(drop=...)`` uses these names.
    severity : str
        ``"fatal"`` (training is refused), ``"warning"`` or ``"info"``.
    message : str
        What is wrong, in one line.
    fix : str
        How to fix it, in one line.
    rows : tuple of int
        0-based positions of the rows concerned (``X.iloc[rows]``, ``X[rows]``: what scikit-learn users index
        with; file line numbers for ``ragged_rows`` and ``empty_rows``), worst first. A message of ``check()``
        on Python data names these positions too.
    columns : tuple of str
        Columns concerned.
    details : dict
        The check's own numbers behind the message, JSON-able (e.g. drift's ``auc`` and per-feature ``importance``,
        a test's ``p_values``); not compared when findings are.
    lines : tuple of int
        Where ``rows`` are in the user's file, set by :func:`located` (the CLI): 1-based file lines of a CSV/TSV
        (header = line 1) when ``line_unit`` is ``"line"``, 1-based data rows of other files when it is ``"row"``;
        empty for Python data. The message then names these instead of the positions.
    line_unit : {"", "line", "row"}
        What ``lines`` counts: ``"line"`` (CSV/TSV file lines), ``"row"`` (data rows of other files); ``""`` while
        ``lines`` is empty.
    """

    check: str
    severity: str
    message: str
    fix: str
    rows: tuple[int, ...] = ()
    columns: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict, compare=False)
    lines: tuple[int, ...] = ()
    line_unit: str = ""

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}. Received: {self.severity!r}.")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (``rows`` in full, 0-based positions as above; ``lines`` and ``line_unit`` when :func:`located` set them)."""
        d = {"check": self.check, "severity": self.severity, "message": self.message, "fix": self.fix,
             "rows": [int(r) for r in self.rows], "columns": [str(c) for c in self.columns], "details": self.details}
        if self.lines:
            d.update(lines=[int(v) for v in self.lines], line_unit=self.line_unit)
        return d


#: Findings whose rows are file lines already (the scan of the raw file), or rows of other data than the table checked.
LINE_FINDINGS = ("ragged_rows", "empty_rows")


def located(f: Finding, where: Any, unit: str) -> Finding:
    """``f`` with its rows as the user's file has them: ``lines`` set, and the message's ``rows 0, 143`` made ``lines 2, 145``.

    Findings about file lines already, or about other data (``X_new``, an ``--against`` file), are returned as they are.

    Parameters
    ----------
    f : Finding
        The finding.
    where : sequence of int
        The file line (or 1-based row) of each 0-based row of the checked table (``Table.lines()``).
    unit : {"line", "row"}
        ``"line"``: file lines; ``"row"``: 1-based data rows of a file without lines.
    """
    from dataclasses import replace

    if not f.rows or f.check in LINE_FINDINGS or f.check.startswith("against_") or f.details.get("rows_refer_to") == "X_new":
        return f
    at = tuple(int(where[r]) for r in f.rows)
    old, new = ", ".join(str(r) for r in f.rows[:5]), ", ".join(str(v) for v in at[:5])
    word = unit + ("s" if len(f.rows) > 1 else "")
    return replace(f, message=f.message.replace(f"rows {old}", f"{word} {new}", 1), lines=at, line_unit=unit)


def preview(items: Any, n: int = 5, total: int | None = None) -> str:
    """``"3, 7, 9 (+12 more)"``: the first ``n`` items of a list for a one-line message.

    Parameters
    ----------
    items : sequence
        The items.
    n : int
        How many are shown.
    total : int, optional
        How many there are when ``items`` holds only the first of them (a streamed check's kept rows).
    """
    items = list(items)
    head = ", ".join(str(i) for i in items[:n])
    count = len(items) if total is None else total
    return head + (f" (+{count - n} more)" if count > n else "")


def numeric_columns(frame: Any) -> list[str]:
    """Columns whose dtype is numeric (bool excluded)."""
    import pandas as pd

    dtypes = list(frame.dtypes)
    numeric = {t: pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t) for t in set(dtypes)}  # once per distinct dtype
    return [c for c, t in zip(frame.columns, dtypes) if numeric[t]]


def scaled_matrix(frame: Any, columns: list[str] | None = None) -> np.ndarray:
    """Numeric columns standardised to mean 0, SD 1 (float32, missing -> 0, constant columns -> 0); shape (rows, columns)."""
    cols = numeric_columns(frame) if columns is None else columns
    if not cols:
        return np.zeros((len(frame), 0), dtype=np.float32)
    A = np.array(frame[cols].to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64, copy=True)
    with np.errstate(invalid="ignore"):
        A[~(np.abs(A) <= F32_MAX)] = np.nan  # inf, and 1e308 (beyond float32; check_infinite's findings): its square would overflow the SD
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(A, axis=0)
            sd = np.nanstd(A, axis=0)
    mean = np.where(np.isfinite(mean), mean, 0.0)
    sd = np.where(np.isfinite(sd) & (sd > 0), sd, 1.0)
    Z = (A - mean) / sd
    Z[np.isnan(Z)] = 0.0
    return Z.astype(np.float32)


def row_hashes(frame: Any) -> np.ndarray:
    """One 64-bit hash per row of ``frame`` (equal rows, equal hashes; NaN equals NaN)."""
    import pandas as pd

    if frame.shape[1] == 0:
        return np.zeros(len(frame), dtype=np.uint64)
    if len(numeric_columns(frame)) == frame.shape[1]:  # vectorised over rows: far faster than pandas' per-cell hashing
        A = np.array(frame.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64, order="C")
        A[np.isnan(A)] = np.nan  # one NaN bit pattern
        A += 0.0  # -0.0 -> 0.0
        return combine_columns(A.view(np.uint64))
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


def combine_columns(U: np.ndarray) -> np.ndarray:
    """One 64-bit hash per row of a (rows, columns) uint64 matrix: each column mixed in (xor, multiply by a large odd constant).

    pandas' ``hash_array`` mixes each value alone, so it runs once over a block of columns rather than once per column
    (per-call overhead dominated wide tables; a block of about 1 MB keeps narrow tables as fast as column by column).
    """
    import pandas as pd

    h = np.full(U.shape[0], np.uint64(0xCBF29CE484222325))
    prime = np.uint64(0x100000001B3)
    step = max(1, 2**17 // max(U.shape[0], 1))  # about 1 MB a block: hash_array's temporaries stay in cache
    with np.errstate(over="ignore"):
        for start in range(0, U.shape[1], step):
            block = np.ascontiguousarray(U[:, start:start + step].T)  # (columns, rows)
            H = pd.util.hash_array(block.ravel()).reshape(block.shape)
            for row in H:
                h = (h ^ row) * prime
    return h


def model_matrix(frame: Any, max_categories: int = 20) -> np.ndarray:
    """The table as a float32 matrix for the checks' models: standardised numbers, then one-hot text columns
    with at most ``max_categories`` values (others dropped); shape (rows, features)."""
    import pandas as pd

    num = numeric_columns(frame)
    parts = [scaled_matrix(frame, num)]
    for c in frame.columns:
        if c in num:
            continue
        codes, uniques = pd.factorize(frame[c])
        if 0 < len(uniques) <= max_categories:
            onehot = np.zeros((len(frame), len(uniques)), dtype=np.float32)
            ok = codes >= 0
            onehot[np.flatnonzero(ok), codes[ok]] = 1.0
            parts.append(onehot)
    return np.hstack(parts) if len(parts) > 1 else parts[0]
