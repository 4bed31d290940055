"""The :class:`Table` a read gives (the kept rows, and the rows left out with their file lines) and the one wording of
the rows a read left out (:func:`drop_note`), which a file read whole and a streamed folder share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..exceptions import DataError

#: Reasons a row is dropped while reading (with the header's width in the message).
TOO_FEW, TOO_MANY = "fewer fields", "more fields"
#: How many line numbers a drop message lists before "...".
SHOW_LINES = 5


@dataclass
class Table:
    """A table read by :func:`read_table`, with the rows dropped on the way and why.

    Attributes
    ----------
    frame : DataFrame
        The kept rows.
    source : str
        What was read (a path or a dataset name).
    data_rows : int
        Every data record the source held (blank lines aside), so ``len(frame) + sum of dropped = data_rows``.
    dropped : dict of str to list of int
        A reason -> the 1-based file line numbers (CSV/TSV; the header is line 1) or data-row numbers (other formats)
        of the rows it removed.
    unit : {"row", "line"}
        ``"line"`` for CSV/TSV.
    """

    frame: Any
    source: str
    data_rows: int
    dropped: dict[str, list[int]] = field(default_factory=dict)
    unit: str = "row"  # "line" for CSV/TSV
    _lines: Any = field(default=None, repr=False)
    _scan: Any = field(default=None, repr=False)
    _records: Any = field(default=None, repr=False)

    @property
    def n_dropped(self) -> int:
        """Rows dropped for any reason."""
        return sum(len(v) for v in self.dropped.values())

    def records(self) -> Any:
        """The file's :class:`~._csv_rows.Records` (its lines, ragged and blank ones included) for CSV/TSV, else None.

        Scanned on first use when pandas' own read needed no scan.
        """
        if self._records is None and self._scan is not None:
            self._records = self._scan()
        return self._records

    def lines(self) -> Any:
        """1-based file line (CSV/TSV) or data-row number of each row of ``frame``, as an int64 array."""
        import numpy as np

        if self._lines is None:
            rec = self.records()
            starts = rec.start if rec is not None else None
            if starts is None or len(starts) != len(self.frame):  # no lines to be had: number the rows
                starts, self.unit = np.arange(1, len(self.frame) + 1), "row"
            self._lines = starts
        return self._lines

    def where(self, row: int) -> str:
        """Where 0-based row ``row`` of ``frame`` is in the user's file.

        ``"line 7"`` (CSV/TSV: the file line, header = line 1, as the user's editor counts) or ``"row 6"`` (other formats:
        the data row, counted from 1).

        Parameters
        ----------
        row : int
            0-based in ``frame``.
        """
        return f"{self.unit} {int(self.lines()[row])}"

    def every_row(self) -> Table:
        """This table, or a :class:`DataError` naming the lines the reader dropped (for commands that keep one output row per input row)."""
        if self.n_dropped:
            raise DataError(unfit_rows_reason(self.source, self.n_dropped, self.data_rows, self.drop_reasons()))
        return self

    def drop_missing(self, column: str, reason: str) -> Table:
        """A new Table without the rows whose ``column`` is missing; they are recorded under ``reason``.

        Parameters
        ----------
        column : str
            The column.
        reason : str
            The reason the rows are recorded under.
        """
        missing = self.frame[column].isna().to_numpy()
        if not missing.any():
            return self
        lines = self.lines()
        return Table(
            self.frame[~missing].reset_index(drop=True), self.source, self.data_rows,
            {**self.dropped, reason: [int(v) for v in lines[missing]]}, self.unit, lines[~missing], self._scan, self._records,
        )

    def drop_summary(self) -> str:
        """``"dropped 2 of 4 data rows of 't.csv': 1 with fewer fields than the 3 header columns (line 5); ..."``; empty if none was dropped."""
        return drop_note(self.source, self.data_rows, {r: (len(w), w) for r, w in self.dropped.items()}, self.unit)

    def drop_reasons(self) -> str:
        """``"1 with fewer fields than the 3 header columns (line 5); 2 with ... (lines 7, 9)"``: why, and where."""
        return _drop_reasons({r: (len(w), w) for r, w in self.dropped.items()}, self.unit)


def unfit_rows_reason(source: str, dropped: int, data_rows: int, reasons: str) -> str:
    """The refusal of a table whose rows do not all fit its header, for a command that writes one output row per input row
    (``predict``): a file read whole (:meth:`Table.every_row`) and one ``predict`` streams say it alike.

    Parameters
    ----------
    source : str
        The file.
    dropped : int
        Its rows of the wrong width.
    data_rows : int
        All its data rows.
    reasons : str
        Why and where (``"1 with fewer fields than the 3 header columns (line 5)"``).
    """
    return (f"'{source}' has {dropped} of {data_rows} data rows that do not fit its header: {reasons}. "
            "Fix those lines: every row needs one value per header column.")


def missing_target_reason(name: str) -> str:
    """Why a row without a value of the target ``name`` was left out, in :func:`drop_note`'s words (every command's).

    Parameters
    ----------
    name : str
        The target column.
    """
    return f"no value in the target column '{name}'"


def drop_note(source: str, data_rows: int, reasons: Mapping[str, tuple[int, Sequence[Any]]], unit: str) -> str:
    """The one note of the rows a read of ``source`` left out; empty if none.

    For example ``"dropped 3 of 101 data rows of 't.csv': 1 with fewer fields than the 3 header columns (line 102); 2 with
    no value in the target column 'y' (lines 5, 9)"``. One function, so a file read whole (:meth:`Table.drop_summary`)
    and a folder read batch by batch say it alike.

    Parameters
    ----------
    source : str
        What was read.
    data_rows : int
        The rows ``source`` held (dropped ones included).
    reasons : mapping
        Reason -> (rows it dropped, their first lines or rows, at least :data:`SHOW_LINES` of them where there are).
    unit : {"line", "row"}
        ``"line"`` (CSV/TSV) or ``"row"``.
    """
    n = sum(count for count, _ in reasons.values())
    if not n:
        return ""
    return f"dropped {n} of {data_rows} data rows of '{source}': {_drop_reasons(reasons, unit)}"


def _drop_reasons(reasons: Mapping[str, tuple[int, Sequence[Any]]], unit: str) -> str:
    parts = []
    for reason, (count, where) in reasons.items():
        if not count:
            continue
        shown = ", ".join(str(v) for v in list(where)[:SHOW_LINES]) + (", ..." if count > SHOW_LINES else "")
        parts.append(f"{count} with {reason} ({unit}{'s' if count > 1 else ''} {shown})")
    return "; ".join(parts)


__all__ = ["SHOW_LINES", "TOO_FEW", "TOO_MANY", "Table", "drop_note", "missing_target_reason", "unfit_rows_reason"]
