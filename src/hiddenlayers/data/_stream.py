"""Tables larger than memory: Parquet or CSV files streamed with ``pyarrow.dataset``.

:class:`ParquetSource` names the files and the target column; the estimators'
``fit`` and ``partial_fit`` take it in place of ``(X, y)``. A source is cut
into *units* (a Parquet row group, or a whole CSV file): one streaming pass
learns the preprocessing (:meth:`TablePreprocessor.partial_fit`), the target's
classes (or, for a numeric target, its weighted mean and variance: :class:`~._moments.Moments`)
and each unit's row count; each epoch then reads the units in a
shuffled order through a bounded shuffle buffer, so memory holds one buffer,
never the table. Units are what early stopping holds out and what the ranks of
a distributed run share out (unit ``i`` to rank ``i % world``).
The same pass tallies the fast data checks of every row (:class:`~._check.stream.StreamCheck`,
read by :meth:`ParquetSource.check`): no file is read twice for them. A decimal column (a database's
NUMERIC) is read as float64, cast by Arrow per batch (:mod:`._arrow_decimals`), in that pass and every epoch.

>>> import pandas as pd, tempfile, os
>>> d = tempfile.mkdtemp(); pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "y": [0, 1, 0, 1]}).to_parquet(os.path.join(d, "t.parquet"))
>>> src = ParquetSource(d, target="y"); src.scan().n_rows
4
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from ..exceptions import DataError
from ._arrow_decimals import decimals_as_float
from ._check.report import DataReport
from ._check.stream import StreamCheck, label_cap
from ._check.stream_lines import rows_lines
from ._float32 import F32_MAX
from ._moments import Moments
from ._preprocessing import TablePreprocessor
from ._scan import Scan
from ._stream_csv import CsvReading, refuse_open_quote, without_initial_spaces
from ._stream_files import check_columns, common_schema, file_columns, file_kind, file_lines, find_files
from ._stream_weights import batch_weights, check_weight_files, check_weight_name, refuse_all_zero
from ._unit_cache import UnitCache


class ParquetSource:
    """A directory or glob of Parquet (or CSV) files with a ``target`` column, read in chunks.

    Parameters
    ----------
    path : str
        A directory, a file, or a glob such as ``"big/*.parquet"``.
    target : str or None
        The column to predict; every other column is a feature unless ``features`` names them.
        None: a source only read (:meth:`batches`, as ``predict DIR`` reads it), which then needs ``features``
        (the columns to read); :meth:`scan` and ``fit`` refuse it.
    weight : str, optional
        A numeric column of per-row weights (``fit``'s ``sample_weight``; LightGBM's ``weight_column``),
        read with each record batch and never a feature. Its values are checked as ``fit`` checks
        ``sample_weight`` (numbers, none missing, finite, none negative): the first bad one is a
        :class:`DataError` naming its file and CSV line or Parquet row; weights that are 0 on every
        row are refused after the statistics pass (:meth:`scan`).
    features : sequence of str, optional
        The feature columns (default: all but the target).
    format : {"auto", "parquet", "csv"}
        ``"auto"`` goes by the files' extension.
    shuffle_buffer : int
        Rows shuffled together (the memory bound: about ``shuffle_buffer x columns x 8`` bytes).
    read_rows : int
        Rows per Arrow record batch read from disk.
    max_categories : int
        One-hot columns per categorical feature, as :class:`TablePreprocessor`.
    data_checks : bool
        False: the statistics pass (:meth:`scan`) keeps none of the data check's per-row bookkeeping (a hash per row for
        duplicates, the values kept for leakage, the missing cells against a regression target: up to hundreds of MB),
        only what training needs (missing targets, infinite cells and those beyond float32, the class counts), and
        :meth:`check` is refused. ``train DIR --no-check`` sets it. Default True.
    text_columns : sequence of str
        Columns read from CSV files as text, whatever their cells look like. pyarrow infers a CSV column's type from
        its first block (about 1 MB), so a column of numbers there and text further down is refused at the first text
        cell; ``predict`` reads a model's categorical columns so, as the file read whole by pandas gives them. Parquet
        files keep their own types. Default: none.

    Notes
    -----
    Every file's columns are checked against the first file's when the source
    is made (see :mod:`._stream_files`): a file without the target, without a
    used column or (with ``features=None``) with an extra one, or of another
    type, is a :class:`DataError` naming it. A CSV row with too few or too many
    fields is skipped, as :func:`read_table` drops it; :meth:`drop_notes` says which.
    A CSV quote that is never closed is a :class:`DataError` naming its file and
    line (pyarrow alone would read the rest of the file as one value).
    """

    def __init__(
        self, path: str, target: str | None, *, features: Sequence[str] | None = None, weight: str | None = None, format: str = "auto",
        shuffle_buffer: int = 200_000, read_rows: int = 65_536, max_categories: int = 20, data_checks: bool = True,
        text_columns: Sequence[str] = (),
    ) -> None:
        if format not in ("auto", "parquet", "csv"):
            raise ValueError(f"format must be 'auto', 'parquet' or 'csv'. Received: format={format!r}.")
        if not isinstance(shuffle_buffer, int) or shuffle_buffer < 1:
            raise ValueError(f"shuffle_buffer must be a positive integer. Received: shuffle_buffer={shuffle_buffer!r}.")
        if not isinstance(read_rows, int) or read_rows < 1:
            raise ValueError(f"read_rows must be a positive integer. Received: read_rows={read_rows!r}.")
        self.path = str(path)
        self.target = target
        self.features = list(features) if features is not None else None
        self.weight = weight
        self.format = format
        self.shuffle_buffer = shuffle_buffer
        self.read_rows = read_rows
        self.max_categories = max_categories
        self.data_checks = bool(data_checks)
        self.text_columns = [str(c) for c in text_columns]
        self.files = find_files(self.path, format)
        self.file_format = format if format != "auto" else file_kind(self.files[0])  # one .tsv file reads as CSV with tabs
        self._dataset = self._open()
        self.units = self._units()
        self._scan: Scan | None = None
        self._batch_rows: dict[str, int] = {}  # file -> rows batches() has read from it (drop_notes' counts)
        self._readable_by: list[TablePreprocessor] = []  # preprocessings every row was read through (refuse_unreadable): not again

    def __repr__(self) -> str:
        weight = f", weight={self.weight!r}" if self.weight is not None else ""
        return f"ParquetSource({self.path!r}, target={self.target!r}{weight}, files={len(self.files)}, units={len(self.units)})"

    @property
    def _columns(self) -> list[str]:
        """The columns read from each file: the features, the target and the weight column (if any)."""
        return [*self.features, *([self.target] if self.target is not None else []), *([self.weight] if self.weight is not None else [])]  # type: ignore[misc]

    # ------------------------------------------------------------ reading
    def _open(self) -> Any:
        """The dataset of the used columns, once every file's columns are checked against the first's (see :mod:`._stream_files`)."""
        import pyarrow.dataset as ds

        listed = {f: file_columns(f, self.file_format) for f in self.files}
        names = {f: n for f, (n, _) in listed.items()}
        if self.weight is not None and self.target is not None:
            check_weight_name(self.weight, self.target, self.features)
        self.features = check_columns(self.path, names, self.target, self.features)
        if self.weight is not None:
            check_weight_files(self.path, names, self.weight)
            self.features = [c for c in self.features if c != self.weight]
        if not self.features:
            raise DataError(f"{self.path} has no feature columns besides the target {self.target!r}.")
        # the CSV files' reading rules and what they record (rows skipped, quotes never closed); empty for Parquet
        self._csv = CsvReading(self.files, {f: names for f, (names, _) in listed.items()} if self.file_format == "csv" else {},
                               text=[c for c in self.text_columns if c in self._columns])
        used = self._columns
        try:
            if self.file_format == "parquet":
                return ds.dataset(self.files, format="parquet", schema=common_schema({f: s for f, (_, s) in listed.items()}, used))
            return ds.dataset(self.files[0], format=self._csv.file_format(self.files[0]), schema=self._csv.schema(used))
        except DataError:
            raise
        except Exception as exc:  # pyarrow raises its own types for unreadable files
            raise self._csv.read_error(exc, self.files[0]) from None

    def _units(self) -> list[Any]:
        """Parquet row groups (one fragment each), or whole CSV files (each with its own row-skipping format)."""
        import pyarrow.dataset as ds

        if self.file_format != "parquet":
            schema = self._dataset.schema
            self._unit_files = list(self.files)
            return [next(iter(ds.dataset(f, format=self._csv.file_format(f), schema=schema).get_fragments())) for f in self.files]
        units = [rg for f in self._dataset.get_fragments() for rg in f.split_by_row_group()]
        self._unit_files = [u.path for u in units]
        return units

    def fingerprint(self) -> dict[str, Any]:
        """A cheap record of the files read (no row read): each file's path relative to their folder, size, modification time and,
        for Parquet, rows from the footers and a digest of each footer. A streamed fit's checkpoint keeps it, to refuse resuming
        on other files (:func:`~._stream_fingerprint.fingerprint_change` says what differs: for Parquet the footer, not the
        modification time, so a copy that did not keep times resumes)."""
        from ._stream_fingerprint import fingerprint

        rows: dict[str, int] | None = None
        if self.file_format == "parquet":
            rows = {}
            for unit, file in zip(self.units, self._unit_files):
                rows[file] = rows.get(file, 0) + sum(int(rg.num_rows) for rg in unit.row_groups)
        return fingerprint(self.files, rows)

    def read_unit(self, i: int, whole: int | None = None) -> Iterator[Any]:
        """The record batches of unit ``i`` as pandas DataFrames (features, target, weight); a failed read is a DataError naming the file.

        Parameters
        ----------
        i : int
            The unit (a row group or a CSV file).
        whole : int, optional
            Rows per DataFrame: the reader's batches joined and cut in Arrow (:func:`_whole_batches`) to exactly this many
            rows, but for the unit's last. None: as the reader gives them (a CSV's are its blocks, ~4,000 rows each).
        """
        import pyarrow as pa

        unit = self.units[i]
        cols = self._columns
        file = self._unit_files[i]
        if self.file_format == "csv":
            self._csv.check_end(file)
        try:
            batches = unit.to_batches(columns=cols, batch_size=self.read_rows, schema=self._dataset.schema)
            for batch in batches if whole is None else _whole_batches(batches, whole):
                if batch.num_rows:
                    if self.file_format == "csv":
                        batch = without_initial_spaces(batch)  # `a, red` is `red`, as read_table reads it
                    frame = decimals_as_float(batch).to_pandas()  # a decimal column as float64, by Arrow, not Decimal cells
                    if self.file_format == "csv":
                        refuse_open_quote(frame, file)
                    yield frame
        except (pa.ArrowException, OSError) as exc:
            row_group = unit.row_groups[0].id if self.file_format == "parquet" and unit.row_groups else None
            raise self._csv.read_error(exc, file, row_group) from None

    def drop_notes(self, no_target: Mapping[str, tuple[int, Sequence[int]]] | None = None) -> list[str]:
        """One note per file with rows left out so far, in :func:`~._table_record.drop_note`'s words (as ``read_table``'s one file).

        For example ``"dropped 3 of 101 data rows of 'p1.csv': 1 with fewer fields than the 3 header columns (line 102); 2
        with no value in the target column 'y' (lines 5, 9)"``. CSV rows of the wrong width are the source's own.

        Parameters
        ----------
        no_target : mapping, optional
            File -> (rows the caller left out for a missing target, the first of them, 0-based among the rows read from the
            file).
        """
        from ._table_record import TOO_FEW, TOO_MANY, drop_note, missing_target_reason

        rows = dict(zip(self.files, self._scan.units_rows)) if self._scan is not None and self.file_format == "csv" else {}
        rows.update(self._batch_rows)
        no_target = no_target or {}
        notes = []
        for file in sorted(set(self._csv.dropped) | {f for f, (n, _) in no_target.items() if n}):
            records = self._csv.dropped.get(file, {})
            numbered = sorted(k for k in records if isinstance(k, int))
            at = file_lines(file, numbered)
            # file lines in order, then any pyarrow could not number ("unknown", never 0)
            found: list[tuple[int | str, int | str]] = sorted((at[k], k) for k in numbered if k in at)
            found += [("unknown", k) for k in records if k not in at]
            reasons: dict[str, list[Any]] = {}
            for line, key in found:
                fields, width = records[key]
                reasons.setdefault(f"{TOO_FEW if fields < width else TOO_MANY} than the {width} header columns", []).append(line)
            counted = {r: (len(where), where) for r, where in reasons.items()}
            unit = "line" if self.file_format == "csv" else "row"
            if file in no_target and self.target is not None:
                n, first = no_target[file]
                unit, lines = self.lines_of(file, list(first))
                counted[missing_target_reason(self.target)] = (n, lines)
            notes.append(drop_note(file, rows.get(file, 0) + len(records), counted, unit))
        return notes

    def scan(self, *, refuse_infinite: bool = True, each_batch: Callable[[str, int, Any], None] | None = None) -> Scan:
        """One streaming pass (cached): the preprocessing, the target's classes, each unit's rows, and the data check's tallies.

        A missing target stops the pass, a :class:`DataError` naming its file and row. So does the first infinite feature
        value (the preprocessing cannot scale it; training fails fast), unless ``refuse_infinite=False``. A scan holding
        either is still refused by ``scan()`` (as ``fit`` calls it), with the same error: no training on it.

        Parameters
        ----------
        refuse_infinite : bool
            False: the pass reads on, the missing targets and infinite cells tallied by the check (the infinite ones read
            as missing by the preprocessing), so that :meth:`check` reports them beside every other finding.
        each_batch : callable, optional
            ``each_batch(file, row, features)``: called with each record batch of the pass once the pass's own checks passed
            it (``row``: its first row among ``file``'s, as :meth:`batches` gives it; ``features``: its feature columns), so
            a second look at every row rides on this read (:func:`~._stream_readable.refuse_unreadable`); not called when the
            pass already ran (cached). What it raises ends the pass, which is then not cached.
        """
        if self.target is None:
            raise ValueError("this source has no target (target=None: read with batches()): make it with target= to scan or fit it.")
        if self._scan is None:
            self._scan = self._pass(stop_at_infinite=refuse_infinite, each_batch=each_batch)
        if refuse_infinite and self._scan.checks is not None:
            self._refuse(self._scan.checks)
        return self._scan

    def use_scan(self, scan: Scan) -> Scan:
        """Take ``scan`` as this source's, instead of reading every file again; returns the scan in effect.

        A source that has scanned already keeps its own (the same files give the same). :meth:`check` needs a scan of its
        own (the data check's tallies stay with the process that read the rows).

        Parameters
        ----------
        scan : Scan
            Another process's statistics pass over the same files (:meth:`Scan.from_plain`).
        """
        if self._scan is None:
            self._scan = scan
        return self._scan

    def _refuse(self, checks: StreamCheck) -> None:
        """The DataError of training on rows without a target or with an infinite value, the first one named, or of weights all 0."""
        if self.weight is not None and self._scan is not None and self._scan.units_weight is not None:
            refuse_all_zero(self.path, self.weight, float(sum(self._scan.units_weight)))
        rows = checks.target_missing.kept
        if rows:
            raise DataError(f"the target column {self.target!r} has missing values (first at {checks.where(rows[0])}): drop those rows.")
        for f in checks.located([*checks.infinite(), *checks.beyond_float32(self.target), *checks.refused_columns()]):
            raise DataError(f"data check: {f.message}: {f.fix}.")

    def locate(self, file: str, row: int) -> str:
        """Where row ``row`` of ``file`` is, for messages.

        ``"'f.parquet' row 8"`` (counted from 1, as every command names a data row of a file without lines), or
        ``"'f.csv' line 9"`` (1-based, header = line 1, as an editor shows it: blank lines, dropped rows of the wrong width
        and line breaks inside quoted values counted).

        Parameters
        ----------
        file : str
            The file.
        row : int
            0-based among the rows read from ``file``.
        """
        unit, (n,) = self.lines_of(file, [row])
        return f"'{file}' {unit} {n}"

    def lines_of(self, file: str, rows: list[int]) -> tuple[str, list[int]]:
        """:meth:`locate` of many rows of ``file`` at once (one read of a CSV file).

        ``("line", lines)`` for CSV, ``("row", data rows counted from 1)`` otherwise (or where a CSV line is not found).

        Parameters
        ----------
        file : str
            The file.
        rows : list of int
            0-based among the rows read from ``file``.
        """
        if self.file_format != "csv":
            return rows_lines(file, rows)
        records = self._csv.records(file, rows)
        found = file_lines(file, records)
        if any(r not in found for r in records):
            return rows_lines(file, rows)
        return "line", [found[r] for r in records]

    def _pass(self, stop_at_infinite: bool, each_batch: Callable[[str, int, Any], None] | None = None) -> Scan:
        """Read every unit once (see :meth:`scan`); stop at the first missing target or infinite value when ``stop_at_infinite``;
        ``each_batch`` as :meth:`scan` says."""
        import pandas as pd

        pre = TablePreprocessor(max_categories=self.max_categories)
        checks = StreamCheck(locate=self.locate, lines_of=self.lines_of, row_checks=self.data_checks)
        rows: list[int] = []
        weights: list[float] = []
        seen: set[Any] = set()
        capped = False  # no longer collecting the target's distinct values (a part seen: no class list)
        numeric = True
        moments = Moments()  # the target's, while it reads as numbers (a regression's scale_target)
        in_file: dict[str, int] = {}  # rows read so far of each file (a file's row groups come in order)
        for i in range(len(self.units)):
            n, w_sum = 0, 0.0
            file = self._unit_files[i]
            for frame in self.read_unit(i):
                y = frame.pop(self.target)
                at = in_file.get(file, 0)
                w = None
                if self.weight is not None:  # checked here, never a feature (nor seen by the data check)
                    w = batch_weights(frame.pop(self.weight), self.weight, file, at, self.locate)
                    w_sum += float(w.sum())
                if stop_at_infinite and y.isna().any():  # training: stop here (the check's pass tallies them)
                    row = at + int(np.flatnonzero(y.isna().to_numpy())[0])
                    raise DataError(f"the target column {self.target!r} has missing values (first at {self.locate(file, row)}): drop those rows.")
                before = checks.n_refused
                checks.add(frame, y, file, at)
                if checks.n_refused > before:  # fatal: infinite, or so inside the network (beyond float32's range)
                    if stop_at_infinite:  # training: stop here, naming the file and row
                        for f in checks.located(checks.infinite() + checks.beyond_float32(self.target)):
                            raise DataError(f"data check: {f.message}: {f.fix}.")
                    frame = _as_missing_beyond_float32(frame)  # the check's pass: read on, those cells (inf, 1e308) as missing
                pre.partial_fit(frame, wait_for_values=True)  # a column empty in the first files: refused only if empty in all
                if each_batch is not None:
                    each_batch(file, at, frame)
                numeric = numeric and pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y)
                if numeric:  # (missing targets, which training refuses, left out)
                    known = y.notna().to_numpy()
                    moments.add(y.to_numpy(dtype=np.float64, na_value=np.nan)[known], None if w is None else w[known])
                if not capped:  # beyond the cap: numbers are a regression, text refused (too many classes)
                    seen.update(y.dropna().unique().tolist())
                    capped = len(seen) > label_cap(numeric)
                n += len(frame)
                in_file[file] = at + len(frame)
            rows.append(n)
            weights.append(w_sum)
        if sum(rows) == 0:
            raise DataError(f"{self.path} has no rows to learn from.")
        pre.refuse_empty()
        classes = None if capped else np.array(sorted(seen))
        self._scan = Scan(pre, rows, classes, numeric, checks, weights if self.weight is not None else None, moments if numeric else None)
        return self._scan

    def check(self, task: str = "auto") -> DataReport:
        """The fast data checks (:func:`hiddenlayers.data.check` with ``fast=True``) of every row, from the scan's one pass.

        Rows are numbered across the files in reading order, as check() numbers the concatenated table (``rows``), and each
        finding names them by file and line (``lines``, ``line_unit``, ``details["files"]`` and its message: a CSV file's
        line, a Parquet file's row from 1; :mod:`._check.stream_lines`); duplicate rows are compared over every row (exact up
        to 15 million rows), leakage judged on the rows whose values fit 256 MB, near duplicates over every row (up to the
        same 15 million) by a second read of the files, on the grid of each numeric column's mean and SD from the pass (see
        :mod:`._check.stream`). An infinite value does not stop this pass: it is the fatal ``infinite_values`` finding, with
        the findings check() gives beside it (training on this source is still refused: :meth:`scan`).

        Parameters
        ----------
        task : {"auto", "classification", "regression"}
            ``"auto"``: :meth:`Scan.inferred_task`, the rule ``train`` and check() of one table use, so text, booleans or at
            most 20 distinct whole numbers are classes; the report's ``task`` says which it judged.
        """
        if task not in ("auto", "classification", "regression"):
            raise ValueError(f"task must be 'auto', 'classification' or 'regression'. Received: {task!r}.")
        if not self.data_checks:
            raise ValueError("this source was made with data_checks=False, whose pass keeps no data-check tallies: make it with data_checks=True to check it.")
        scan = self.scan(refuse_infinite=False)  # an infinite value is one finding among the others here
        if scan.checks is None:
            raise DataError("this scan holds no data-check tallies: make the source again (ParquetSource(...)) and call check().")
        if task == "auto":
            task = scan.inferred_task()
        return scan.checks.report(task, scan.preprocessor.streamed_counts(), self.target, reread=self._feature_batches)

    def batches(self) -> Iterator[tuple[str, int, Any]]:
        """Every record batch once, in file order (each file's row groups in order): ``(file, row, frame)``.

        ``row`` is the batch's first row among the rows read from ``file`` (0-based; :meth:`locate` of
        ``row + i`` names row ``i`` of ``frame`` by file and line); ``frame`` holds the read columns
        (features, then the target and weight columns if any), ``read_rows`` rows but for a unit's last. Memory holds one batch.
        """
        in_file = self._batch_rows
        in_file.clear()
        for i in range(len(self.units)):
            file = self._unit_files[i]
            for frame in self.read_unit(i, whole=self.read_rows):
                at = in_file.get(file, 0)
                in_file[file] = at + len(frame)
                yield file, at, frame

    def apply(self, fn: Callable[[Any], Any]) -> Any:
        """``fn`` of every record batch's feature columns, in file order, the answers joined along the rows.

        How a fitted scikit-learn ``Pipeline`` predicts a table larger than memory, ``source.apply(pipe.predict)``
        (``pipe.predict(source)`` cannot: its steps read rows in memory). Memory holds one batch and the answers; a
        ``ValueError`` in a batch is a DataError naming its file and lines, and so is an answer without one row per row of
        its batch (a summary, a short array, None: joined, it would misalign) (:mod:`._stream_apply`).

        Parameters
        ----------
        fn : callable
            Called with each batch's feature columns (a DataFrame, the target and weight columns left out); returns one
            answer per row.

        Examples
        --------
        >>> import pandas as pd, tempfile, os
        >>> d = tempfile.mkdtemp(); pd.DataFrame({"a": [1.0, 2.0, 3.0], "y": [0, 1, 0]}).to_parquet(os.path.join(d, "t.parquet"))
        >>> ParquetSource(d, target="y").apply(lambda frame: frame["a"].to_numpy() * 2)
        array([2., 4., 6.])
        """
        from ._stream_apply import apply_batches

        return apply_batches(self, fn)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """Refused in one line: a step that reads rows in memory (scikit-learn's, given ``pipe.predict(source)``) calls
        ``np.asarray`` on what it gets, and would otherwise fail on a 0-d object array with no word of what to do."""
        from ._stream_apply import NOT_AN_ARRAY

        raise TypeError(NOT_AN_ARRAY)

    def _feature_batches(self) -> Iterator[Any]:
        """Every unit's record batches again, in the scan's order, without the target and weight columns (the check's second read)."""
        for i in range(len(self.units)):
            for frame in self.read_unit(i):
                yield frame.drop(columns=[c for c in (self.target, self.weight) if c is not None])

    def chunks(
        self, units: Sequence[int], *, rows: int, seed: int | None = None, limit: int | None = None,
        preprocessor: TablePreprocessor | None = None,
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """``(X, y)`` chunks of exactly ``rows`` rows (the last may be shorter) from ``units``: :meth:`weighted_chunks` without the weights.

        Parameters
        ----------
        units, rows, seed, limit, preprocessor
            As :meth:`weighted_chunks` takes them.
        """
        for X, y, _ in self.weighted_chunks(units, rows=rows, seed=seed, limit=limit, preprocessor=preprocessor):
            yield X, y

    def weighted_chunks(
        self, units: Sequence[int], *, rows: int, seed: int | None = None, limit: int | None = None,
        preprocessor: TablePreprocessor | None = None, cache: UnitCache | None = None,
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray | None]]:
        """``(X, y, w)`` chunks of exactly ``rows`` rows (the last may be shorter) from ``units``.

        ``X`` is the float32 matrix of the preprocessing, ``y`` the raw target, ``w`` the rows' float64 weights (checked by
        the scan's pass), or None without a weight column.

        Parameters
        ----------
        units : sequence of int
            The units read.
        rows : int
            Rows per chunk.
        seed : int, optional
            Shuffles the unit order and the rows inside each shuffle buffer (None: file order).
        limit : int, optional
            Stop after that many rows.
        preprocessor : TablePreprocessor, optional
            The preprocessing (default: the scan's).
        cache : UnitCache, optional
            A fit's preprocessed blocks of ``units``, kept over its passes when they are small (:mod:`._unit_cache`); the
            chunks are the same with or without it.
        """
        pre = preprocessor or self.scan().preprocessor
        rng = np.random.default_rng(seed) if seed is not None else None
        order = list(units) if rng is None else [units[i] for i in rng.permutation(len(units))]
        budget = np.inf if limit is None else int(limit)
        weighted = self.weight is not None
        parts: list[list[np.ndarray]] = [[], [], []]  # X, y, w blocks held for the shuffle buffer
        held = 0

        def flush(final: bool) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray | None]]:
            nonlocal parts, held
            X, y = np.concatenate(parts[0]), np.concatenate(parts[1])
            w = np.concatenate(parts[2]) if weighted else None
            if rng is not None:
                p = rng.permutation(len(y))
                X, y, w = X[p], y[p], (w[p] if w is not None else None)
            cut = len(y) if final else len(y) - len(y) % rows
            for s in range(0, cut, rows):
                yield X[s : s + rows], y[s : s + rows], (w[s : s + rows] if w is not None else None)
            rest = cut < len(y)
            parts = [[X[cut:]], [y[cut:]], [w[cut:]] if w is not None else []] if rest else [[], [], []]
            held = len(y) - cut if rest else 0

        for i in order:
            read = self._unit_blocks(i, pre)
            for X, y, w in read if cache is None else cache.blocks(i, pre, read):
                if budget <= 0:
                    break
                take = int(min(len(y), budget))  # (the preprocessing is row by row: cutting after it gives the same rows)
                budget -= take
                parts[0].append(X[:take])
                parts[1].append(y[:take])
                if w is not None:
                    parts[2].append(w[:take])
                held += take
                if held >= max(self.shuffle_buffer, rows):
                    yield from flush(final=False)
        if held:
            yield from flush(final=True)

    def _unit_blocks(self, i: int, pre: TablePreprocessor) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray | None]]:
        """Unit ``i``'s record batches as ``(X, y, w)``: features through ``pre`` (float32), the raw target, the weights (or None)."""
        for frame in self.read_unit(i):
            y = frame.pop(self.target).to_numpy()
            w = _weights_array(frame.pop(self.weight)) if self.weight is not None else None
            yield pre.transform(frame).matrix.astype(np.float32), y, w


