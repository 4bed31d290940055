"""``CSVLogger``: a per-epoch training log on disk, written as the fit runs (Keras' ``CSVLogger``, Lightning's ``CSVLogger``).

One header line, then one row per epoch, flushed at each epoch's end so ``tail -f`` shows the run and a killed run
keeps every finished epoch. Each row goes to the file in one ``write`` of the whole line, so a kill never leaves
half a row. The row's standard numbers are the :class:`~._stopping.History` row's (the file read back with pandas
equals ``history_.to_frame()``); any other finite number a callback before this one put in the epoch's ``logs``
becomes an extra column.
"""

from __future__ import annotations

import math
import numbers
import os
from pathlib import Path
from typing import Any

from ._stopping import Callback, History

#: the columns every log has, in order: History's per-epoch lists (``time``: seconds since the history's first run started)
COLUMNS = ("epoch", "train_loss", "val_loss", "val_score", "lr", "time")
_BAD_SEPARATORS = set("0123456789.+-eEinfaINFA\"'\r\n")


def _separator(separator: Any) -> str:
    """``separator`` if it is one character that cannot be part of a number or a quote (one ValueError otherwise)."""
    if not isinstance(separator, str) or len(separator) != 1 or separator in _BAD_SEPARATORS:
        raise ValueError(f"CSVLogger separator must be one character that is no part of a number, e.g. ',' or '\\t' or ';'. Received: {separator!r}.")
    return separator


def _number(value: Any) -> float | None:
    """``value`` as a float when it is a real number (int, float, NumPy scalar or 0-d array/tensor; not a bool), else None."""
    if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    return float(value)


def _text(value: Any) -> str:
    """One cell: a float in ``repr`` precision (``float(text) == value``), NaN and a missing value empty (pandas reads NaN)."""
    number = _number(value)
    if number is None or math.isnan(number):
        return ""
    return repr(number)


