"""The fast data checks of a streamed table, tallied batch by batch in the preprocessing's one pass.

:meth:`~.._stream.ParquetSource.scan` reads every record batch once to learn the
preprocessing; :class:`StreamCheck` rides along (:meth:`StreamCheck.add` per
batch) and keeps, per column, what the fast checks need: missing and infinite
cells (rows, and the first one's file and row), the least and greatest number,
how often one value (the median of the first values) recurs, text cells that do not parse as numbers,
the target's label counts, and each column's label counts where it is missing.
Memory stays bounded: counts (at most 1000 labels a column; a text target's classes up to
:data:`MAX_TEXT_CLASSES`: text is always classes, never a regression), each numeric column's
mean and variance, the first :data:`ROW_CAP` rows of each finding (its message counts them all), the first batch,
and the arrays of the row-comparing checks, each with its own cap (below). A message
names each row by its file and line (:mod:`.stream_lines`: a CSV file's line, a Parquet file's row from 1),
as ``check FILE`` names lines: ``lines``, ``line_unit`` and ``details["files"]`` beside the 0-based ``rows``.

:meth:`StreamCheck.report` turns the tallies into the :class:`DataReport` that
:func:`~.check.check` (``fast=True``) gives on the concatenated table, rows
numbered across the files in reading order, with the same checks, messages and
severities. Where a check needs every row at once it does less, as said here:

* ``duplicates`` and ``conflicting_labels``: over every row, by one 64-bit hash per row
  (:mod:`.stream_rows`), exact up to :data:`~.stream_rows.HASH_CAP` rows, beyond which
  the finding says it compared a sample; ID-like columns are left out of the
  comparison, as check() leaves them out;
* ``leakage``: each column's values and the target kept for the rows that fit
  :data:`~.stream_leak.LEAK_BUDGET` bytes (:mod:`.stream_leak`), scored as check() scores
  them; past the budget the finding says it judged a sample;
* ``near_duplicates``: over every row when the report is given a second read of the
  rows (``reread``, as :meth:`~.._stream.ParquetSource.check` gives it: the grid needs each
  numeric column's mean and SD, tallied in this pass), by two 64-bit grid hashes per row
  (:mod:`.stream_near`) up to the same :data:`~.stream_rows.HASH_CAP` rows; without one,
  within the first record batch only;
* ``extreme_target`` (regression): the robust rule of :mod:`.target_range` over the target kept for the
  first :data:`~.stream_rows.HASH_CAP` rows (:mod:`.stream_missing`'s); past them the message says it judged those rows;
* ``near_constant_columns`` of a numeric column: the value counted is the median
  of the first :data:`MODE_SAMPLE` values (a column held at one value in 99% of all
  rows is found when that value is also the most common there, as it nearly always is);
* ``id_columns`` of an integer column: every batch's values distinct, and the
  batches' ranges apart (IDs written in order); text columns are judged exactly;
* ``missing_predicts_target``: for classification, from each column's label counts on
  the rows where it is missing (the present rows' counts are the rest), the same chi²
  test as on a table (not run when the target has over 1000 labels: they are no longer
  counted); for regression, the same Mann-Whitney test over the rows, from the target and
  each column's missing cells kept for the first :data:`~.stream_rows.HASH_CAP` rows
  (:mod:`.stream_missing`: 8 bytes and 1 bit a column a row).

An infinite value is tallied as every other finding (the scan goes on only for
:meth:`~.._stream.ParquetSource.check`; training stops at the first one), and
:meth:`StreamCheck.report` then gives what check() gives a table with one: the
fatal ``infinite_values`` finding beside every other finding (a fatal finding
stops no check; one that leaves no usable target skips the checks that read it).
A missing target is tallied alike: the
``missing_target`` finding, named, worded and with its rows as check() gives it,
and fatal here even when some rows have a target (check() of a table says
those rows are dropped; training on a folder refuses them instead).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .._float32 import F32_MAX
from .._moments import Moments
from .common import Finding, preview
from .report import DataReport
from .stream_leak import LeakColumns
from .stream_lines import LinesOf, located_findings, rows_lines
from .stream_missing import MissingByValue
from .stream_rows import RowHashes
from .table import beyond_float32, beyond_float32_finding
from .target_range import check_extreme_target

#: Rows kept per finding (``Finding.rows``); the message counts every one.
ROW_CAP = 10_000
#: Present values of a text column sampled for the mixed-types and unparseable-numbers tests (as check_columns_shape).
TYPE_SAMPLE = 20_000
#: Present values of a numeric column's first batch whose median is the value ``near_constant_columns`` counts.
MODE_SAMPLE = 1_000
#: Checks run on the first record batch only when the report gets no second read of the rows (``StreamCheck.report(reread=)``).
FIRST_BATCH_CHECKS = ("near_duplicates",)
#: Distinct labels of a text target counted (a numeric target's stop at 1000: more numbers are a regression).
#: Text is always classes; past this many it is refused (:func:`too_many_classes`), since nothing learns that many.
MAX_TEXT_CLASSES = 100_000


def label_cap(target_numeric: bool) -> int:
    """How many distinct target values are counted: 1000 while the target reads as numbers, :data:`MAX_TEXT_CLASSES` for text."""
    return 1000 if target_numeric else MAX_TEXT_CLASSES


def too_many_classes(target: str | None, n_labels: int, n_rows: int) -> Finding:
    """The fatal ``too_many_classes`` finding: a text target whose distinct values passed the cap (:func:`label_cap`) before the end.

    Text is always classes (never a regression); ``n_labels`` distinct values were counted before the count stopped
    (the batch that passed the cap counted whole)."""
    name = f" '{target}'" if target is not None else ""
    return Finding("too_many_classes", "fatal",
                   f"the target{name} holds text with over {MAX_TEXT_CLASSES:,} distinct values ({n_labels:,} counted) in {n_rows:,} rows: "
                   "too many classes to learn",
                   "text is always read as classes: is it an ID column? pass the column to predict as the target "
                   "(a column of numbers: fix its cells that are not)")


def _preview(rows: list[int], total: int) -> str:
    """:func:`preview` of ``total`` rows of which the first are ``rows``."""
    head = preview(rows[:5], n=5).split(" (+")[0]
    return head + (f" (+{total - 5} more)" if total > 5 else "")


@dataclass
class _Rows:
    """Row positions: the first :data:`ROW_CAP` kept, all counted."""

    kept: list[int] = field(default_factory=list)
    total: int = 0

    def add(self, rows: np.ndarray) -> None:
        self.total += int(rows.size)
        room = ROW_CAP - len(self.kept)
        if room > 0:
            self.kept.extend(int(r) for r in rows[:room])


@dataclass
class _Column:
    """One column's tallies; ``kind`` is "numeric", "bool" or "text" (from the first batch's dtype)."""

    kind: str
    integer: bool = False
    missing: int = 0
    inf: _Rows = field(default_factory=_Rows)
    big: _Rows = field(default_factory=_Rows)  # finite values beyond float32's range (table.beyond_float32)
    lo: float = np.inf
    hi: float = -np.inf
    mode: float | None = None  # the value near-constant counts (numeric), and how many cells hold it
    n_mode: int = 0
    bool_counts: dict[bool, int] = field(default_factory=dict)
    blank: bool = True  # text: every cell strips to "" (and none is missing)
    kinds: dict[str, int] = field(default_factory=dict)  # the Python kinds of the first TYPE_SAMPLE present values
    sampled: int = 0
    parsed: int = 0  # of those, how many parse as numbers
    bad: _Rows = field(default_factory=_Rows)  # present cells that do not parse as numbers
    examples: list[str] = field(default_factory=list)
    ranges: list[tuple[float, float]] = field(default_factory=list)  # integer: each batch's (min, max), or [] once not an ID
    distinct: bool = True
    moments: Moments = field(default_factory=Moments)  # numeric: mean and variance of the finite values (near duplicates' grid)


def file_row_text(file: str, row: int) -> str:
    """``"'file' row 8"``: how streamed messages name row ``row`` (0-based) of a Parquet file: counted from 1, as every
    command names a data row of a file without lines (a CSV file's is its line: :meth:`~.._stream.ParquetSource.locate`)."""
    return f"'{file}' row {row + 1}"


class StreamCheck:
    """The fast checks' tallies of a table read in record batches (see the module docstring).

    ``locate(file, r)`` words where row ``r`` (0-based among the rows read from ``file``) is, in messages;
    :class:`~.._stream.ParquetSource` gives a CSV file's line (1-based, header = line 1). Default: :func:`file_row_text`.
    ``lines_of(file, rows)``: the same for many rows at once, as ``(unit, numbers)`` (:mod:`.stream_lines`; default:
    data rows from 1): the report's findings name their rows by file and line with it (:meth:`located`).
    """

    def __init__(self, locate: Callable[[str, int], str] | None = None, lines_of: LinesOf | None = None, *, row_checks: bool = True) -> None:
        self.row_checks = row_checks  # False: none of the per-row arrays (duplicates, leakage, missingness by value): no report
        self.locate = locate or file_row_text
        self.lines_of = lines_of or rows_lines  # the findings' rows as file lines (see located)
        self.rows = RowHashes()  # every row's hash: duplicates and conflicting labels
        self.by_value = MissingByValue()  # the numeric target and the missing cells: missingness against a regression target
        self.leak = LeakColumns()  # each column's values and the target, within a byte budget: leakage
        self.n = 0
        self.columns: dict[str, _Column] = {}
        self.labels: dict[Any, int] = {}
        self.labels_capped = False  # the label counts stopped (over label_cap(target_numeric) distinct values)
        self.target_numeric = True
        self.target_big = _Rows()  # the target's values beyond float32's range
        self.missing_rows = _Rows()
        self.target_missing = _Rows()  # rows without a target
        self.missing_labels: dict[str, dict[Any, int]] = {}  # column -> label -> rows where the column is missing
        self.first: Any = None  # the first batch's features and target (the checks that compare rows)
        self.first_y: Any = None
        self._where: list[tuple[int, str, int]] = []  # (stream row, file, file row) at each batch's start
        self._near_found: dict[frozenset[str], list[Finding]] = {}  # near duplicates by the columns left out: one second read per check

    @property
    def n_infinite(self) -> int:
        """Infinite cells tallied so far, in every column."""
        return sum(col.inf.total for col in self.columns.values())

    @property
    def n_refused(self) -> int:
        """Cells training refuses tallied so far: infinite ones and those beyond float32's range (the target's too)."""
        return self.n_infinite + self.target_big.total + sum(col.big.total for col in self.columns.values())

    @property
    def first_rows(self) -> int:
        """The rows of the first record batch: those near duplicates are checked within when the report gets no ``reread``."""
        return 0 if self.first is None else len(self.first)

    # ------------------------------------------------------------ tallies
    def add(self, frame: Any, y: Any, file: str, file_row: int) -> None:
        """Tally one record batch: features ``frame`` and target ``y`` (Series), its first row being row ``file_row`` of ``file``."""
        import pandas as pd

        start, n = self.n, len(frame)
        self._where.append((start, file, file_row))
        if self.first is None and self.row_checks:
            self.first, self.first_y = frame, y
        if self.row_checks:
            self.rows.add(frame, y)
            self.leak.add(frame, y)
        for name in frame.columns:
            if str(name) not in self.columns:
                s = frame[name]
                kind = "bool" if pd.api.types.is_bool_dtype(s) else "numeric" if pd.api.types.is_numeric_dtype(s) else "text"
                self.columns[str(name)] = _Column(kind, integer=kind == "numeric" and pd.api.types.is_integer_dtype(s))
        names = [str(c) for c in frame.columns]
        masks: dict[str, np.ndarray] = {}  # the missing cells of each column that has some in this batch
        for c, s in zip(names, (s for _, s in frame.items())):  # items(): the columns without .iloc's per-call checks
            col = self.columns[c]
            if col.kind == "numeric":
                # numpy's own dtype as it is (float32 stays float32: no copy); a nullable one as float64
                v = s.to_numpy() if isinstance(s.dtype, np.dtype) else s.to_numpy(dtype=np.float64, na_value=np.nan)
                nan = np.isnan(v) if v.dtype.kind == "f" else None
                if self._numeric(col, v, nan, start) and nan is not None:
                    masks[c] = nan
                continue
            miss = s.isna()
            miss_np = miss.to_numpy()
            n_miss = int(np.count_nonzero(miss_np))
            if n_miss:
                masks[c] = miss_np
            col.missing += n_miss
            if col.kind == "bool":
                for k, v in s.value_counts(dropna=True).items():
                    col.bool_counts[bool(k)] = col.bool_counts.get(bool(k), 0) + int(v)
            else:
                self._text(col, s, miss, n_miss, start)
        if len(names) >= 2 and 2 * len(masks) >= len(names):  # else no row can miss half its values
            per_row = np.sum(list(masks.values()), axis=0, dtype=np.int32)
            self.missing_rows.add(np.flatnonzero(per_row * 2 >= len(names)) + start)
        if self.row_checks:
            self.by_value.add(masks, y)
        self._target_big(y, start)
        y_miss = y.isna().to_numpy()
        if y_miss.any():
            self.target_missing.add(np.flatnonzero(y_miss) + start)
        if self.target_numeric and not (pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y)):
            self.target_numeric = False
        if not self.labels_capped:  # beyond 1000 numbers a regression target (the counts are not used); text: refused
            for k, v in y.value_counts(dropna=True, sort=False).items():
                self.labels[k] = self.labels.get(k, 0) + int(v)
            self.labels_capped = len(self.labels) > label_cap(self.target_numeric)
            if masks and len(self.labels) <= 1000 and self.row_checks:  # per column: bounded by 1000 labels (no missingness test beyond)
                self._missing_labels(masks, y)
        self.n += n

    def _target_big(self, y: Any, start: int) -> None:
        """Tally the numeric target's values beyond float32's range (``y``: the batch's target, its first row stream row ``start``)."""
        import pandas as pd

        if pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y):
            v = y.to_numpy(dtype=np.float64, na_value=np.nan)
            if v.size and np.nanmax(np.abs(v), initial=0.0) > F32_MAX:
                self.target_big.add(np.flatnonzero(beyond_float32(v)) + start)

    def _missing_labels(self, masks: dict[str, np.ndarray], y: Any) -> None:
        """Add each column's label counts on the batch rows where it is missing (``masks``: column -> bool mask)."""
        import pandas as pd

        codes, uniques = pd.factorize(y, use_na_sentinel=True)  # a missing target: code -1, left out
        ok = codes >= 0
        for c, m in masks.items():
            counts = np.bincount(codes[m & ok], minlength=len(uniques))
            tally = self.missing_labels.setdefault(c, {})
            for k, v in zip(uniques.tolist(), counts.tolist()):
                if v:
                    tally[k] = tally.get(k, 0) + v

    @staticmethod
    def _numeric(col: _Column, v: np.ndarray, nan: np.ndarray | None, start: int) -> int:
        """Tally one numeric column's values ``v`` (its missing cells ``nan``, None for integers): a few vectorised passes, no copies.

        Returns its count of missing cells.
        """
        n_missing = int(np.count_nonzero(nan)) if nan is not None else 0
        col.missing += n_missing
        if n_missing == v.size:
            return n_missing
        lo, hi = float(np.fmin.reduce(v)), float(np.fmax.reduce(v))  # fmin/fmax pass over NaN
        if lo == -np.inf or hi == np.inf:  # only then look for the infinite cells
            col.inf.add(np.flatnonzero(np.isinf(v)) + start)
        if lo < -F32_MAX or hi > F32_MAX:  # only then look for the cells
            col.big.add(np.flatnonzero(beyond_float32(v)) + start)
        col.lo, col.hi = min(col.lo, lo), max(col.hi, hi)
        beyond = lo < -F32_MAX or hi > F32_MAX  # inf too
        finite = (np.abs(v) <= F32_MAX) if (n_missing or beyond) else None  # cells float32 cannot hold are left out, as in memory:
        col.moments.add(v if finite is None else v[finite])  # a 1e308 made the SD overflow, and the near-duplicate grid with it
        if col.mode is None:  # the first batch with values: the median of its first present values is the value near-constant counts
            present = (v[~nan] if nan is not None else v)[:MODE_SAMPLE]
            col.mode = float(np.partition(present, present.size // 2)[present.size // 2])
        col.n_mode += int(np.count_nonzero(v == col.mode))
        if col.integer and col.distinct:
            if n_missing == 0 and np.unique(v).size == v.size:
                col.ranges.append((float(v.min()), float(v.max())))
            else:
                col.distinct = False
        return n_missing

    def _text(self, col: _Column, s: Any, miss: Any, n_miss: int, start: int) -> None:
        import pandas as pd

        from .table import _kinds

        if col.blank:
            col.blank = n_miss == 0 and bool(s.astype(str).str.strip().eq("").all())
        if col.sampled < TYPE_SAMPLE:  # the sample check_columns_shape takes: the first present values
            part = s[~miss].iloc[: TYPE_SAMPLE - col.sampled]
            for k, v in _kinds(part.to_numpy()).items():
                col.kinds[k] = col.kinds.get(k, 0) + v
            col.parsed += int(pd.to_numeric(part.astype(str).str.strip(), errors="coerce").notna().sum())
            col.sampled += len(part)
        if not self._may_be_unparseable(col):
            return
        full = s.astype(str).str.strip()
        bad = np.flatnonzero(~miss.to_numpy() & pd.to_numeric(full, errors="coerce").isna().to_numpy())
        if bad.size:
            if len(col.examples) < 3 and col.bad.total < 50:
                seen = full.iloc[bad[: 50 - col.bad.total]].tolist()
                col.examples = list(dict.fromkeys(col.examples + seen))[:3]
            col.bad.add(bad + start)

    @staticmethod
    def _may_be_unparseable(col: _Column) -> bool:
        """Whether the column can still be found numeric but for some values (decided by the sample once it is full)."""
        if len(col.kinds) > 1:
            return False
        if col.sampled < TYPE_SAMPLE:
            return True
        return col.parsed / col.sampled >= 0.8 and col.parsed < col.sampled

    def located(self, found: list[Finding]) -> list[Finding]:
        """``found`` with rows named by file and line: ``lines``, ``line_unit``, ``details["files"]`` and the message (:mod:`.stream_lines`)."""
        return located_findings(found, self._where, self.lines_of)

    def where(self, row: int) -> str:
        """Where stream row ``row`` is, as ``locate`` words it: ``"'file' row r"`` (Parquet), ``"'file' line l"`` (CSV)."""
        start, file, file_row = next(w for w in reversed(self._where) if w[0] <= row)
        return self.locate(file, file_row + row - start)

    # ------------------------------------------------------------ report
    def report(self, task: str, counts: dict[str, dict[str, int]], target: str | None = None,
               reread: Callable[[], Iterable[Any]] | None = None) -> DataReport:
        """The :class:`DataReport` of the tallies, for ``task`` ("classification" or "regression").

        ``counts``: each text or bool column's present values and how often each occurs
        (the preprocessing's category counts, :meth:`TablePreprocessor.streamed_counts`).
        ``reread()``: the same feature batches again, in the same order, for near duplicates over
        every row (None: within the first batch only).
        """
        if not self.row_checks:
            raise ValueError("these tallies were made without the row checks (row_checks=False): no report; tally with row_checks=True.")
        found = self._table() + self.infinite() + self.beyond_float32(target) + self.missing_target()
        kind: str | None = task
        found += self._target(task, target)
        if task == "regression" and not self.target_numeric:
            found.append(Finding("target_not_numeric", "fatal", "the regression target holds values that are not numbers",
                                 "fix those values, or treat the target as classes (task='classification')"))
            kind = None
        # as check(): a fatal finding stops no check; one that leaves no usable target (a target missing in only some
        # rows does not: those rows are left out) skips the checks that read the target
        from .check import TARGET_FATAL

        reported = kind
        if any(f.severity == "fatal" and f.check in TARGET_FATAL and f.rows == () for f in found) or not self.n:
            kind = None
        if kind == "classification":
            from .labels import check_classes

            found += check_classes(self._label_array())
        if kind == "regression":
            kept = self.by_value.kept_target()
            found += [] if kept is None else check_extreme_target(kept, target, sampled_of=self.by_value.seen)
        found += self._missing(kind)
        found += self._constant(counts)
        ids = self._id_like(counts)
        found += ids
        found += self._first_batch(kind, ids, counts, reread)
        return DataReport(self.located(found), self.n, len(self.columns), reported, target)

    def _label_array(self) -> np.ndarray:
        """The labels as text, each repeated by its count (classes and imbalance need counts only: bounded by the 1000 labels)."""
        texts: dict[str, int] = {}
        for k, v in self.labels.items():
            texts[str(k)] = texts.get(str(k), 0) + v
        # one row per label and count stand in for the rows: check_classes reads np.unique's counts only
        return np.repeat(np.array(list(texts), dtype=object), list(texts.values())) if texts else np.zeros(0, dtype=object)

    def _table(self) -> list[Finding]:
        """check_columns_shape's findings: empty columns, mixed types, unparseable numbers (unreadable columns the reader refuses)."""
        out: list[Finding] = []
        empty = [c for c, col in self.columns.items() if self.n == 0 or col.missing == self.n or (col.kind == "text" and col.blank)]
        if empty:
            out.append(Finding("empty_columns", "warning", f"{len(empty)} column(s) hold no values at all: {preview(empty)}",
                               "drop them: they carry no information", columns=tuple(empty)))
        for c, col in self.columns.items():
            if c in empty or col.kind != "text":
                continue
            if len(col.kinds) > 1:
                desc = ", ".join(f"{v} {k}" for k, v in sorted(col.kinds.items(), key=lambda kv: -kv[1]))
                out.append(Finding("mixed_types", "warning", f"column '{c}' mixes value types ({desc})",
                                   f"convert '{c}' to one type before training", columns=(c,)))
            elif col.sampled and col.parsed < col.sampled and col.parsed / col.sampled >= 0.8:
                out.append(self._unparseable(c, col))
        return out

    def _unparseable(self, c: str, col: _Column) -> Finding:
        """``unparseable_numbers`` of text column ``c``: fatal where training refuses it, as the in-memory check judges
        (at least :data:`NUMERIC_TEXT_RATIO` of its present values parse as numbers), else a warning (read as categories)."""
        from .._preprocessing import NUMERIC_TEXT_RATIO

        refused = col.parsed / col.sampled >= NUMERIC_TEXT_RATIO
        consequence = f"training refuses '{c}' as it is" if refused else f"as it is, '{c}' is read as text (categories)"
        return Finding(
            "unparseable_numbers", "fatal" if refused else "warning",
            f"column '{c}' is numeric except {col.bad.total} value(s) that do not parse as numbers, e.g. "
            f"{', '.join(map(repr, col.examples))} (rows {_preview(col.bad.kept, col.bad.total)}; first at {self.where(col.bad.kept[0])})",
            f"fix those values or make them empty: {consequence}", rows=tuple(col.bad.kept), columns=(c,))

    def refused_columns(self) -> list[Finding]:
        """The fatal ``unparseable_numbers`` findings: text columns training refuses (numbers but for a few values), as
        :meth:`infinite` gives infinite values, for the scan to refuse before any training."""
        found = [self._unparseable(c, col) for c, col in self.columns.items()
                 if col.kind == "text" and len(col.kinds) <= 1 and col.sampled and col.parsed < col.sampled and col.parsed / col.sampled >= 0.8]
        return [f for f in found if f.severity == "fatal"]

    def infinite(self) -> list[Finding]:
        """The fatal ``infinite_values`` finding (empty list if none), naming where the first is."""
        cols = [c for c, col in self.columns.items() if col.inf.total]
        if not cols:
            return []
        rows = sorted({r for c in cols for r in self.columns[c].inf.kept})[:ROW_CAP]
        total = sum(self.columns[c].inf.total for c in cols) if len(cols) > 1 else self.columns[cols[0]].inf.total
        return [Finding(
            "infinite_values", "fatal",
            f"{len(cols)} column(s) hold infinite values: {preview(cols)} (rows {_preview(rows, max(total, len(rows)))}; first at {self.where(rows[0])})",
            "replace them with numbers or leave the cells empty (missing values are imputed)", rows=tuple(rows), columns=tuple(cols))]

    def beyond_float32(self, target: str | None = None) -> list[Finding]:
        """The fatal ``beyond_float32`` finding (empty list if none): the columns (and the target, named ``target``) holding
        finite values beyond float32's range, as check() names them, with where the first is."""
        tallies = [(c, col.big) for c, col in self.columns.items() if col.big.total]
        if self.target_big.total:
            tallies.append((target if target is not None else "target", self.target_big))
        if not tallies:
            return []
        rows = sorted({r for _, t in tallies for r in t.kept})[:ROW_CAP]
        total = sum(t.total for _, t in tallies) if len(tallies) > 1 else tallies[0][1].total
        text = f"{_preview(rows, max(total, len(rows)))}; first at {self.where(rows[0])}"
        return [beyond_float32_finding([c for c, _ in tallies], rows, text)]

    def missing_target(self) -> list[Finding]:
        """The fatal ``missing_target`` finding (empty list if none): check_target's, with where the first is."""
        r = self.target_missing
        if not r.total:
            return []
        if r.total == self.n:
            return [Finding("missing_target", "fatal", "the target is missing in every row", "fill the target column, or choose another --target")]
        return [Finding("missing_target", "fatal",
                        f"the target is missing in {r.total} row(s): rows {_preview(r.kept, r.total)}; first at {self.where(r.kept[0])}",
                        "training on these files refuses rows without a target: drop those rows or fill them", rows=tuple(r.kept))]

    def _target(self, task: str, target: str | None) -> list[Finding]:
        """check_target's findings from the label counts (missing targets: :meth:`missing_target`)."""
        out: list[Finding] = []
        if not self.columns:
            out.append(Finding("no_features", "fatal", "the table has no feature columns besides the target", "give at least one feature column"))
        if self.n == 0:
            out.append(Finding("no_rows", "fatal", "the table has no rows", "give data with at least one row"))
            return out
        if self.target_missing.total == self.n:  # no label to judge
            return out
        if task == "classification":
            labels = sorted({str(k) for k in self.labels})
            if self.labels_capped:  # no longer counted
                out.append(too_many_classes(target, len(self.labels), self.n))
            elif len(labels) < 2:
                out.append(Finding("single_class", "fatal", f"the target has only one class ('{labels[0]}')",
                                   "classification needs at least 2 different labels: check the target column"))
            elif self.n <= len(labels):
                out.append(Finding("too_few_rows", "fatal", f"{self.n} labelled row(s) for {len(labels)} classes, one row per class",
                                   "give several rows per class (better: dozens)"))
        return out

    def _missing(self, kind: str | None) -> list[Finding]:
        """check_missing's findings: missing values per column and per row, and (classification) missingness that predicts the target."""
        out: list[Finding] = []
        if self.n == 0 or not self.columns:
            return out
        cols = [(c, col.missing / self.n) for c, col in self.columns.items() if 0 < col.missing < self.n]
        from .columns import missing_values_findings

        out += missing_values_findings(cols)
        if self.missing_rows.total:
            r = self.missing_rows
            out.append(Finding("missing_rows", "warning", f"{r.total} row(s) miss at least half their values: rows {_preview(r.kept, r.total)}",
                               "drop or complete these rows", rows=tuple(r.kept)))
        if kind == "classification" and self.n >= 20 and len(self.labels) <= 1000:
            out += self._missing_predicts()
        elif kind == "regression":
            out += self.by_value.findings(list(self.columns))
        return out

    def _missing_predicts(self) -> list[Finding]:
        """``missing_predicts_target`` as check_missing finds it, from the label counts where each column is missing and where not."""
        from .columns import missing_label_test, missing_predicts_finding

        totals: dict[str, int] = {}
        for k, v in self.labels.items():  # labels as text, as check() compares them
            totals[str(k)] = totals.get(str(k), 0) + v
        order = sorted(totals)
        hits = []
        for c, col in self.columns.items():
            if not 0.01 <= col.missing / self.n <= 0.99:
                continue
            where: dict[str, int] = {}
            for k, v in self.missing_labels.get(c, {}).items():
                where[str(k)] = where.get(str(k), 0) + v
            missing = np.array([where.get(k, 0) for k in order], dtype=np.int64)
            found = missing_label_test(missing, np.array([totals[k] for k in order], dtype=np.int64) - missing)
            if found is not None and found[0] < 1e-3 and found[1] >= 0.1:
                hits.append((c, *found))
        return missing_predicts_finding(hits)

    def _constant(self, counts: dict[str, dict[str, int]], near: float = 0.99) -> list[Finding]:
        out: list[Finding] = []
        if self.n < 2:
            return out
        const, almost = [], []
        for c, col in self.columns.items():
            if col.kind == "numeric":
                if col.lo > col.hi:
                    continue  # no values: an empty column
                if col.lo == col.hi:
                    const.append(c)
                elif col.n_mode / self.n >= near:
                    almost.append(c)
                continue
            values = col.bool_counts if col.kind == "bool" else counts.get(c, {})
            if not values:
                continue
            if len(values) == 1:
                const.append(c)
            elif max(values.values()) / self.n >= near:
                almost.append(c)
        from .columns import constant_findings

        return out + constant_findings(const, almost, near)

    def _id_like(self, counts: dict[str, dict[str, int]]) -> list[Finding]:
        """check_id_like's findings: text columns from their value counts, integer columns by their batches (module docstring)."""
        import pandas as pd

        from .columns import check_id_like

        stand_in: dict[str, Any] = {}  # one column per name whose check_id_like verdict is this column's over all rows
        for c, col in self.columns.items():
            if col.kind == "text":
                values = sorted(counts.get(c, {}).items(), key=lambda kv: (-kv[1], kv[0]))
                is_id = self.n >= 20 and col.missing == 0 and len(values) == self.n
                stand_in[c] = (values, is_id)
            elif col.kind == "numeric" and col.integer:
                spans = sorted(col.ranges)
                apart = col.distinct and all(a[1] < b[0] for a, b in zip(spans, spans[1:]))
                stand_in[c] = (None, self.n >= 20 and col.missing == 0 and apart)
        out = []
        for c, (values, is_id) in stand_in.items():
            # a small frame check_id_like judges as it judges this column: an ID as 20 distinct values, else as none; text
            # as its distinct values, the most frequent twice (so first, and the column no ID unless it is one)
            if values is None:
                frame = pd.DataFrame({c: np.arange(20, dtype=np.int64) if is_id else np.zeros(2, dtype=np.int64)})
            elif values:
                texts = [v for v, _ in values]
                frame = pd.DataFrame({c: pd.Series(texts if is_id else [texts[0], *texts], dtype=object)})
            else:
                continue  # no values: an empty column
            out.extend(check_id_like(frame))
        return _merge(out)

    def _first_batch(self, kind: str | None, ids: list[Finding], counts: dict[str, dict[str, int]],
                     reread: Callable[[], Iterable[Any]] | None = None) -> list[Finding]:
        """Leakage and exact duplicates over the rows kept, near duplicates over every row given ``reread`` (else within
        the first record batch), as check() runs them."""
        from .duplicates import check_duplicates

        frame = self.first.reset_index(drop=True)
        frame.columns = [str(c) for c in frame.columns]
        # as check(): an ID, or dates as text all distinct (in every row read), makes every row unique: left out (numbers as text stay)
        distinct = {c for f in ids for c in f.columns if f.check == "id_columns"
                    or (f.check == "date_text_columns" and self.columns[c].missing == 0 and len(counts.get(c, {})) == self.n)}
        # the rows are stream rows: where the first is (file and CSV line or Parquet row), as the other streamed findings say it
        rows = [replace(f, message=f"{f.message}; first at {self.where(f.rows[0])}") if f.rows else f
                for f in self.rows.findings(distinct, kind is not None, ROW_CAP)]
        out = self.leak.findings(kind, distinct) + rows
        if reread is not None:
            key = frozenset(distinct)
            if key not in self._near_found:
                self._near_found[key] = self._near(distinct, reread)
            return out + self._near_found[key]
        skip = {c for f in ids for c in f.columns  # here: in the batch
                if f.check == "id_columns" or (f.check == "date_text_columns" and frame[c].nunique() == len(frame))}
        plain = frame.drop(columns=sorted(skip)) if skip else frame
        return out + [f for f in check_duplicates(plain, None) if f.check == "near_duplicates"]

    def _near(self, distinct: set[str], reread: Callable[[], Iterable[Any]]) -> list[Finding]:
        """``near_duplicates`` over every row (up to the hash cap): a second read hashed on the grid of each numeric column's
        mean and SD from this pass (:mod:`.stream_near`), ``distinct`` columns left out, exact repeats not counted again."""
        from .duplicates import near_duplicates_finding
        from .stream_near import NearHashes

        kept = [c for c in self.columns if c not in distinct]
        numeric = [c for c in kept if self.columns[c].kind == "numeric"]
        if self.n < 2 or not numeric:  # as check(): near duplicates need a numeric column
            return []
        spread = {}
        for c in numeric:
            m = self.columns[c].moments
            mean, sd = m.mean, float(np.sqrt(m.var))
            spread[c] = (mean if np.isfinite(mean) else 0.0, sd if np.isfinite(sd) and sd > 0 else 1.0)
        near = NearHashes(spread, [c for c in kept if c not in spread])
        for batch in reread():
            batch.columns = [str(c) for c in batch.columns]
            near.add(batch)
        found = near.rows(self.rows.repeats)
        if not found.size:
            return []
        f = near_duplicates_finding(found[:ROW_CAP], int(found.size), near.tol, near.sample)
        return [replace(f, message=f"{f.message}; first at {self.where(int(found[0]))}")]


def _merge(findings: list[Finding]) -> list[Finding]:
    """check_id_like's findings of one column each, as one finding per check (ids, dates, numbers), as on the whole table."""
    import re

    from .._column_hints import NumbersAsText
    from .columns import numbers_finding

    out: list[Finding] = []
    for check in ("id_columns", "date_text_columns", "numeric_text_columns"):
        same = [f for f in findings if f.check == check]
        if not same:
            continue
        cols = tuple(c for f in same for c in f.columns)
        if check == "numeric_text_columns":  # each way of writing numbers (decimal comma, money, ...) named with its fix, as on the table
            written: dict[str, tuple[str, NumbersAsText]] = {}
            for f in same:
                for kind, (col, *found) in f.details.get("written", {}).items():
                    written.setdefault(kind, (col, NumbersAsText(*found)))
            out.append(numbers_finding(list(cols), written))
            continue
        first = same[0]
        message = re.sub(r"^1 column\(s\)", f"{len(cols)} column(s)", first.message)
        message = message[: message.rfind(": ") + 2] + preview(list(cols))
        out.append(Finding(check, first.severity, message, first.fix, columns=cols))
    return out


__all__ = ["FIRST_BATCH_CHECKS", "ROW_CAP", "StreamCheck", "file_row_text"]