def _weights_array(values: Any) -> np.ndarray:
    """A record batch's weight column as float64 ``(rows,)`` (its values were checked by the scan's pass)."""
    import pandas as pd

    return np.asarray(pd.to_numeric(values.astype(np.float64) if pd.api.types.is_bool_dtype(values) else values), dtype=np.float64)


def is_source(obj: Any) -> bool:
    """Whether ``obj`` is a streamed table (it has the :class:`ParquetSource` interface).

    Parameters
    ----------
    obj : object
        Anything.
    """
    return isinstance(obj, ParquetSource)


def _as_missing_beyond_float32(frame: Any) -> Any:
    """``frame`` with its numeric cells beyond ±3.4e38 (``inf``, ``1e308``) made missing: the check's pass reads on past them."""
    frame = frame.copy()
    for c in frame.select_dtypes("number").columns:
        v = frame[c]
        frame[c] = v.where(~(v.abs() > F32_MAX))
    return frame



def _whole_batches(batches: Iterator[Any], rows: int) -> Iterator[Any]:
    """``batches`` (one unit's Arrow record batches, in order) cut and joined into record batches of exactly ``rows`` rows, but for the last.

    Why: a CSV file's record batches are pyarrow's blocks (about 4,000 rows of a 1 MB block, a count that varies), and a
    float32 matrix product of a batch whose first row is not a multiple of BLAS's kernel height away from the table's
    start rounds a few rows' sums otherwise (12 rows of 100,000 differed in the last digit of a probability from the
    file read whole); batches of ``rows`` (65,536) rows start where the whole table's kernel blocks start. Joined in Arrow,
    before pandas: one DataFrame made per batch, not one per block then a concat (a fifth of the read's CPU).
    """
    import pyarrow as pa

    held: list[Any] = []
    count = 0
    for batch in batches:
        held.append(batch)
        count += batch.num_rows
        while count >= rows:
            table = pa.Table.from_batches(held)
            yield pa.concat_batches(table.slice(0, rows).to_batches())
            rest = table.slice(rows)
            held, count = rest.to_batches(), rest.num_rows
    if count:
        yield pa.concat_batches(held)


__all__ = ["ParquetSource", "Scan", "is_source"]