class CSVLogger(Callback):
    """Write the training curve to ``path`` as CSV while the fit runs: a header, then one row per epoch, flushed at its end.

    Columns: ``epoch``, ``train_loss``, ``val_loss``, ``val_score``, ``lr`` (the rate the epoch trained at) and ``time``
    (seconds since the history's first run started), as ``history_`` records them, then any other finite number a
    callback before this one put in the epoch's ``logs``. Floats are written in ``repr`` precision and NaN as an empty
    cell, so ``pd.read_csv(path, index_col="epoch")`` equals ``history_.to_frame()``. Each row is one ``write`` of the
    whole line: a killed run leaves complete rows only.

    An existing file at ``path`` is replaced (atomically) when the first epoch ends, unless ``append=True``. Warm fits
    and ``partial_fit`` calls number their epochs on from ``history_``; one logger given to successive calls that go on
    with the same history (a ``partial_fit`` loop: one row per call, or warm fits) keeps adding to the file it started.
    Under ``torch.distributed`` only rank 0 writes. A diverged last epoch (recorded, but not passed to
    ``on_epoch_end``) is written when training ends.

    Parameters
    ----------
    path : str or PathLike
        The CSV file (its folder must exist).
    append : bool
        Add to an existing file instead of replacing it: its header must be this log's (else one ValueError naming
        both), and rows of epochs this run writes again (a run resumed from an earlier checkpoint) are dropped first.
    separator : str
        One character between cells (``","``; ``"\\t"`` for TSV).
    """

    def __init__(self, path: str | os.PathLike[str], append: bool = False, separator: str = ",") -> None:
        if not isinstance(path, (str, os.PathLike)) or not str(path):
            raise TypeError(f"CSVLogger path must be a file path (str or pathlib.Path). Received: {path!r}.")
        self.path = path
        self.append = bool(append)
        self.separator = _separator(separator)
        self._header: list[str] | None = None
        self._next = 0  # the history row to write next
        self._last: int | None = None  # the last epoch this logger wrote
        self._writes = True

    def __repr__(self) -> str:
        return f"CSVLogger({str(self.path)!r}, append={self.append}, separator={self.separator!r})"

    # -- hooks -----------------------------------------------------------------------------------------------------

    def on_train_begin(self, **kwargs: Any) -> None:
        """Note where this run's rows start; a run that does not go on from this logger's last row starts the file again.
        ``**kwargs``: the loop's keywords (:class:`Callback`); reads ``history``."""
        from ._distributed import is_writer

        history: History = kwargs["history"]
        self._writes = is_writer()
        going_on = self._header is not None and bool(history.epoch) and history.epoch[-1] == self._last
        if not going_on:
            self._header = None
        self._next = len(history)
        if self._writes and not going_on:
            self._check_path()

    def on_epoch_end(self, **kwargs: Any) -> None:
        """Write the rows ``history`` recorded since the last one written, and flush them. ``**kwargs``: the loop's keywords
        (:class:`Callback`); reads ``history`` and ``logs``."""
        self._write(kwargs["history"], kwargs.get("logs") or {})

    def on_train_end(self, **kwargs: Any) -> None:
        """Write a last recorded row no ``on_epoch_end`` saw (a diverged epoch). ``**kwargs``: the loop's keywords (:class:`Callback`); reads
        ``history``."""
        self._write(kwargs["history"], {})

    # -- writing ---------------------------------------------------------------------------------------------------

    def _check_path(self) -> None:
        """Before the first step: the path is no folder, its folder exists, and an appended file's header starts as this log's."""
        path = Path(self.path)
        if path.is_dir():
            raise ValueError(f"CSVLogger path '{path}' is a folder: give a file path such as '{path / 'log.csv'}'.")
        if not path.parent.is_dir():
            raise ValueError(f"CSVLogger path '{path}': its folder '{path.parent}' does not exist; create it first.")
        if self.append:
            found = self._file_header(path)
            if found is not None and found[: len(COLUMNS)] != list(COLUMNS):
                self._refuse_header(found, list(COLUMNS))

    def _file_header(self, path: Path) -> list[str] | None:
        """The header cells of the file at ``path``, or None when there is none (no file, or an empty one)."""
        if not path.is_file():
            return None
        with open(path, encoding="utf-8", newline="") as f:
            line = f.readline().rstrip("\r\n")
        return line.split(self.separator) if line else None

    def _refuse_header(self, found: list[str], mine: list[str]) -> None:
        sep = self.separator
        raise ValueError(
            f"CSVLogger(append=True): '{self.path}' has the header {sep.join(found)!r}, but this log writes {sep.join(mine)!r}: "
            "give another path, or append=False to replace the file."
        )

    def _row(self, history: History, i: int, logs: dict[str, Any]) -> str:
        assert self._header is not None
        cells = [str(int(history.epoch[i]))]
        for name in COLUMNS[1:]:
            values = getattr(history, name)
            cells.append(_text(values[i]) if i < len(values) else "")
        cells += [_text(logs.get(name)) for name in self._header[len(COLUMNS):]]
        return self.separator.join(cells) + "\n"

    def _write(self, history: History, logs: dict[str, Any]) -> None:
        """The history's rows from ``self._next`` on (``logs``: the last one's, whose extra numbers fill the extra columns)."""
        rows = range(self._next, len(history))
        self._next = max(self._next, len(history))
        if not rows or not self._writes:
            return
        first = self._header is None
        if first:  # this run's first rows: the header, with the finite extra numbers of this epoch's logs
            extras = [k for k, v in logs.items() if isinstance(k, str) and k not in COLUMNS and (n := _number(v)) is not None and math.isfinite(n)]
            self._header = [*COLUMNS, *extras]
        lines = [self._row(history, i, logs if i == rows[-1] else {}) for i in rows]
        if first:
            self._open(int(history.epoch[rows[0]]), lines)
        else:
            self._put(lines)
        self._last = int(history.epoch[rows[-1]])

    def _open(self, first_epoch: int, lines: list[str]) -> None:
        """Start this logger's file with ``lines``: a new file (replacing any, atomically), or appended to one of the same header."""
        assert self._header is not None
        path = Path(self.path)
        header = self.separator.join(self._header) + "\n"
        found = self._file_header(path) if self.append else None
        if found is not None and found != self._header:
            self._refuse_header(found, self._header)
        kept = self._kept_rows(path, first_epoch) if found is not None else None
        if found is None or kept is not None:  # a new file, or an appended one whose rows from first_epoch on go
            self._replace(path, header + "".join(kept or []) + "".join(lines))
        else:
            self._put(lines)

    def _kept_rows(self, path: Path, first_epoch: int) -> list[str] | None:
        """The appended file's rows before ``first_epoch`` when it holds any from it on (those go), else None (append as it is).

        A last line without its newline (a file cut short by something else) is dropped too, so every row stays whole."""
        with open(path, encoding="utf-8", newline="") as f:
            lines = f.readlines()[1:]
        kept = []
        for line in lines:
            head = line.split(self.separator, 1)[0]
            if line.endswith("\n") and head.strip().isdigit() and int(head) < first_epoch:
                kept.append(line)
        return None if len(kept) == len(lines) else kept

    def _replace(self, path: Path, text: str) -> None:
        """Write ``text`` to ``path`` atomically (a temporary file in the same folder, then ``os.replace``)."""
        from .._files import atomic_write_bytes

        atomic_write_bytes(path, text.encode("utf-8"))

    def _put(self, lines: list[str]) -> None:
        """Add ``lines`` to the file, each row whole in one ``write`` (a short write, rare on a local file, is finished at once).

        The file is opened for each epoch's rows and closed after them (flushed: ``tail -f`` sees them), so nothing stays open."""
        with open(self.path, "ab", buffering=0) as f:
            for line in lines:
                data = line.encode("utf-8")
                while data:
                    written = f.write(data)
                    if not written:
                        raise OSError(f"CSVLogger could not write to '{self.path}' (the disk may be full).")
                    data = data[written:]


__all__ = ["COLUMNS", "CSVLogger"]
